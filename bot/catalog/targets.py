"""Streaming targets (content/targets.yaml): the share of grade 9 / grade 12 graduates a plan
wants at a vocational level, per former province or former district, each with its source."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator

from bot.catalog.models import Model, _check_id

if TYPE_CHECKING:  # load.py imports this module
    from bot.catalog.load import Catalog, Problem

FILE = "targets.yaml"
HEX = frozenset("0123456789abcdef")


def seed_file(name: str) -> bool:
    """Whether `name` is shaped like a seed document's file: 000_85af76232577135e.txt."""
    number, _, rest = name.partition("_")
    digest = rest.removesuffix(".txt")
    return (
        len(number) == 3
        and number.isascii()
        and number.isdigit()
        and rest.endswith(".txt")
        and len(digest) == 16
        and set(digest) <= HEX
    )


class TargetSource(Model):
    """Where a figure is written: the seed file, the document it is, the section or table."""

    seed: str
    document: str = Field(min_length=10)
    section: str = Field(min_length=3)

    @field_validator("seed")
    @classmethod
    def _seed(cls, value: str) -> str:
        if not seed_file(value):
            raise ValueError("seed must be a seed file name like 000_85af76232577135e.txt")
        return value


class Target(Model):
    """One target: grade, area (a former province, or a former district in it), value."""

    id: str
    grade: Literal[9, 12]
    province: str  # former province id ("long_an")
    district: str | None = None  # former district id of content/districts.yaml
    value: float = Field(ge=0, le=100)
    plans: list[str] = Field(min_length=1)  # survey plan options that count as meeting it
    school_year: str
    measure: str = Field(min_length=5)  # what is measured, in Vietnamese (shown)
    source: TargetSource

    _id = field_validator("id")(_check_id)

    @field_validator("school_year")
    @classmethod
    def _school_year(cls, value: str) -> str:
        first, dash, second = value.partition("-")
        years = [first, second]
        if not dash or not all(len(y) == 4 and y.isascii() and y.isdigit() for y in years):
            raise ValueError("school_year must be two following years, like 2024-2025")
        if int(second) != int(first) + 1 or not 2000 <= int(first) <= 2100:
            raise ValueError("school_year must be two following years, like 2024-2025")
        return value


def load_targets(root: Path, problems: list[Problem]) -> dict[str, Target]:
    """The targets of content/targets.yaml (none when the file is absent)."""
    from bot.catalog.load import Problem, list_items

    path = root / FILE
    if not path.exists():
        return {}
    targets: dict[str, Target] = {}
    for key, item in list_items(path, FILE, "targets", Target, problems):
        if item.id in targets:
            problems.append(Problem(FILE, key, "duplicate id"))
            continue
        targets[item.id] = item
    return targets


def target_problems(catalog: Catalog) -> list[Problem]:
    """Targets of an unknown former province or district, a district outside its province,
    plans no survey of that grade offers, two targets for the same area, grade and year."""
    from bot.catalog.documents import former_provinces
    from bot.catalog.load import Problem

    former = former_provinces(catalog)
    problems: list[Problem] = []
    seen: dict[tuple[int, str, str | None, str], str] = {}
    for target in catalog.targets.values():
        key = f"targets.{target.id}"
        if target.province not in former:
            problems.append(Problem(FILE, f"{key}.province", "unknown former province"))
        if target.district is not None:
            district = catalog.districts.get(target.district)
            if district is None:
                problems.append(Problem(FILE, f"{key}.district", "unknown former district"))
            elif district.province != target.province:
                problems.append(
                    Problem(FILE, f"{key}.district", f"is in {district.province}, not here")
                )
        offered = {
            option.id
            for survey in catalog.surveys.values()
            if survey.grade == target.grade
            for step in survey.steps
            if step.id == "plan"
            for option in step.options
        }
        for plan in target.plans:
            if plan not in offered:
                problems.append(
                    Problem(FILE, f"{key}.plans", f"no grade {target.grade} survey offers {plan}")
                )
        area = (target.grade, target.province, target.district, target.school_year)
        if area in seen:
            problems.append(Problem(FILE, key, f"the same area, grade and year as {seen[area]}"))
        seen.setdefault(area, target.id)
    return problems
