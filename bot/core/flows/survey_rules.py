"""Survey rules: which steps of a run apply, what is missing, and which schools and trades.

A run is the JSON-safe dict kept in ConversationState.data["survey"]; these functions read it
and the catalog, and change nothing.
"""

from __future__ import annotations

from typing import Any

from bot.catalog import Catalog
from bot.catalog.models import School, Survey, SurveyStep
from bot.core.flows.schools_fit import fitted, picked, planned_level
from bot.core.flows.schools_gate import Participation

RUN_KEY = "survey"  # where a run lives in ConversationState.data
SUMMARY = "__summary__"  # run["current"] at the summary, after the last question
MULTI = ("multi", "trades", "schools")  # several-choice step types
AUTO = "auto"  # "Trường phù hợp": the bot picks the schools
MAX_SCHOOL_SUGGESTIONS = 3
TRADE_BUTTONS = 6


def step_of(survey: Survey, step_id: str) -> SurveyStep | None:
    """The step with this id (None at the summary or for an unknown id)."""
    return next((s for s in survey.steps if s.id == step_id), None)


def initial_selection(run: dict[str, Any], step: SurveyStep) -> list[str]:
    """What a several-choice question starts with: its earlier answer, when editing; before
    any answer, what another flow ticked (run["preticked"], see survey.PREFILL)."""
    previous = run["answers"].get(step.id)
    if step.type in MULTI and isinstance(previous, list):
        return [p for p in previous if p != AUTO]
    preticked = run.get("preticked") or {}
    if step.type in MULTI and step.id not in run["answers"] and step.id in preticked:
        return [str(p) for p in preticked[step.id]]
    return []


class SurveyRules:
    """Decisions over one run's answers, for one catalog."""

    def __init__(self, catalog: Catalog, participation: Participation | None = None) -> None:
        self.catalog = catalog
        self.participation = participation or Participation()

    def receiving(self, province: str | None) -> list[School]:
        """Real schools that receive leads (an operator switched them on; task directory), of
        the student's province when one was answered."""
        return [
            s
            for s in self.catalog.schools.values()
            if not s.example
            and self.participation.offered(s.id)
            and (province is None or s.province == province)
        ]

    # -- which steps apply ----------------------------------------------------------------------

    def applies(self, run: dict[str, Any], survey: Survey, step: SurveyStep) -> bool:
        """Whether a step is asked, given the answers so far."""
        answers = run["answers"]
        for ref, wanted in step.when.items():
            value = answers.get(ref)
            values = value if isinstance(value, list) else [value]
            if not any(v in wanted for v in values):
                return False
        if step.type == "consent":
            return bool(self.receivers(run, survey))
        if step.personal or step.type == "parent_consent":
            return self.consented(run, survey)
        return True

    def may_apply(self, run: dict[str, Any], survey: Survey, step: SurveyStep) -> bool:
        """Whether a step will be asked, as far as the answers so far tell (for "Câu 3/10")."""
        if self.applies(run, survey, step):
            return True
        if step.when and not all(ref in run["answers"] for ref in step.when):
            return False  # a conditional step counts once its condition is known to hold
        consent = next((s for s in survey.steps if s.type == "consent"), None)
        undecided = consent is not None and consent.id not in run["answers"]
        schools_open = not any(s.type == "schools" and s.id in run["answers"] for s in survey.steps)
        return (
            (step.personal or step.type in ("consent", "parent_consent"))
            and undecided
            and (schools_open or bool(self.receivers(run, survey)))
        )

    def missing(self, run: dict[str, Any], survey: Survey, step: SurveyStep) -> bool:
        """Whether a step applies and has no (current) answer."""
        if not self.applies(run, survey, step):
            return False
        value = run["answers"].get(step.id, ...)
        if value is ...:
            return True
        if step.type in ("consent", "parent_consent") and isinstance(value, dict):
            return value.get("schools") != self.receivers(run, survey)  # stale
        return False

    def consented(self, run: dict[str, Any], survey: Survey) -> bool:
        """Whether the student agreed to send their details to the current schools."""
        consent = next((s for s in survey.steps if s.type == "consent"), None)
        if consent is None:
            return False
        value = run["answers"].get(consent.id)
        return (
            isinstance(value, dict)
            and bool(value.get("agreed"))
            and value.get("schools") == self.receivers(run, survey)
            and bool(value.get("schools"))
        )

    def answered(self, run: dict[str, Any], survey: Survey) -> list[SurveyStep]:
        """The questions answered so far that still apply, in survey order."""
        return [
            s
            for s in survey.steps
            if s.type != "info" and s.id in run["answers"] and self.applies(run, survey, s)
        ]

    # -- schools and trades ---------------------------------------------------------------------

    def chosen(self, run: dict[str, Any], step_type: str) -> list[str]:
        """The ids picked in the (first) step of this type."""
        survey = self.catalog.surveys[run["id"]]
        for step_id, value in run["answers"].items():
            step = step_of(survey, step_id)
            if step is not None and step.type == step_type and isinstance(value, list):
                return [str(v) for v in value]
        return []

    def province(self, run: dict[str, Any]) -> str | None:
        """The province answered, if any."""
        survey = self.catalog.surveys[run["id"]]
        for step in survey.steps:
            if step.type == "province":
                value = run["answers"].get(step.id)
                return value if isinstance(value, str) else None
        return None

    def school_choices(self, run: dict[str, Any]) -> list[str]:
        """Schools a student may pick: real ones (not examples), those teaching the chosen
        trades first."""
        trades = self.chosen(run, "trades")
        level = planned_level(self.catalog, self.catalog.surveys[run["id"]], run["answers"])
        real = fitted(self.catalog, self.receiving(self.province(run)), trades, level)  # C7
        return [s.id for s in real]

    def receivers(self, run: dict[str, Any], survey: Survey) -> list[str]:
        """The schools that would receive this student's details."""
        chosen = self.chosen(run, "schools")
        if AUTO not in chosen:
            return [c for c in chosen if c in self.catalog.schools]
        # the bot picks only schools in the student's province (teaching the chosen trades
        # first): sending a student's details to a school far away is not what they asked for
        trades = self.chosen(run, "trades")
        province = self.province(run)
        local = self.receiving(province) if province is not None else []
        level = planned_level(self.catalog, survey, run["answers"])  # province (C7): the plan's
        return [s.id for s in picked(self.catalog, local, trades, level)][:MAX_SCHOOL_SUGGESTIONS]

    def school_names(self, ids: list[str]) -> list[str]:
        """The names of the known schools among these ids."""
        return [self.catalog.schools[i].name for i in ids if i in self.catalog.schools]

    def trade_choices(self, run: dict[str, Any], selection: list[str]) -> list[str]:
        """Trades the student looked at, then trades local schools teach, then any other
        selected trade. The order never changes when a trade is ticked, so "2" keeps meaning
        the same trade on a numbered list."""
        choices: list[str] = []
        for payload in run.get("viewed", []):
            ident = payload.removeprefix("trade:")
            if payload.startswith("trade:") and ident in self.catalog.trades:
                choices.append(ident)
        for school in self.catalog.schools.values():
            if not school.example:
                choices.extend(t for t in school.trades if t in self.catalog.trades)
        offered = list(dict.fromkeys(choices))[:TRADE_BUTTONS]
        return offered + [s for s in selection if s in self.catalog.trades and s not in offered]

    def allowed(self, run: dict[str, Any], step: SurveyStep) -> set[str]:
        """The ids a several-choice or single-choice step accepts."""
        if step.type == "trades":
            return set(self.catalog.trades)
        if step.type == "schools":
            return set(self.school_choices(run))
        return {o.id for o in step.options}
