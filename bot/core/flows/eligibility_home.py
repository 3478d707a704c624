"""The remembered province in the eligibility check (province): offered first, as a one-tap
answer, at the check's province question (still asked: the child may ask about another place),
and a province given in the check remembered for later school questions and the survey."""

from __future__ import annotations

from typing import Any

from bot.catalog import Catalog
from bot.catalog.eligibility import Eligibility
from bot.core.flows.schools_home import remember, remembered
from bot.core.ports import ConversationState

OFFERED = "home_offer"  # in the check's run: the remembered province its question offers
_KEPT = "home_kept"  # in the check's run: its province answer already taken as remembered
ACTION = "home"  # "el:home:<province id>": the offered province, pressed


def keep(
    state: ConversationState, catalog: Catalog, elig: Eligibility, run: dict[str, Any]
) -> None:
    """The check's province answer becomes the remembered one (once per answer given: a place
    named later in a schools question is not overwritten by it); the run notes the remembered
    province its province question offers."""
    facts = run.get("facts")
    answers = facts if isinstance(facts, dict) else {}
    for question in elig.questions:
        value = answers.get(question.id)
        if question.type == "province" and isinstance(value, str) and run.get(_KEPT) != value:
            remember(state, catalog, value)
            run[_KEPT] = value
    home = remembered(state, catalog)
    if home is None:
        run.pop(OFFERED, None)
    else:
        run[OFFERED] = home
