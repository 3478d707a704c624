"""Questions the bot could not answer, kept so that people can answer them next time.

A typed question the bot asks back about ("Ý bạn là…?") or cannot answer is noted during the
turn in the conversation's state; when the student then presses one of the options offered, that
choice is noted too (what they meant, in their own words: a label for the matcher's training
data). After the turn, outside the conversation's lock, the engine hands the notes to a
`QuestionLog` (the database's: bot/storage/unanswered.py), where `huongnghiep questions` lists
them and exports them, for a person to review, in the format of content/train (README, "What the
bot could not answer").

Kept: the question with phone numbers, e-mail addresses and long digit runs masked, what was
offered and what was chosen. Never kept: a message the care detector finds troubling even at
its lower after-care bar, or any message right after a care answer; a question the bot points
elsewhere as out of scope (it knows the topic); fewer than MIN_WORDS words nothing answers
(chatter); anything typed at a flow's personal question (flows read those before the matcher
does); anything when no log is configured (`huongnghiep ask`, `chat`). The first question kept
in a conversation is said in the reply, once. The rows are deleted with the user's data
("xóa dữ liệu của tôi") and by retention.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from bot.core.messages import ConversationKey, Reply
from bot.core.ports import ConversationState
from bot.logs import mask_phones

log = logging.getLogger(__name__)

ASKED, DECLINED = "asked", "declined"  # asked back with options; nothing answered it
MARK = "unanswered"  # in ConversationState.data: the last such question's note
TOLD = "unanswered_told"  # in ConversationState.data: the user was told questions are kept
MIN_WORDS = 4  # a question nothing answers is kept from this many words (fewer: chatter)
CHOICE_WINDOW = dt.timedelta(minutes=30)  # a press later than this is not read as the meaning
# linear: a match starts only where a run of address characters starts, and each part is
# bounded (tests/test_regex_linear.py)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}")
# six digits or more with at most one space, dot or dash between two (an id card, an account);
# a separator is never a digit, so each character has one way to match
_DIGITS = re.compile(r"(?<!\d)\d(?:[\s.-]?\d){5,}")


def masked(text: str) -> str:
    """The question as kept: phone numbers (last two digits kept, as in the logs), e-mail
    addresses and runs of six digits or more masked."""
    return _DIGITS.sub("***", _EMAIL.sub("***@***", mask_phones(text)))


@dataclass(frozen=True)
class Noted:
    """A question to keep."""

    id: str
    key: ConversationKey
    at: dt.datetime
    text: str
    kind: str  # ASKED | DECLINED
    offered: tuple[str, ...]


@dataclass(frozen=True)
class Chosen:
    """The option a student pressed after the question `id` was asked back."""

    id: str
    chosen: str
    at: dt.datetime


class QuestionLog(Protocol):
    """Where noted questions and choices go (the database; none for the CLI's ask)."""

    async def keep(self, noted: Sequence[Noted], chosen: Sequence[Chosen]) -> None: ...


def note(state: ConversationState, text: str, offered: Sequence[str], now: dt.datetime) -> bool:
    """A question was asked back about (`offered`: the options' ids) or not answered (none).
    Kept unless it is a few words nothing answers (chatter: "kkkk", "messi hay ronaldo"). True
    when it is the first kept in this conversation: the reply then says so, once."""
    kind = ASKED if offered else DECLINED
    if kind == DECLINED and len(text.split()) < MIN_WORDS:
        return False
    state.data[MARK] = {
        "id": uuid.uuid4().hex,
        "at": now.isoformat(),
        "offered": list(offered),
        "new": {"text": masked(text), "kind": kind},
    }
    first = not state.data.get(TOLD)
    state.data[TOLD] = True
    return first


def told(replies: list[Reply], notice: str | None) -> list[Reply]:
    """The replies, the last one saying `notice` (that the question is kept) when given."""
    if notice is None or not replies:
        return replies
    last = replies[-1]
    return [*replies[:-1], replace(last, text=f"{last.text}\n\n{notice}")]


def chose(state: ConversationState, payload: str, now: dt.datetime) -> None:
    """A button was pressed: one of the options of the last question asked back, soon after,
    and the first such press, is what the student meant."""
    mark = state.data.get(MARK)
    if not isinstance(mark, dict) or mark.get("chosen") or payload not in _offered(mark):
        return
    try:
        at = dt.datetime.fromisoformat(str(mark.get("at")))
    except ValueError:
        return
    if dt.timedelta(0) <= now - at <= CHOICE_WINDOW:
        mark["chosen"] = payload
        mark["chosen_new"] = now.isoformat()


def _offered(mark: dict[str, Any]) -> list[Any]:
    """A mark's options (none when the state holds something else there)."""
    offered = mark.get("offered")
    return offered if isinstance(offered, list) else []


def collect(state: ConversationState, key: ConversationKey) -> tuple[list[Noted], list[Chosen]]:
    """After a turn: what it noted, for the log; the state keeps only the id, the options and
    the choice (the question's text leaves it)."""
    mark = state.data.get(MARK)
    if not isinstance(mark, dict) or not isinstance(mark.get("id"), str):
        state.data.pop(MARK, None)  # (a state written otherwise than here: nothing to note)
        return [], []
    noted: list[Noted] = []
    chosen: list[Chosen] = []
    new: Any = mark.pop("new", None)
    try:
        at = dt.datetime.fromisoformat(str(mark.get("at")))
    except ValueError:
        state.data.pop(MARK, None)
        return [], []
    if isinstance(new, dict) and isinstance(new.get("text"), str):
        offered = tuple(str(o) for o in _offered(mark))
        kind = str(new.get("kind", DECLINED))
        noted.append(Noted(mark["id"], key, at, new["text"], kind, offered))
    if not _offered(mark):  # nothing to choose from: nothing more to note
        state.data.pop(MARK, None)
    picked = mark.pop("chosen_new", None)
    if isinstance(picked, str):
        when = dt.datetime.fromisoformat(picked)
        chosen.append(Chosen(mark["id"], str(mark.get("chosen")), when))
    return noted, chosen


async def hand_over(questions: QuestionLog, noted: list[Noted], chosen: list[Chosen]) -> None:
    """After a turn: its notes to the log. A failure there is logged, never the user's problem
    (the reply is sent; a question not kept is a lost example, not lost data of theirs)."""
    if not (noted or chosen):
        return
    try:
        await questions.keep(noted, chosen)
    except Exception:
        log.exception("unanswered questions not kept")
