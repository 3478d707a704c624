"""What a child says right after a care answer: heard with care, not read as anything else.

A care answer opens a short window (a few messages, half an hour). In it, a message the care
model finds troubling at a lower bar than usual (`AFTER_CARE_PROBABILITY`) gets a short caring
reply with the help lines instead of being taken by the flow or the matcher ("e so lam" was read
as a trade name), and a message nothing else answers gets that reply instead of the cold
"câu này mình chưa trả lời được" ("e ko sao dau"). Buttons still work, so a child who wants to
go on does.

The bar: 0.5 gave 2 of 473 ordinary questions (questions.yaml, real_dev.yaml) and reaches
"e so lam" (0.78), "e on, e chi ngoi hong gio thoi" (0.64); outside the window nothing changes.
"""

from __future__ import annotations

import datetime as dt

from bot.core.ports import ConversationState

KEY = "care_after"  # in ConversationState.data: {"at": iso time, "left": messages}
MESSAGES = 3  # typed messages heard with care after a care answer
WINDOW = dt.timedelta(minutes=30)
AFTER_CARE_PROBABILITY = 0.5


def opened(state: ConversationState, now: dt.datetime) -> None:
    """A care answer was just given: the next messages are heard with care."""
    state.data[KEY] = {"at": now.isoformat(), "left": MESSAGES}


def spend(state: ConversationState, now: dt.datetime) -> bool:
    """Whether this typed message falls in the window; counts it, and closes the window after
    the last message or when it has passed."""
    raw = state.data.get(KEY)
    if not isinstance(raw, dict):
        return False
    try:
        at = dt.datetime.fromisoformat(str(raw.get("at")))
        left = int(raw.get("left", 0))
    except (TypeError, ValueError):
        state.data.pop(KEY, None)
        return False
    if left <= 0 or now - at > WINDOW or now < at:
        state.data.pop(KEY, None)
        return False
    if left == 1:
        state.data.pop(KEY, None)
    else:
        raw["left"] = left - 1
    return True
