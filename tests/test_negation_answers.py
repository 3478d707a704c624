"""A group the writer says they are NOT in ("nhà em không thuộc hộ nghèo") is never read as
their own: the eligibility detector does not tick it, and the answer written for that group is
not given as if it applied (bot/matching/negation.py, used by the detector and the resolver)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.catalog import Catalog
from bot.core.engine import Engine
from bot.matching.matcher import Match, Matcher, Suggestions
from bot.matching.normalize import fold as folded
from tests.test_cli import run
from tests.test_eligibility_whose import detector

POOR_ANSWER = "faq:ho_tro_ho_ngheo"

# (message, the answers written for the group it negates, the detector's option)
BRIEF = [
    (
        "Nếu nhà em không thuộc hộ nghèo thì có được hỗ trợ gì không",
        {POOR_ANSWER},
        "ho_ngheo",
    ),
    (
        "em không phải dân tộc thiểu số thì có được miễn học phí không",
        {"faq:hp_dan_toc", "faq:ho_tro_dan_toc"},
        "dan_toc_thieu_so",
    ),
    (
        "nhà e ko thuộc diện cận nghèo, con e có được vay vốn ko",
        {POOR_ANSWER},
        "ho_can_ngheo",
    ),
    (
        "con tôi không bị khuyết tật thì có được miễn học phí không",
        {"faq:hp_khuyet_tat", "faq:ho_tro_khuyet_tat", "faq:hp_cha_me_khuyet_tat"},
        "khuyet_tat",
    ),
    ("bố em không phải thương binh, em có được miễn học phí không", set(), "con_thuong_binh"),
    (
        "em chẳng phải người dân tộc, học nghề có được hỗ trợ gì không",
        {"faq:hp_dan_toc", "faq:ho_tro_dan_toc"},
        "dan_toc_thieu_so",
    ),
    ("nhà em chả phải hộ nghèo, học trung cấp có được miễn không", {POOR_ANSWER}, "ho_ngheo"),
    ("nha em hok phai ho ngheo co dc ho tro hoc phi k", {POOR_ANSWER}, "ho_ngheo"),
    ("em k bi khuyet tat thi co dc mien hoc phi k", {"faq:hp_khuyet_tat"}, "khuyet_tat"),
    ("nhà em đâu có thuộc hộ nghèo, có được vay vốn không", {POOR_ANSWER}, "ho_ngheo"),
    (
        "nhà em chưa được công nhận hộ cận nghèo, có được vay vốn không",
        {POOR_ANSWER},
        "ho_can_ngheo",
    ),
    ("nhà em chả có sổ hộ nghèo, học trung cấp có được miễn không", {POOR_ANSWER}, "ho_ngheo"),
]


def said(text: str) -> list[str]:
    """Every household or circumstance the detector ticks or asks about."""
    reading = detector().read(text)
    if reading is None:
        return []
    out: list[str] = []
    for question in ("household", "circumstances"):
        value = reading.facts.get(question, [])
        out += [value] if isinstance(value, str) else value
        out += reading.unsure.get(question, [])
    return out


def test_a_negated_group_is_never_ticked_nor_asked_about() -> None:
    for text, _answers, option in BRIEF:
        assert option not in said(text), text


def test_the_groups_said_beside_a_negated_one_are_still_ticked() -> None:
    reading = detector().read(
        "nhà em không phải hộ nghèo mà là cận nghèo thì có được vay vốn không"
    )
    assert reading is not None and reading.facts.get("household") == "ho_can_ngheo"
    text = (
        "nhà em không những thuộc hộ nghèo mà còn có bố là thương binh, em có được hỗ trợ gì không"
    )
    reading = detector().read(text)
    assert reading is not None
    assert reading.facts.get("household") == "ho_ngheo"
    assert reading.facts.get("circumstances") == ["con_thuong_binh"]


def test_a_conditional_stays_a_tick() -> None:
    # "nếu nhà em là hộ nghèo thì…" asks what the check answers under that supposition; the
    # result lists it ("Bạn cho biết: … Hộ nghèo"): see
    # tests/conversations/eligibility_negated_group.yaml
    reading = detector().read("nếu nhà em là hộ nghèo thì học trung cấp có được miễn học phí không")
    assert reading is not None and reading.facts.get("household") == "ho_ngheo"
    assert "ho_ngheo" not in said("nếu nhà em không phải hộ nghèo thì có được miễn học phí không")


NEGATIONS = [
    "không phải",
    "ko phải",
    "k phải",
    "hok phải",
    "hong phải",
    "chẳng phải",
    "chả phải",
    "không thuộc",
    "không thuộc diện",
    "ko thuộc diện",
    "chưa phải là",
    "đâu có phải",
    "không phải là",
    "chưa được công nhận là",
]
GROUPS = [
    ("hộ nghèo", "ho_ngheo"),
    ("hộ cận nghèo", "ho_can_ngheo"),
    ("người dân tộc thiểu số", "dan_toc_thieu_so"),
    ("dtts", "dan_toc_thieu_so"),
    ("con thương binh", "con_thuong_binh"),
    ("con liệt sĩ", "con_liet_si"),
    ("người khuyết tật", "khuyet_tat"),
    ("người có công", "nguoi_co_cong"),
]
WHO = ["nhà em", "em", "con tôi", "gia đình cháu", "nha e", "bố em"]
ASKS = [
    "học trung cấp có được miễn học phí không",
    "có được vay vốn không",
    "thì có được hỗ trợ gì không ạ",
    "co dc mien hp ko",
]


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(WHO),
    st.sampled_from(NEGATIONS),
    st.sampled_from(GROUPS),
    st.sampled_from(ASKS),
    st.booleans(),
    st.booleans(),
)
def test_any_negated_group_is_never_ticked(
    who: str, negation: str, group: tuple[str, str], asks: str, fold: bool, conditional: bool
) -> None:
    text = f"{'nếu ' if conditional else ''}{who} {negation} {group[0]}, {asks}"
    if fold:  # typed without diacritics ("chả phải" is then "cha phai": still a negation)
        text = folded(text)
    assert group[1] not in said(text), text


# -- the answers (what `huongnghiep ask --json` prints) --------------------------------------------


def _ids(result: Match | Suggestions | None) -> list[str]:
    if isinstance(result, Match):
        return [result.id, *(c.id for c in result.close)]
    if isinstance(result, Suggestions):
        return [o.id for o in result.options]
    return []


def test_the_answer_written_for_a_negated_group_is_never_given(engine: Engine) -> None:
    for text, answers, _option in BRIEF:
        result = engine.match(text)
        assert not set(_ids(result)) & answers, (text, result)
        out = engine.ask(text)
        assert out.id not in answers, text


def test_nothing_left_asks_back_with_the_general_money_answers(
    engine: Engine, catalog: Catalog
) -> None:
    out = engine.ask("Nếu nhà em không thuộc hộ nghèo thì có được hỗ trợ gì không")
    assert out.matched is False and out.suggestions
    labels = {f.question for f in catalog.faq.values()}
    assert set(out.suggestions) <= labels
    assert catalog.faq["ho_tro_ho_ngheo"].question not in out.suggestions
    assert catalog.faq["chinh_sach_thu_hut"].question in out.suggestions


def test_the_groups_answer_still_answers_the_group(engine: Engine) -> None:
    # named without a negation, or beside one that is said: the group's answer stands
    for text in (
        "nhà em thuộc hộ nghèo, học nghề được hỗ trợ gì",
        "nhà em không những thuộc hộ nghèo mà còn đông con, có được hỗ trợ gì không",
    ):
        assert engine.ask(text).id == POOR_ANSWER, text
    result = engine.match("nhà em không phải hộ nghèo mà là cận nghèo, học nghề được hỗ trợ gì")
    assert POOR_ANSWER in _ids(result)


def test_every_answer_written_for_a_group_is_known(matcher: Matcher) -> None:
    groups = getattr(matcher, "target_groups", {})
    assert groups["faq:ho_tro_ho_ngheo"] == {"household.ho_ngheo", "household.ho_can_ngheo"}
    assert groups["faq:hp_dan_toc"] == {"circumstances.dan_toc_thieu_so"}
    assert groups["faq:hp_mo_coi"] == {"circumstances.mo_coi"}  # a vague phrase names it
    assert "faq:hp_doi_tuong_mien" not in groups  # "Những ai…": general
    assert "faq:vay_von_dieu_kien" not in groups


def test_ask_json_on_the_command_line() -> None:
    out = run("ask", "--json", "Nếu nhà em không thuộc hộ nghèo thì có được hỗ trợ gì không")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["matched"] is False and data["id"] != POOR_ANSWER
    assert "Hộ nghèo, cận nghèo học nghề được hỗ trợ gì?" not in data["suggestions"]
