"""Small talk the matcher reads poorly, and an answer asked for twice in a row (answers task).

Read from typed text that no flow's question took, through the flows' command hook:
- thanks in a few extra words the matcher is unsure of ("ok bro thanks" got "Ý bạn là…?"):
  the engine's own thanks; a greeting with whom it greets ("chao ad", "Xin chào, cho tôi hỏi
  một chút được không ạ?"): the engine's own greeting;
- a phone number with a request to be called ("0912.345.678 goi cho e nhe"): the bot calls
  nobody; the reply says so and offers the intention survey, where a student chooses a school
  and agrees to send it their number. The number in that message is not kept: the payload does
  not carry it and nothing here stores it;
- the same answer twice in a row (review3 W9: three GDTX questions, one paragraph three times):
  a question whose confident answer is the FAQ answer the previous turn showed (the top of the
  navigation stack, pushed since the last typed message, and its related entries are the buttons
  on screen) gets a short note and that answer's related entries instead of the same text again.
  Asked a third time, the answer itself comes again (the note pushed nothing). Not when either
  question names a place: the answer then carries that place's facts, so its text differs.
"""

from __future__ import annotations

from typing import Any

from bot.catalog.models import related_payload
from bot.catalog.text_keys import T
from bot.core.flows.base import Flow, Tools, Turn, choice
from bot.core.flows.menus import COUNSELLOR
from bot.core.messages import Button, Reply
from bot.core.numbers import single_number
from bot.core.ports import ConversationState
from bot.logs import mask_phones
from bot.matching.matcher import Match
from bot.matching.normalize import fold
from bot.matching.words import words

PREFIX = "talk:"
CALL = "talk:call"
AGAIN = "talk:again:"
SEEN_KEY = "answers_seen"  # ConversationState.data: the navigation stack at the last typed text
MAX_WORDS = 8  # longer messages are questions, not small talk
THANKS_ANSWER = "faq:cam_on"

# words that may come with thanks in small talk (folded); one of THANKS must be there
_FILLERS = frozenset(
    "ok oke okay oki okie okela uk uh um vang da ok bro sis ad admin bot ban nha nhe nhen nhaa "
    "a ah ak nhieu lam you u e em minh toi chau con nhe nhiu much so very thi roi hieu".split()
)
_THANKS = frozenset("thanks thank thankss tks thx camon cmon".split())
# a greeting with whom it greets and a "may I ask" ("chao ad", "Xin chào, cho tôi hỏi một chút
# được không ạ?" got "chưa trả lời được": a reviewer); the engine's own list has the bare words
_GREETINGS = frozenset("hi hello helo hellu alo allo hey halo chao".split())
_GREETING_FILLERS = frozenset(
    "xin ad admin ban bot oi a ah ak nhe nha nhen moi nguoi mn ca cac anh chi em e mk mik minh "
    "toi chau con co thay buoi sang trua chieu cho hoi mot chut ti xiu duoc dc khong ko k hk "
    "voi".split()
)
_THANKS_PAIRS = (("cam", "on"), ("cam", "ta"))
_CALL_WORDS = (
    "goi cho",
    "goi lai",
    "goi dien",
    "goi e",
    "goi em",
    "goi minh",
    "goi toi",
    "goi chau",
    "goi con",
    "goi giup",
    "goi nhe",
    "goi nha",
    "lien he lai",
    "lien lac",
    "call",
    "zalo",
)


def thanks_only(text: str) -> bool:
    """Whether a message is thanks with a few filler words and nothing else."""
    folded = [w.text for w in words(text) if not w.digit]
    if not folded or len(folded) > MAX_WORDS or len(folded) < len(words(text)):
        return False
    thanked = any(w in _THANKS for w in folded)
    rest: list[str] = []
    i = 0
    while i < len(folded):
        if tuple(folded[i : i + 2]) in _THANKS_PAIRS:
            thanked, i = True, i + 2
            continue
        rest.append(folded[i])
        i += 1
    return thanked and all(w in _THANKS or w in _FILLERS for w in rest)


def greeting_only(text: str) -> bool:
    """Whether a message is a greeting with whom it greets and "may I ask", and nothing else."""
    folded = [w.text for w in words(text)]
    if not folded or len(folded) > MAX_WORDS + 2:
        return False
    greeted = any(w in _GREETINGS for w in folded)
    return greeted and all(w in _GREETINGS or w in _GREETING_FILLERS for w in folded)


def asks_for_a_call(text: str) -> bool:
    """Whether a message holds a phone number and asks to be called (or says little else).
    The number is found by the logs' own mask (bot.logs), which is tested for linear time."""
    masked = mask_phones(text)
    if masked == text:
        return False
    rest = [w.text for w in words(masked) if not w.digit]
    padded = f" {' '.join(rest)} "
    return len(rest) <= 2 or any(f" {w} " in padded for w in _CALL_WORDS)


def _flow_running(state: ConversationState) -> bool:
    return any(isinstance(v, dict) and v.get("active") for v in state.data.values())


class SmallTalk(Flow):
    """No question of its own: typed small talk becomes a payload, pressed like a button."""

    prefixes = (PREFIX,)

    def __init__(self, tools: Tools) -> None:
        self.catalog = tools.catalog
        self.r = tools.renderer
        self.matcher = tools.matcher
        self.provinces = tools.provinces

    def raw_command(self, text: str, state: ConversationState) -> str | None:
        """Thanks, a request to be called, or the same answer again; None for the rest. Notes
        the navigation stack seen, to tell next time whether the last turn showed an answer."""
        previous = state.data.get(SEEN_KEY)
        # a place named makes an answer's text the place's (merged provinces, schools there)
        places = bool(self.provinces.mentions(self.matcher.normalize(text)))
        state.data[SEEN_KEY] = {"screens": list(state.screens[-3:]), "places": places}
        folded = fold(text.removeprefix("/"))
        if thanks_only(text):
            # the matcher's own thanks answer ("em cảm ơn ạ") stays its own; anything else it
            # reads ("ok bro thanks" as the answer to "ok") gives way to the thanks
            found = self.matcher.match(text)
            if not (isinstance(found, Match) and found.id == THANKS_ANSWER):
                return "thanks"
        if _flow_running(state):
            return None
        if greeting_only(text):
            return "start"
        if asks_for_a_call(text):
            return CALL
        if places or (isinstance(previous, dict) and previous.get("places")):
            return None
        return self._again(text, folded, state, previous)

    def _again(self, text: str, folded: str, state: ConversationState, previous: Any) -> str | None:
        """AGAIN + the answer's id when this question gets the answer the last turn showed."""
        if not state.screens or not state.screens[-1].startswith("faq:"):
            return None
        if isinstance(previous, dict) and previous.get("screens") == state.screens[-3:]:
            return None  # no answer was shown since the last typed message
        number = single_number(text)
        if choice(number or folded, state.buttons, number is not None) is not None:
            return None  # a button picked by number or name
        faq = self.catalog.faq.get(state.screens[-1].removeprefix("faq:"))
        offered = {b.payload for b in state.buttons}
        if faq is None or not {related_payload(r) for r in faq.related} <= offered:
            return None  # the last reply did not show that answer (thanks, the menu since)
        result = self.matcher.match(text)
        if isinstance(result, Match) and result.id == state.screens[-1]:
            return AGAIN + result.id
        return None

    async def payload(self, payload: str, turn: Turn) -> list[Reply]:
        t = self.r.t
        if payload == CALL:
            survey = Button(t(T.MENU_SURVEY), "survey:start")
            counsellor = Button(t(T.MENU_COUNSELLOR), COUNSELLOR)
            return [Reply(t(T.TALK_NO_CALLS), (survey, counsellor, self.r.home_button()))]
        ident = payload.removeprefix(AGAIN).removeprefix("faq:")
        faq = self.catalog.faq.get(ident)
        if not payload.startswith(AGAIN) or faq is None:
            return [Reply(t(T.UNKNOWN_BUTTON), (self.r.home_button(),))]
        related = []
        for rel in faq.related:
            target = related_payload(rel)
            label = self.r.label_for(target)
            if label is not None:
                related.append(Button(label, target))
        key = T.TALK_AGAIN if related else T.TALK_AGAIN_NOTHING
        counsellor = Button(t(T.MENU_COUNSELLOR), COUNSELLOR)
        return [Reply(t(key, question=faq.question), (*related, counsellor, self.r.home_button()))]
