"""A fake Zalo Bot Platform API (bot-api.zaloplatforms.com/bot<TOKEN>/<method>) on 127.0.0.1.

Records every call; `updates` is what getUpdates hands out; `errors[method]` makes the next
call of that method fail with {"ok": false, "error_code": N}. `message`, `media_message` and
`unsupported` build updates as the platform sends them: `{"event_name": "message.<kind>.received",
"message": {...}}` (the event names come from a third-party copy of Zalo's docs: UNVERIFIED).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.fakes import base_url, serve_post


@dataclass
class FakeZaloBotApi:
    token: str = "zbot-test-token"
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    updates: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    errors: dict[str, int] = field(default_factory=dict)
    slow: list[float] = field(default_factory=list)  # seconds to hold the next sendMessage calls
    server: TestServer | None = None
    sent: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def base_url(self) -> str:
        return base_url(self.server)

    def texts(self, chat_id: str | None = None) -> list[str]:
        return [
            body["text"]
            for method, body in self.calls
            if method == "sendMessage" and (chat_id is None or body["chat_id"] == chat_id)
        ]

    async def handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401}, status=401)
        method = request.match_info["method"]
        body = await request.json() if request.can_read_body else {}
        if method == "sendMessage" and self.slow:
            await asyncio.sleep(self.slow.pop(0))  # a slow network: recorded when it arrives
        self.calls.append((method, body))
        if method in self.errors:
            return web.json_response({"ok": False, "error_code": self.errors.pop(method)})
        if method == "getMe":
            return web.json_response({"ok": True, "result": {"id": "1", "account_name": "bot"}})
        if method == "getUpdates":
            try:
                update = await asyncio.wait_for(self.updates.get(), timeout=0.5)
            except TimeoutError:
                return web.json_response({"ok": True, "result": []})
            return web.json_response({"ok": True, "result": update})
        if method == "sendMessage":
            self.sent.set()
            return web.json_response({"ok": True, "result": {"message_id": f"m{len(self.calls)}"}})
        return web.json_response({"ok": True, "result": True})

    async def start(self) -> FakeZaloBotApi:
        self.server = await serve_post("/bot{token}/{method}", self.handle)
        return self

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()

    async def wait_texts(self, count: int, timeout: float = 10.0) -> list[str]:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while len(self.texts()) < count:
                self.sent.clear()
                await self.sent.wait()
        return self.texts()


def message(chat_id: str, text: str, message_id: str, chat_type: str = "PRIVATE") -> dict[str, Any]:
    """An incoming text message as the platform sends it."""
    return {
        "event_name": "message.text.received",
        "message": {
            "chat": {"id": chat_id, "chat_type": chat_type},
            "text": text,
            "message_id": message_id,
            "date": 1766619597466,
            "from": {"id": chat_id, "first_name": "An"},
        },
    }


_MEDIA_FIELDS: dict[str, dict[str, Any]] = {
    "image": {"photo": "https://photo-stal-1.zadn.vn/w1280/abc.jpg"},
    "sticker": {"sticker": "d063f44dc80821567819", "url": "https://zalo-api.zadn.vn/sticker"},
    "voice": {"voice": "https://voice-stal-1.zadn.vn/abc.aac"},
}


def media_message(
    chat_id: str,
    kind: str,
    message_id: str,
    caption: str | None = None,
    chat_type: str = "PRIVATE",
) -> dict[str, Any]:
    """An image, sticker or voice message (event `message.<kind>.received`), no text."""
    update = message(chat_id, "", message_id, chat_type)
    update["event_name"] = f"message.{kind}.received"
    body = update["message"]
    del body["text"]
    body.update(_MEDIA_FIELDS.get(kind, {}))
    if caption is not None:
        body["caption"] = caption
    return update


def unsupported(chat_id: str, message_id: str, chat_type: str = "PRIVATE") -> dict[str, Any]:
    """What the platform sends instead of the content for protected users (such as minors)."""
    update = message(chat_id, "", message_id, chat_type)
    update["event_name"] = "message.unsupported.received"
    del update["message"]["text"]
    return update
