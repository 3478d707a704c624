"""Streaming targets as content (content/targets.yaml): seed 000's figures are all there, and
`content check` refuses a target without a proper source, value, area or school year."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.catalog import Catalog
from bot.catalog.check import check_directory
from tests.conftest import edit_yaml


def test_seed_000_targets_are_all_there(catalog: Catalog) -> None:
    targets = catalog.targets
    assert targets["long_an_2025_thcs"].value == 40.12
    assert targets["long_an_2025_thpt"].value == 45.84
    for grade in (9, 12):
        districts = [t for t in targets.values() if t.grade == grade and t.district]
        assert len(districts) == 15
        assert {catalog.districts[t.district].province for t in districts if t.district} == {
            "long_an"
        }
    assert targets["ben_luc_thcs"].value == 40.26 and targets["tan_thanh_thpt"].value == 65.22
    assert all(t.source.seed.startswith("000_") for t in targets.values())


def test_content_check_refuses_bad_targets(content_copy: Path) -> None:
    def spoil(data: Any) -> None:
        first, second, third = data["targets"][:3]
        first["value"] = 140.12
        first["source"]["seed"] = "seed 000"
        second["province"] = "atlantis"
        third["district"] = "sa_pa_lao_cai"
        third["plans"] = ["dai_hoc"]
        third["school_year"] = "2024-2026"

    edit_yaml(content_copy / "targets.yaml", spoil)
    problems = [str(p) for p in check_directory(content_copy)]
    assert any("targets.long_an_2025_thcs.value" in p for p in problems), problems
    assert any("targets.long_an_2025_thcs.source.seed" in p for p in problems), problems
    assert any("targets.tan_an_thcs.school_year" in p for p in problems), problems

    def fix_loading(data: Any) -> None:
        data["targets"][0]["value"] = 40.12
        data["targets"][0]["source"]["seed"] = "000_85af76232577135e.txt"
        data["targets"][2]["school_year"] = "2024-2025"

    edit_yaml(content_copy / "targets.yaml", fix_loading)
    problems = [str(p) for p in check_directory(content_copy)]
    assert "targets.yaml:targets.long_an_2025_thpt.province: unknown former province" in problems
    assert any("targets.tan_an_thcs.district: is in lao_cai" in p for p in problems), problems
    assert any("no grade 9 survey offers dai_hoc" in p for p in problems), problems
