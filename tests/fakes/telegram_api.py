"""A fake Telegram Bot API (api.telegram.org/bot<TOKEN>/<method>) on 127.0.0.1.

Answers what python-telegram-bot calls (form-encoded or JSON parameters) and records every call.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.fakes import base_url, serve_post

BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Hướng nghiệp", "username": "hn_test_bot"}


@dataclass
class FakeTelegramApi:
    token: str = "4242:fake-telegram-token"
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    sent: asyncio.Event = field(default_factory=asyncio.Event)
    server: TestServer | None = None

    @property
    def base_url(self) -> str:
        return base_url(self.server)

    def messages(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        return [
            body
            for method, body in self.calls
            if method == "sendMessage" and (chat_id is None or int(body["chat_id"]) == chat_id)
        ]

    async def handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}
            )
        method = request.match_info["method"]
        if request.content_type == "application/json":
            body: dict[str, Any] = await request.json()
        else:
            body = {}
            for key, value in (await request.post()).items():
                try:
                    body[key] = json.loads(str(value))
                except ValueError:
                    body[key] = str(value)
        self.calls.append((method, body))
        result: Any = True
        if method == "getMe":
            result = BOT_USER
        elif method == "sendMessage":
            result = {
                "message_id": len(self.calls),
                "date": int(time.time()),
                "chat": {"id": int(body["chat_id"]), "type": "private"},
                "text": body.get("text", ""),
            }
            self.sent.set()
        elif method == "getUpdates":
            await asyncio.sleep(0.2)
            result = []
        return web.json_response({"ok": True, "result": result})

    async def start(self) -> FakeTelegramApi:
        self.server = await serve_post("/bot{token}/{method}", self.handle)
        return self

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()

    async def wait_messages(self, count: int, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while len(self.messages()) < count:
                self.sent.clear()
                await self.sent.wait()


def text_update(update_id: int, chat_id: int, text: str) -> dict[str, Any]:
    user = {"id": chat_id, "is_bot": False, "first_name": "An"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": user,
            "text": text,
        },
    }


def button_update(update_id: int, chat_id: int, data: str) -> dict[str, Any]:
    user = {"id": chat_id, "is_bot": False, "first_name": "An"}
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cb{update_id}",
            "from": user,
            "chat_instance": "ci",
            "data": data,
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT_USER,
                "text": "…",
            },
        },
    }
