"""eligfix2: a circumstance a question names without saying it of the student is never ticked:
a group asked about, someone else's service, a restriction or a report, an office's name."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.test_eligibility_whose import detector, ticked

TRIGGERS = ("household", "circumstances")


def said(text: str, need_topic: bool = True) -> list[str]:
    """Every household or circumstance the detector ticks or asks about for a message."""
    reading = detector().read(text, need_topic)
    if reading is None:
        return []
    out: list[str] = []
    for question in TRIGGERS:
        value = reading.facts.get(question, [])
        out += [value] if isinstance(value, str) else value
        out += reading.unsure.get(question, [])
    return out


# -- 1. a group asked about is the FAQ's ---------------------------------------------------------

GROUP_QUESTIONS = [
    "Học sinh mồ côi học nghề có được miễn học phí không?",
    "hs mo coi hoc nghe co dc mien hp ko",
    "người khuyết tật học nghề có được miễn học phí không",
    "con thương binh học trung cấp có được miễn học phí không",
    "con liệt sĩ học trung cấp có được miễn học phí không",
    "cho em hỏi con thương binh học cao đẳng có được giảm học phí không",
    "những người dân tộc thiểu số học nghề có được hỗ trợ gì không",
    "sinh viên khuyết tật học cao đẳng có được miễn học phí không",
    "trẻ mồ côi cả cha lẫn mẹ học trung cấp có mất học phí không",
    "ai là con liệt sĩ thì học nghề được miễn học phí à",
    "hộ cận nghèo học cao đẳng có được vay vốn không",
]


def test_a_group_asked_about_ticks_nothing_and_starts_nothing() -> None:
    for text in GROUP_QUESTIONS:
        assert detector().read(text) is None, text


STUDENTS_OWN_CASE = [
    ("em là con thương binh, học trung cấp có được miễn không", "con_thuong_binh"),
    ("em là học sinh khuyết tật, học cao đẳng có được miễn học phí không", "khuyet_tat"),
    ("con tôi là người khuyết tật, học trung cấp có được miễn học phí không", "khuyet_tat"),
    (
        "cho em hỏi, em là người dân tộc thiểu số học trung cấp có được hỗ trợ gì không",
        "dan_toc_thieu_so",
    ),
    ("em bị khuyết tật học cao đẳng có phải đóng tiền học không", "khuyet_tat"),
]


def test_the_students_own_case_is_still_ticked() -> None:
    for text, option in STUDENTS_OWN_CASE:
        assert option in ticked(None, text), text


def test_a_group_named_at_a_step_of_the_check_is_the_students_answer() -> None:
    # typed at the circumstances question, "người khuyết tật" answers it (the option's name)
    reading = detector().read("người khuyết tật", need_topic=False)
    assert reading is not None and reading.facts == {"circumstances": ["khuyet_tat"]}
    # a question about the group, typed at the step, is still the FAQ's
    assert detector().read(GROUP_QUESTIONS[2], need_topic=False) is None
    # and at a step, nobody named is the student: "mồ côi cả cha lẫn mẹ ạ, có được miễn không"
    reading = detector().read("mồ côi cả cha lẫn mẹ ạ, có được miễn không", need_topic=False)
    assert reading is not None and reading.facts == {"circumstances": ["mo_coi"]}


# -- 2. someone else's service ------------------------------------------------------------------

SOMEONE_ELSES_SERVICE = [
    "anh trai em vừa xuất ngũ, học nghề có được hỗ trợ không",
    "bố em đi bộ đội về, em học nghề có được hỗ trợ gì không",
    "anh em mới ra quân, em học trung cấp có được miễn học phí không",
    "chú em đã hoàn thành nghĩa vụ quân sự, em học cao đẳng có được hỗ trợ gì không",
]


def test_a_relatives_service_is_neither_ticked_nor_asked_about() -> None:
    for text in SOMEONE_ELSES_SERVICE:
        assert "xuat_ngu" not in said(text), text


def test_a_relatives_service_beside_the_students_own_circumstance() -> None:
    text = "anh trai em vừa xuất ngũ, nhà em hộ nghèo, em học trung cấp có được miễn không"
    reading = detector().read(text)
    assert reading is not None
    assert reading.facts == {"household": "ho_ngheo", "level": "trung_cap"}
    assert reading.unsure == {}


def test_the_students_own_service_is_still_ticked() -> None:
    assert "xuat_ngu" in ticked(None, "em vừa xuất ngũ, đi học nghề có được hỗ trợ không")
    assert "xuat_ngu" in ticked(None, "em đi bộ đội về, học trung cấp có được hỗ trợ gì không")


def test_a_relatives_service_typed_at_a_step_is_not_ticked() -> None:
    reading = detector().read("anh trai em vừa xuất ngũ", need_topic=False)
    assert reading is not None and reading.facts == {}


# -- 3. a restriction or a report ----------------------------------------------------------------

REPORTS = [
    "chỉ có hộ nghèo, dân tộc mới được miễn giảm à?",
    "Phòng nói chỉ có hộ nghèo mới được miễn",
    "Phòng nói chỉ có hộ nghèo, hộ cận nghèo mới được miễn học phí, em học trung cấp thì sao",
    "em nghe nói hộ cận nghèo thì được vay vốn phải không",
    "người ta bảo con thương binh mới được miễn học phí, em học cao đẳng có được không",
    "trường bảo chỉ có người khuyết tật mới được miễn, có đúng không",
    "học bổng chỉ dành cho hộ nghèo thôi à, em học trung cấp có được không",
]


def test_a_restriction_or_a_report_is_not_the_users_circumstance() -> None:
    for text in REPORTS:
        assert said(text) == [], text


def test_the_users_own_circumstance_beside_a_report_is_ticked() -> None:
    text = "nghe nói chỉ có hộ nghèo mới được miễn, nhà em cận nghèo thì có được giảm không"
    assert (detector().detect(text) or {}).get("household") == "ho_can_ngheo"
    text = "nhà em là hộ nghèo, nghe nói chỉ hộ nghèo mới được miễn, em học trung cấp"
    assert (detector().detect(text) or {}).get("household") == "ho_ngheo"
    # "chỉ có" without "mới" is no restriction: the household's own
    text = "nhà em chỉ có sổ cận nghèo thôi, học trung cấp có được miễn không"
    assert (detector().detect(text) or {}).get("household") == "ho_can_ngheo"


# -- 4. an office's name -------------------------------------------------------------------------

OFFICES = [
    "Phòng LĐ-TB&XH",
    "phòng lao động thương binh xã hội",
    "Sở Lao động - Thương binh và Xã hội",
    "Bộ LĐTBXH",
    "phòng LĐ-TBXH huyện",
    "Hội Người khuyết tật tỉnh",
    "nghĩa trang liệt sĩ",
    "ngày Thương binh - Liệt sĩ 27/7",
    "Ủy ban Dân tộc",
    "phòng người có công",
]


def test_an_office_name_ticks_nothing() -> None:
    for office in OFFICES:
        for text in (
            f"{office} có hỗ trợ học phí không",
            f"em lên {office} hỏi về miễn học phí thì họ bảo lên trường",
            f"em học trung cấp, {office} có giúp miễn học phí không",
        ):
            assert said(text) == [] and said(text, need_topic=False) == [], text


SAFE = [  # fragments naming no circumstance of their own
    "em",
    "nhà em",
    "con tôi",
    "cho em hỏi",
    "bố em bảo",
    "học trung cấp",
    "có được miễn học phí không",
    "hỗ trợ gì",
    "ở Cần Thơ",
    "lên",
    "hỏi",
    "là",
    "của",
    "ạ",
    "có",
    "không phải",
    "vay vốn",
]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(SAFE), max_size=5),
    st.sampled_from(OFFICES),
    st.lists(st.sampled_from(SAFE), max_size=5),
    st.booleans(),
)
def test_any_office_name_in_any_sentence_ticks_nothing(
    before: list[str], office: str, after: list[str], lower: bool
) -> None:
    name = office.lower() if lower else office
    text = " ".join([*before, name, *after])
    assert said(text) == [], text
    assert said(text, need_topic=False) == [], text


def test_an_office_name_does_not_hide_the_students_own_circumstance() -> None:
    text = "em là con thương binh, Phòng LĐ-TB&XH bảo lên trường hỏi, học trung cấp được miễn không"
    assert "con_thuong_binh" in ticked(None, text)


# -- what the real questions showed (questions.yaml, real_dev, FAQ phrasings) --------------------


def test_the_subject_left_out_is_the_writer() -> None:
    # nobody named, but "là", "thuộc diện" say it of the writer
    text = "Là con thương binh hạng 3/4, nay học thêm trung cấp 2 năm, có được miễn học phí không?"
    assert "con_thuong_binh" in ticked(None, text)
    text = "Thuộc diện con thương binh, đang học cao đẳng, có được hưởng chế độ miễn học phí không"
    assert "con_thuong_binh" in ticked(None, text)


def test_a_group_named_through_a_link_is_still_a_group() -> None:
    for text in (
        "chính sách hỗ trợ chi phí học tập đối với sinh viên là người dân tộc thiểu số",
        "Người thuộc hộ nghèo đã được hỗ trợ học nghề, nay muốn chuyển nghề có được hỗ trợ không",
    ):
        assert said(text) == [], text


def test_but_is_no_group_and_training_no_writer() -> None:
    # folded, "nhưng" is "những"; "đào tạo" holds "tao"
    text = "e hoc xong cap 3 nhung nha ngheo ko du tien hoc, e muon hoc cao dang, co hoc bong ko a"
    assert (detector().detect(text) or {}).get("household") == "ho_ngheo"
    assert said("chinh sach dao tao nghe cho quan nhan xuat ngu") == []
    assert said("Chính sách hỗ trợ đào tạo nghề cho đồng bào dân tộc thiểu số như thế nào?") == []


def test_an_in_laws_or_a_disabled_persons_status_is_not_the_students() -> None:
    text = "Bố chồng là thương binh, con dâu đi học cao đẳng có được miễn giảm học phí?"
    assert "con_thuong_binh" not in ticked(None, text)
    reading = detector().read("con nguoi khuyet tat co thuoc dien mien giam hoc phi ko")
    assert reading is not None
    assert "khuyet_tat" not in ticked(
        None, "con nguoi khuyet tat co thuoc dien mien giam hoc phi ko"
    )
    assert reading.offers == ["hp_cha_me_khuyet_tat"]
