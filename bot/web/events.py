"""GET /api/chat/events?session=…: server-sent events for a web chat page (handoff, issue 12).

Messages that reach a page after its last request (a counsellor's reply, the end of a handoff)
are stored as pushes; this stream sends each as an `event: replies` whose data has the shape of
POST /api/chat's body, with its id, so a page that reconnects (EventSource does it by itself,
sending Last-Event-ID) misses nothing and sees nothing twice. 204 when the session has no open
handoff and nothing waiting (EventSource then stops); `event: end` once the handoff is closed
and everything was sent; a stream ends after `events_stream_seconds` and the page reconnects.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re

from aiohttp import web

from bot.channels.handoff_desk import Wakeups
from bot.channels.webchat import CHANNEL
from bot.core.messages import ConversationKey
from bot.storage.handoffs import HandoffStore

_SESSION_RE = re.compile(r"[A-Za-z0-9_-]{8,64}")
_EVENT_ID = re.compile(r"[0-9]{1,15}")
RETRY_MS = 1500  # how soon the browser reconnects after a stream ends
HEARTBEAT = 15.0  # seconds between comments that keep proxies from closing a quiet stream
GRACE = 3.0  # seconds a stream stays after its handoff closed, for the closing message


def _bad(message: str) -> web.Response:
    return web.json_response({"error": message}, status=400)


def _event(push_id: int, body: dict[str, object]) -> bytes:
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return f"id: {push_id}\nevent: replies\ndata: {data}\n\n".encode()


async def stream(
    request: web.Request,
    handoffs: HandoffStore,
    wakeups: Wakeups,
    seconds: float,
    poll: float,
) -> web.StreamResponse:
    """The event stream of one page."""
    session = request.query.get("session", "")
    if not _SESSION_RE.fullmatch(session):
        return _bad("Thiếu mã phiên (session) hợp lệ: 8-64 ký tự chữ, số, - hoặc _.")
    given = request.headers.get("Last-Event-ID", "") or request.query.get("after", "")
    if given and not _EVENT_ID.fullmatch(given):
        return _bad("Mã sự kiện (Last-Event-ID) không hợp lệ.")
    key = ConversationKey(CHANNEL, session)
    last = int(given) if given else await handoffs.last_push(session)
    pending = await handoffs.pushes(session, last)
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=GRACE)
    if not pending and not await handoffs.live(key, since):
        return web.Response(status=204)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",  # nginx: pass each event on at once
        }
    )
    live = await handoffs.open_for(key) is not None
    await response.prepare(request)
    try:
        # the id, even without an event, is the page's Last-Event-ID when it reconnects: what
        # arrives between two streams is sent by the next one
        await response.write(f"retry: {RETRY_MS}\nid: {last}\n\n".encode())
        await _send(response, handoffs, wakeups, key, last, pending, live, seconds, poll)
    except ConnectionResetError:
        pass  # the page went away; it reconnects (or not) by itself
    return response


async def _send(
    response: web.StreamResponse,
    handoffs: HandoffStore,
    wakeups: Wakeups,
    key: ConversationKey,
    last: int,
    pending: list[tuple[int, dict[str, object]]],
    live: bool,
    seconds: float,
    poll: float,
) -> None:
    """Events until the handoff has ended (and its last messages went out) or time is up."""
    session = key.user_key
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    beat = loop.time() + HEARTBEAT
    ending: float | None = None
    while True:
        for push_id, body in pending:
            await response.write(_event(push_id, body))
            last = push_id
        now = loop.time()
        if not live:
            ending = ending if ending is not None else now + GRACE
            if now >= ending:
                await response.write(b"event: end\ndata: {}\n\n")
                break
        if now >= deadline:
            break  # the page reconnects with Last-Event-ID
        if now >= beat:
            await response.write(b": ping\n\n")
            beat = now + HEARTBEAT
        limit = ending if ending is not None else deadline
        await wakeups.wait(session, max(0.0, min(poll, limit - now, beat - now)))
        pending = await handoffs.pushes(session, last)
        if live:
            live = await handoffs.open_for(key) is not None
