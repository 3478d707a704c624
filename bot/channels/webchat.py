"""Web chat: POST /api/chat (the JSON contract) and the mobile-first page."""

from __future__ import annotations

import json
import logging
import mimetypes
import re
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from aiohttp import web

from bot.core.engine import Engine
from bot.core.history import turns
from bot.core.messages import ConversationKey, Inbound, Reply
from bot.core.ports import ConversationState

log = logging.getLogger(__name__)

CHANNEL = "web"
STATIC_DIR = Path(__file__).resolve().parent.parent / "web" / "static"
MAX_BODY = 16 * 1024  # a chat message never needs more
_SESSION_RE = re.compile(r"[A-Za-z0-9_-]{8,64}")  # fullmatch: "…\n" is no session
TOO_LARGE = "Tin nhắn quá lớn."
mimetypes.add_type("application/manifest+json", ".webmanifest")


def button_json(label: str, payload: str, role: str | None) -> dict[str, str]:
    """A button of the contract; `role` ("primary", "destructive") only when it has one."""
    return {"label": label, "payload": payload, **({"role": role} if role else {})}


def card_json(text: str, title: str | None, source: str | None) -> dict[str, str] | None:
    """A card's parts, when the reply is one: its title, its text without the title and the
    source line (each shown once), and the source without its lead-in ("📄 Căn cứ: ")."""
    if not title:
        return None
    paragraphs = text.split("\n\n")
    if paragraphs and paragraphs[0] == title:
        paragraphs = paragraphs[1:]
    card = {"title": title}
    if source and source in paragraphs:
        paragraphs.remove(source)
        head, colon, rest = source.partition(": ")
        card["source"] = rest if colon and len(head) <= 24 and rest else source
    card["body"] = "\n\n".join(paragraphs)
    return card


def _reply(
    text: str, buttons: list[dict[str, str]], card: dict[str, str] | None
) -> dict[str, object]:
    return {"text": text, "buttons": buttons, **({"card": card} if card else {})}


def reply_json(replies: list[Reply]) -> dict[str, object]:
    """The contract's response body; a reply may add "card" and a button "role" (additions a
    client may ignore: "text" is always the whole message)."""
    return {
        "replies": [
            _reply(
                r.text,
                [button_json(b.label, b.payload, b.role) for b in r.buttons],
                card_json(r.text, r.title, r.source),
            )
            for r in replies
        ]
    }


def history_json(entries: list[dict[str, Any]]) -> dict[str, object]:
    """GET /api/chat/history's body: the kept turns, oldest first, each "me" or "bot"."""
    turns: list[dict[str, object]] = []
    last = len(entries) - 1
    for i, entry in enumerate(entries):
        text = str(entry.get("text", ""))
        if entry.get("who") != "bot":
            turns.append({"who": "me", "text": text})
            continue
        buttons = [  # an older reply's buttons are stale: only the last reply offers any
            button_json(str(b[0]), str(b[1]), str(b[2]) or None)
            for b in (entry.get("buttons") or [] if i == last else [])
            if isinstance(b, list) and len(b) == 3
        ]
        card = card_json(text, entry.get("title"), entry.get("source"))
        turns.append({"who": "bot", **_reply(text, buttons, card)})
    return {"turns": turns}


@runtime_checkable
class Readable(Protocol):
    """A conversation store that can read a state without a turn (both of ours can)."""

    async def load(self, key: ConversationKey) -> ConversationState: ...


async def handle_history(request: web.Request, engine: Engine) -> web.Response:
    """GET /api/chat/history?session=… -> {turns: [...]}: what a reloaded page shows again."""
    session = request.query.get("session", "")
    if not _SESSION_RE.fullmatch(session):
        return _bad("Thiếu mã phiên (session) hợp lệ: 8-64 ký tự chữ, số, - hoặc _.")
    store = engine.store
    if not isinstance(store, Readable):
        return web.json_response({"turns": []})
    state = await store.load(ConversationKey(CHANNEL, session))
    return web.json_response(history_json(turns(state)))


def _bad(message: str, status: int = 400) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _read_body(request: web.Request) -> bytes | None:
    """The whole body, or None once it passes MAX_BODY (read() may return part of it)."""
    raw = bytearray()
    while len(raw) <= MAX_BODY:
        chunk = await request.content.read(MAX_BODY + 1 - len(raw))
        if not chunk:
            return bytes(raw)
        raw += chunk
    return None


async def handle_chat(request: web.Request, engine: Engine) -> web.Response:
    """POST /api/chat {session, text | payload} -> {replies: [...]}."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        return _bad(TOO_LARGE, 413)
    raw = await _read_body(request)
    if raw is None:
        return _bad(TOO_LARGE, 413)
    try:
        body = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        # ValueError: not UTF-8, not JSON, or an integer of thousands of digits;
        # RecursionError: arrays nested thousands deep
        return _bad("Dữ liệu gửi lên không phải JSON hợp lệ.")
    if not isinstance(body, dict):
        return _bad("Dữ liệu gửi lên phải là một đối tượng JSON.")
    session, text, payload = body.get("session"), body.get("text"), body.get("payload")
    if not isinstance(session, str) or not _SESSION_RE.fullmatch(session):
        return _bad("Thiếu mã phiên (session) hợp lệ: 8-64 ký tự chữ, số, - hoặc _.")
    if text is not None and not isinstance(text, str):
        return _bad("Trường text phải là chuỗi.")
    if payload is not None and (not isinstance(payload, str) or len(payload) > 64):
        return _bad("Trường payload phải là chuỗi ngắn.")
    if text is None and payload is None:
        return _bad("Cần có text hoặc payload.")
    replies = await engine.handle(Inbound(CHANNEL, session, text=text, payload=payload))
    return web.json_response(reply_json(replies))


async def index(_request: web.Request) -> web.FileResponse:
    """The chat page."""
    return web.FileResponse(STATIC_DIR / "index.html")
