"""Is a question about university, study abroad or teacher training, not vocational education?

Read from normalized (folded, teencode-expanded) text. Words that belong only to university
("thạc sĩ", "điểm chuẩn", "đại học tư thục", "sinh viên đại học"), to study abroad ("du học") or
to teacher training ("sư phạm") put a question beyond the bot's scope, unless it also names a
vocational level or school ("trung cấp", "cao đẳng", "học nghề", "liên thông"…): then it is about
the way from vocational education to university, which the bot answers. Without this, the words
around them decided: "Học thạc sĩ quản trị kinh doanh mất mấy năm" got the trade's card,
"Trường đại học tư thục học phí bao nhiêu" got the vocational fees, "Học bổng du học Úc" got the
vocational scholarships, "học sư phạm mầm non… cuối tuần đi trang điểm thêm" the beauty trade.

An answer whose own phrasings use the same words is left alone (the matcher asks
`Matcher.speaks_of`): it was written for such questions.

Some subjects are the bot's only for learners: military service (its answer is the deferral of
students) and licences to practise (its answer is the nursing licence). A question about them
that names no learning ("học", "sinh viên", a vocational level) and, for licences, names a
profession the bot does not train for is beyond scope whatever answer the words lean to
(`outside_learning`): "Mồ côi từ nhỏ có được miễn nghĩa vụ quân sự?" got the deferral of
students, "Giấy phép hành nghề luật sư cấp ở đâu" the nursing licence (task oosprobe).
"""

from __future__ import annotations

from dataclasses import dataclass

# out-of-scope topics (content/out_of_scope.yaml) whose pointer answers these questions
UNIVERSITY_TOPIC = "dai_hoc"
ABROAD_TOPIC = "du_hoc"
TEACHING_TOPIC = "su_pham"

UNIVERSITY = (
    "thac si",
    "tien si",
    "hoc cao hoc",  # alone, "cao học" is also "công nghệ cao học ở đâu"
    "nghien cuu sinh",
    "diem chuan",
    "van bang 2",
    "van bang hai",
    "thi danh gia nang luc",  # not "đánh giá năng lực hành nghề" (licences)
    "sinh vien dai hoc",
    "dai hoc tu thuc",
    "dai hoc cong lap",
    "dai hoc quoc gia",
    "hoc phi dai hoc",
    # a university named by its field, or its admission ("hạn nộp hồ sơ ứng tuyển đại học công
    # nghệ" got the vocational admission dates): none of these is a vocational school
    "xet tuyen dai hoc",
    "ung tuyen dai hoc",
    "tuyen sinh dai hoc",
    "dai hoc bach khoa",
    "dai hoc cong nghe",
    "dai hoc kinh te",
    "dai hoc ngoai thuong",
    "dai hoc thuong mai",
    "dai hoc ngan hang",
    "dai hoc luat",
    "dai hoc y",
    "dai hoc xay dung",
    "dai hoc giao thong",
    "dai hoc nong lam",
    "dai hoc thuy loi",
    "dai hoc fpt",
)
ABROAD = ("du hoc",)
# teacher training: its own schools and rules ("sư phạm mầm non" got the beauty trade's card)
TEACHING = ("su pham",)
# a pupil of a general school asking for a scholarship or meals: the bot's answers on these are
# for vocational learners ("học sinh trường THPT chuyên có được học bổng khuyến khích không" got
# the vocational scholarships); school fees stay the bot's (public THPT against trung cấp)
GENERAL_SCHOOL_TOPIC = "ho_tro_pho_thong"
GENERAL_SCHOOL = (
    "hoc sinh thpt",
    "truong thpt",
    "thpt chuyen",
    "truong chuyen",
    "hoc sinh thcs",
    "truong thcs",
    "hoc sinh pho thong",
    "hoc sinh tieu hoc",
    "truong tieu hoc",
    "mau giao",
    "mam non",
)
PUPIL_SUPPORT = ("hoc bong", "tien an", "ho tro an", "ho tro gao", "tro cap an")
# a vocational level, school or path named: the question is the bot's
VOCATIONAL = (
    "trung cap",
    "cao dang",
    "so cap",
    "hoc nghe",
    "truong nghe",
    "day nghe",
    "dao tao nghe",
    "lien thong",
    "trung hoc nghe",
    "giao duc nghe nghiep",
    "xuat khau lao dong",
)


def _has(padded: str, phrases: tuple[str, ...]) -> str | None:
    return next((p for p in phrases if f" {p} " in padded), None)


def beyond_scope(normalized: str) -> tuple[str, str] | None:
    """(out-of-scope topic id, the words that put it there), or None when the question may be
    the bot's; `normalized` is the normalizer's output for the message."""
    padded = f" {normalized} "
    if _has(padded, VOCATIONAL):
        return None
    found = _has(padded, UNIVERSITY)
    if found:
        return UNIVERSITY_TOPIC, found
    found = _has(padded, ABROAD)
    if found:
        return ABROAD_TOPIC, found
    found = _has(padded, TEACHING)
    if found:
        return TEACHING_TOPIC, found
    found = _has(padded, GENERAL_SCHOOL)
    if found and _has(padded, PUPIL_SUPPORT):
        return GENERAL_SCHOOL_TOPIC, found
    return None


# named learning: the question is about a learner, which the bot's answers on these subjects are
LEARNING = (*VOCATIONAL, "hoc", "sinh vien", "sv", "nha truong")


@dataclass(frozen=True)
class Subject:
    """Words of a subject the bot answers only for learners, and the out-of-scope topic whose
    pointer answers the rest."""

    topic: str
    words: tuple[str, ...]
    needs: tuple[str, ...] = ()  # one of these must be named too (empty: nothing more)
    unless: tuple[str, ...] = ()  # words that leave the question to the usual match


SUBJECTS = (
    Subject(
        "nghia_vu_khac",
        ("nghia vu quan su", "nvqs", "nhap ngu", "di bo doi", "di nghia vu"),
        # discharged soldiers ask about support for learning a trade (faq ho_tro_bo_doi_xuat_ngu)
        unless=("xuat ngu", "hoan thanh nghia vu", "ra quan"),
    ),
    Subject(
        "chung_chi_hanh_nghe_khac",
        ("chung chi hanh nghe", "giay phep hanh nghe", "cchn"),
        needs=(
            "luat su",
            "duoc si",
            "bac si",
            "cong chung",
            "kiem toan",
            "moi gioi",
            "bat dong san",
            "tham dinh gia",
            "dau gia",
            "kien truc",
            "xay dung",
            "giam sat",
            "thua phat lai",
            "chung khoan",
        ),
    ),
)


def outside_learning(normalized: str) -> tuple[str, str] | None:
    """(out-of-scope topic id, the words that put it there) for a question on a subject the bot
    answers only for learners that names no learning; None otherwise."""
    padded = f" {normalized} "
    if _has(padded, LEARNING):
        return None
    for subject in SUBJECTS:
        found = _has(padded, subject.words)
        if found is None or _has(padded, subject.unless):
            continue
        if subject.needs and _has(padded, subject.needs) is None:
            continue
        return subject.topic, found
    return None
