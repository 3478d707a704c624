"""The eligibility check "Mình có được miễn, giảm học phí không?": a few questions from
content/eligibility.yaml, then what applies (bot/core/flows/eligibility_result.py).

A typed question that already states a circumstance ("em là con liệt sĩ, học trung cấp có được
miễn học phí không") is caught by `command`, before the matcher: the detector's answers ride in an
"el:ask:" payload; when they already make something certain, that is answered directly,
otherwise the check starts with what it knows.
eligfix: what a message names but is not the student's own and current ("ông ngoại em là liệt
sĩ", "mồ côi mẹ", "năm nay thoát nghèo rồi") is never ticked: it rides as "~question=option",
is said as not ticked, and its question then says when it counts; a parent's circumstance the
FAQ answers ("bố cháu bị khuyết tật") rides as "faq=id" and that answer comes first.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from bot.catalog.eligibility import Eligibility, EligQuestion, Facts
from bot.catalog.text_keys import T
from bot.core.flows.base import RunFlow, Tools, Turn, choice
from bot.core.flows.eligibility_home import ACTION, keep
from bot.core.flows.eligibility_result import ResultView, evaluate, qualifying
from bot.core.flows.eligibility_view import QuestionView, step_back, toggle
from bot.core.flows.eligibility_words import (
    DONE_WORDS,
    HOUSEHOLD,
    RESUME_WORDS,
    START_WORDS,
    STOP_WORDS,
    answer_first,
    decode,
    early_province,
    encode,
    household_talk,
    one_province,
    province_alone,
    province_named,
)
from bot.core.flows.typed import core
from bot.core.flows.typed import pick as pick_option
from bot.core.messages import Button, Reply
from bot.core.numbers import several_numbers, single_number
from bot.core.ports import ConversationState
from bot.matching.normalize import Normalizer, fold

KEY = "eligibility"
MAX_FACTS_PAYLOAD = 512  # an "el:ask:" payload longer than this is not ours


class EligibilityFlow(RunFlow):
    """The check: one question at a time (buttons, their numbers or names, a province typed)."""

    run_key = KEY

    prefixes = ("el:",)

    def __init__(self, tools: Tools) -> None:
        elig = tools.catalog.eligibility
        assert elig is not None  # registered only when the content has the check
        self.elig: Eligibility = elig
        self.catalog = tools.catalog
        self.r = tools.renderer
        self.provinces = tools.provinces
        self.matcher = tools.matcher  # its normalizer marks province names
        self.clock = tools.clock
        abbreviations = tools.catalog.abbreviations
        self.normalize = Normalizer(abbreviations.tokens, abbreviations.phrases)
        self.detector = elig.detector_for(self.normalize)
        self.view = ResultView(tools.catalog, tools.renderer, elig)
        self.questions = QuestionView(tools.renderer, elig)
        self.start_words = {*START_WORDS, fold(self.r.t(T.ELIG_MENU))}
        entry = (T.ELIG_FULL, T.ELIG_CONTINUE, T.ELIG_AGAIN)
        self.resume_words = {*RESUME_WORDS, *self.start_words, *(fold(self.r.t(k)) for k in entry)}

    # -- state ----------------------------------------------------------------------------------

    def waiting(self, state: ConversationState) -> bool:
        run = self.run(state)
        return bool(run and run.get("active") and self._current(run) is not None)

    def resume_button(self, state: ConversationState) -> Button | None:
        run = self.run(state)
        if run is None or self._current(run) is None:
            return None
        return Button(self.r.t(T.ELIG_CONTINUE), "el:resume")

    def _current(self, run: dict[str, Any]) -> EligQuestion | None:
        return self.elig.question(str(run.get("current") or ""))

    def _facts(self, run: dict[str, Any]) -> Facts:
        facts = run.get("facts")
        return facts if isinstance(facts, dict) else {}

    # -- typed words ----------------------------------------------------------------------------

    def command(self, folded: str, state: ConversationState) -> str | None:
        """The menu label or "kiểm tra miễn giảm"."""
        return "el:start" if folded in self.start_words else None

    def raw_command(self, text: str, state: ConversationState) -> str | None:
        """A question stating circumstances, read as typed (negation: "chả" is a negation,
        which folding makes "cha", father)."""
        folded = fold(text.removeprefix("/"))
        if folded in self.start_words:
            return None
        reading = self.detector.read(text)
        if reading is None or answer_first(self.elig, self.matcher, folded):
            return None
        facts = reading.facts
        province = one_province(self.matcher, self.provinces, folded)
        if province is not None and self.elig.question("province") is not None:
            facts["province"] = province
        return "el:ask:" + encode(facts, reading.unsure, reading.offers)

    async def text(self, text: str, turn: Turn) -> list[Reply] | None:
        """A choice by number or name, several numbers for a several-choice question, a
        province; anything else goes back to the engine (a question is still answered)."""
        state = turn.state
        run = self.run(state)
        assert run is not None
        question = self._current(run)
        assert question is not None
        folded = fold(text.removeprefix("/"))
        bare = core(text)
        if folded in STOP_WORDS or bare in STOP_WORDS:
            return await turn.press("el:cancel")
        if question.multi and (folded in DONE_WORDS or bare in DONE_WORDS):
            # surveyinput (C2): "xong" with nothing ticked is "none of these", not a question
            if not run.get("selection") and question.none is not None:
                return await turn.press(f"el:opt:{question.none}")
            return await turn.press("el:done")
        if folded in self.resume_words or bare in self.resume_words:
            return await turn.press("el:resume")  # the check's own buttons, typed
        numbers = several_numbers(text)
        if question.multi and numbers is not None:
            picks = [choice(n, list(state.buttons), True) for n in numbers]
            if all(p is not None and p.payload.startswith("el:opt:") for p in picks):
                for pick in picks:
                    assert pick is not None
                    ident = pick.payload.removeprefix("el:opt:")
                    if ident not in run.get("selection", []):
                        toggle(run, question, ident)
                return [self._question(run)]
        number = single_number(text)
        chosen = choice(number or folded, list(state.buttons), number is not None)
        if chosen is not None:
            return await turn.press(chosen.payload)
        # flowfix: "chua biet a", "ho can ngheo a", "lop 9", "dan toc tay": an option's label,
        # a synonym of content, or a typo of one, read before the matcher
        labels = {o.id: o.label for o in question.options}
        picked = pick_option(text, labels, {o.id: o.synonyms for o in question.options})
        said = self._said_at_step(run, question, text, turn, picked is not None)
        if said is not None:
            return said
        if picked is not None and core(text) not in STOP_WORDS:
            return await turn.press(f"el:opt:{picked}")
        if question.id == HOUSEHOLD and household_talk(self.matcher.normalize(text)):
            help_text = self.view.household_help(self._facts(run), turn.now.date())  # W8
            return [Reply(help_text), self._question(run)]
        if question.type == "province":
            named = province_named(self.matcher, self.provinces, text)
            if named is not None:
                # a former province is said to be counted as the one it is part of today
                place, former = named
                replies = self._answer(run, question, place, turn)
                name = self.catalog.provinces[place].name
                merged = self.r.t(T.ELIG_PROVINCE_MERGED, former=former, province=name)
                return [Reply(merged), *replies] if former else replies
            unknown = Reply(self.r.t(T.ELIG_PROVINCE_UNKNOWN))
            return [unknown, self._question(run)]
        # eligfix: a province typed alone before its question ("Nghệ An" while the check waits
        # for "Xong") is that question's answer: kept, and this question asked again
        province = province_alone(self.matcher.normalize(text), self.provinces)
        if province is None or not early_province(self.elig, run, question, province):
            return None
        keep(turn.state, self.catalog, self.elig, run)  # province: remembered for later
        name = self.catalog.provinces[province].name
        return [Reply(self.r.t(T.ELIG_PROVINCE_EARLY, province=name)), self._question(run)]

    def _said_at_step(
        self, run: dict[str, Any], question: EligQuestion, text: str, turn: Turn, picked: bool
    ) -> list[Reply] | None:
        """eligfix: a sentence typed at the household or circumstances question ("bố cháu bị
        khuyết tật", "mồ côi mẹ"): what is the student's own is ticked, the rest is not, and
        its question says when it counts; None when it names none of this question's options,
        or only what an option's name (`picked`) already says (it ticks or unticks as before)."""
        if question.id not in self.elig.detector.triggers:
            return None
        reading = self.detector.read(text, need_topic=False)
        if reading is None:
            return None
        unsure = reading.unsure.get(question.id, [])
        if picked and not unsure:
            return None
        said = reading.facts.get(question.id)
        if said is not None and not question.multi and not unsure:
            return self._answer(run, question, said, turn)
        if question.multi and isinstance(said, list):
            for ident in said:
                if ident not in run.get("selection", []):
                    toggle(run, question, ident)
        if not unsure and not question.multi:
            return None
        if not unsure:
            return [self._question(run)] if said else None
        kept = run.setdefault("unsure", {}).setdefault(question.id, [])
        kept.extend(o for o in unsure if o not in kept)
        note = self.questions.not_ticked({question.id: unsure}, T.ELIG_NOT_TICKED_HERE)
        return [Reply(note), self._question(run)]

    async def reask(self, turn: Turn) -> list[Reply] | None:
        run = self.run(turn.state)
        return [self._question(run)] if run is not None and self._current(run) else None

    # -- buttons --------------------------------------------------------------------------------

    async def payload(self, payload: str, turn: Turn) -> list[Reply]:
        state = turn.state
        action, _, arg = payload.removeprefix("el:").partition(":")
        if action == "start":
            return self._start(state, {}, turn)
        if action == "ask":
            facts, unsure, offers = decode(self.elig, self.catalog, arg[:MAX_FACTS_PAYLOAD])
            return self._asked(state, facts, turn, unsure, offers)
        run = self.run(state)
        if run is None:
            return [self._stale()]
        if action == "cancel":
            state.data.pop(KEY, None)
            return [Reply(self.r.t(T.ELIG_CANCELLED), self.r.nav_buttons()[1:])]
        if action == "full":
            return self._next(run, turn)
        question = self._current(run)
        if question is None:
            return [self._stale()]
        run["active"] = True
        keep(state, self.catalog, self.elig, run)  # province: the remembered one, offered
        if action == "resume":
            return [self._question(run)]
        if action == "back":
            return [self._question(step_back(run))]
        if action == ACTION and question.type == "province" and arg in self.catalog.provinces:
            return self._answer(run, question, arg, turn)  # the remembered province, pressed
        if action == "skip" and question.type == "province":
            return self._answer(run, question, None, turn)
        if action == "done" and question.multi:
            if not run.get("selection"):
                return [Reply(self.r.t(T.ELIG_PICK_FIRST)), self._question(run)]
            return self._answer(run, question, list(run["selection"]), turn)
        if action == "opt" and question.option(arg) is not None:
            if question.multi:
                toggle(run, question, arg)
                if arg == question.none:  # "none of these" ends the question
                    return self._answer(run, question, [arg], turn)
                return [self._question(run)]
            return self._answer(run, question, arg, turn)
        return [self._question(run)]  # a button of an earlier question: ask this one again

    def _stale(self) -> Reply:
        return Reply(self.r.t(T.ELIG_STALE), (Button(self.r.t(T.ELIG_AGAIN), "el:start"),))

    # -- steps ----------------------------------------------------------------------------------

    def _start(
        self,
        state: ConversationState,
        facts: Facts,
        turn: Turn,
        unsure: dict[str, list[str]] | None = None,
    ) -> list[Reply]:
        multi = {q.id for q in self.elig.questions if q.multi}
        run: dict[str, Any] = {
            "active": True,
            # told in the first message: not asked, not counted; a several-choice question is
            # still asked, with what was told already ticked (there may be more)
            "facts": {q: v for q, v in facts.items() if q not in multi},
            "given": [q for q in facts if q not in multi],
            "ticked": {q: v for q, v in facts.items() if q in multi},
            "history": [],
            "selection": [],
            "current": None,
            "unsure": dict(unsure or {}),  # eligfix: named, not ticked: their question says why
        }
        state.data[KEY] = run
        replies = self._next(run, turn)
        intro = self.r.t(T.ELIG_KNOWN, facts=self.view.described(facts)) if facts else None
        lines = [intro or self.r.t(T.ELIG_INTRO)]
        if unsure:
            lines.append(self.questions.not_ticked(unsure))
        return [Reply("\n\n".join(lines)), *replies]

    def _asked(
        self,
        state: ConversationState,
        facts: Facts,
        turn: Turn,
        unsure: dict[str, list[str]] | None = None,
        offers: list[str] | None = None,
    ) -> list[Reply]:
        """A typed question with circumstances: certain already -> said; a parent's
        circumstance an FAQ answers -> that answer; else the check."""
        verdict = evaluate(self.elig, self.catalog, facts, turn.now.date())
        sure = any(r.outcome in ("exempt", "reduced") for r in verdict.sure)
        if not sure and not offers:
            return self._start(state, facts, turn, unsure)
        self._start(state, facts, turn, unsure)  # kept, paused: "Kiểm tra đầy đủ" goes on
        self.pause(state)
        note = [Reply(self.questions.not_ticked(unsure))] if unsure else []
        full = Button(self.r.t(T.ELIG_FULL), "el:full")
        if sure:
            caveats = qualifying(self.elig, self.catalog, facts, verdict, turn.now.date())
            direct = self.view.direct(facts, verdict, caveats)
            extra = [
                Button(label, f"faq:{f}")
                for f in offers or []
                if (label := self.r.label_for(f"faq:{f}"))
            ]
            buttons = (direct.buttons[0], *extra, *direct.buttons[1:])
            return [*note, dataclasses.replace(direct, buttons=buttons)]
        card = self.r.faq(self.catalog.faq[(offers or [])[0]], turn.now.date())
        return [*note, dataclasses.replace(card, buttons=(full, *card.buttons))]

    def _next(self, run: dict[str, Any], turn: Turn) -> list[Reply]:
        """The first question not answered yet, or the result."""
        facts = self._facts(run)
        keep(turn.state, self.catalog, self.elig, run)  # province: given here, remembered
        asked = set(facts) | set(run.get("skipped", []))
        run["selection"] = []
        for question in self.elig.questions:
            if question.id not in asked:
                run["current"] = question.id
                run["active"] = True
                ticked = run.get("ticked", {}).pop(question.id, None)
                run["selection"] = list(ticked) if isinstance(ticked, list) else []
                return [self._question(run)]
        # answered: nothing is kept (a household or a disability is nobody else's business)
        turn.state.data.pop(KEY, None)
        verdict = evaluate(self.elig, self.catalog, facts, turn.now.date())
        return [self.view.full(facts, verdict)]

    def _answer(
        self, run: dict[str, Any], question: EligQuestion, value: Any, turn: Turn
    ) -> list[Reply]:
        if value is None:
            run.setdefault("skipped", []).append(question.id)
        else:
            self._facts(run)[question.id] = value
        run["history"].append(question.id)
        return self._next(run, turn)

    def _question(self, run: dict[str, Any]) -> Reply:
        return self.questions.question(run)
