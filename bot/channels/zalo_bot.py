"""Zalo Bot Platform: webhook (X-Bot-Api-Secret-Token) or long polling; text only.

Choices go out as a numbered list and come back as a number or a label (the core accepts both).
Replies longer than 2,000 characters are split. Every message_id is handled once. Images (their
caption is read as text), stickers, voice messages… reach the core as media, and
message.unsupported.received (sent instead of the content for protected users such as minors)
as withheld media: both get a short explanation, never silence. A group chat gets, once, a note
that the bot talks in private only; nothing said there reaches the core or is stored.

A webhook request is authenticated first (the secret header's bytes, in constant time: 403);
then a body that is not a JSON object, or a message whose read fields have the wrong type, gets
400 and a WARNING line. A JSON object without a message (an event we do not know) gets 200.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from bot.catalog.text_keys import T
from bot.channels.base import (
    BackgroundTasks,
    Malformed,
    clean_text,
    header_bytes,
    numbered_text,
    parse_json,
    platform_id,
    same_secret,
    split_text,
)
from bot.core.engine import Engine
from bot.core.messages import WITHHELD, Inbound, Reply
from bot.settings import Settings
from bot.storage.events import SeenEvents

log = logging.getLogger(__name__)

CHANNEL = "zalo_bot"
MAX_TEXT = 2000
WEBHOOK_PATH = "/webhooks/zalo-bot"
SECRET_HEADER = "X-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
POLL_TIMEOUT = 30  # seconds the server may hold a getUpdates call
TEXT_EVENT = "message.text.received"
IMAGE_EVENT = "message.image.received"
UNSUPPORTED_EVENT = "message.unsupported.received"  # content withheld (protected users)
# Other event names carry their kind between these (message.sticker.received, …; UNVERIFIED)
EVENT_PREFIX, EVENT_SUFFIX = "message.", ".received"
MEDIA_FIELDS = ("photo", "sticker", "voice", "video", "file", "location")  # without an event name
PRIVATE = "PRIVATE"
MAX_KIND = 32


@dataclass(frozen=True)
class BotMessage:
    """What we read of one incoming message."""

    message_id: str
    chat_id: str
    group: bool  # chat_type other than PRIVATE: no survey, no personal data, nothing stored
    text: str | None  # typed text, or an image's caption
    media: str | None  # "image", "sticker", "voice", … or WITHHELD when there is no text


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
        if not same_secret(header_bytes(request, SECRET_HEADER), secret):
            return web.json_response({"ok": False}, status=403)
        try:
            message = read_update(parse_json(await request.read()))
        except Malformed as exc:
            log.warning("zalo bot: webhook refused a malformed update: %s", exc)
            return web.json_response({"ok": False, "error": "malformed update"}, status=400)
        if message is not None:
            await self._accept(message)
        return web.json_response({"ok": True})

    async def _accept(self, message: BotMessage) -> None:
        """Handle a message once, after the user's earlier ones; a group gets one note ever."""
        if message.group:
            if await self.seen.first(CHANNEL, f"group:{message.chat_id}"):
                note = Reply(self.engine.catalog.text(T.GROUP_PRIVATE_ONLY))
                self.tasks.spawn(self.send(message.chat_id, [note]), user=message.chat_id)
            return
        if await self.seen.first(CHANNEL, message.message_id):
            self.tasks.spawn(self._answer(message), user=message.chat_id)

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
                try:
                    message = read_update(update)
                except Malformed as exc:
                    log.warning("zalo bot: skipped a malformed update: %s", exc)
                    continue
                if message is not None:
                    await self._accept(message)

    async def _answer(self, message: BotMessage) -> None:
        if message.text is not None:
            inbound = Inbound(CHANNEL, message.chat_id, text=message.text)
        else:
            inbound = Inbound(CHANNEL, message.chat_id, media=message.media or WITHHELD)
        replies = await self.engine.handle(inbound)
        await self.send(message.chat_id, replies)

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


def read_update(update: Any) -> BotMessage | None:
    """The message of an update, with or without a `result` wrapper; None for an object that
    carries no message (an event we do not handle); Malformed for anything unreadable."""
    if not isinstance(update, dict):
        raise Malformed("update is not an object")
    if isinstance(update.get("result"), dict):
        update = update["result"]
    message = update.get("message")
    if message is None:
        return None
    if not isinstance(message, dict):
        raise Malformed("message is not an object")
    event = update.get("event_name", message.get("event_name"))
    if event is not None and not isinstance(event, str):
        raise Malformed("event_name is not a string")
    if event is not None and not _message_event(event):
        return None  # not a message someone sent (UNVERIFIED: none is documented yet)
    chat = message.get("chat")
    if not isinstance(chat, dict):
        raise Malformed("chat is not an object")
    chat_type = chat.get("chat_type", PRIVATE)
    if not isinstance(chat_type, str):
        raise Malformed("chat_type is not a string")
    text, media = _content(event, message)
    return BotMessage(
        message_id=platform_id(message.get("message_id"), "message_id"),
        chat_id=platform_id(chat.get("id"), "chat.id"),
        group=chat_type.upper() != PRIVATE,
        text=text,
        media=media,
    )


def _content(event: str | None, message: dict[str, Any]) -> tuple[str | None, str | None]:
    """(text, None) for typed text or an image's caption, else (None, media kind)."""
    text, caption = message.get("text"), message.get("caption")
    for name, value in (("text", text), ("caption", caption)):
        if value is not None and not isinstance(value, str):
            raise Malformed(f"{name} is not a string")
    if event == UNSUPPORTED_EVENT:
        return None, WITHHELD
    if event == TEXT_EVENT or (event is None and text is not None):
        if text is None:
            raise Malformed("a text message without text")
        return clean_text(text), None
    caption = clean_text(caption or "")
    if caption.strip() and (event == IMAGE_EVENT or (event is None and "photo" in message)):
        return caption, None  # a photo's caption is read, as on Telegram
    if event is None:
        return None, next((f for f in MEDIA_FIELDS if f in message), WITHHELD)
    return None, event.removeprefix(EVENT_PREFIX).removesuffix(EVENT_SUFFIX)[:MAX_KIND]


def _message_event(event: str) -> bool:
    """message.<kind>.received, with a plain kind (text, image, sticker, voice, …)."""
    kind = event.removeprefix(EVENT_PREFIX).removesuffix(EVENT_SUFFIX)
    return (
        event.startswith(EVENT_PREFIX)
        and event.endswith(EVENT_SUFFIX)
        and 0 < len(kind) <= MAX_KIND
        and kind.isascii()
        and kind.replace("_", "").isalnum()
    )
