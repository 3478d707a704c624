"""Survey steps: asking the current question, taking an answer (typed or pressed), moving on.

Every function works on one run (the dict in ConversationState.data["survey"]) and returns the
replies of this turn: the next question, the same one with a note, or the summary.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.catalog import Catalog
from bot.catalog.models import Survey, SurveyStep
from bot.catalog.text_keys import T
from bot.core.flows.survey_answers import (
    UNSURE,
    AnswerReader,
    Parsed,
    is_question,
    parse_commune,
    parse_name,
    parse_phone,
    parse_text,
    pick_label,
    yes_no,
)
from bot.core.flows.survey_mind import RETURN
from bot.core.flows.survey_places import (
    HOME,
    KNOWN,
    PLACE,
    Place,
    confirm,
    decline,
    place_of,
)
from bot.core.flows.survey_rules import (
    AUTO,
    MULTI,
    SUMMARY,
    SurveyRules,
    initial_selection,
    step_of,
)
from bot.core.flows.survey_ticks import TypedTicks
from bot.core.flows.survey_view import SurveyView
from bot.core.flows.survey_words import no_parent_number
from bot.core.flows.typed import core
from bot.core.flows.typed import pick as pick_option
from bot.core.messages import Reply
from bot.matching.normalize import fold

NAME_STEP = "name"  # a "text" step with this id asks for a person's name


class SurveySteps:
    """Answers and moves within one run."""

    def __init__(
        self, catalog: Catalog, reader: AnswerReader, rules: SurveyRules, view: SurveyView
    ) -> None:
        self.catalog = catalog
        self.reader = reader
        self.rules = rules
        self.view = view
        self.ticks = TypedTicks(reader, rules, view)

    def ask(self, run: dict[str, Any], survey: Survey, error: Reply | None = None) -> list[Reply]:
        """The current question (or the summary), with an error note first if there is one."""
        replies = [error] if error is not None else []
        step = step_of(survey, run["current"])
        if step is None:
            return [*replies, self.view.summary(run, survey)]
        if step.type == "info":
            # a notice: shown, recorded, and the survey moves on in the same turn
            run["answers"][step.id] = True
            replies.append(self.view.info(step))
            return [*replies, *self.advance(run, survey, step, remember=False)]
        if step.type == "province" and run.get("pending") is None and step.id not in run["answers"]:
            known = place_of(run.pop(KNOWN, None))  # surveyinput (W3, C6): not asked twice
            if known is not None and known.province in self.catalog.provinces:
                confirm(self.catalog, self.view.r.t, run, known)
        if run.get("pending") is not None:
            return [*replies, self.view.confirm(run, step)]
        return [*replies, self.view.question(run, survey, step)]

    def error(
        self, run: dict[str, Any], survey: Survey, step: SurveyStep, key: str, **values: object
    ) -> list[Reply]:
        """The current question again, after why the answer was not taken (text key `key`)."""
        return self.ask(run, survey, self.view.error(step, Parsed(error=key, error_values=values)))

    # -- typed answers --------------------------------------------------------------------------

    def typed_answer(
        self, run: dict[str, Any], survey: Survey, text: str, now: dt.datetime
    ) -> list[Reply]:
        """A typed answer to the current question."""
        step = step_of(survey, run["current"])
        if step is None:  # at the summary: only buttons (or their numbers) act here
            return [self.view.note(T.SURVEY_USE_BUTTONS), *self.ask(run, survey)]
        if run.get("pending") is not None:
            answer = yes_no(text)
            if answer is not None:
                return self.button(run, survey, step, "yes" if answer else "no", "", now)
        return self._typed(run, survey, step, text, now)

    @staticmethod
    def option(step: SurveyStep, text: str) -> str | None:
        """The option of a choice question a typed answer names, if any."""
        labels = {o.id: o.label for o in step.options}
        # flowfix: particles stripped, synonyms of content, typos; then the former reading
        synonyms = {o.id: o.synonyms for o in step.options}
        return pick_option(text, labels, synonyms) or pick_label(text, labels)

    def question_typed(self, run: dict[str, Any], survey: Survey, text: str) -> bool:
        """Whether text typed at a choice question is a question of its own ("học phí bao
        nhiêu?") rather than an answer: the engine answers it, then asks the survey's again."""
        step = step_of(survey, run["current"])
        if step is None or step.type not in ("single", "multi") or run.get("pending"):
            return False
        return is_question(text) and self.option(step, text) is None

    def _typed(
        self, run: dict[str, Any], survey: Survey, step: SurveyStep, text: str, now: dt.datetime
    ) -> list[Reply]:
        kind = step.type
        unsure = fold(text) in UNSURE or core(text) in UNSURE
        if unsure and kind == "trades" and step.optional:
            return self.answer(run, survey, step, None)
        if unsure and kind == "single" and "chua_quyet_dinh" in {o.id for o in step.options}:
            return self.answer(run, survey, step, "chua_quyet_dinh")
        if kind == "parent_consent" and no_parent_number(text):
            # flowfix: no parent to ask, or afraid to: a guardian's number, or later
            return self.error(run, survey, step, T.SURVEY_PARENT_GUARDIAN_HELP)
        if kind == "parent_consent" and yes_no(text) is False:
            declined = self._decision(run, survey, False, now, phone=None)
            return self.answer(run, survey, step, declined)
        if kind in ("single", "multi"):
            ident = self.option(step, text)
            if ident is None:
                return self.error(run, survey, step, T.SURVEY_PICK_ONE)
            return self.button(run, survey, step, "opt", ident, now)
        if kind in ("yesno", "consent"):
            answer = yes_no(text)
            if answer is None:
                return self.error(run, survey, step, T.SURVEY_YES_OR_NO)
            return self.button(run, survey, step, "yes" if answer else "no", "", now)
        if kind in ("trades", "schools"):
            return self.ticks.typed(self, run, survey, step, text)
        if kind == "province":
            return self._typed_province(run, survey, step, text)
        parsed = self._parse(step, text)
        if parsed.error is not None:
            return self.ask(run, survey, self.view.error(step, parsed))
        if kind == "parent_consent":
            # the contact number again: a student with no phone of their own gave a parent's
            # there; the student says whether it is a parent's (unverified either way: the
            # school phones it before contacting the student)
            shared = parsed.value in self.own_phones(run, survey)
            run["pending"] = {"phone": parsed.value, **({"shared": True} if shared else {})}
            return self.ask(run, survey)
        if kind == "commune":
            run["pending"] = {
                "value": parsed.value,
                "question": self.view.r.t(T.SURVEY_COMMUNE_CONFIRM, commune=parsed.value),
            }
            return self.ask(run, survey)
        return self.answer(run, survey, step, parsed.value)

    @staticmethod
    def own_phones(run: dict[str, Any], survey: Survey) -> set[str]:
        """The student's own numbers in this run (E.164), from the contact phone step(s)."""
        return {
            str(value)
            for s in survey.steps
            if s.type == "phone" and (value := run["answers"].get(s.id))
        }

    @staticmethod
    def _parse(step: SurveyStep, text: str) -> Parsed:
        """A typed phone number, commune, name or other short text."""
        if step.type in ("phone", "parent_consent"):
            return parse_phone(text)
        if step.type == "commune":
            return parse_commune(text)
        if step.id == NAME_STEP:
            return parse_name(text)
        return parse_text(text)

    def _typed_province(
        self, run: dict[str, Any], survey: Survey, step: SurveyStep, text: str
    ) -> list[Reply]:
        found = self.reader.province(text)
        if found is None:
            return self.error(run, survey, step, T.SURVEY_NO_PROVINCE)
        province_id, former = found
        name = self.catalog.provinces[province_id].name
        if not former and fold(text).removeprefix("tinh ").removeprefix("thanh pho ") == fold(
            name
        ).removeprefix("thanh pho "):
            return self.answer(run, survey, step, province_id)  # named exactly: no question
        confirm(self.catalog, self.view.r.t, run, Place(province_id, former))
        return self.ask(run, survey)

    # -- pressed answers ------------------------------------------------------------------------

    def button(
        self,
        run: dict[str, Any],
        survey: Survey,
        step: SurveyStep,
        action: str,
        arg: str,
        now: dt.datetime,
    ) -> list[Reply]:
        """A survey button ("sv:ACTION:ARG") that answers the current step."""
        pending = run.get("pending")
        if pending is not None and action in ("yes", "no"):
            run["pending"] = None
            if action == "no" and step.type == "province":
                decline(run, pending.get("value"))  # province: not offered as "đã chọn"
            if action == "no":
                return self.ask(run, survey)
            if step.type == "parent_consent":
                # parent (issue 12): the number is right; the parent decides later with a code
                shared = {"shared": True} if pending.get("shared") else {}
                parent = self._decision(run, survey, False, now, phone=pending["phone"], **shared)
                return self.answer(run, survey, step, {**parent, "agreed": None, "awaiting": True})
            return self.answer(run, survey, step, pending["value"])
        if step.type == "parent_consent" and action in ("later", "skip"):
            # flowfix: "Bỏ qua, để sau": the answers are kept, the leads wait for a parent's
            # code, and nothing goes to any school until a parent or guardian confirms
            run["pending"] = None
            parent = self._decision(run, survey, False, now)
            return self.answer(
                run, survey, step, {**parent, "agreed": None, "awaiting": True, "later": True}
            )
        if action == "skip" and step.optional:
            run["selection"] = []
            return self.answer(run, survey, step, None)
        if action == "skip":
            return self.ask(run, survey, self.view.note(T.SURVEY_REQUIRED))
        if step.type in ("yesno", "consent") and action in ("yes", "no"):
            value: Any = action == "yes"
            if step.type == "consent":
                value = self._decision(run, survey, action == "yes", now)
            return self.answer(run, survey, step, value)
        if step.type == "province" and action == HOME and arg in self.catalog.provinces:
            return self.answer(run, survey, step, arg)  # the remembered province, pressed
        if step.type == "single" and action == "opt" and arg in {o.id for o in step.options}:
            return self.answer(run, survey, step, arg)
        if step.type in MULTI and action == "opt" and arg in self.rules.allowed(run, step):
            return self._toggle(run, survey, step, arg)
        if step.type == "schools" and action == "allschools":
            run.pop(PLACE, None)
            return self.ask(run, survey)
        if step.type == "schools" and action == "auto":
            return self.answer(run, survey, step, [AUTO])
        if step.type in MULTI and action == "done":
            selection = list(run.get("selection") or [])
            if not selection and not step.optional:
                return self.error(run, survey, step, T.SURVEY_PICK_ONE)
            return self.answer(run, survey, step, selection or None)
        if action == "done":  # surveyinput (review3 C6): "xong" at a one-answer question
            return self.ask(run, survey, self.view.note(T.SURVEY_DONE_NOT_HERE))
        # a button of an earlier question, pressed again: show the current one
        return self.ask(run, survey)

    def _decision(
        self, run: dict[str, Any], survey: Survey, agreed: bool, now: dt.datetime, **extra: Any
    ) -> dict[str, Any]:
        """A consent answer: the decision, the schools it covers (it goes stale when they
        change) and when it was given."""
        schools = self.rules.receivers(run, survey)
        return {"agreed": agreed, "schools": schools, "at": now.isoformat(), **extra}

    def _toggle(
        self, run: dict[str, Any], survey: Survey, step: SurveyStep, ident: str
    ) -> list[Reply]:
        selection = list(run.get("selection") or [])
        if ident in selection:  # datarights (review3 C10): said, as a typed "bỏ …" says it
            run["selection"] = [i for i in selection if i != ident]
            named = self.view.show(run, survey, step, [ident])
            return self.ask(run, survey, self.view.note(T.SURVEY_REMOVED, items=named))
        if len(selection) >= step.max_choices:
            # tradestep: the maximum is reached: said so, with how to untick one
            return self.ask(run, survey, self.ticks.too_many(run, survey, step, [ident]))
        selection.append(ident)
        run["selection"] = selection
        return self.ask(run, survey)

    # -- moving ---------------------------------------------------------------------------------

    def answer(
        self, run: dict[str, Any], survey: Survey, step: SurveyStep, value: Any
    ) -> list[Reply]:
        """Keep an answer and move on."""
        if step.type == "province" and run["answers"].get(step.id, value) != value:
            for other in survey.steps:  # a commune of the old province means nothing now
                if other.type == "commune":
                    run["answers"].pop(other.id, None)
        run["answers"][step.id] = value
        run["selection"] = []
        run.pop(PLACE, None)
        if step.type == "consent" and not (isinstance(value, dict) and value.get("agreed")):
            for other in survey.steps:  # declined: nothing personal is kept
                if other.personal or other.type == "parent_consent":
                    run["answers"].pop(other.id, None)
        return self.advance(run, survey, step)

    def advance(
        self, run: dict[str, Any], survey: Survey, step: SurveyStep, remember: bool = True
    ) -> list[Reply]:
        """On to the next step that applies (or the summary)."""
        rules = self.rules
        if remember and (not run["history"] or run["history"][-1] != step.id):
            run["history"].append(step.id)
        index = next(i for i, s in enumerate(survey.steps) if s.id == step.id)
        # surveyinput (C1): after a change of mind, what is missing up to where the student was
        back_to = run.get(RETURN)
        if run.get("editing") or back_to is not None:
            later = [s for s in survey.steps if rules.missing(run, survey, s)]
        else:
            later = [s for s in survey.steps[index + 1 :] if rules.applies(run, survey, s)]
            later += [s for s in survey.steps[: index + 1] if rules.missing(run, survey, s)]
        if later:
            run["current"] = later[0].id
            run["selection"] = initial_selection(run, later[0])
        else:
            run["current"], run["editing"] = SUMMARY, False
        if run["current"] in (back_to, SUMMARY):
            run.pop(RETURN, None)
        return self.ask(run, survey)

    def back(self, run: dict[str, Any], survey: Survey) -> list[Reply]:
        """One step back (from an edit: to the summary)."""
        run["pending"], run["selection"] = None, []
        run.pop(PLACE, None)
        if run.get(RETURN) is not None:  # surveyinput (C1): the change of mind is dropped
            run["current"] = run.pop(RETURN)
            step = step_of(survey, run["current"])
            run["selection"] = initial_selection(run, step) if step is not None else []
            return self.ask(run, survey)
        if run.get("editing"):
            run["current"], run["editing"] = SUMMARY, False
            return self.ask(run, survey)
        if run["current"] != SUMMARY and not run["history"]:
            return self.ask(run, survey, self.view.note(T.SURVEY_FIRST_STEP))
        history = run["history"]
        if run["current"] != SUMMARY and history and history[-1] == run["current"]:
            history.pop()
        target = history.pop() if history else survey.steps[0].id
        run["current"] = target
        step = step_of(survey, target)
        if step is not None:
            run["selection"] = initial_selection(run, step)
        return self.ask(run, survey)
