"""What another flow leaves for the next survey begun (PREFILL): the interest quiz's trades to
tick, the other trades it suggested (offered first on the trades step, surveyinput C6) and the
province it was told (offered at the province question: "Bạn ở …, đúng không?")."""

from __future__ import annotations

from typing import Any

from bot.catalog import Catalog
from bot.catalog.models import Survey
from bot.core.flows.survey_places import KNOWN, Place

# Another flow (the interest quiz) may leave here, for the next survey begun to take (once):
# {"trades": [trade ids to tick], "offered": [trade ids to offer first], "province": id}; each
# key may be missing (the contract only grows: "trades" alone is what the quiz first wrote).
PREFILL = "survey_prefill"
TRADES = "trades"  # the step type a prefill ticks


def _trades(raw: object, known: set[str]) -> list[str]:
    if not isinstance(raw, list):
        return []
    return [t for t in dict.fromkeys(raw) if isinstance(t, str) and t in known]


def prefilled(prefill: object, survey: Survey, known: set[str]) -> dict[str, list[str]]:
    """Step id -> trades to tick at the survey's trades step, from a PREFILL value."""
    raw = prefill.get(TRADES) if isinstance(prefill, dict) else None
    step = next((s for s in survey.steps if s.type == TRADES), None)
    trades = _trades(raw, known)
    if step is None or not trades:
        return {}
    return {step.id: trades[: step.max_choices]}


def prefill_run(catalog: Catalog, prefill: object, survey: Survey, run: dict[str, Any]) -> None:
    """A new run takes what the prefill says: ticks, the trades offered first (ticked ones
    lead), the province to offer at its question."""
    ticked = prefilled(prefill, survey, set(catalog.trades))
    offered = [t for ts in ticked.values() for t in ts]
    if isinstance(prefill, dict):
        offered += _trades(prefill.get("offered"), set(catalog.trades))
        province = prefill.get("province")
        if isinstance(province, str) and province in catalog.provinces:
            run[KNOWN] = Place(province, None).as_dict()
    run["preticked"] = ticked
    run["viewed"] = list(dict.fromkeys([*(f"trade:{t}" for t in offered), *run["viewed"]]))
