"""Schools fitted to a survey's student (province, review3 C7): those a source says teach a
ticked trade, and offer the level the student plans (cao đẳng, trung cấp) where the catalog
knows it, come first; the bot's own pick ("Trường phù hợp") keeps to the planned level when a
school there offers it. Pure functions over the catalog: no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.catalog import Catalog
from bot.catalog.models import School, Survey
from bot.core.flows.schools_search import teaches


def planned_level(catalog: Catalog, survey: Survey, answers: dict[str, Any]) -> str | None:
    """The level a one-answer question's answer names ("Học cao đẳng" -> "cao_dang"), if any."""
    for step in survey.steps:
        value = answers.get(step.id)
        if step.type == "single" and isinstance(value, str) and value in catalog.levels:
            return value
    return None


def taught_count(catalog: Catalog, school: School, trades: Sequence[str]) -> int:
    """How many of the ticked trades a source says the school teaches."""
    return sum(1 for t in trades if t in catalog.trades and teaches(school, catalog.trades[t]))


def fitted(
    catalog: Catalog, schools: Sequence[School], trades: Sequence[str], level: str | None
) -> list[School]:
    """The schools in the order a student sees them: teaching most ticked trades first, then
    at the planned level, then by name."""
    return sorted(
        schools,
        key=lambda s: (
            -taught_count(catalog, s, trades),
            level is not None and level not in s.levels,
            s.name,
        ),
    )


def picked(
    catalog: Catalog, schools: Sequence[School], trades: Sequence[str], level: str | None
) -> list[School]:
    """The bot's pick, best first: only schools at the planned level when one offers it (a
    "Học cao đẳng" student gets no trung cấp school while a cao đẳng one is there)."""
    at_level = [s for s in schools if level is not None and level in s.levels]
    pool = at_level or list(schools)
    return sorted(pool, key=lambda s: (-taught_count(catalog, s, trades), s.id))
