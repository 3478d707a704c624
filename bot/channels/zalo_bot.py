"""Zalo Bot Platform: webhook (X-Bot-Api-Secret-Token) or long polling; text only.

Choices go out as a numbered list and come back as a number or a label (the core accepts both).
Replies longer than 2,000 characters are split. Every message_id is handled once.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Any

import aiohttp
from aiohttp import web

from bot.catalog.text_keys import T
from bot.channels.base import BackgroundTasks, numbered_text, split_text
from bot.core.engine import Engine
from bot.core.messages import Inbound, Reply
from bot.settings import Settings
from bot.storage.events import SeenEvents

log = logging.getLogger(__name__)

CHANNEL = "zalo_bot"
MAX_TEXT = 2000
WEBHOOK_PATH = "/webhooks/zalo-bot"
SECRET_HEADER = "X-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
POLL_TIMEOUT = 30  # seconds the server may hold a getUpdates call


class ZaloBotError(Exception):
    """The Bot API answered ok: false or an HTTP error."""


class ZaloBotChannel:
    """The adapter: connect() sets the webhook or starts polling; the route feeds the engine."""

    name = CHANNEL

    def __init__(self, settings: Settings, engine: Engine, seen: SeenEvents) -> None:
        assert settings.zalo_bot_token
        self.settings = settings
        self.engine = engine
        self.seen = seen
        self.api = f"{settings.zalo_bot_api_base}/bot{settings.zalo_bot_token}"
        self.hint = engine.catalog.text(T.NUMBER_HINT)
        self.http: aiohttp.ClientSession | None = None
        self.tasks = BackgroundTasks()
        self.state = "stopped"

    @property
    def webhook_mode(self) -> bool:
        return bool(self.settings.public_url and self.settings.zalo_bot_secret)

    async def connect(self) -> None:
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=POLL_TIMEOUT + 10))
        try:
            await self.call("getMe")
            if self.webhook_mode:
                url = f"{self.settings.public_url}{WEBHOOK_PATH}"
                await self.call(
                    "setWebhook", {"url": url, "secret_token": self.settings.zalo_bot_secret}
                )
                self.state = "webhook"
            else:
                self.tasks.spawn(self._poll())
                self.state = "polling"
        except (ZaloBotError, aiohttp.ClientError, TimeoutError) as exc:
            log.error("zalo bot: cannot connect: %s", exc)
            self.state = "error"

    async def disconnect(self) -> None:
        await self.tasks.cancel()
        if self.http is not None:
            await self.http.close()
        self.state = "stopped"

    async def call(self, method: str, body: dict[str, Any] | None = None) -> Any:
        """One Bot API call; the `result`, or ZaloBotError."""
        assert self.http is not None
        async with self.http.post(f"{self.api}/{method}", json=body or {}) as response:
            try:
                data = await response.json(content_type=None)
            except ValueError as exc:
                raise ZaloBotError(f"{method}: HTTP {response.status}, not JSON") from exc
        if not isinstance(data, dict) or not data.get("ok"):
            code = data.get("error_code") if isinstance(data, dict) else None
            raise ZaloBotError(f"{method}: HTTP {response.status}, error {code}")
        return data.get("result")

    # -- inbound --------------------------------------------------------------------------------

    async def webhook(self, request: web.Request) -> web.Response:
        """POST /webhooks/zalo-bot: checked, deduplicated, answered at once, handled after."""
        secret = self.settings.zalo_bot_secret or ""
        given = request.headers.get(SECRET_HEADER, "")
        if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
            return web.json_response({"ok": False}, status=403)
        try:
            update = await request.json()
        except ValueError:
            return web.json_response({"ok": False, "error": "bad json"}, status=400)
        message = _message(update)
        if message is None:
            return web.json_response({"ok": True})  # not a message: nothing to do
        if await self.seen.first(CHANNEL, str(message["message_id"])):
            self.tasks.spawn(self._answer(message), user=str(message["chat"]["id"]))
        return web.json_response({"ok": True})

    async def _poll(self) -> None:
        backoff = 1.0
        while True:
            try:
                result = await self.call("getUpdates", {"timeout": POLL_TIMEOUT})
                backoff = 1.0
                self.state = "polling"
            except (ZaloBotError, aiohttp.ClientError, TimeoutError) as exc:
                log.warning("zalo bot: getUpdates failed: %s", exc)
                self.state = "error"
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60)
                continue
            updates = result if isinstance(result, list) else [result] if result else []
            for update in updates:
                message = _message(update)
                if message is not None and await self.seen.first(
                    CHANNEL, str(message["message_id"])
                ):
                    await self._answer(message)

    async def _answer(self, message: dict[str, Any]) -> None:
        chat_id = str(message["chat"]["id"])
        text = message.get("text")
        if not isinstance(text, str):
            text = ""  # a sticker or photo: the core answers empty input politely
        replies = await self.engine.handle(Inbound(CHANNEL, chat_id, text=text))
        await self.send(chat_id, replies)

    async def send(self, chat_id: str, replies: list[Reply]) -> None:
        """Each reply as numbered text, split to the platform's limit."""
        for reply in replies:
            for piece in split_text(
                numbered_text(reply, self.hint if reply.buttons else None), MAX_TEXT
            ):
                try:
                    await self.call("sendMessage", {"chat_id": chat_id, "text": piece})
                except (ZaloBotError, aiohttp.ClientError, TimeoutError) as exc:
                    log.warning("zalo bot: sendMessage failed: %s", exc)
                    return


def _message(update: Any) -> dict[str, Any] | None:
    """The message of an update, with or without a `result` wrapper; None if there is none."""
    if isinstance(update, dict) and isinstance(update.get("result"), dict):
        update = update["result"]
    message = update.get("message") if isinstance(update, dict) else None
    if not isinstance(message, dict):
        return None
    chat = message.get("chat")
    if not isinstance(chat, dict) or "id" not in chat or "message_id" not in message:
        return None
    return message
