"""Is a question about university or study abroad, and not about vocational education?

Read from normalized (folded, teencode-expanded) text. Words that belong only to university
("thạc sĩ", "điểm chuẩn", "đại học tư thục", "sinh viên đại học") or to study abroad ("du học")
put a question beyond the bot's scope, unless it also names a vocational level or school ("trung
cấp", "cao đẳng", "học nghề", "liên thông"…): then it is about the way from vocational education
to university, which the bot answers. Without this, the words around them decided: "Học thạc sĩ
quản trị kinh doanh mất mấy năm" got the trade's card, "Trường đại học tư thục học phí bao nhiêu"
got the vocational fees, "Học bổng du học Úc" got the vocational scholarships.

An answer whose own phrasings use the same words is left alone (the matcher asks
`Matcher.speaks_of`): it was written for such questions.
"""

from __future__ import annotations

# out-of-scope topics (content/out_of_scope.yaml) whose pointer answers these questions
UNIVERSITY_TOPIC = "dai_hoc"
ABROAD_TOPIC = "du_hoc"

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
)
ABROAD = ("du hoc",)
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
    return None
