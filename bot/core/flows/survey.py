"""Survey flow: runs any survey of content/surveys/ step by step, generic over step types.

Progress lives in ConversationState.data["survey"], so a survey left half-way resumes where it
stopped, after a restart or the next day. Buttons carry "sv:" payloads; typed answers are read
by AnswerReader. Consent is stored with the schools it covers: changing the schools (or the
province, when the bot picks them) makes it stale, and it is asked again.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace
from typing import Any

from bot.catalog import Catalog
from bot.catalog.models import Survey, SurveyStep
from bot.catalog.text_keys import T
from bot.core.flows.render import Renderer
from bot.core.flows.survey_answers import (
    AUTO_SCHOOL,
    UNSURE,
    AnswerReader,
    Parsed,
    parse_commune,
    parse_name,
    parse_phone,
    parse_text,
    pick_label,
    show_phone,
    yes_no,
)
from bot.core.messages import Button, ConversationKey, Reply
from bot.core.ports import Clock, ConversationState, LeadSink, Submission
from bot.matching.normalize import fold

SV = "sv:"  # payload prefix of every survey button
KEY = "survey"  # where a run lives in ConversationState.data
SUMMARY = "__summary__"
MULTI = ("multi", "trades", "schools")
AUTO = "auto"
MAX_SCHOOL_SUGGESTIONS = 3
TRADE_BUTTONS = 6
# Details a platform lets the user share (Inbound.shared): each answers only the step with the
# same id, and only when that step has this type; anything else shared is not kept.
SHARED_STEPS = {"name": "text", "phone": "phone"}
# answer types a submitted survey keeps and "xem dữ liệu" shows (consents are shown as leads)
KEPT_SHOWN = ("single", "multi", "text", "province", "commune", "yesno", "trades", "schools")
NAME_STEP = "name"  # a "text" step with this id asks for a person's name


class SurveyFlow:
    """Start, answer, go back, cancel, resume, review and submit surveys."""

    def __init__(
        self,
        catalog: Catalog,
        renderer: Renderer,
        reader: AnswerReader,
        leads: LeadSink | None,
        clock: Clock,
    ) -> None:
        self.catalog = catalog
        self.r = renderer
        self.reader = reader
        self.leads = leads
        self.clock = clock

    # -- entry points ---------------------------------------------------------------------------

    @staticmethod
    def run(state: ConversationState) -> dict[str, Any] | None:
        raw = state.data.get(KEY)
        return raw if isinstance(raw, dict) else None

    def selection(self, state: ConversationState) -> list[str]:
        """What is ticked so far in the waiting several-choice question."""
        run = self.run(state)
        return list(run.get("selection") or []) if run is not None else []

    def active(self, state: ConversationState) -> bool:
        """Whether typed text is an answer to the current survey question."""
        run = self.run(state)
        return bool(run and run.get("active") and run.get("id") in self.catalog.surveys)

    def pause(self, state: ConversationState) -> None:
        """Leave the survey for the menus; it resumes from the same question."""
        run = self.run(state)
        if run is not None:
            run["active"] = False

    def resume_button(self, state: ConversationState) -> Button | None:
        """A "continue the survey" button while a paused survey waits."""
        run = self.run(state)
        if run is None or run.get("id") not in self.catalog.surveys:
            return None
        return Button(self.r.t(T.SURVEY_CONTINUE), "sv:resume")

    def typed_choice(self, state: ConversationState, button: Button) -> bool:
        """Whether a typed label of this button answers a several-choice question."""
        run = self.run(state)
        if run is None or not button.payload.startswith("sv:opt:"):
            return False
        step = self._step(self.catalog.surveys[run["id"]], run["current"])
        return step is not None and step.type in MULTI

    def expects_free_text(self, state: ConversationState) -> bool:
        """Whether the waiting question takes free text (a name, a school, a commune)."""
        run = self.run(state)
        if run is None:
            return False
        step = self._step(self.catalog.surveys[run["id"]], run["current"])
        return step is not None and step.type in ("text", "commune")

    def shared_answer(self, state: ConversationState, shared: dict[str, str]) -> str | None:
        """The shared detail that answers the waiting question (its name or phone), if any."""
        run = self.run(state)
        if run is None or not self.active(state) or run.get("pending") is not None:
            return None
        step = self._step(self.catalog.surveys[run["id"]], run["current"])
        if step is None or SHARED_STEPS.get(step.id) != step.type:
            return None
        return shared.get(step.id) or None

    def start(self, state: ConversationState) -> list[Reply]:
        """The survey menu: resume a paused survey, or choose grade 9 or grade 12."""
        if self.resume_button(state) is not None:
            buttons = (
                Button(self.r.t(T.SURVEY_CONTINUE), "sv:resume"),
                Button(self.r.t(T.SURVEY_RESTART), "sv:restart"),
                self.r.home_button(),
            )
            return [Reply(self.r.t(T.SURVEY_RESUME_PROMPT), buttons)]
        return [self._chooser()]

    def _chooser(self) -> Reply:
        buttons = [
            Button(s.title, f"sv:begin:{s.id}")
            for s in sorted(self.catalog.surveys.values(), key=lambda s: s.grade)
        ]
        return Reply(self.r.t(T.SURVEY_CHOOSE), (*buttons, self.r.home_button()))

    async def payload(
        self, state: ConversationState, payload: str, key: ConversationKey, now: dt.datetime
    ) -> list[Reply]:
        """A survey button ("sv:…")."""
        action, _, arg = payload.removeprefix(SV).partition(":")
        if action == "begin" and self.resume_button(state) is not None:
            # a survey button of an earlier message while one is in progress: nothing is
            # lost unless the student chooses to start again
            self.pause(state)
            return self.start(state)
        if action == "begin":
            return self._begin(state, arg, now)
        if action == "restart":
            state.data.pop(KEY, None)
            return [self._chooser()]
        run = self.run(state)
        if run is None or run.get("id") not in self.catalog.surveys:
            return [
                Reply(
                    self.r.t(T.SURVEY_EXPIRED), (Button(self.r.t(T.MENU_SURVEY), "survey:start"),)
                )
            ]
        run["active"] = True
        survey = self.catalog.surveys[run["id"]]
        if action == "resume":
            return self._ask(run, survey)
        if action == "back":
            return self._back(run, survey)
        if action == "cancel" and arg == "yes":
            return self.cancel(state)
        if action == "cancel":
            buttons = (
                Button(self.r.t(T.SURVEY_CANCEL_YES), "sv:cancel:yes"),
                Button(self.r.t(T.SURVEY_CONTINUE), "sv:resume"),
            )
            return [Reply(self.r.t(T.SURVEY_CANCEL_CONFIRM), buttons)]
        if action == "submit" and run["current"] == SUMMARY:
            return await self._submit(state, run, survey, key, now)
        if action == "edit" and run["current"] == SUMMARY:
            step = self._step(survey, arg)
            if step is not None and step.type != "info":
                run["current"], run["editing"], run["pending"] = step.id, True, None
                run["selection"] = self._initial_selection(run, step)
                return self._ask(run, survey)
        step = self._step(survey, run["current"])
        if step is None:
            return self._ask(run, survey)
        return self._button(run, survey, step, action, arg, now)

    async def text(
        self, state: ConversationState, text: str, key: ConversationKey, now: dt.datetime
    ) -> list[Reply]:
        """A typed answer to the current question."""
        run = self.run(state)
        assert run is not None
        survey = self.catalog.surveys[run["id"]]
        step = self._step(survey, run["current"])
        if step is None:  # at the summary: only buttons (or their numbers) act here
            return [self._note(T.SURVEY_USE_BUTTONS), *self._ask(run, survey)]
        pending = run.get("pending")
        if pending is not None:
            answer = yes_no(text)
            if answer is not None:
                return self._button(run, survey, step, "yes" if answer else "no", "", now)
        return self._typed(run, survey, step, text, now)

    def cancel(self, state: ConversationState) -> list[Reply]:
        """Drop the survey and every answer given so far."""
        state.data.pop(KEY, None)
        return [Reply(self.r.t(T.SURVEY_CANCELLED), self._menu_buttons())]

    # -- running steps ------------------------------------------------------------------------

    def _begin(self, state: ConversationState, survey_id: str, now: dt.datetime) -> list[Reply]:
        survey = self.catalog.surveys.get(survey_id)
        if survey is None:
            return [self._chooser()]
        run: dict[str, Any] = {
            "viewed": [s for s in state.screens if s.startswith("trade:")],
            "id": survey.id,
            "run": uuid.uuid4().hex,
            "active": True,
            "answers": {},
            "history": [],
            "current": survey.steps[0].id,
            "pending": None,
            "editing": False,
            "selection": [],
            "started": now.isoformat(),
        }
        state.data[KEY] = run
        return [Reply(survey.intro), *self._ask(run, survey)]

    @staticmethod
    def _step(survey: Survey, step_id: str) -> SurveyStep | None:
        return next((s for s in survey.steps if s.id == step_id), None)

    def _ask(self, run: dict[str, Any], survey: Survey, error: Reply | None = None) -> list[Reply]:
        """The current question (or the summary), with an error note first if there is one."""
        replies = [error] if error is not None else []
        step = self._step(survey, run["current"])
        if step is None:
            return [*replies, self._summary(run, survey)]
        if step.type == "info":
            # a notice: shown, recorded, and the survey moves on in the same turn
            run["answers"][step.id] = True
            replies.append(self._info(step))
            return [*replies, *self._advance(run, survey, step, remember=False)]
        if run.get("pending") is not None:
            return [*replies, self._confirm(run, step)]
        return [*replies, self._question(run, survey, step)]

    def _question(self, run: dict[str, Any], survey: Survey, step: SurveyStep) -> Reply:
        t = self.r.t
        steps = [s for s in survey.steps if s.type != "info" and self._may_apply(run, survey, s)]
        number = next((i for i, s in enumerate(steps, start=1) if s.id == step.id), len(steps))
        lines = [t(T.SURVEY_COUNTER, n=number, total=len(steps)) + " " + step.prompt]
        buttons: list[Button] = []
        selection = list(run.get("selection") or [])
        if step.type in ("single", "multi"):
            for option in step.options:
                mark = "✓ " if option.id in selection else ""
                buttons.append(Button(mark + option.label, f"sv:opt:{option.id}"))
        elif step.type == "trades":
            for ident in self._trade_choices(run, selection):
                mark = "✓ " if ident in selection else ""
                buttons.append(Button(mark + self.catalog.trades[ident].name, f"sv:opt:{ident}"))
        elif step.type == "schools":
            for ident in self._school_choices(run):
                mark = "✓ " if ident in selection else ""
                buttons.append(Button(mark + self.catalog.schools[ident].name, f"sv:opt:{ident}"))
            if not selection:
                buttons.append(Button(t(T.SURVEY_AUTO_SCHOOLS), "sv:auto"))
        elif step.type == "consent":
            names = ", ".join(self._school_names(self._receivers(run, survey)))
            lines.append(t(T.SURVEY_CONSENT_SCHOOLS, schools=names))
            buttons += [Button(t(T.SURVEY_AGREE), "sv:yes"), Button(t(T.SURVEY_DISAGREE), "sv:no")]
        elif step.type == "yesno":
            buttons += [Button(t(T.SURVEY_YES), "sv:yes"), Button(t(T.SURVEY_NO), "sv:no")]
        if step.type in MULTI and selection:
            lines.append(t(T.SURVEY_SELECTED, items=self._show(run, survey, step, selection)))
            buttons.append(Button(t(T.SURVEY_DONE), "sv:done"))
        if step.optional and not selection:
            buttons.append(Button(t(T.SURVEY_SKIP), "sv:skip"))
        return Reply("\n".join(lines), (*buttons, *self._nav(run)))

    def _nav(self, run: dict[str, Any]) -> tuple[Button, ...]:
        back = Button(self.r.t(T.BACK), "sv:back")
        cancel = Button(self.r.t(T.SURVEY_CANCEL), "sv:cancel")
        return (back, cancel) if run["history"] or run.get("editing") else (cancel,)

    def _confirm(self, run: dict[str, Any], step: SurveyStep) -> Reply:
        pending = run["pending"]
        t = self.r.t
        if step.type == "parent_consent":
            text = t(T.SURVEY_PARENT_CONFIRM, phone=show_phone(pending["phone"]))
            yes, no = t(T.SURVEY_PARENT_AGREE), t(T.SURVEY_PARENT_DISAGREE)
        else:
            text, yes, no = pending["question"], t(T.SURVEY_RIGHT), t(T.SURVEY_RETYPE)
        return Reply(text, (Button(yes, "sv:yes"), Button(no, "sv:no"), *self._nav(run)))

    def _info(self, step: SurveyStep) -> Reply:
        lines = [step.prompt]
        policy = self.catalog.policies.get(step.policy or "")
        if policy is not None:
            lines.append(self.r.policy(policy, self.clock.now().date()).text)
        return Reply("\n\n".join(lines))

    def _note(self, key: str, **values: object) -> Reply:
        return Reply(self.r.t(key, **values))

    def _error(self, step: SurveyStep, parsed: Parsed) -> Reply:
        lines = [self.r.t(parsed.error or T.SURVEY_NOT_UNDERSTOOD, **parsed.error_values)]
        if step.example:
            lines.append(step.example)
        return Reply("\n".join(lines))

    # -- answers --------------------------------------------------------------------------------

    def _typed(
        self, run: dict[str, Any], survey: Survey, step: SurveyStep, text: str, now: dt.datetime
    ) -> list[Reply]:
        kind = step.type
        unsure = fold(text) in UNSURE
        if unsure and kind == "trades" and step.optional:
            return self._answer(run, survey, step, None)
        if unsure and kind == "single" and "chua_quyet_dinh" in {o.id for o in step.options}:
            return self._answer(run, survey, step, "chua_quyet_dinh")
        if kind == "parent_consent" and yes_no(text) is False:
            declined = self._decision(run, survey, False, now, phone=None)
            return self._answer(run, survey, step, declined)
        if kind in ("single", "multi"):
            ident = pick_label(text, {o.id: o.label for o in step.options})
            if ident is None:
                return self._ask(run, survey, self._error(step, Parsed(error=T.SURVEY_PICK_ONE)))
            return self._button(run, survey, step, "opt", ident, now)
        if kind in ("yesno", "consent"):
            answer = yes_no(text)
            if answer is None:
                return self._ask(run, survey, self._error(step, Parsed(error=T.SURVEY_YES_OR_NO)))
            return self._button(run, survey, step, "yes" if answer else "no", "", now)
        if kind in ("trades", "schools"):
            return self._typed_choices(run, survey, step, text)
        if kind == "province":
            return self._typed_province(run, survey, step, text)
        parsed = self._parse(step, text)
        if parsed.error is not None:
            return self._ask(run, survey, self._error(step, parsed))
        if kind == "parent_consent":
            own = {run["answers"].get(s.id) for s in survey.steps if s.type == "phone"}
            if parsed.value in own:  # a parent confirms with their own number, not the student's
                return self._ask(
                    run, survey, self._error(step, Parsed(error=T.SURVEY_PARENT_SAME_PHONE))
                )
            run["pending"] = {"phone": parsed.value}
            return self._ask(run, survey)
        if kind == "commune":
            run["pending"] = {
                "value": parsed.value,
                "question": self.r.t(T.SURVEY_COMMUNE_CONFIRM, commune=parsed.value),
            }
            return self._ask(run, survey)
        return self._answer(run, survey, step, parsed.value)

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

    def _typed_choices(
        self, run: dict[str, Any], survey: Survey, step: SurveyStep, text: str
    ) -> list[Reply]:
        if step.type == "schools" and fold(text) in AUTO_SCHOOL:
            return self._answer(run, survey, step, [AUTO])
        if step.type == "trades":
            found, unknown = self.reader.trades(text)
        else:
            found, unknown = self.reader.schools(text, self._school_choices(run))
        selection = list(run.get("selection") or [])
        for ident in found:
            if ident not in selection:
                selection.append(ident)
        if len(selection) > step.max_choices:
            run["selection"] = selection[: step.max_choices]
            note = Parsed(error=T.SURVEY_TOO_MANY, error_values={"count": step.max_choices})
            return self._ask(run, survey, self._error(step, note))
        run["selection"] = selection
        if not found and not unknown:  # digits or signs only: nothing to note
            return self._ask(run, survey, self._error(step, Parsed(error=T.SURVEY_PICK_ONE)))
        if unknown:
            key = T.SURVEY_UNKNOWN_TRADES if step.type == "trades" else T.SURVEY_UNKNOWN_SCHOOLS
            note = Parsed(error=key, error_values={"items": ", ".join(unknown)})
            return self._ask(run, survey, self._error(step, note))
        noted = self._note(T.SURVEY_NOTED, items=self._show(run, survey, step, selection))
        return [noted, *self._answer(run, survey, step, selection)]

    def _typed_province(
        self, run: dict[str, Any], survey: Survey, step: SurveyStep, text: str
    ) -> list[Reply]:
        found = self.reader.province(text)
        if found is None:
            return self._ask(run, survey, self._error(step, Parsed(error=T.SURVEY_NO_PROVINCE)))
        province_id, former = found
        name = self.catalog.provinces[province_id].name
        if not former and fold(text).removeprefix("tinh ").removeprefix("thanh pho ") == fold(
            name
        ).removeprefix("thanh pho "):
            return self._answer(run, survey, step, province_id)  # named exactly: no question
        if former:
            question = self.r.t(T.SURVEY_PROVINCE_FORMER, former=former, province=name)
        else:
            question = self.r.t(T.SURVEY_PROVINCE_CONFIRM, province=name)
        run["pending"] = {"value": province_id, "question": question}
        return self._ask(run, survey)

    def _button(
        self,
        run: dict[str, Any],
        survey: Survey,
        step: SurveyStep,
        action: str,
        arg: str,
        now: dt.datetime,
    ) -> list[Reply]:
        pending = run.get("pending")
        if pending is not None and action in ("yes", "no"):
            run["pending"] = None
            if action == "no" and step.type != "parent_consent":
                return self._ask(run, survey)
            if step.type == "parent_consent":
                parent = self._decision(run, survey, action == "yes", now, phone=pending["phone"])
                return self._answer(run, survey, step, parent)
            return self._answer(run, survey, step, pending["value"])
        if action == "skip" and step.optional:
            run["selection"] = []
            return self._answer(run, survey, step, None)
        if action == "skip":
            return self._ask(run, survey, self._note(T.SURVEY_REQUIRED))
        if step.type in ("yesno", "consent") and action in ("yes", "no"):
            value: Any = action == "yes"
            if step.type == "consent":
                value = self._decision(run, survey, action == "yes", now)
            return self._answer(run, survey, step, value)
        if step.type == "single" and action == "opt" and arg in {o.id for o in step.options}:
            return self._answer(run, survey, step, arg)
        if step.type in MULTI and action == "opt" and arg in self._allowed(run, step):
            return self._toggle(run, survey, step, arg)
        if step.type == "schools" and action == "auto":
            return self._answer(run, survey, step, [AUTO])
        if step.type in MULTI and action == "done":
            selection = list(run.get("selection") or [])
            if not selection and not step.optional:
                return self._ask(run, survey, self._error(step, Parsed(error=T.SURVEY_PICK_ONE)))
            return self._answer(run, survey, step, selection or None)
        # a button of an earlier question, pressed again: show the current one
        return self._ask(run, survey)

    def _decision(
        self, run: dict[str, Any], survey: Survey, agreed: bool, now: dt.datetime, **extra: Any
    ) -> dict[str, Any]:
        """A consent answer: the decision, the schools it covers (it goes stale when they
        change) and when it was given."""
        schools = self._receivers(run, survey)
        return {"agreed": agreed, "schools": schools, "at": now.isoformat(), **extra}

    def _allowed(self, run: dict[str, Any], step: SurveyStep) -> set[str]:
        if step.type == "trades":
            return set(self.catalog.trades)
        if step.type == "schools":
            return set(self._school_choices(run))
        return {o.id for o in step.options}

    def _toggle(
        self, run: dict[str, Any], survey: Survey, step: SurveyStep, ident: str
    ) -> list[Reply]:
        selection = list(run.get("selection") or [])
        if ident in selection:
            selection.remove(ident)
        elif len(selection) >= step.max_choices:
            note = Parsed(error=T.SURVEY_TOO_MANY, error_values={"count": step.max_choices})
            return self._ask(run, survey, self._error(step, note))
        else:
            selection.append(ident)
        run["selection"] = selection
        return self._ask(run, survey)

    def _answer(
        self, run: dict[str, Any], survey: Survey, step: SurveyStep, value: Any
    ) -> list[Reply]:
        if step.type == "province" and run["answers"].get(step.id, value) != value:
            for other in survey.steps:  # a commune of the old province means nothing now
                if other.type == "commune":
                    run["answers"].pop(other.id, None)
        run["answers"][step.id] = value
        run["selection"] = []
        if step.type == "consent" and not (isinstance(value, dict) and value.get("agreed")):
            for other in survey.steps:  # declined: nothing personal is kept
                if other.personal or other.type == "parent_consent":
                    run["answers"].pop(other.id, None)
        return self._advance(run, survey, step)

    def _advance(
        self, run: dict[str, Any], survey: Survey, step: SurveyStep, remember: bool = True
    ) -> list[Reply]:
        if remember and (not run["history"] or run["history"][-1] != step.id):
            run["history"].append(step.id)
        index = next(i for i, s in enumerate(survey.steps) if s.id == step.id)
        if run.get("editing"):
            later = [s for s in survey.steps if self._missing(run, survey, s)]
        else:
            later = [s for s in survey.steps[index + 1 :] if self._applies(run, survey, s)]
            later += [s for s in survey.steps[: index + 1] if self._missing(run, survey, s)]
        if later:
            run["current"] = later[0].id
            run["selection"] = self._initial_selection(run, later[0])
        else:
            run["current"], run["editing"] = SUMMARY, False
        return self._ask(run, survey)

    @staticmethod
    def _initial_selection(run: dict[str, Any], step: SurveyStep) -> list[str]:
        previous = run["answers"].get(step.id)
        if step.type in MULTI and isinstance(previous, list):
            return [p for p in previous if p != AUTO]
        return []

    def _back(self, run: dict[str, Any], survey: Survey) -> list[Reply]:
        run["pending"], run["selection"] = None, []
        if run.get("editing"):
            run["current"], run["editing"] = SUMMARY, False
            return self._ask(run, survey)
        if run["current"] != SUMMARY and not run["history"]:
            return self._ask(run, survey, self._note(T.SURVEY_FIRST_STEP))
        history = run["history"]
        if run["current"] != SUMMARY and history and history[-1] == run["current"]:
            history.pop()
        target = history.pop() if history else survey.steps[0].id
        run["current"] = target
        step = self._step(survey, target)
        if step is not None:
            run["selection"] = self._initial_selection(run, step)
        return self._ask(run, survey)

    # -- which steps apply ----------------------------------------------------------------------

    def _applies(self, run: dict[str, Any], survey: Survey, step: SurveyStep) -> bool:
        answers = run["answers"]
        for ref, wanted in step.when.items():
            value = answers.get(ref)
            values = value if isinstance(value, list) else [value]
            if not any(v in wanted for v in values):
                return False
        if step.type == "consent":
            return bool(self._receivers(run, survey))
        if step.personal or step.type == "parent_consent":
            return self._consented(run, survey)
        return True

    def _may_apply(self, run: dict[str, Any], survey: Survey, step: SurveyStep) -> bool:
        """Whether a step will be asked, as far as the answers so far tell (for "Câu 3/10")."""
        if self._applies(run, survey, step):
            return True
        if step.when and not all(ref in run["answers"] for ref in step.when):
            return False  # a conditional step counts once its condition is known to hold
        consent = next((s for s in survey.steps if s.type == "consent"), None)
        undecided = consent is not None and consent.id not in run["answers"]
        schools_open = not any(s.type == "schools" and s.id in run["answers"] for s in survey.steps)
        return (
            (step.personal or step.type in ("consent", "parent_consent"))
            and undecided
            and (schools_open or bool(self._receivers(run, survey)))
        )

    def _missing(self, run: dict[str, Any], survey: Survey, step: SurveyStep) -> bool:
        if not self._applies(run, survey, step):
            return False
        value = run["answers"].get(step.id, ...)
        if value is ...:
            return True
        if step.type in ("consent", "parent_consent") and isinstance(value, dict):
            return value.get("schools") != self._receivers(run, survey)  # stale
        return False

    def _consented(self, run: dict[str, Any], survey: Survey) -> bool:
        consent = next((s for s in survey.steps if s.type == "consent"), None)
        if consent is None:
            return False
        value = run["answers"].get(consent.id)
        return (
            isinstance(value, dict)
            and bool(value.get("agreed"))
            and value.get("schools") == self._receivers(run, survey)
            and bool(value.get("schools"))
        )

    # -- schools and trades ---------------------------------------------------------------------

    def _chosen(self, run: dict[str, Any], step_type: str) -> list[str]:
        survey = self.catalog.surveys[run["id"]]
        for step_id, value in run["answers"].items():
            step = self._step(survey, step_id)
            if step is not None and step.type == step_type and isinstance(value, list):
                return [str(v) for v in value]
        return []

    def _province(self, run: dict[str, Any]) -> str | None:
        survey = self.catalog.surveys[run["id"]]
        for step in survey.steps:
            if step.type == "province":
                value = run["answers"].get(step.id)
                return value if isinstance(value, str) else None
        return None

    def _school_choices(self, run: dict[str, Any]) -> list[str]:
        """Schools a student may pick: real ones (not examples), those teaching the chosen
        trades first."""
        trades = set(self._chosen(run, "trades"))
        real = [s for s in self.catalog.schools.values() if not s.example]
        real.sort(key=lambda s: (-len(trades & set(s.trades)), s.name))
        return [s.id for s in real]

    def _receivers(self, run: dict[str, Any], survey: Survey) -> list[str]:
        """The schools that would receive this student's details."""
        chosen = self._chosen(run, "schools")
        if AUTO not in chosen:
            return [c for c in chosen if c in self.catalog.schools]
        # the bot picks only schools in the student's province (teaching the chosen trades
        # first): sending a student's details to a school far away is not what they asked for
        trades = set(self._chosen(run, "trades"))
        province = self._province(run)
        local = [
            s for s in self.catalog.schools.values() if not s.example and s.province == province
        ]
        local.sort(key=lambda s: (-len(trades & set(s.trades)), s.id))
        return [s.id for s in local[:MAX_SCHOOL_SUGGESTIONS]]

    def _school_names(self, ids: list[str]) -> list[str]:
        return [self.catalog.schools[i].name for i in ids if i in self.catalog.schools]

    def _trade_choices(self, run: dict[str, Any], selection: list[str]) -> list[str]:
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

    # -- summary and submission -----------------------------------------------------------------

    def _show(self, run: dict[str, Any], survey: Survey, step: SurveyStep, value: Any) -> str:
        t, cat = self.r.t, self.catalog
        if value is None:
            return t(T.SURVEY_SKIPPED)
        kind = step.type
        if kind in ("single", "multi"):
            labels = {o.id: o.label for o in step.options}
            items = value if isinstance(value, list) else [value]
            return ", ".join(labels.get(i, str(i)) for i in items)
        if kind == "trades":
            return ", ".join(cat.trades[i].name for i in value if i in cat.trades)
        if kind == "schools":
            if AUTO in value:
                names = self._school_names(self._receivers(run, survey))
                found = ", ".join(names) if names else t(T.SURVEY_AUTO_NONE)
                return f"{t(T.SURVEY_AUTO_SCHOOLS)}: {found}"
            return ", ".join(self._school_names(value))
        if kind == "province":
            return cat.provinces[value].name if value in cat.provinces else str(value)
        if kind == "phone":
            return show_phone(str(value))
        if kind == "consent":
            return t(T.SURVEY_AGREE if value.get("agreed") else T.SURVEY_DISAGREE)
        if kind == "parent_consent":
            key = T.SURVEY_PARENT_AGREE if value.get("agreed") else T.SURVEY_PARENT_DISAGREE
            phone = value.get("phone")
            return f"{t(key)} ({show_phone(phone)})" if phone else t(key)
        if kind == "yesno":
            return t(T.SURVEY_YES if value else T.SURVEY_NO)
        return str(value)

    def _answered(self, run: dict[str, Any], survey: Survey) -> list[SurveyStep]:
        """The questions answered so far that still apply, in survey order."""
        return [
            s
            for s in survey.steps
            if s.type != "info" and s.id in run["answers"] and self._applies(run, survey, s)
        ]

    def draft(self, state: ConversationState) -> tuple[str, list[str]] | None:
        """The unfinished survey's title and what it holds ("• Họ tên: …"), if one waits."""
        run = self.run(state)
        if run is None or run.get("id") not in self.catalog.surveys:
            return None
        survey = self.catalog.surveys[run["id"]]
        lines = [
            f"• {s.label or s.id}: {self._show(run, survey, s, run['answers'][s.id])}"
            for s in self._answered(run, survey)
        ]
        pending = run.get("pending")
        step = self._step(survey, run["current"])
        if isinstance(pending, dict) and step is not None:  # typed, waiting for "đúng không?"
            shown = (
                show_phone(str(pending.get("phone")))
                if step.type == "parent_consent"
                else self._show(run, survey, step, pending.get("value"))
            )
            unconfirmed = self.r.t(T.DATA_DRAFT_UNCONFIRMED)
            lines.append(f"• {step.label or step.id}: {shown} {unconfirmed}")
        return survey.title, lines

    def kept(self, survey_id: str, answers: dict[str, Any]) -> list[str]:
        """A submitted survey's stored (non-personal) answers, labelled as in its summary."""
        survey = self.catalog.surveys.get(survey_id)
        if survey is None:
            return []
        run: dict[str, Any] = {"id": survey.id, "answers": answers, "history": []}
        return [
            f"• {s.label or s.id}: {self._show(run, survey, s, answers[s.id])}"
            for s in survey.steps
            if s.type in KEPT_SHOWN and answers.get(s.id) is not None
        ]

    def _summary(self, run: dict[str, Any], survey: Survey) -> Reply:
        t = self.r.t
        lines = [t(T.SURVEY_SUMMARY)]
        edits: list[Button] = []
        for step in self._answered(run, survey):
            label = step.label or step.id
            lines.append(f"• {label}: {self._show(run, survey, step, run['answers'][step.id])}")
            edits.append(Button(t(T.SURVEY_EDIT, label=label), f"sv:edit:{step.id}"))
        buttons = (Button(t(T.SURVEY_SUBMIT), "sv:submit"), *edits)
        return Reply("\n".join(lines), (*buttons, Button(t(T.SURVEY_CANCEL), "sv:cancel")))

    def submission(
        self, run: dict[str, Any], survey: Survey, key: ConversationKey, now: dt.datetime
    ) -> Submission:
        """The finished survey: personal answers only when they will be forwarded."""
        answers: dict[str, Any] = {}
        personal: dict[str, Any] = {}
        consent: dict[str, Any] = {}
        parent: dict[str, Any] | None = None
        for step in survey.steps:
            if step.type == "info" or not self._applies(run, survey, step):
                continue
            value = run["answers"].get(step.id)
            if step.type == "consent":
                consent = value if isinstance(value, dict) else {}
            elif step.type == "parent_consent":
                parent = value if isinstance(value, dict) else None
                if parent is not None:
                    personal[step.id] = parent["phone"]
            elif step.personal:
                personal[step.id] = value
            elif step.type == "schools" and isinstance(value, list) and AUTO in value:
                answers[step.id] = self._receivers(run, survey)
            else:
                answers[step.id] = value
        receivers = tuple(self._receivers(run, survey)) if consent.get("agreed") else ()
        parent_ok = None if not survey.minor else bool(parent and parent.get("agreed"))
        at = consent.get("at")
        submission = Submission(
            key=key,
            run_id=run["run"],
            survey_id=survey.id,
            grade=survey.grade,
            answers=answers,
            personal=personal,
            schools=receivers,
            consent_version=survey.consent_version,
            consent_given=bool(consent.get("agreed")),
            consent_at=dt.datetime.fromisoformat(at) if at else None,
            parent_confirmed=parent_ok,
            submitted_at=now,
        )
        # Submission.forward is the one rule for forwarding: what is not forwarded is not kept
        return submission if submission.forward else replace(submission, personal={})

    async def _submit(
        self,
        state: ConversationState,
        run: dict[str, Any],
        survey: Survey,
        key: ConversationKey,
        now: dt.datetime,
    ) -> list[Reply]:
        missing = next((s for s in survey.steps if self._missing(run, survey, s)), None)
        if missing is not None:
            run["current"], run["editing"] = missing.id, True
            return self._ask(run, survey)
        if self.leads is None:
            return [Reply(self.r.t(T.SURVEY_UNAVAILABLE), self._menu_buttons())]
        submission = self.submission(run, survey, key, now)
        receipt = await self.leads.submit(submission)
        state.data.pop(KEY, None)
        t = self.r.t
        lines = [t(T.SURVEY_THANKS)]
        if receipt.schools:
            lines.append(
                t(T.SURVEY_SENT_TO, schools=", ".join(self._school_names(list(receipt.schools))))
            )
        elif submission.consent_given and submission.parent_confirmed is False:
            lines.append(t(T.SURVEY_PARENT_DECLINED))
        else:
            lines.append(t(T.SURVEY_ANONYMOUS))
        buttons = (Button(t(T.DATA_VIEW_BUTTON), "data:view"), *self._menu_buttons())
        return [Reply("\n\n".join(lines), buttons)]

    def _menu_buttons(self) -> tuple[Button, ...]:
        return (self.r.home_button(),)
