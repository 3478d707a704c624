"""Typed names in the survey's several-choice steps (trades, schools): what they tick or untick.

tradestep: a typed trade name ticks the trade exactly as its button does and the step stays
open until "Xong" (or "Bỏ qua"); "bỏ …" unticks. A tick past the step's maximum is refused
with how to untick. Typed schools are still an answer (kept, then on to the next question).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.catalog.models import Survey, SurveyStep
from bot.catalog.text_keys import T
from bot.core.flows.survey_answers import AUTO_SCHOOL, AnswerReader, Parsed
from bot.core.flows.survey_places import place_alone, place_name, typed_place
from bot.core.flows.survey_rules import AUTO, SurveyRules
from bot.core.flows.survey_view import SurveyView
from bot.core.messages import Reply
from bot.matching.normalize import fold

if TYPE_CHECKING:  # survey_steps builds TypedTicks
    from bot.core.flows.survey_steps import SurveySteps

REMOVE_WORDS = ("bo chon", "khong chon", "bo", "xoa")  # "bỏ du lịch": untick, folded
NOT_REMOVAL = frozenset(
    ("em", "me", "minh", "toi", "con", "bao", "noi", "muon", "cua", "va", "tui")
)


class TypedTicks:
    """Reads typed names of a trades or schools step against the run's selection."""

    def __init__(self, reader: AnswerReader, rules: SurveyRules, view: SurveyView) -> None:
        self.reader = reader
        self.rules = rules
        self.view = view

    def read(self, run: dict[str, Any], step: SurveyStep, text: str) -> tuple[list[str], list[str]]:
        """The ids the text names in this step, and the parts not understood."""
        if step.type == "trades":
            return self.reader.trades(text)
        return self.reader.schools(text, self.rules.school_choices(run))

    def typed(
        self, steps: SurveySteps, run: dict[str, Any], survey: Survey, step: SurveyStep, text: str
    ) -> list[Reply]:
        """Typed names in a trades or schools step (moved from survey_steps by surveyinput):
        trades are ticked and the question asked again (tradestep); schools named are the
        answer; a place alone lists its schools (surveyinput, W3)."""
        if step.type == "schools" and fold(text) in AUTO_SCHOOL:
            return steps.answer(run, survey, step, [AUTO])
        place = place_alone(self.reader, text) if step.type == "schools" else None
        if place is not None:  # surveyinput (W3): a place names no school: its schools, listed
            later = any(s.type == "province" and s.id not in run["answers"] for s in survey.steps)
            key = typed_place(self.rules.catalog, self.rules, run, place, later)
            name = place_name(self.rules.catalog, self.view.r.t, place)
            return [*([self.view.note(key, place=name)] if key else []), *steps.ask(run, survey)]
        removed = self.removal(run, survey, step, text)
        if removed is not None:
            return [*removed, *steps.ask(run, survey)]
        found, unknown = self.read(run, step, text)
        if not found and not unknown:  # digits or signs only: nothing to note
            return steps.error(run, survey, step, T.SURVEY_PICK_ONE)
        if step.type == "trades":
            return [*self.tick(run, survey, step, found, unknown), *steps.ask(run, survey)]
        selection = list(run.get("selection") or [])
        for ident in found:
            if ident not in selection:
                selection.append(ident)
        if len(selection) > step.max_choices:
            run["selection"] = selection[: step.max_choices]
            extra = selection[step.max_choices :]
            return steps.ask(run, survey, self.too_many(run, survey, step, extra))
        run["selection"] = selection
        if unknown:
            items = ", ".join(unknown)
            return steps.error(run, survey, step, T.SURVEY_UNKNOWN_SCHOOLS, items=items)
        noted = self.view.note(T.SURVEY_NOTED, items=self.view.show(run, survey, step, selection))
        return [noted, *steps.answer(run, survey, step, selection)]

    def removal(
        self, run: dict[str, Any], survey: Survey, step: SurveyStep, text: str
    ) -> list[Reply] | None:
        """ "bỏ du lịch", "không chọn hàn": the named choices that are ticked are unticked (the
        note says which); nothing is ever ticked by it (a reviewer's "bo du lich" was saved as
        chosen). None when the text is no removal: "bố em muốn…" folds to "bo" too."""
        if step.type not in ("trades", "schools"):
            return None
        words = fold(text).split()
        size = next(
            (len(w.split()) for w in REMOVE_WORDS if words[: len(w.split())] == w.split()), 0
        )
        if not size or len(words) == size or words[size] in NOT_REMOVAL:
            return None
        found, _unknown = self.read(run, step, " ".join(words[size:]))
        if not found:
            return None
        selection = list(run.get("selection") or [])
        gone = [ident for ident in found if ident in selection]
        run["selection"] = [ident for ident in selection if ident not in gone]
        names = self.view.show(run, survey, step, gone or found)
        key = T.SURVEY_REMOVED if gone else T.SURVEY_NOTHING_REMOVED
        return [self.view.note(key, items=names)]

    def tick(
        self,
        run: dict[str, Any],
        survey: Survey,
        step: SurveyStep,
        found: list[str],
        unknown: list[str],
    ) -> list[Reply]:
        """Tick what the text named, up to the step's maximum; the notes say what was ticked,
        what was ticked already, what was refused (too many) and what was not understood."""
        selection = list(run.get("selection") or [])
        already = [ident for ident in found if ident in selection]
        new = [ident for ident in found if ident not in selection]
        room = max(step.max_choices - len(selection), 0)
        run["selection"] = selection + new[:room]
        show = self.view.show
        notes: list[Reply] = []
        if new[:room]:
            notes.append(self.view.note(T.SURVEY_TICKED, items=show(run, survey, step, new[:room])))
        if already:
            items = show(run, survey, step, already)
            notes.append(self.view.note(T.SURVEY_ALREADY_TICKED, items=items))
        if new[room:]:
            notes.append(self.too_many(run, survey, step, new[room:]))
        if unknown:
            key = T.SURVEY_UNKNOWN_TRADES if step.type == "trades" else T.SURVEY_UNKNOWN_SCHOOLS
            values: dict[str, object] = {"items": ", ".join(unknown)}
            notes.append(self.view.error(step, Parsed(error=key, error_values=values)))
        return notes

    def too_many(
        self, run: dict[str, Any], survey: Survey, step: SurveyStep, wanted: list[str]
    ) -> Reply:
        """Why `wanted` was not ticked (the step's maximum is reached) and how to untick one."""
        selection = list(run.get("selection") or [])
        return self.view.note(
            T.SURVEY_TOO_MANY,
            count=step.max_choices,
            items=self.view.show(run, survey, step, wanted),
            first=self.view.show(run, survey, step, selection[:1]),
        )
