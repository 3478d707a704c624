"""Survey flow: runs any survey of content/surveys/ step by step, generic over step types.

Progress lives in ConversationState.data["survey"], so a survey left half-way resumes where it
stopped, after a restart or the next day. Buttons carry "sv:" payloads; while a question waits,
typed text is read here first (its own words, numbers of its buttons, then the answer, read by
AnswerReader). Consent is stored with the schools it covers: changing the schools (or the
province, when the bot picks them) makes it stale, and it is asked again.

The pieces: survey_rules (which steps apply), survey_view (replies), survey_steps (answers and
moves), survey_ticks (typed names that tick or untick), survey_submit (the Submission),
survey_answers (reading typed answers).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from bot.catalog.text_keys import T
from bot.core.flows.base import RunFlow, Tools, Turn, choice
from bot.core.flows.survey_answers import AnswerReader
from bot.core.flows.survey_known import PREFILL as PREFILL  # re-exported: the quiz fills it
from bot.core.flows.survey_known import prefill_run
from bot.core.flows.survey_mind import ChangeOfMind
from bot.core.flows.survey_places import offer_home
from bot.core.flows.survey_rules import (
    MULTI,
    RUN_KEY,
    SUMMARY,
    SurveyRules,
    initial_selection,
    step_of,
)
from bot.core.flows.survey_steps import SurveySteps
from bot.core.flows.survey_submit import SurveySubmitter
from bot.core.flows.survey_view import SurveyView
from bot.core.flows.survey_words import (
    ASKING,
    GRADE_ONLY,
    START_WORDS,
    SURVEY_WORDS,
    wants_to_stop,
)
from bot.core.flows.survey_words import START as START  # re-exported: other flows press it
from bot.core.flows.typed import core
from bot.core.messages import Button, Reply
from bot.core.numbers import several_numbers, single_number
from bot.core.ports import ConversationState
from bot.matching.normalize import fold

SV = "sv:"  # payload prefix of every survey button
KEY = RUN_KEY
# Details a platform lets the user share (Inbound.shared): each answers only the step with the
# same id, and only when that step has this type; anything else shared is not kept.
SHARED_STEPS = {"name": "text", "phone": "phone"}


class SurveyFlow(RunFlow):
    """Start, answer, go back, cancel, resume, review and submit surveys."""

    run_key = KEY

    prefixes = (SV,)
    payloads = frozenset((START,))

    def __init__(self, tools: Tools) -> None:
        self.catalog = tools.catalog
        self.r = tools.renderer
        self.rules = SurveyRules(tools.catalog, tools.renderer.participation)
        self.view = SurveyView(tools.catalog, tools.renderer, self.rules, tools.clock)
        reader = AnswerReader(tools.catalog, tools.matcher, tools.provinces)
        self.steps = SurveySteps(tools.catalog, reader, self.rules, self.view)
        self.submitter = SurveySubmitter(self.steps, self.view, tools.leads)
        self.mind = ChangeOfMind(self.rules, self.view, self.steps)
        self.normalize = tools.matcher.normalize

    # -- the conversation's run -----------------------------------------------------------------

    def selection(self, state: ConversationState) -> list[str]:
        """What is ticked so far in the waiting several-choice question."""
        run = self.run(state)
        return list(run.get("selection") or []) if run is not None else []

    def active(self, state: ConversationState) -> bool:
        """Whether typed text is an answer to the current survey question."""
        run = self.run(state)
        return bool(run and run.get("active") and run.get("id") in self.catalog.surveys)

    def waiting(self, state: ConversationState) -> bool:
        return self.active(state)

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
        step = step_of(self.catalog.surveys[run["id"]], run["current"])
        return step is not None and step.type in MULTI

    def expects_free_text(self, state: ConversationState) -> bool:
        """Whether the waiting question takes free text (a name, a school, a commune)."""
        run = self.run(state)
        if run is None:
            return False
        step = step_of(self.catalog.surveys[run["id"]], run["current"])
        return step is not None and step.type in ("text", "commune")

    def asks_phone(self, state: ConversationState) -> bool:
        """Whether the waiting question asks for a phone number (digits in groups are one
        number there, never several button numbers)."""
        run = self.run(state)
        if run is None or run.get("pending") is not None:
            return False
        step = step_of(self.catalog.surveys[run["id"]], run["current"])
        return step is not None and step.type in ("phone", "parent_consent")

    def shared_answer(self, state: ConversationState, shared: Mapping[str, str]) -> str | None:
        """The shared detail that answers the waiting question (its name or phone), if any."""
        run = self.run(state)
        if run is None or not self.active(state) or run.get("pending") is not None:
            return None
        step = step_of(self.catalog.surveys[run["id"]], run["current"])
        if step is None or SHARED_STEPS.get(step.id) != step.type:
            return None
        return shared.get(step.id) or None

    def draft(self, state: ConversationState) -> tuple[str, list[str]] | None:
        """The unfinished survey's title and what it holds ("• Họ tên: …"), if one waits."""
        run = self.run(state)
        if run is None or run.get("id") not in self.catalog.surveys:
            return None
        return self.view.draft(run)

    def kept(self, survey_id: str, answers: dict[str, Any]) -> list[str]:
        """A submitted survey's stored (non-personal) answers, labelled as in its summary."""
        return self.view.kept(survey_id, answers)

    # -- typed words ----------------------------------------------------------------------------

    def command(self, folded: str, state: ConversationState) -> str | None:
        """ "khảo sát", "lớp 9" (right after the grade question), "hủy" (a paused survey)."""
        folded = core(folded)  # flowfix: "lop 9 a", "khao sat nha"
        payload = START_WORDS.get(folded)
        words = folded.split()
        if payload is None and "khao sat" in folded and len(words) <= 7:
            rest = folded.replace("khao sat", " ").split()
            payload = START if rest and set(rest) <= ASKING else None
        if payload is None and SURVEY_WORDS.get(folded) == "sv:cancel":
            # "hủy" cancels a paused survey too (as "xem dữ liệu" says), asking first
            payload = "sv:cancel" if self.resume_button(state) is not None else None
        grade = payload is not None and payload.startswith("sv:begin:")
        asked = any(b.payload.startswith("sv:begin:") for b in state.buttons)
        if grade and folded in GRADE_ONLY and not asked:
            return None  # "9" or "lớp 9" picks a survey only right after the grade question
        return payload

    async def text(self, text: str, turn: Turn) -> list[Reply] | None:
        """Typed text while a survey question waits: an answer, unless it is a command; a
        question typed at a choice question is handed back (None): the engine answers it and
        asks the survey's question again."""
        await self.rules.participation.refresh()  # task directory: schools switched on
        state = turn.state
        offer_home(state, self.catalog, KEY)  # province (W7): remembered, and offered
        folded = fold(text.removeprefix("/"))
        command = SURVEY_WORDS.get(folded) or SURVEY_WORDS.get(core(folded))
        if command == "sv:cancel" and self.expects_free_text(state) and folded == "huy":
            command = None  # "Huy" is a common given name; "hủy" with its accent still cancels
            if "ủ" in text.casefold():
                command = "sv:cancel"
        if command is None:
            # "thôi", "e hok lam nua dau", "dừng khảo sát": as "hủy", asking first
            free = self.expects_free_text(state) and "thôi" not in text.casefold()
            command = "sv:cancel" if wants_to_stop(self.normalize(text), free) else None
        if command is not None:
            return await turn.press(command)
        # several numbers at once ("4, 2", "1 3", "1 và 3"): several ticks of a several-choice
        # question
        numbers = several_numbers(text)
        if numbers is not None and state.buttons and not self.asks_phone(state):
            # surveyinput (W2): at a phone question "097 123 45 67" is a number, not buttons
            return await self._numbers(numbers, turn)
        number = single_number(text)
        chosen = choice(number or folded, state.buttons, number is not None)
        # a typed name in a several-choice question is read by the step (a trade's name ticks
        # it, tradestep; a school's name answers), while a pressed button or its number toggles
        if chosen is not None and (number or not self.typed_choice(state, chosen)):
            return await turn.press(chosen.payload)
        run = self.run(state)
        assert run is not None
        survey = self.catalog.surveys[run["id"]]
        changed = self.mind.read(run, survey, text)  # surveyinput (C1): "thôi e đổi ý, …"
        if changed is None and self.steps.question_typed(run, survey, text):
            return None
        return changed or self.steps.typed_answer(run, survey, text, turn.now)

    async def _numbers(self, numbers: list[str], turn: Turn) -> list[Reply]:
        """Several numbers typed at once: each ticks its choice of the list the student saw
        (numbers never shift while ticking). Anywhere else, or with a number not on the list,
        the student is asked again."""
        state = turn.state
        shown = list(state.buttons)
        picks = [choice(n, shown, True) for n in numbers]
        chosen = [p for p in picks if p is not None]
        if len(chosen) < len(picks) or not all(self.typed_choice(state, p) for p in chosen):
            key = T.NUMBER_ONLY_ONE if len(shown) == 1 else T.NUMBER_OUT_OF_RANGE
            note = self.r.t(key, count=len(shown))
            if len(chosen) == len(picks):
                note = self.r.t(T.SURVEY_PICK_ONE)
            return [Reply(note, tuple(shown))]
        replies: list[Reply] = []
        for payload in dict.fromkeys(p.payload for p in chosen):
            if payload.removeprefix("sv:opt:") in self.selection(state):
                continue  # already ticked: a second tick would untick it
            replies = await turn.press(payload)
        return replies or await self.reask(turn)

    async def reask(self, turn: Turn) -> list[Reply]:
        """The waiting question again."""
        return await self.payload("sv:resume", turn)

    # -- buttons --------------------------------------------------------------------------------

    def start(self, state: ConversationState) -> list[Reply]:
        """The survey menu: resume a paused survey, or choose grade 9 or grade 12."""
        if self.resume_button(state) is not None:
            buttons = (
                Button(self.r.t(T.SURVEY_CONTINUE), "sv:resume"),
                Button(self.r.t(T.SURVEY_RESTART), "sv:restart"),
                self.r.home_button(),
            )
            return [Reply(self.r.t(T.SURVEY_RESUME_PROMPT), buttons)]
        return [self.view.chooser()]

    async def payload(self, payload: str, turn: Turn) -> list[Reply]:
        """A survey button ("sv:…"), or the survey menu."""
        await self.rules.participation.refresh()  # task directory: schools switched on
        state = turn.state
        offer_home(state, self.catalog, KEY)  # province (W7): remembered, and offered
        if payload == START:
            self.pause(state)  # the menu of surveys is not a question
            return self.start(state)
        action, _, arg = payload.removeprefix(SV).partition(":")
        if action == "begin" and self.resume_button(state) is not None:
            # a survey button of an earlier message while one is in progress: nothing is
            # lost unless the student chooses to start again
            self.pause(state)
            return self.start(state)
        if action == "begin":
            return self._begin(state, arg, turn)
        if action == "restart":
            state.data.pop(KEY, None)
            return [self.view.chooser()]
        run = self.run(state)
        if run is None or run.get("id") not in self.catalog.surveys:
            button = Button(self.r.t(T.MENU_SURVEY), START)
            return [Reply(self.r.t(T.SURVEY_EXPIRED), (button,))]
        run["active"] = True
        survey = self.catalog.surveys[run["id"]]
        if action == "resume":
            return self.steps.ask(run, survey)
        if action == "back":
            return self.steps.back(run, survey)
        if action == "cancel" and arg == "yes":
            return self.cancel(state)
        if action == "cancel":
            buttons = (
                Button(self.r.t(T.SURVEY_CANCEL_YES), "sv:cancel:yes", role="destructive"),
                Button(self.r.t(T.SURVEY_CONTINUE), "sv:resume"),
            )
            return [Reply(self.r.t(T.SURVEY_CANCEL_CONFIRM), buttons)]
        if action == "submit" and run["current"] == SUMMARY:
            return await self.submitter.submit(state, run, survey, turn.key, turn.now)
        if action == "edits" and run["current"] == SUMMARY:  # webchat: one "✏ Sửa" button
            return [self.view.edits(run, survey)]
        edited = step_of(survey, arg) if action == "edit" else None
        if edited is not None and run["current"] != SUMMARY:  # surveyinput (C1): mid-survey
            if edited in self.rules.answered(run, survey):
                self.mind.go_to(run, survey, edited)
            return self.steps.ask(run, survey)
        if action == "edit" and run["current"] == SUMMARY:
            step = step_of(survey, arg)
            if step is not None and step.type != "info":
                run["current"], run["editing"], run["pending"] = step.id, True, None
                run["selection"] = initial_selection(run, step)
                return self.steps.ask(run, survey)
        step = step_of(survey, run["current"])
        if step is None:
            return self.steps.ask(run, survey)
        return self.steps.button(run, survey, step, action, arg, turn.now)

    def cancel(self, state: ConversationState) -> list[Reply]:
        """Drop the survey and every answer given so far."""
        state.data.pop(KEY, None)
        return [Reply(self.r.t(T.SURVEY_CANCELLED), self.view.menu_buttons())]

    def _begin(self, state: ConversationState, survey_id: str, turn: Turn) -> list[Reply]:
        survey = self.catalog.surveys.get(survey_id)
        if survey is None:
            return [self.view.chooser()]
        run: dict[str, Any] = {
            "viewed": list(dict.fromkeys(s for s in state.screens if s.startswith("trade:"))),
            "id": survey.id,
            "run": uuid.uuid4().hex,
            "active": True,
            "answers": {},
            "history": [],
            "current": survey.steps[0].id,
            "pending": None,
            "editing": False,
            "selection": [],
            "started": turn.now.isoformat(),
        }
        # the quiz's trades (ticked, then offered first) and province (surveyinput, C6)
        prefill_run(self.catalog, state.data.pop(PREFILL, None), survey, run)
        state.data[KEY] = run
        offer_home(state, self.catalog, KEY)  # province: offered at its question
        return [Reply(survey.intro), *self.steps.ask(run, survey)]
