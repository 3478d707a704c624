"""Web chat: POST /api/chat (the JSON contract) and the mobile-first page."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

from aiohttp import web

from bot.core.engine import Engine
from bot.core.messages import Inbound, Reply

log = logging.getLogger(__name__)

CHANNEL = "web"
STATIC_DIR = Path(__file__).resolve().parent.parent / "web" / "static"
MAX_BODY = 16 * 1024  # a chat message never needs more
_SESSION_RE = re.compile(r"[A-Za-z0-9_-]{8,64}")  # fullmatch: "…\n" is no session
TOO_LARGE = "Tin nhắn quá lớn."


def reply_json(replies: list[Reply]) -> dict[str, object]:
    """The contract's response body."""
    return {
        "replies": [
            {
                "text": r.text,
                "buttons": [{"label": b.label, "payload": b.payload} for b in r.buttons],
            }
            for r in replies
        ]
    }


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
