"""The parent reminder for a web chat student (portal2, issue 12): a web page cannot be written
to when it is closed, so the reminder is kept in the conversation's history (shown when the
student comes back) and pushed to the page's event stream (GET /api/chat/events: shown at once
on a page that listens)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bot.channels.handoff_desk import Wakeups
from bot.channels.webchat import CHANNEL, reply_json
from bot.core.engine import Engine
from bot.core.history import History, RecordingEngine
from bot.core.messages import ConversationKey, Inbound, Reply
from bot.leads.parent import Sender
from bot.storage.handoffs import HandoffStore


def web_sender(
    engine: Engine,
    handoffs: HandoffStore,
    wakeups: Wakeups,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> Sender:
    """A ParentReminders sender for the web chat."""

    async def send(user_key: str, replies: list[Reply]) -> str | None:
        key = ConversationKey(CHANNEL, user_key)
        async with engine.store.open(key) as state:
            if isinstance(engine, RecordingEngine):
                History(engine.catalog).record(
                    state, Inbound(CHANNEL, user_key), [], replies, False
                )
            state.buttons = list(replies[-1].buttons)
        await handoffs.push(user_key, reply_json(replies), now())
        wakeups.wake(user_key)
        return None

    return send
