"""Content validation: the real content is clean, and each kind of problem is reported."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from bot.catalog import Catalog
from bot.catalog.check import check_catalog, check_directory
from bot.catalog.text_keys import all_keys
from tests.conftest import CONTENT, edit_yaml


def test_real_content_has_no_problems() -> None:
    assert [str(p) for p in check_directory(CONTENT, dt.date(2026, 11, 22))] == []


def test_minimum_content(catalog: Catalog) -> None:
    assert len(catalog.faq) >= 80
    assert len(catalog.trades) >= 30
    assert len(catalog.schools) >= 4  # real schools only (the two example ones were removed)
    assert len(catalog.provinces) == 34
    assert set(catalog.levels) == {"so_cap", "trung_cap", "cao_dang", "trung_hoc_nghe"}
    assert {"ngay_hoi_tu_van", "mot_ngay_cong_nhan"} <= set(catalog.events)
    assert "cd_long_an" in catalog.schools
    assert all(len(f.phrasings) >= 3 for f in catalog.faq.values())


def test_every_policy_names_document_dates_and_review(catalog: Catalog) -> None:
    for policy in catalog.policies.values():
        assert policy.sources and policy.sources[0].document
        assert policy.reviewed
        dated = policy.effective_from is not None or policy.window
        assert dated or any(
            "hiệu lực" in u.lower() or "thời gian áp dụng" in u.lower() for u in policy.unverified
        )


def test_former_provinces_map_to_the_merged_ones(catalog: Catalog) -> None:
    absorbed = {name: p.id for p in catalog.provinces.values() for name in p.absorbed}
    assert absorbed["Long An"] == "tay_ninh"
    assert absorbed["Yên Bái"] == "lao_cai"
    assert absorbed["Thái Bình"] == "hung_yen"
    kept = {p.name for p in catalog.provinces.values()}
    assert len(kept) + len(set(absorbed)) == 63


def test_nghi_quyet_31_is_historical(catalog: Catalog) -> None:
    nq31 = catalog.policies["nq31_long_an"]
    assert nq31.scope == "tay_ninh"
    assert nq31.status == "historical"
    assert "2023-2024" in (nq31.window or "") and "2025-2026" in (nq31.window or "")


def _problems(directory: Path) -> list[str]:
    return [str(p) for p in check_directory(directory, dt.date(2026, 11, 22))]


def test_shape_error_names_file_and_key(content_copy: Path) -> None:
    def change(d: dict) -> None:
        d["trades"][0]["riasec"] = ["X"]
        del d["trades"][1]["sector"]

    edit_yaml(content_copy / "trades.yaml", change)
    problems = _problems(content_copy)
    assert any(p.startswith("trades.yaml:trades.") and ".riasec.0:" in p for p in problems)
    assert any(
        p.startswith("trades.yaml:trades.") and ".sector: Field required" in p for p in problems
    )


def test_unknown_key_and_bad_yaml_are_reported(content_copy: Path) -> None:
    edit_yaml(content_copy / "events.yaml", lambda d: d["events"][0].update(colour="red"))
    (content_copy / "levels.yaml").write_text("version: 1\nlevels: [unclosed\n", encoding="utf-8")
    problems = _problems(content_copy)
    assert any("events.yaml:events." in p and "colour" in p for p in problems)
    assert any(p.startswith("levels.yaml:line") and "invalid YAML" in p for p in problems)


def test_unknown_ids_are_reported(content_copy: Path) -> None:
    edit_yaml(
        content_copy / "schools.yaml",
        lambda d: d["schools"][0].setdefault("trades", []).append("nghe_ma"),
    )
    faq_file = sorted((content_copy / "faq").glob("*.yaml"))[0]
    edit_yaml(
        faq_file, lambda d: d["faq"][0].update(policies=["khong_co"], related=["faq:khong_co"])
    )
    problems = _problems(content_copy)
    assert any("schools.yaml:schools." in p and "unknown trade id 'nghe_ma'" in p for p in problems)
    assert any(
        f"faq/{faq_file.name}:" in p and "unknown policy id 'khong_co'" in p for p in problems
    )
    assert any("unknown target 'faq:khong_co'" in p for p in problems)


def test_same_phrasing_under_two_answers_is_reported(content_copy: Path) -> None:
    files = sorted((content_copy / "faq").glob("*.yaml"))
    first = yaml.safe_load(files[0].read_text(encoding="utf-8"))["faq"][0]
    # the same question retyped without diacritics and in capitals still counts as the same
    from bot.matching.normalize import fold

    edit_yaml(
        files[1], lambda d: d["faq"][0]["phrasings"].append(fold(first["phrasings"][0]).upper())
    )
    problems = _problems(content_copy)
    assert any(
        ("is also under" in p and f"faq/{files[1].name}:" in p)
        or ("is also under" in p and f"faq/{files[0].name}:" in p)
        for p in problems
    )


def test_expired_policy_marked_current_is_reported(content_copy: Path) -> None:
    def change(d: dict) -> None:
        for p in d["policies"]:
            if p["id"] == "nq31_long_an":
                p["status"] = "current"

    edit_yaml(content_copy / "policies.yaml", change)
    problems = _problems(content_copy)
    assert any("policies.yaml:policies.nq31_long_an.status: ended" in p for p in problems)


def test_undated_policy_is_reported(content_copy: Path) -> None:
    def change(d: dict) -> None:
        for p in d["policies"]:
            if p["id"] == "tin_dung_hssv":
                p.pop("effective_from", None)
                p.pop("window", None)
                p["unverified"] = []

    edit_yaml(content_copy / "policies.yaml", change)
    assert any(
        "policies.tin_dung_hssv.effective_from: no effective date" in p
        for p in _problems(content_copy)
    )


def test_missing_text_key_is_reported(content_copy: Path) -> None:
    edit_yaml(content_copy / "texts.yaml", lambda d: d["texts"].pop("fallback"))
    assert "texts.yaml:texts.fallback: missing (used by the code)" in _problems(content_copy)


def test_every_code_text_key_exists(catalog: Catalog) -> None:
    assert set(all_keys()) <= set(catalog.texts)


def test_check_catalog_flags_policy_that_ends_later(catalog: Catalog) -> None:
    # nothing current ends before today, but judged from far in the future something would
    ending = [
        p for p in catalog.policies.values() if p.status == "current" and p.window_over_after()
    ]
    future = check_catalog(catalog, dt.date(2100, 1, 1))
    assert len([p for p in future if "still marked current" in p.message]) == len(ending)


def test_surveys_are_loaded_with_consent_before_personal_data(catalog: Catalog) -> None:
    assert set(catalog.surveys) >= {"lop9", "lop12"}
    for survey in catalog.surveys.values():
        kinds = [s.type for s in survey.steps]
        first_personal = next(i for i, s in enumerate(survey.steps) if s.personal)
        assert kinds.index("consent") < first_personal
    assert catalog.surveys["lop9"].minor
    assert "parent_consent" in [s.type for s in catalog.surveys["lop9"].steps]


def test_survey_problems_are_reported(content_copy: Path) -> None:
    def change(d: dict) -> None:
        steps = d["surveys"][0]["steps"]
        name = next(s for s in steps if s["id"] == "name")
        steps.remove(name)
        steps.insert(0, name)  # personal data before consent
        steps[:] = [s for s in steps if s["type"] != "parent_consent"]
        steps[1]["when"] = {"later_step": ["x"]}

    edit_yaml(content_copy / "surveys" / "lop9.yaml", change)
    problems = _problems(content_copy)
    assert any("surveys.lop9.steps.name: personal data asked before" in p for p in problems)
    assert any(
        "surveys.lop9.steps: survey for minors needs a parent_consent" in p for p in problems
    )
    assert any("'later_step' is not an earlier step" in p for p in problems)
