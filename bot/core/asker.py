"""Who is writing: a parent says so ("Tôi là phụ huynh của cháu…", "con tôi học xong lớp 9…"),
and is then addressed as "anh/chị" (reviewer review3, C8: parents were answered as "bạn").

The answers are written for the learner ("bạn thuộc diện được miễn học phí"); the first answer
a parent gets says so once ("“bạn” trong các câu trả lời là cháu"), and the bot's own words around
the answers (asking back, "chưa trả lời được") address the parent. Nothing else is kept: the
conversation state holds "parent" until the conversation's data is deleted. Pure, no regular
expressions: folded word sequences.
"""

from __future__ import annotations

from bot.core.ports import ConversationState
from bot.matching.normalize import fold

KEY = "asker"  # in ConversationState.data: "parent" once a parent has said so
PARENT = "parent"
NOTE = "asker_note"  # the note that answers speak to the learner: due with the next answer
# folded word sequences only a parent writes about their child ("con" alone is also how a child
# speaks of itself to an elder: "con muốn học nghề"; "phụ huynh" alone is also asked about)
_SIGNS = tuple(
    tuple(s.split())
    for s in (
        "toi la phu huynh",
        "minh la phu huynh",
        "em la phu huynh",
        "la phu huynh cua",
        "phu huynh hoc sinh day",
        "toi la me",
        "toi la bo",
        "toi la ba",
        "la me cua chau",
        "la bo cua chau",
        "con toi",
        "con cua toi",
        "con nha toi",
        "con gai toi",
        "con trai toi",
        "chau nha toi",
        "chau nha minh",
        "con gai minh",
        "con trai minh",
        "con gai nha minh",
        "con trai nha minh",
        "vo chong toi",
        "gia dinh toi co chau",
        "cho chau nha",
        "lo cho chau",
        "toi lo cho con",
        "toi rat lo cho con",
    )
)


def writes_as_parent(text: str) -> bool:
    """Whether a message says its writer is a parent (or speaks of "my child")."""
    words = fold(text).split()
    for sign in _SIGNS:
        n = len(sign)
        if any(tuple(words[i : i + n]) == sign for i in range(len(words) - n + 1)):
            return True
    return False


def heard(state: ConversationState, text: str) -> bool:
    """Reads a typed message; True when it is the first to show a parent writing (the note is
    then due with the next answer)."""
    if state.data.get(KEY) == PARENT or not writes_as_parent(text):
        return False
    state.data[KEY] = PARENT
    state.data[NOTE] = True
    return True


def note_due(state: ConversationState) -> bool:
    """Whether the note is still to be said (once: True the first time only)."""
    return state.data.pop(NOTE, None) is True


def is_parent(state: ConversationState) -> bool:
    """Whether a parent writes in this conversation."""
    return state.data.get(KEY) == PARENT
