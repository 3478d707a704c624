"""`content check` on content/eligibility.yaml, and the detector of stated circumstances."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.catalog import Catalog
from bot.catalog.check import check_directory
from bot.matching.eligibility import EligibilityDetector
from bot.matching.normalize import Normalizer
from tests.conftest import edit_yaml

TODAY = dt.date(2026, 11, 30)


def detector(catalog: Catalog) -> EligibilityDetector:
    assert catalog.eligibility is not None
    abbreviations = catalog.abbreviations
    return catalog.eligibility.detector_for(Normalizer(abbreviations.tokens, abbreviations.phrases))


def problems_after(content: Path, change: Any) -> list[str]:
    edit_yaml(content / "eligibility.yaml", change)
    return [str(p) for p in check_directory(content, TODAY)]


def rule(data: dict[str, Any], ident: str) -> dict[str, Any]:
    return next(r for r in data["rules"] if r["id"] == ident)


def test_the_content_passes(catalog: Catalog) -> None:
    assert check_directory(None, TODAY) == []
    assert catalog.eligibility is not None


def test_a_rule_must_name_a_known_policy_and_article(content_copy: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        rule(data, "con_liet_si")["policy"] = "khong_co_chinh_sach"
        rule(data, "khuyet_tat")["article"] = "Điều 99"

    found = problems_after(content_copy, change)
    assert any("rules.con_liet_si.policy: unknown policy id" in p for p in found), found
    assert any("rules.khuyet_tat.article: 'Điều 99'" in p for p in found), found


def test_every_value_must_be_known(content_copy: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        rule(data, "mo_coi")["when"]["circumstances"] = ["mo_coi_mot_nua"]
        rule(data, "cu_tuyen")["when"]["lop"] = ["9"]
        rule(data, "nq31_long_an")["when"]["province"] = ["long_an"]  # merged into Tây Ninh
        data["questions"][0]["options"].append({"id": "dai_hoc", "label": "Đại học"})

    found = problems_after(content_copy, change)
    assert any(
        "rules.mo_coi.when.circumstances: unknown value 'mo_coi_mot_nua'" in p for p in found
    )
    assert any("rules.cu_tuyen.when.lop: unknown question" in p for p in found)
    assert any("rules.nq31_long_an.when.province: unknown value 'long_an'" in p for p in found)
    assert any("questions.level.dai_hoc: not a level" in p for p in found)


def test_an_ended_policy_never_answers_as_current(content_copy: Path) -> None:
    found = problems_after(content_copy, lambda d: rule(d, "nq31_long_an").pop("historical"))
    assert any("nq31_long_an.historical: policy nq31_long_an has ended" in p for p in found)

    def current_marked_ended(data: dict[str, Any]) -> None:
        rule(data, "con_liet_si")["historical"] = True

    found = problems_after(content_copy, current_marked_ended)
    assert any(
        "con_liet_si.historical: policy mien_hp_doi_tuong_khac is current" in p for p in found
    )


def test_detector_phrases_are_normalized_and_examples_hold(content_copy: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["detector"]["phrases"]["circumstances"]["con_liet_si"].append("Con Liệt Sĩ")
        data["detector"]["examples"]["quiet"].append("em là con liệt sĩ có được miễn học phí không")
        data["detector"]["examples"]["fire"][0]["facts"]["level"] = "cao_dang"

    found = problems_after(content_copy, change)
    assert any("write 'Con Liệt Sĩ' normalized: 'con liet si'" in p for p in found), found
    assert any("detector.examples.quiet" in p and "fired" in p for p in found), found
    assert any("detector.examples.fire[0]: found" in p for p in found), found


def test_detector_reads_the_issue_questions(catalog: Catalog) -> None:
    found = detector(catalog)
    # eligfix2: "con liệt sĩ học trung cấp…" with nobody named asks about a group (the FAQ's)
    assert found.detect("em là con liệt sĩ học trung cấp có được miễn học phí không") == {
        "circumstances": ["con_liet_si"],
        "level": "trung_cap",
    }
    assert found.detect("nha e ho ngheo hoc cao dang co dc giam hoc phi ko") == {
        "household": "ho_ngheo",
        "level": "cao_dang",
    }


def test_detector_stays_quiet_without_a_stated_circumstance(catalog: Catalog) -> None:
    found = detector(catalog)
    for text in (
        "học trung cấp có được miễn học phí không",
        "hoc xong lop 9 hoc trung cap co mat hoc phi ko",
        "vay vốn đi học cần giấy tờ gì",
        "nhà em không phải hộ nghèo, học cao đẳng có được giảm học phí không",
        "em không bị khuyết tật, học trung cấp có được hỗ trợ gì không",
        "con liệt sĩ là gì",  # a circumstance, but nothing asked about money
        "trường nghề ở Cần Thơ",
    ):
        assert found.detect(text) is None, text


def test_two_levels_named_leave_the_level_unknown(catalog: Catalog) -> None:
    text = "em là con liệt sĩ học trung cấp hay cao đẳng thì được miễn học phí"
    facts = detector(catalog).detect(text)
    assert facts == {"circumstances": ["con_liet_si"]}


TRIGGERS = ("household", "circumstances")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_detector_fires_only_on_a_phrase_it_knows(catalog: Catalog, text: str) -> None:
    """Whatever arrives: no crash, and a hit always rests on a trigger phrase in the text."""
    assert catalog.eligibility is not None
    normalize = Normalizer(catalog.abbreviations.tokens, catalog.abbreviations.phrases)
    found = detector(catalog).detect(text)
    if found is None:
        return
    padded = f" {normalize(text)} "
    phrases = catalog.eligibility.detector.phrases
    assert any(
        f" {p} " in padded
        for q in TRIGGERS
        for option in phrases.get(q, {}).values()
        for p in option
    )


WORDS = ["con", "liet", "si", "ho", "ngheo", "mien", "hoc", "phi", "khong", "phai", "trung", "cap"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=12))
def test_negated_circumstance_is_not_read(catalog: Catalog, words: list[str]) -> None:
    """ "không phải hộ nghèo" never counts as hộ nghèo, wherever it stands."""
    text = " ".join([*words, "khong phai ho ngheo", "mien hoc phi"])
    found = detector(catalog).detect(text) or {}
    if "ho ngheo" not in " ".join(words):
        assert found.get("household") != "ho_ngheo"
