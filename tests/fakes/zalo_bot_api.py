"""A fake Zalo Bot Platform API (bot-api.zaloplatforms.com/bot<TOKEN>/<method>) on 127.0.0.1.

Records every call; `updates` is what getUpdates hands out; `errors[method]` makes the next
call of that method fail with {"ok": false, "error_code": N}.
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


def message(chat_id: str, text: str, message_id: str) -> dict[str, Any]:
    """An incoming message as the platform sends it."""
    return {
        "message": {
            "chat": {"id": chat_id, "chat_type": "PRIVATE"},
            "text": text,
            "message_id": message_id,
            "date": 1766619597466,
            "from": {"id": chat_id, "first_name": "An"},
        }
    }
