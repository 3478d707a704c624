"""Engine: one user action in, replies out (per-user lock, care, flows, menus, match, fallback).

Conversation flows plug in through bot/core/flows/base.py and are registered in
bot/core/flows/registry.py: the engine routes a pressed payload to the flow that owns it and
typed text to the flow waiting for it, without knowing any flow by name. The menus and
navigation ("back") stay here; the care replies are bot/core/care_turns.py's, and a typed
question's answer (or question back, or pointer) is bot/core/ask.py's.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from bot.catalog import Catalog
from bot.catalog.text_keys import T
from bot.core import asker, care_after, unanswered
from bot.core.ask import (
    Answered,
    AskResult,
    answer_question,
    answered,
    ask,
    last_answer,
    where_for_trade,
)
from bot.core.care_turns import CareTurns
from bot.core.documents import EntityMenus
from bot.core.flows.answers import CatalogAnswers
from bot.core.flows.base import FlowRegistry, Tools, Turn, choice
from bot.core.flows.handoff import HandoffFlow
from bot.core.flows.registry import standard_flows
from bot.core.flows.render import Renderer
from bot.core.flows.survey import SurveyFlow
from bot.core.flows.typed import EMOJI
from bot.core.messages import WITHHELD, Inbound, Reply
from bot.core.numbers import single_number
from bot.core.ports import Clock, ConversationState, ConversationStore, LeadSink, SystemClock
from bot.core.unanswered import QuestionLog
from bot.matching.care import CareDetector
from bot.matching.entities import ProvinceIndex
from bot.matching.matcher import Match, Matcher, Suggestions
from bot.matching.normalize import fold

log = logging.getLogger(__name__)

MAX_TEXT = 1000  # characters we try to understand; longer messages get a polite request
MAX_SCREENS = 20  # navigation history kept for "back"
_HAS_WORD = re.compile(r"\w", re.UNICODE)

# Typed words that act like the menus' buttons (folded, without diacritics); flows add theirs.
_COMMANDS = {
    **dict.fromkeys(
        ["start", "bat dau", "hi", "hello", "alo", "chao", "xin chao", "chao ban", "chao bot"],
        "start",
    ),
    **dict.fromkeys(["menu", "trang chu", "ve trang chu", "home"], "home"),
    **dict.fromkeys(["quay lai", "tro lai", "back"], "back"),
    **dict.fromkeys(
        ["cam on", "cam on ban", "cam on nhieu", "thanks", "thank you", "tks"],
        "thanks",
    ),
    # "ok" agrees, it does not thank ("ok" got "Không có gì ạ!": a reviewer)
    **dict.fromkeys(["ok", "oke", "okay", "oki", "okie", "ok a", "da ok"], "ok"),
    **dict.fromkeys(["bye", "tam biet", "bai bai"], "bye"),
}
# command payloads answered by one line and the menu
_SHORT_REPLIES = {"thanks": T.THANKS, "bye": T.BYE, "ok": T.OK}
# A message that cannot be read, outside a flow's question -> while a flow's question waits.
_UNREADABLE = {T.EMPTY: T.EMPTY, T.TOO_LONG: T.SURVEY_TOO_LONG, T.NO_TEXT: T.SURVEY_NEED_LETTERS}


class Engine:
    """The conversation core. Platform-free: channels turn their payloads into Inbound."""

    def __init__(
        self,
        catalog: Catalog,
        matcher: Matcher,
        store: ConversationStore,
        clock: Clock | None = None,
        leads: LeadSink | None = None,
        questions: QuestionLog | None = None,
    ) -> None:
        self.catalog = catalog
        self.matcher = matcher
        self.store = store
        self.clock = clock or SystemClock()
        self.renderer = Renderer(catalog)
        self.menus = EntityMenus(self.renderer)  # Menus + document cards, former districts
        self.provinces = ProvinceIndex(catalog)
        self.leads = leads
        self.questions = questions  # where questions not answered are kept (none: not kept)
        tools = Tools(catalog, self.renderer, matcher, self.provinces, leads, self.clock)
        self.flows = FlowRegistry(standard_flows(tools))
        self.survey = self.flows.find(SurveyFlow)  # for tools and tests that look into a run
        self.answers = CatalogAnswers(catalog, matcher, self.menus, self.provinces, self.clock)
        self.care = CareDetector(catalog.safety)
        self._handoff = self.flows.find(HandoffFlow)
        self._cared = CareTurns(catalog, self.care, self.flows, self.renderer)

    async def handle(self, inbound: Inbound) -> list[Reply]:
        """Handle one action; actions of one user are processed one at a time, in order.

        The per-user lock is the store's: `ConversationStore.open` admits one block per key
        (in-process for the memory store, across processes for the database store).
        """
        try:
            async with self.store.open(inbound.key) as state:
                replies = await self._handoff.offered(await self._dispatch(inbound, state))
                state.buttons = list(replies[-1].buttons) if replies else []
                state.updated_at = self.clock.now()
                noted = unanswered.collect(state, inbound.key) if self.questions else ([], [])
        except Exception:
            # nothing was saved: the user's state is as before this message
            log.exception("engine failure", extra={"channel": inbound.channel})
            return [Reply(self.catalog.text(T.ERROR), (self.renderer.home_button(),))]
        if self.questions is not None:  # after the turn: its lock is not held for a side record
            await unanswered.hand_over(self.questions, *noted)
        return replies

    # -- dispatch -----------------------------------------------------------------------------

    async def _dispatch(self, inbound: Inbound, state: ConversationState) -> list[Reply]:
        async def press(payload: str) -> list[Reply]:
            return await self._payload(payload, turn)

        turn = Turn(state, inbound.key, self.clock.now(), press)
        # schoolfix: the operator's switches, read before any reply: a school card says the same
        # whichever way it is reached (typed name, button, "back"); the sink caches them briefly
        await self.renderer.participation.refresh()
        if inbound.payload is not None:
            return await self._payload(inbound.payload.strip(), turn)
        if inbound.shared and inbound.text is None:
            return await self._shared(dict(inbound.shared), turn)
        if inbound.media is not None and inbound.text is None:
            return await self._media(inbound.media, turn)
        return await self._text(inbound.text or "", turn)

    async def _payload(self, payload: str, turn: Turn) -> list[Reply]:
        """A pressed button: its flow's, or a menu screen. Every other flow is paused."""
        state = turn.state
        if self.questions is not None:  # an option of the last question asked back: its meaning
            unanswered.chose(state, payload, turn.now)
        owner = self.flows.owner(payload)
        self.flows.pause(state, keep=owner)
        if owner is not None:
            return await owner.payload(payload, turn)
        if payload in ("home", "start"):
            state.screens.clear()
            answered(state, payload, turn.now)  # a new start: nothing to follow up on
            return [self._main(state, greeting=payload == "start")]
        if payload == "back":
            return self._back(state)
        if payload in _SHORT_REPLIES:
            # the menu leads with "continue" when a flow waits (the thanks paused it)
            text = self.catalog.text(_SHORT_REPLIES[payload])
            return [self._with_menu(text, state)]
        reply = self.menus.screen(payload, turn.now.date())
        if reply is None:
            log.info("unknown payload", extra={"payload": payload[:64]})
            return [self._with_menu(self.catalog.text(T.UNKNOWN_BUTTON))]
        self._push(state, payload)
        return [reply]

    async def _text(self, text: str, turn: Turn) -> list[Reply]:
        """Typed text: care first, then the waiting flow, then commands, buttons, the matcher."""
        state = turn.state
        text = text.strip()
        hit = self.care.detect(text)  # before anything: flows, commands, button numbers, length
        asker.heard(state, text)  # a parent who says so is addressed as "anh/chị"
        if hit is not None:
            return await self._cared.answer(hit, turn, text)
        active = self.flows.active(state)
        # the messages right after a care answer; what the child writes to a counsellor (the
        # handoff waits for it) goes to the counsellor
        after_care = care_after.spend(state, turn.now) and active is not self._handoff
        if after_care and self.care.heard_after(text, care_after.AFTER_CARE_PROBABILITY):
            return await self._cared.follow(turn, text)
        if active is not None and text in EMOJI:
            # flowfix: "👍" answers a flow's question (the flow hands back what it cannot read)
            replies = await active.text(text, turn)
            if replies is not None:
                return replies
        unreadable = (
            T.EMPTY
            if not text
            else T.TOO_LONG
            if len(text) > MAX_TEXT
            else T.NO_TEXT
            if not _HAS_WORD.search(text)
            else None
        )
        if unreadable is not None:
            note = self.catalog.text(unreadable, limit=MAX_TEXT)
            in_flow = self.catalog.text(_UNREADABLE[unreadable], limit=MAX_TEXT)
            return await self._not_an_answer(turn, note, in_flow, menu_resumes=False)
        folded = fold(text.removeprefix("/"))
        if active is not None:
            # a few words act inside any flow's question (data rights); then the flow reads
            command = self.flows.command(folded, state, inside=active, text=text)
            if command is not None:
                return await self._payload(command, turn)
            replies = await active.text(text, turn)
            if replies is not None:
                return replies
            replies = await self._outside(text, folded, turn, True, after_care)
            # flowfix: the flow's question, still waiting, is asked again after the answer;
            # surveyinput (review3 C2): its list is the turn's only one, so "1" picks from it
            # (a caring reply pauses the flow: nothing is asked again under it)
            again = await active.reask(turn) if active.waiting(state) else None
            return [*(Reply(r.text) for r in replies), *again] if again else replies
        return await self._outside(text, folded, turn, after_care=after_care)

    async def _outside(
        self,
        text: str,
        folded: str,
        turn: Turn,
        in_flow: bool = False,
        after_care: bool = False,
    ) -> list[Reply]:
        """Typed text no flow's question took: commands, buttons by number or name, matcher;
        right after a care answer, what nothing answers is heard with care."""
        state = turn.state
        named = where_for_trade(self.catalog, last_answer(state, turn.now), text)
        if named is not None:  # "học ở đâu" right after a trade's card: that trade
            text, folded = named, fold(named)
        command = _COMMANDS.get(folded) or self.flows.command(folded, state, text=text)
        if command is not None:
            return await self._payload(command, turn)
        number = single_number(text)  # "2", " 2 ", "2." pick a choice; "-1" does not
        chosen = choice(number or folded, state.buttons, number is not None)
        if chosen is not None:
            return await self._payload(chosen.payload, turn)
        if number and state.buttons:
            one = len(state.buttons) == 1
            key = T.NUMBER_ONLY_ONE if one else T.NUMBER_OUT_OF_RANGE
            note = self.catalog.text(key, count=len(state.buttons))
            return [Reply(note, tuple(state.buttons))]
        home = self.renderer.home_button()
        previous = last_answer(state, turn.now)
        parent = asker.is_parent(state)
        found = answer_question(self.catalog, self.answers, home, text, in_flow, previous, parent)
        told = self._note(state, text, found, turn.now, after_care)
        if found is not None:
            if found.screen is not None:
                self._push(state, found.screen)
                if asker.note_due(state):  # once: the answers speak to the learner
                    note = self.catalog.text(T.PARENT_NOTE)
                    return [Reply(note), *found.replies]
            return unanswered.told(found.replies, told)
        if after_care:  # nothing answers it, right after a care answer: heard with care
            return await self._cared.follow(turn, text)
        if in_flow:  # surveyinput (C2): no menu under it: the flow's question follows
            return unanswered.told([Reply(self.catalog.text(T.FALLBACK_IN_FLOW))], told)
        fallback = T.FALLBACK_PARENT if asker.is_parent(state) else T.FALLBACK
        return unanswered.told([self._with_menu(self.catalog.text(fallback), state)], told)

    def _note(
        self,
        state: ConversationState,
        text: str,
        found: Answered | None,
        now: dt.datetime,
        after_care: bool,
    ) -> str | None:
        """A question asked back about, or not answered, is noted for the log
        (bot/core/unanswered.py) unless it troubles the care model even at its lower bar or
        comes right after a care answer. The first one kept in a conversation is said: the
        text to add to the reply, else None."""
        if self.questions is None or after_care:
            return None
        if found is not None and not found.offered:
            return None  # answered, or pointed elsewhere: out of scope, known as such
        # the care model runs again only for a question that may be kept, not for every answer
        if self.care.heard_after(text, care_after.AFTER_CARE_PROBABILITY) is not None:
            return None
        first = unanswered.note(state, text, found.offered if found else (), now)
        return self.catalog.text(T.UNANSWERED_KEPT) if first else None

    async def _shared(self, shared: dict[str, str], turn: Turn) -> list[Reply]:
        """Details shared through the platform: an answer only to the question asking for them."""
        active = self.flows.active(turn.state)
        if active is not None:  # parentsafe: a flow may act on what was shared itself
            replies = await active.shared_turn(shared, turn)
            if replies is not None:
                return replies
        answer = active.shared_answer(turn.state, shared) if active is not None else None
        if answer is not None:
            return await self._text(answer, turn)
        note = self.catalog.text(T.SHARED_NOT_ASKED)
        return await self._not_an_answer(turn, note, note)

    async def _media(self, media: str, turn: Turn) -> list[Reply]:
        """A photo, sticker, voice message… nobody typed: one friendly note, then the waiting
        question again (the photo is no answer) or the menu."""
        withheld = media == WITHHELD
        note = self.catalog.text(T.MEDIA_WITHHELD if withheld else T.MEDIA)
        in_flow = self.catalog.text(T.MEDIA_WITHHELD if withheld else T.MEDIA_IN_SURVEY)
        return await self._not_an_answer(turn, note, in_flow)

    async def _not_an_answer(
        self, turn: Turn, note: str, in_flow: str, menu_resumes: bool = True
    ) -> list[Reply]:
        """A message that cannot answer anything: `in_flow` and the waiting flow's question
        again, or `note` and the main menu (led by "continue" when `menu_resumes`)."""
        active = self.flows.active(turn.state)
        again = await active.reask(turn) if active is not None else None
        if again is not None:
            return [Reply(in_flow), *again]
        return [self._with_menu(note, turn.state if menu_resumes else None)]

    # -- menus and answers --------------------------------------------------------------------

    def _back(self, state: ConversationState) -> list[Reply]:
        if state.screens:
            state.screens.pop()
        while state.screens:
            reply = self.menus.screen(state.screens[-1], self.clock.now().date())
            if reply is not None:
                return [reply]
            state.screens.pop()
        return [self._main(state)]

    def _main(self, state: ConversationState, greeting: bool = False) -> Reply:
        """The main menu, led by "continue" while a flow waits half-way."""
        menu = self.menus.main(greeting=greeting)
        resume = self.flows.resume_button(state)
        return Reply(menu.text, (resume, *menu.buttons)) if resume else menu

    def _push(self, state: ConversationState, payload: str) -> None:
        answered(state, payload, self.clock.now())  # a follow-up may lean on it
        if not state.screens or state.screens[-1] != payload:
            state.screens.append(payload)
        del state.screens[:-MAX_SCREENS]

    def _with_menu(self, text: str, state: ConversationState | None = None) -> Reply:
        """A message followed by the main menu's buttons."""
        menu = self.menus.main() if state is None else self._main(state)
        return Reply(text, menu.buttons)

    def match(self, text: str) -> Match | Suggestions | None:
        """The matcher's decision, minus province-specific answers for another province."""
        return self.answers.match(text)

    def answer_reply(self, text: str, match: Match) -> Reply | None:
        """The answer for a confident match (see CatalogAnswers.reply)."""
        return self.answers.reply(text, match)

    def ask(self, text: str) -> AskResult:
        """One question answered without conversation state (`huongnghiep ask`, tools)."""
        return ask(self.catalog, self.care, self.answers, text)
