"""Engine: one user action in, replies out (per-user lock, buttons, flows, match, fallback)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from bot.catalog import Catalog
from bot.catalog.text_keys import T
from bot.core.care import care_reply, care_text
from bot.core.flows.data_rights import DataRights
from bot.core.flows.menus import Menus
from bot.core.flows.render import Renderer
from bot.core.flows.survey import SV, SurveyFlow
from bot.core.flows.survey_answers import AnswerReader, yes_no
from bot.core.messages import WITHHELD, Button, ConversationKey, Inbound, Reply, clean_input
from bot.core.numbers import several_numbers, single_number
from bot.core.ports import Clock, ConversationState, ConversationStore, LeadSink, SystemClock
from bot.matching.care import CareDetector, CareHit
from bot.matching.entities import ProvinceIndex
from bot.matching.matcher import OUT_OF_SCOPE, Match, Matcher, Suggestions
from bot.matching.normalize import fold

log = logging.getLogger(__name__)

MAX_TEXT = 1000  # characters we try to understand; longer messages get a polite request
MAX_SCREENS = 20  # navigation history kept for "back"
_HAS_WORD = re.compile(r"\w", re.UNICODE)

# Typed words that act like buttons (folded, without diacritics).
_COMMANDS = {
    **dict.fromkeys(
        ["start", "bat dau", "hi", "hello", "alo", "chao", "xin chao", "chao ban", "chao bot"],
        "start",
    ),
    **dict.fromkeys(["menu", "trang chu", "ve trang chu", "home"], "home"),
    **dict.fromkeys(["quay lai", "tro lai", "back"], "back"),
    **dict.fromkeys(
        ["cam on", "cam on ban", "cam on nhieu", "thanks", "thank you", "tks", "ok", "oke"],
        "thanks",
    ),
    **dict.fromkeys(["bye", "tam biet", "bai bai"], "bye"),
    **dict.fromkeys(
        ["xoa du lieu cua toi", "xoa du lieu", "xoa thong tin cua toi", "xoadulieu"],
        "delete_data",
    ),
    **dict.fromkeys(
        ["xem du lieu cua toi", "xem du lieu", "du lieu cua toi", "thong tin cua toi"], "data:view"
    ),
    **dict.fromkeys(
        ["rut lai dong y", "rut dong y", "rut lai su dong y", "huy dong y"], "data:withdraw"
    ),
    **dict.fromkeys(
        [
            "khao sat",
            "lam khao sat",
            "khaosat",
            "khao sat nguyen vong",
            "nguyen vong",
            "em muon lam khao sat",
            "toi muon lam khao sat",
            "khao xat",
        ],
        "survey:start",
    ),
    **dict.fromkeys(["khao sat lop 9", "lam khao sat lop 9", "lop 9", "9"], "sv:begin:lop9"),
    **dict.fromkeys(["khao sat lop 12", "lam khao sat lop 12", "lop 12", "12"], "sv:begin:lop12"),
}
# Typed words that act inside a survey (where "ok" means yes, not thanks).
_SURVEY_COMMANDS = {
    **dict.fromkeys(["quay lai", "tro lai", "back", "lui"], "sv:back"),
    **dict.fromkeys(
        # not "dung": without diacritics "dừng" (stop) is "đúng" (right)
        ["huy", "huy bo", "huy khao sat", "dung lai", "thoat", "cancel"],
        "sv:cancel",
    ),
    **dict.fromkeys(["start", "menu", "trang chu", "ve trang chu", "home"], "home"),
    # a greeting (say, the next day) is not an answer: the waiting question is asked again
    **dict.fromkeys(
        ["hi", "hello", "alo", "chao", "xin chao", "chao ban", "chao bot", "bat dau", "tiep tuc"],
        "sv:resume",
    ),
    **dict.fromkeys(["bo qua", "skip", "qua cau nay"], "sv:skip"),
    **dict.fromkeys(["xong", "xong roi", "done", "het", "vay thoi"], "sv:done"),
    **{k: v for k, v in _COMMANDS.items() if v in ("delete_data", "data:view", "data:withdraw")},
}
_DELETE_WORDS = frozenset(("xoa", "xoa di", "xoa het", "xoa het di", "xoa luon"))


class Engine:
    """The conversation core. Platform-free: channels turn their payloads into Inbound."""

    def __init__(
        self,
        catalog: Catalog,
        matcher: Matcher,
        store: ConversationStore,
        clock: Clock | None = None,
        leads: LeadSink | None = None,
    ) -> None:
        self.catalog = catalog
        self.matcher = matcher
        self.store = store
        self.clock = clock or SystemClock()
        self.renderer = Renderer(catalog)
        self.menus = Menus(self.renderer)
        self.provinces = ProvinceIndex(catalog)
        self.leads = leads
        reader = AnswerReader(catalog, matcher, self.provinces)
        self.survey = SurveyFlow(catalog, self.renderer, reader, leads, self.clock)
        self.rights = DataRights(catalog, self.renderer, leads, self.survey)
        self.care = CareDetector(catalog.safety)

    async def handle(self, inbound: Inbound) -> list[Reply]:
        """Handle one action; actions of one user are processed one at a time, in order.

        The per-user lock is the store's: `ConversationStore.open` admits one block per key
        (in-process for the memory store, across processes for the database store).
        """
        try:
            async with self.store.open(inbound.key) as state:
                replies = await self._dispatch(inbound, state)
                state.buttons = list(replies[-1].buttons) if replies else []
                state.updated_at = self.clock.now()
                return replies
        except Exception:
            # nothing was saved: the user's state is as before this message
            log.exception("engine failure", extra={"channel": inbound.channel})
            return [Reply(self.catalog.text(T.ERROR), (self.renderer.home_button(),))]

    # -- dispatch -----------------------------------------------------------------------------

    async def _dispatch(self, inbound: Inbound, state: ConversationState) -> list[Reply]:
        if inbound.payload is not None:
            return await self._payload(inbound.payload.strip(), state, inbound.key)
        if inbound.shared and inbound.text is None:
            return await self._shared(dict(inbound.shared), state, inbound.key)
        if inbound.media is not None and inbound.text is None:
            return await self._media(inbound.media, state, inbound.key)
        if self.survey.active(state):
            return await self._survey_text(inbound.text or "", state, inbound.key)
        return await self._text(inbound.text or "", state, inbound.key)

    async def _payload(
        self, payload: str, state: ConversationState, key: ConversationKey
    ) -> list[Reply]:
        now = self.clock.now()
        if payload.startswith(SV):
            return await self.survey.payload(state, payload, key, now)
        self.survey.pause(state)
        if payload == "survey:start":
            return self.survey.start(state)
        if payload in ("home", "start"):
            state.screens.clear()
            return [self._main(state, greeting=payload == "start")]
        if payload == "back":
            return self._back(state)
        if payload in ("thanks", "bye"):
            return [self._with_menu(self.catalog.text(T.THANKS if payload == "thanks" else T.BYE))]
        if payload == "delete_data" or payload.startswith("data:"):
            return await self.rights.handle(payload, state, key, now)
        reply = self.menus.screen(payload, self.clock.now().date())
        if reply is None:
            log.info("unknown payload", extra={"payload": payload[:64]})
            return [self._with_menu(self.catalog.text(T.UNKNOWN_BUTTON))]
        self._push(state, payload)
        return [reply]

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
        """The main menu, led by "continue the survey" while one waits half-way."""
        menu = self.menus.main(greeting=greeting)
        resume = self.survey.resume_button(state)
        return Reply(menu.text, (resume, *menu.buttons)) if resume else menu

    @staticmethod
    def _push(state: ConversationState, payload: str) -> None:
        if not state.screens or state.screens[-1] != payload:
            state.screens.append(payload)
        del state.screens[:-MAX_SCREENS]

    async def _survey_text(
        self, text: str, state: ConversationState, key: ConversationKey
    ) -> list[Reply]:
        """Typed text while a survey question waits: an answer, unless it is a command."""
        text = text.strip()
        hit = self.care.detect(text)
        if hit is not None:
            return self._care(hit, state)
        if not text or len(text) > MAX_TEXT or not _HAS_WORD.search(text):
            note = (
                T.EMPTY
                if not text
                else T.SURVEY_TOO_LONG
                if len(text) > MAX_TEXT
                else T.SURVEY_NEED_LETTERS
            )
            replies = await self.survey.payload(state, "sv:resume", key, self.clock.now())
            return [Reply(self.catalog.text(note, limit=MAX_TEXT)), *replies]
        folded = fold(text.removeprefix("/"))
        command = _SURVEY_COMMANDS.get(folded)
        if command == "sv:cancel" and self.survey.expects_free_text(state) and folded == "huy":
            command = None  # "Huy" is a common given name; "hủy" with its accent still cancels
            if "ủ" in text.casefold():
                command = "sv:cancel"
        if command is not None:
            return await self._payload(command, state, key)
        # several numbers at once ("4, 2", "1 3", "1 và 3"): several ticks of a several-choice
        # question
        numbers = several_numbers(text)
        if numbers is not None and state.buttons:
            return await self._numbers(numbers, state, key)
        number = single_number(text)
        chosen = self._choice(number or folded, state.buttons, number is not None)
        # a typed name in a several-choice question is an answer (kept, then on to the next
        # question), while a pressed button or its number only ticks the choice
        if chosen is not None and (number or not self.survey.typed_choice(state, chosen)):
            return await self._payload(chosen.payload, state, key)
        return await self.survey.text(state, text, key, self.clock.now())

    async def _numbers(
        self, numbers: list[str], state: ConversationState, key: ConversationKey
    ) -> list[Reply]:
        """Several numbers typed at once: each ticks its choice of the list the student saw
        (numbers never shift while ticking). Anywhere else, or with a number not on the list,
        the student is asked again."""
        shown = list(state.buttons)
        picks = [self._choice(n, shown, True) for n in numbers]
        chosen = [p for p in picks if p is not None]
        if len(chosen) < len(picks) or not all(self.survey.typed_choice(state, p) for p in chosen):
            note = self.catalog.text(T.NUMBER_OUT_OF_RANGE, count=len(shown))
            if len(chosen) == len(picks):
                note = self.catalog.text(T.SURVEY_PICK_ONE)
            return [Reply(note, tuple(shown))]
        replies: list[Reply] = []
        for payload in dict.fromkeys(p.payload for p in chosen):
            if payload.removeprefix("sv:opt:") in self.survey.selection(state):
                continue  # already ticked: a second tick would untick it
            replies = await self._payload(payload, state, key)
        return replies or await self.survey.payload(state, "sv:resume", key, self.clock.now())

    async def _shared(
        self, shared: dict[str, str], state: ConversationState, key: ConversationKey
    ) -> list[Reply]:
        """Details shared through the platform: an answer only to the question asking for them."""
        answer = self.survey.shared_answer(state, shared)
        if answer is not None:
            return await self._survey_text(answer, state, key)
        note = Reply(self.catalog.text(T.SHARED_NOT_ASKED))
        if self.survey.active(state):
            return [note, *await self.survey.payload(state, "sv:resume", key, self.clock.now())]
        return [self._with_menu(note.text, state)]

    async def _media(
        self, media: str, state: ConversationState, key: ConversationKey
    ) -> list[Reply]:
        """A photo, sticker, voice message… nobody typed: one friendly note, then the waiting
        survey question again (the photo is no answer) or the menu."""
        withheld = media == WITHHELD
        if self.survey.active(state):
            note = self.catalog.text(T.MEDIA_WITHHELD if withheld else T.MEDIA_IN_SURVEY)
            replies = await self.survey.payload(state, "sv:resume", key, self.clock.now())
            return [Reply(note), *replies]
        note = self.catalog.text(T.MEDIA_WITHHELD if withheld else T.MEDIA)
        return [self._with_menu(note, state)]

    async def _text(self, text: str, state: ConversationState, key: ConversationKey) -> list[Reply]:
        text = text.strip()
        hit = self.care.detect(text)  # before anything: commands, button numbers, length
        if hit is not None:
            return self._care(hit, state)
        if not text:
            return [self._with_menu(self.catalog.text(T.EMPTY))]
        if len(text) > MAX_TEXT:
            return [self._with_menu(self.catalog.text(T.TOO_LONG, limit=MAX_TEXT))]
        if not _HAS_WORD.search(text):
            return [self._with_menu(self.catalog.text(T.NO_TEXT))]
        folded = fold(text.removeprefix("/"))
        if any(b.payload == "data:delete" for b in state.buttons):
            # "Bạn muốn xóa dữ liệu?" answered in words: "ok", "có", "xóa đi", "thôi"
            said = True if folded in _DELETE_WORDS else yes_no(text)
            if said is not None:
                return await self._payload("data:delete" if said else "home", state, key)
        command = _COMMANDS.get(folded)
        if command is None and _SURVEY_COMMANDS.get(folded) == "sv:cancel":
            # "hủy" cancels a paused survey too (as "xem dữ liệu" says), asking first
            command = "sv:cancel" if self.survey.resume_button(state) is not None else None
        grade = command is not None and command.startswith("sv:begin:")
        asked = any(b.payload.startswith("sv:begin:") for b in state.buttons)
        if grade and folded in ("9", "12", "lop 9", "lop 12") and not asked:
            command = None  # "9" or "lớp 9" picks a survey only right after the grade question
        if command is not None:
            return await self._payload(command, state, key)
        number = single_number(text)  # "2", " 2 ", "2." pick a choice; "-1" does not
        chosen = self._choice(number or folded, state.buttons, number is not None)
        if chosen is not None:
            return await self._payload(chosen.payload, state, key)
        if number and state.buttons:
            return [
                Reply(
                    self.catalog.text(T.NUMBER_OUT_OF_RANGE, count=len(state.buttons)),
                    tuple(state.buttons),
                )
            ]
        return self._answer(text, state)

    def _care(self, hit: CareHit, state: ConversationState) -> list[Reply]:
        """The care answer. A survey in progress is paused, every answer kept: its button (or
        "tiếp tục") resumes it, so the child's next words are never taken as an answer."""
        # the kind and the patterns of content/safety.yaml that matched, never the message; INFO,
        # not WARNING: `huongnghiep chat` shows warnings in the terminal the child is typing in
        log.info(
            "care answer kind=%s score=%d", hit.kind, hit.score, extra={"evidence": hit.evidence}
        )
        self.survey.pause(state)
        waiting = self.survey.resume_button(state) is not None
        return [care_reply(self.catalog, hit, self.renderer.home_button(), waiting)]

    @staticmethod
    def _choice(folded: str, buttons: list[Button], is_number: bool) -> Button | None:
        """A button picked by its number ("2") or by typing its label."""
        if not buttons:
            return None
        if is_number:
            index = int(folded)
            return buttons[index - 1] if 1 <= index <= len(buttons) else None
        for button in buttons:
            if fold(button.label) == folded:
                return button
        return None

    def match(self, text: str) -> Match | Suggestions | None:
        """The matcher's decision, minus province-specific answers for another province."""
        result = self.matcher.match(text)
        if not isinstance(result, Match) or self._fits_places(result.id, text):
            return result
        for cand in self.matcher.rank(text, limit=8):
            if cand.id.startswith(OUT_OF_SCOPE) or not self._fits_places(cand.id, text):
                continue
            if cand.score >= self.matcher.thresholds.confident:
                return Match(cand.id, cand.label, cand.score)
            return Suggestions((cand,), cand.score)
        return None

    def _fits_places(self, target_id: str, text: str) -> bool:
        """False when an answer is about certain provinces and the message names only others."""
        kind, _, ident = target_id.partition(":")
        faq = self.catalog.faq.get(ident) if kind == "faq" else None
        if faq is None or not faq.provinces:
            return True
        named = self.provinces.mentions(self.matcher.normalize(text))
        if not named:
            return True
        wanted = {fold(p) for p in faq.provinces}
        return any(fold(m.name) in wanted for m in named)

    def _answer(self, text: str, state: ConversationState) -> list[Reply]:
        result = self.match(text)
        if isinstance(result, Match):
            reply = self.answer_reply(text, result)
            if reply is not None:
                self._push(state, result.id)
                return [reply]
        if isinstance(result, Suggestions):
            buttons = tuple(Button(o.label, o.id) for o in result.options)
            return [Reply(self.catalog.text(T.SUGGEST), (*buttons, self.renderer.home_button()))]
        return [self._with_menu(self.catalog.text(T.FALLBACK), state)]

    def answer_reply(self, text: str, match: Match) -> Reply | None:
        """The answer for a confident match, with province facts the question names and the
        close runners-up offered as "Ý bạn là…" buttons."""
        reply = self.menus.screen(match.id, self.clock.now().date())
        if reply is None:
            return None
        lines = [reply.text]
        extra: list[Button] = []
        cat = self.catalog
        for mention in self.provinces.mentions(self.matcher.normalize(text)):
            province = cat.provinces[mention.province_id]
            if mention.former and not (mention.name in reply.text and province.name in reply.text):
                lines.append(
                    cat.text(T.PROVINCE_MERGED, former=mention.name, province=province.name)
                )
            extra.extend(
                Button(s.name, f"school:{s.id}")
                for s in cat.schools.values()
                if s.province == province.id and not s.example and match.id.startswith("faq:")
            )
        for alt in match.close:
            extra.append(Button(cat.text(T.DID_YOU_MEAN, label=alt.label), alt.id))
        seen = {b.payload for b in reply.buttons}
        unique: list[Button] = []
        for button in extra:
            if button.payload not in seen:
                seen.add(button.payload)
                unique.append(button)
        return Reply("\n\n".join(lines), (*unique[:4], *reply.buttons))

    def _with_menu(self, text: str, state: ConversationState | None = None) -> Reply:
        """A message followed by the main menu's buttons."""
        menu = self.menus.main() if state is None else self._main(state)
        return Reply(text, menu.buttons)


@dataclass(frozen=True)
class AskResult:
    """What `huongnghiep ask --json` prints."""

    matched: bool
    id: str | None
    score: float
    answer: str
    suggestions: list[str]


def ask(engine: Engine, text: str) -> AskResult:
    """One question answered without conversation state (for the CLI and tools)."""
    text = clean_input(text)  # what Inbound does for every channel
    hit = engine.care.detect(text)
    if hit is not None:
        return AskResult(False, None, 0.0, care_text(engine.catalog, hit), [])
    result = engine.match(text)
    if isinstance(result, Match):
        reply = engine.answer_reply(text, result)
        if reply is not None:
            return AskResult(True, result.id, result.score, reply.text, [])
    if isinstance(result, Suggestions):
        return AskResult(
            False,
            None,
            result.score,
            engine.catalog.text(T.SUGGEST),
            [o.label for o in result.options],
        )
    return AskResult(False, None, 0.0, engine.catalog.text(T.FALLBACK), [])
