"""The eligibility detector reads only what is the student's own and current (eligfix): a
relative's circumstance, one dead parent, a household that left poverty, a question about
military service are never ticked as the student's."""

from __future__ import annotations

import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.catalog import Catalog, load_catalog
from bot.catalog.text_keys import T
from bot.core.engine import Engine
from bot.core.flows.eligibility_words import decode
from bot.core.memory import MemoryConversationStore
from bot.core.messages import Inbound
from bot.matching.eligibility import EligibilityDetector
from bot.matching.matcher import Matcher
from bot.matching.normalize import Normalizer
from tests.conftest import CONTENT, FixedClock


@functools.cache
def _content() -> Catalog:
    return load_catalog(CONTENT)  # not the fixture: hypothesis would print all of it


def detector(catalog: Catalog | None = None) -> EligibilityDetector:
    catalog = catalog or _content()
    assert catalog.eligibility is not None
    abbreviations = catalog.abbreviations
    return catalog.eligibility.detector_for(Normalizer(abbreviations.tokens, abbreviations.phrases))


def ticked(catalog: Catalog | None, text: str) -> list[str]:
    """The circumstances the detector ticks for a message (none when it does not fire)."""
    facts = detector(catalog).detect(text) or {}
    value = facts.get("circumstances", [])
    return [value] if isinstance(value, str) else list(value)


# -- a relative's circumstance -------------------------------------------------------------------

RELATIVES_NOT_THE_STUDENT = [
    # the reviewer's messages (X0, X9, C28), then variants
    (
        "Bố cháu bị khuyết tật, mẹ làm ruộng, cháu học trung cấp có được miễn học phí không ạ?",
        "khuyet_tat",
    ),
    ("ông ngoại em là liệt sĩ, em học trung cấp có được miễn học phí không", "con_liet_si"),
    ("ong noi em la thuong binh, em hoc cao dang co dc mien hoc phi ko", "con_thuong_binh"),
    ("me e khuyet tat, e hoc cao dang co dc mien hp ko ad", "khuyet_tat"),
    (
        "Vợ chồng tôi đều là người khuyết tật, con đi học trung cấp có được miễn học phí không?",
        "khuyet_tat",
    ),
    ("bà nội em là con liệt sĩ, em học cao đẳng có được miễn học phí không", "con_liet_si"),
    ("bố em là con thương binh, em học trung cấp có được giảm học phí không", "con_thuong_binh"),
    ("anh trai em bị khuyết tật, em học cao đẳng có được miễn học phí không", "khuyet_tat"),
    ("ông bà ngoại em là người có công, em học trung cấp có được miễn học phí ko", "nguoi_co_cong"),
    (
        "mẹ em là người dân tộc thiểu số, em học trung cấp có được hỗ trợ gì không",
        "dan_toc_thieu_so",
    ),
    ("em bị tai nạn lao động, học cao đẳng có được giảm học phí không", "con_tnld"),
]


@pytest.mark.parametrize(("text", "option"), RELATIVES_NOT_THE_STUDENT)
def test_a_relatives_circumstance_is_not_ticked(catalog: Catalog, text: str, option: str) -> None:
    assert option not in ticked(catalog, text)
    reading = detector(catalog).read(text)
    assert reading is not None, "named and about money: the check asks rather than staying quiet"
    assert option in reading.unsure.get("circumstances", [])


PARENTS_MAKE_THE_STUDENT_THEIR_CHILD = [
    ("mẹ em là liệt sĩ em học cao đẳng có mất học phí ko", "con_liet_si"),
    ("bố em là liệt sĩ, em học trung cấp có được miễn học phí không", "con_liet_si"),
    # a parent writing: "cháu" is their child, "bố cháu" the child's father
    ("con tôi học cao đẳng, bố cháu là thương binh, có được miễn học phí không", "con_thuong_binh"),
    ("Tôi là thương binh, con tôi học trung cấp có được miễn học phí không", "con_thuong_binh"),
    ("em là con liệt sĩ, học trung cấp có được miễn học phí không", "con_liet_si"),
    ("em là con thương binh, học cao đẳng có được giảm học phí không", "con_thuong_binh"),
    ("bo e bi tai nan lao dong, e hoc cao dang co dc giam hp ko", "con_tnld"),
]


@pytest.mark.parametrize(("text", "option"), PARENTS_MAKE_THE_STUDENT_THEIR_CHILD)
def test_a_parents_status_makes_the_student_its_child(
    catalog: Catalog, text: str, option: str
) -> None:
    assert option in ticked(catalog, text)


STUDENTS_OWN = [
    ("em bị khuyết tật học cao đẳng có phải đóng tiền học không", "khuyet_tat"),
    ("con tôi bị khuyết tật nhẹ, đi học trung cấp có được miễn học phí không", "khuyet_tat"),
    ("cháu nhà tôi bị khuyết tật, học cao đẳng có được miễn học phí không ạ", "khuyet_tat"),
    (
        "em là người dân tộc thiểu số, nhà cận nghèo, học nghề có được hỗ trợ gì không",
        "dan_toc_thieu_so",
    ),
    (
        "em ở với bà ngoại, bị khuyết tật từ nhỏ, học trung cấp có được miễn học phí không",
        "khuyet_tat",
    ),
    ("em là bộ đội xuất ngũ, đi học nghề có được hỗ trợ không", "xuat_ngu"),
]


@pytest.mark.parametrize(("text", "option"), STUDENTS_OWN)
def test_the_students_own_circumstance_is_still_ticked(
    catalog: Catalog, text: str, option: str
) -> None:
    assert option in ticked(catalog, text)


def test_a_disabled_parent_is_offered_the_answer_about_parents(catalog: Catalog) -> None:
    reading = detector(catalog).read(
        "Bố cháu bị khuyết tật, mẹ làm ruộng, cháu học trung cấp có được miễn học phí không ạ?"
    )
    assert reading is not None
    assert reading.offers == ["hp_cha_me_khuyet_tat"]
    assert reading.facts == {"level": "trung_cap"}
    own = detector(catalog).read("em bị khuyết tật học trung cấp có được miễn học phí không")
    assert own is not None and own.offers == []


RELATIVE_WORDS = [
    "ông nội",
    "ông ngoại",
    "bà nội",
    "bà ngoại",
    "ông bà",
    "ong noi",
    "ba ngoai",
    "anh trai",
    "chị gái",
    "em trai",
    "em gái",
    "người thân",
    "ông",
]
# folded, these are also common words ("có", "đi", "chỉ", "bắc"): relatives only before "em"...
RELATIVES_BEFORE_A_POSSESSOR = ["má", "cô", "dì", "chị", "anh", "cụ", "chú", "bác", "cậu", "thím"]
PARENT_WORDS = ["bố", "mẹ", "cha", "ba", "bo", "me", "bố mẹ", "cha mẹ", "chồng tôi"]
POSSESSORS = ["em", "cháu", "tôi", "mình", "e", ""]
OWNERS = [
    *((p, o) for p in RELATIVE_WORDS + PARENT_WORDS for o in POSSESSORS),
    *((p, o) for p in RELATIVES_BEFORE_A_POSSESSOR for o in POSSESSORS if o),
]
OWN_CONDITIONS = {
    "khuyet_tat": ["bị khuyết tật", "khuyết tật", "bi tan tat"],
    "mo_coi": ["mồ côi cả cha lẫn mẹ"],
    "dan_toc_thieu_so": ["là người dân tộc thiểu số", "người dân tộc"],
    "xuat_ngu": ["đã xuất ngũ", "vua xuat ngu"],
}
GRANDPARENT_CONDITIONS = {
    "con_liet_si": ["là liệt sĩ", "liet si", "là con liệt sĩ"],
    "con_thuong_binh": ["là thương binh", "la benh binh", "là con thương binh"],
    "con_tnld": ["bị tai nạn lao động"],
}
QUESTIONS = [
    "em học trung cấp có được miễn học phí không",
    "con học cao đẳng có được giảm học phí ko",
    "cháu đi học nghề có được hỗ trợ gì không ạ",
]


def _text(person: str, possessor: str, condition: str, question: str, comma: bool) -> str:
    who = f"{person} {possessor}".strip()
    return f"{who} {condition}{',' if comma else ''} {question}"


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(OWNERS),
    st.sampled_from(sorted(OWN_CONDITIONS)),
    st.data(),
    st.sampled_from(QUESTIONS),
    st.booleans(),
)
def test_any_relative_with_a_condition_never_ticks_the_students_own(
    owner: tuple[str, str],
    option: str,
    data: st.DataObject,
    question: str,
    comma: bool,
) -> None:
    condition = data.draw(st.sampled_from(OWN_CONDITIONS[option]))
    text = _text(*owner, condition, question, comma)
    assert option not in ticked(None, text), text


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([(p, o) for p, o in OWNERS if p not in PARENT_WORDS]),
    st.sampled_from(sorted(GRANDPARENT_CONDITIONS)),
    st.data(),
    st.sampled_from(QUESTIONS),
    st.booleans(),
)
def test_a_grandparent_or_other_relatives_status_never_makes_the_student_its_child(
    owner: tuple[str, str],
    option: str,
    data: st.DataObject,
    question: str,
    comma: bool,
) -> None:
    condition = data.draw(st.sampled_from(GRANDPARENT_CONDITIONS[option]))
    text = _text(*owner, condition, question, comma)
    assert option not in ticked(None, text), text


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(PARENT_WORDS), st.sampled_from(POSSESSORS), st.sampled_from(QUESTIONS))
def test_a_parent_who_is_a_martyrs_child_makes_the_student_a_grandchild(
    person: str, possessor: str, question: str
) -> None:
    text = _text(person, possessor, "là con liệt sĩ", question, False)
    assert "con_liet_si" not in ticked(None, text), text


# -- one dead parent is not "mồ côi cả cha lẫn mẹ" -----------------------------------------------

ONE_PARENT_OR_UNSAID = [
    "Cháu nhà tôi mồ côi mẹ, bố làm thuê, cháu học trung cấp có được hỗ trợ gì không ạ",  # Q7
    "con em mo coi cha, me di lam xa, em hoc trung cap co duoc mien hoc phi ko",  # C22
    "con em mo coi cha me di lam xa em hoc trung cap co duoc mien hoc phi ko",  # no commas
    "em mồ côi bố từ nhỏ, học cao đẳng có được miễn học phí không",
    "em bị mồ côi, học trung cấp có được miễn học phí không",
    "e mo coi cha me o voi ba ngoai hoc cd co dc mien hp ko",
]


@pytest.mark.parametrize("text", ONE_PARENT_OR_UNSAID)
def test_one_dead_parent_or_unsaid_is_asked_not_ticked(text: str) -> None:
    assert "mo_coi" not in ticked(None, text)
    reading = detector().read(text)
    assert reading is not None and "mo_coi" in reading.unsure.get("circumstances", [])


@pytest.mark.parametrize(
    "text",
    [
        "em mồ côi cả cha lẫn mẹ, ở với bà, học cao đẳng có phải đóng học phí không",  # X6
        "cháu mồ côi cả bố lẫn mẹ, học trung cấp có được miễn học phí không ạ",
        "em mo coi ca cha me, hoc cao dang co dc mien hp ko",
    ],
)
def test_both_parents_said_is_ticked(text: str) -> None:
    assert "mo_coi" in ticked(None, text)


# -- a household that left poverty is not "hộ nghèo" -----------------------------------------------

LEFT_POVERTY = [
    "Nhà tôi năm ngoái là hộ nghèo nhưng năm nay thoát nghèo rồi, con học cao đẳng có được miễn"
    " học phí không?",  # X2
    "nhà em không còn là hộ nghèo, học trung cấp có được vay vốn không",
    "nha e het ho ngheo roi thi hoc cao dang co dc vay von ko",
    "gia đình em vừa ra khỏi hộ nghèo, em học cao đẳng có được hỗ trợ gì không",
    "năm ngoái nhà em là hộ nghèo, học cao đẳng có được miễn học phí không",
    "trước đây là hộ nghèo, giờ con học trung cấp có được giảm học phí không",
]


@pytest.mark.parametrize("text", LEFT_POVERTY)
def test_a_household_that_left_poverty_is_asked_not_ticked(text: str) -> None:
    facts = detector().detect(text) or {}
    assert facts.get("household") != "ho_ngheo"
    reading = detector().read(text)
    assert reading is not None and "ho_ngheo" in reading.unsure.get("household", [])


def test_still_poor_is_still_poor() -> None:
    text = "năm ngoái nhà em là hộ nghèo, năm nay vẫn là hộ nghèo, học cao đẳng có được vay không"
    assert (detector().detect(text) or {}).get("household") == "ho_ngheo"
    near = "nhà em vừa thoát nghèo, giờ là hộ cận nghèo, học cao đẳng có được vay vốn không"
    assert (detector().detect(near) or {}).get("household") == "ho_can_ngheo"


# -- a question about military service is no circumstance ---------------------------------------

MILITARY_QUESTIONS = [
    "Con đi học nghề có được miễn nghĩa vụ quân sự không ạ, hay chỉ tạm hoãn?",  # Q23
    "hoc trung cap co duoc mien nvqs ko",
    "đang học cao đẳng có được hoãn nghĩa vụ quân sự không, có phải đóng học phí không",
    "học nghề có được miễn đi nghĩa vụ công an không",
]


@pytest.mark.parametrize("text", MILITARY_QUESTIONS)
def test_a_question_about_military_service_ticks_nothing(text: str) -> None:
    assert "xuat_ngu" not in ticked(None, text)
    reading = detector().read(text)
    assert reading is None or "xuat_ngu" not in reading.unsure.get("circumstances", [])


@pytest.mark.parametrize(
    "text",
    [
        "em là bộ đội xuất ngũ, đi học nghề có được hỗ trợ không",
        "em đã hoàn thành nghĩa vụ quân sự, học trung cấp có được hỗ trợ gì không",
        "em vừa đi nghĩa vụ về, học nghề có được hỗ trợ học phí không",
    ],
)
def test_service_done_is_still_read(text: str) -> None:
    assert "xuat_ngu" in ticked(None, text)


# -- the payload that carries what was named but not ticked -------------------------------------

KEYS = ["~circumstances", "~household", "~province", "~level", "~nope", "faq", "circumstances", "x"]
VALUES = ["khuyet_tat", "ho_ngheo", "mo_coi", "hp_cha_me_khuyet_tat", "xoa_du_lieu", "nghe_an"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(KEYS),
            st.lists(st.one_of(st.sampled_from(VALUES), st.text(max_size=12)), max_size=3),
        ),
        max_size=6,
    )
)
def test_a_forged_payload_only_carries_known_options_and_offers(
    parts: list[tuple[str, list[str]]],
) -> None:
    catalog = _content()
    assert catalog.eligibility is not None
    tail = ";".join(f"{key}={'+'.join(values)}" for key, values in parts)
    facts, unsure, offers = decode(catalog.eligibility, catalog, tail)
    for question_id, options in unsure.items():
        question = catalog.eligibility.question(question_id)
        assert question is not None
        if question.type != "province":
            assert all(question.option(o) is not None for o in options)
    assert set(offers) <= set(catalog.eligibility.detector.offers.values())
    assert all(catalog.eligibility.question(q) is not None for q in facts)


async def test_a_forged_offer_of_another_answer_is_ignored(
    catalog: Catalog, matcher: Matcher
) -> None:
    engine = Engine(catalog, matcher, MemoryConversationStore(), FixedClock())
    payload = "el:ask:level=trung_cap;~circumstances=khuyet_tat;faq=xoa_du_lieu"
    replies = await engine.handle(Inbound("test", "forger", payload=payload))
    text = "\n".join(r.text for r in replies)
    assert "Mình chưa đánh dấu sẵn: Người khuyết tật" in text and "Câu 1/5." in text
    assert catalog.text(T.ERROR) not in text


def test_a_negation_carries_over_or_and_and() -> None:
    # questions.yaml: "no poor or near-poor book at all" once read as hộ cận nghèo
    text = (
        "nha e ba me lam thue, ko co so ho ngheo hay can ngheo gi het, e dau cao dang roi ma lo"
        " ko du tien hoc, co dc vay von ko"
    )
    assert (detector().detect(text) or {}).get("household") is None
    text = "em không phải dân tộc thiểu số hay khuyết tật, học cao đẳng có được giảm học phí không"
    assert ticked(None, text) == []
