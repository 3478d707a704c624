"""The remembered province in the eligibility check (province): offered first, as a one-tap
answer, at the check's province question (still asked: the child may ask about another place),
and a province given in the check remembered for later school questions and the survey."""

from __future__ import annotations

from typing import Any

from bot.catalog import Catalog
from bot.catalog.eligibility import Eligibility
from bot.core.flows.schools_home import adopt, remembered
from bot.core.ports import ConversationState

OFFERED = "home_offer"  # in the check's run: the remembered province its question offers
ACTION = "home"  # "el:home:<province id>": the offered province, pressed


def keep(
    state: ConversationState, catalog: Catalog, elig: Eligibility, run: dict[str, Any]
) -> None:
    """The check's province answer becomes the remembered one (once per answer given, see
    schools_home.adopt); the run notes the remembered province its province question offers."""
    facts = run.get("facts")
    answers = facts if isinstance(facts, dict) else {}
    for question in elig.questions:
        if question.type == "province":
            adopt(state, catalog, run, answers.get(question.id))
    home = remembered(state, catalog)
    if home is None:
        run.pop(OFFERED, None)
    else:
        run[OFFERED] = home
