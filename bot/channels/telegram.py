"""Telegram (python-telegram-bot 22): PTB is the transport, our aiohttp app is the server.

Webhook mode when a public URL is configured (our route checks the secret token in constant
time), long polling otherwise. Buttons become inline keyboards whose callback data is the core's
short payload; text is HTML-escaped and split at paragraphs under 4,096 characters. Each
update_id is handled once, even if Telegram sends it again.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import logging
from typing import Any

from aiohttp import web
from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ContextTypes, TypeHandler

from bot.channels.base import split_text
from bot.core.engine import Engine
from bot.core.messages import Inbound, Reply
from bot.settings import Settings
from bot.storage.events import SeenEvents

log = logging.getLogger(__name__)

CHANNEL = "telegram"
MAX_TEXT = 4096
MAX_CALLBACK_BYTES = 64
WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
COMMANDS = [
    ("start", "Bắt đầu"),
    ("menu", "Trang chủ"),
    ("khaosat", "Khảo sát nguyện vọng"),
    ("xoadulieu", "Xóa dữ liệu của tôi"),
]


def webhook_secret(settings: Settings) -> str:
    """The configured secret, or one derived from the bot token (stable across processes)."""
    if settings.telegram_webhook_secret:
        return settings.telegram_webhook_secret
    assert settings.telegram_bot_token
    digest = hashlib.sha256(f"huongnghiep:{settings.telegram_bot_token}".encode()).hexdigest()
    return digest[:64]


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """One button per row (Vietnamese labels are long); payloads over 64 bytes are left out."""
    rows = [
        [InlineKeyboardButton(b.label, callback_data=b.payload)]
        for b in reply.buttons
        if len(b.payload.encode("utf-8")) <= MAX_CALLBACK_BYTES
    ]
    return InlineKeyboardMarkup(rows) if rows else None


class TelegramChannel:
    """The adapter around a PTB Application built without its own web server."""

    name = CHANNEL

    def __init__(self, settings: Settings, engine: Engine, seen: SeenEvents) -> None:
        assert settings.telegram_bot_token
        self.settings = settings
        self.engine = engine
        self.seen = seen
        base = settings.telegram_api_base
        builder = (
            Application.builder()
            .token(settings.telegram_bot_token)
            .base_url(f"{base}/bot")
            .base_file_url(f"{base}/file/bot")
            .rate_limiter(AIORateLimiter(max_retries=3))
        )
        if self.webhook_mode:
            builder = builder.updater(None)
        self.app = builder.build()
        self.app.add_handler(TypeHandler(Update, self._on_update))
        self.state = "stopped"

    @property
    def webhook_mode(self) -> bool:
        return bool(self.settings.public_url)

    async def connect(self) -> None:
        try:
            await self.app.initialize()
            await self.app.bot.set_my_commands([BotCommand(c, d) for c, d in COMMANDS])
            if self.webhook_mode:
                await self.app.bot.set_webhook(
                    f"{self.settings.public_url}{WEBHOOK_PATH}",
                    secret_token=webhook_secret(self.settings),
                    allowed_updates=["message", "callback_query"],
                )
                await self.app.start()
                self.state = "webhook"
            else:
                assert self.app.updater is not None
                await self.app.bot.delete_webhook()
                await self.app.updater.start_polling(allowed_updates=["message", "callback_query"])
                await self.app.start()
                self.state = "polling"
        except TelegramError as exc:
            log.error("telegram: cannot connect: %s", type(exc).__name__)
            self.state = "error"

    async def disconnect(self) -> None:
        try:
            if self.app.updater is not None and self.app.updater.running:
                await self.app.updater.stop()
            if self.app.running:
                await self.app.stop()
            await self.app.shutdown()
        except TelegramError as exc:
            log.warning("telegram: shutdown: %s", type(exc).__name__)
        self.state = "stopped"

    async def webhook(self, request: web.Request) -> web.Response:
        """POST /webhooks/telegram: 403 unless the secret token matches."""
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), webhook_secret(self.settings).encode()):
            return web.Response(status=403)
        try:
            data = await request.json()
            update = Update.de_json(data, self.app.bot)
        except (ValueError, KeyError, TypeError):
            return web.Response(status=400)
        if update is not None:
            await self.app.update_queue.put(update)
        return web.Response(status=200)

    async def _on_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if not await self.seen.first(CHANNEL, str(update.update_id)):
            return  # sent again by Telegram: already handled
        inbound = self._inbound(update)
        if inbound is None:
            return
        if update.callback_query is not None:
            try:
                await update.callback_query.answer()
            except TelegramError as exc:
                log.info("telegram: answerCallbackQuery: %s", type(exc).__name__)
        replies = await self.engine.handle(inbound)
        await self.send(int(inbound.user_key), replies)

    @staticmethod
    def _inbound(update: Update) -> Inbound | None:
        query = update.callback_query
        if query is not None and query.message is not None:
            return Inbound(CHANNEL, str(query.message.chat.id), payload=query.data or "")
        message = update.message
        if message is None or message.chat.type != "private":
            return None
        return Inbound(CHANNEL, str(message.chat.id), text=message.text or "")

    async def send(self, chat_id: int, replies: list[Reply]) -> None:
        """Each reply as HTML-escaped text in pieces under 4,096 characters; buttons on the
        last piece."""
        for reply in replies:
            pieces = split_text(html.escape(reply.text, quote=False), MAX_TEXT)
            for index, piece in enumerate(pieces):
                markup: Any = keyboard(reply) if index == len(pieces) - 1 else None
                try:
                    await self.app.bot.send_message(
                        chat_id, piece, parse_mode=ParseMode.HTML, reply_markup=markup
                    )
                except TelegramError as exc:
                    log.warning("telegram: sendMessage failed: %s", type(exc).__name__)
                    return
