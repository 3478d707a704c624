"""Telegram (python-telegram-bot 22): PTB is the transport, our aiohttp app is the server.

Webhook mode when a public URL is configured (our route checks the secret token in constant
time), long polling otherwise. Buttons become inline keyboards whose callback data is the core's
short payload; text is HTML-escaped and split at paragraphs under 4,096 characters. Each
update_id is handled once, even if Telegram sends it again.

Private chats talk to the core; a photo, sticker, voice message… without a caption reaches it as
media (a caption is read as text). A webhook request is authenticated first (the secret header's
bytes, in constant time: 403), then its body must be a JSON update whose read fields have their
documented types (telegram_shape): anything else gets 400 and a WARNING line, never a 500.

Groups are for school staff only: `/link CODE` (a one-time code from `huongnghiep school link`)
links a group to its school, new leads are posted there by the outbox, and `/leads` answers with
the school's list as a CSV document. Anything else said in a group is ignored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import logging
import re
from typing import Any

from aiohttp import web
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import ChatMigrated, TelegramError
from telegram.ext import AIORateLimiter, Application, ContextTypes, TypeHandler

from bot.catalog.text_keys import T
from bot.channels.base import (
    Malformed,
    clean_text,
    header_bytes,
    parse_json,
    same_secret,
    split_text,
)
from bot.channels.handoff_desk import COUNSELLORS, CounsellorDesk
from bot.channels.telegram_handoff import group_message
from bot.channels.telegram_shape import MEDIA_KINDS, check_update
from bot.core.engine import Engine
from bot.core.flows.parent_view import SHARE
from bot.core.flows.parent_words import parent_code
from bot.core.messages import VERIFIED_PHONE, Inbound, Reply
from bot.leads.delivery import LEAD_UPDATED, LEAD_WITHDRAWN, Delivery, Gone
from bot.leads.export import VIETNAM, as_lines, to_csv
from bot.leads.records import lead_dict
from bot.settings import Settings
from bot.storage.events import SeenEvents
from bot.storage.schools import LINK_CODE_PATTERN, Principal, SchoolStore

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
GROUPS = ("group", "supergroup")
LINK_COMMANDS = ("link", "lienket", "start")  # /start CODE comes from a t.me/...?startgroup= link
# "/name@bot argument": linear (disjoint classes; one separator, then the rest, stripped later)
_COMMAND = re.compile(r"^/([A-Za-z0-9_]+)(?:@([A-Za-z0-9_]+))?(?:\s(.*))?\Z", re.DOTALL)
GROUP_EXPORT_TOKEN = 0  # export_log.token_id of a list sent to a linked Telegram group


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
        if len(b.payload.encode("utf-8")) <= MAX_CALLBACK_BYTES and b.payload != SHARE
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def share_keyboard(reply: Reply) -> ReplyKeyboardMarkup | None:
    """parentsafe: "agree and share my phone" as Telegram's request for the user's own contact
    (a reply keyboard: inline buttons cannot ask for it), when the reply offers it."""
    share = next((b for b in reply.buttons if b.payload == SHARE), None)
    if share is None:
        return None
    button = KeyboardButton(share.label, request_contact=True)
    return ReplyKeyboardMarkup([[button]], resize_keyboard=True, one_time_keyboard=True)


def own_contact(message: Any) -> str | None:
    """parentsafe: the phone of a contact the sender shared of themselves (its user id is the
    sender's: Telegram vouches for it), with its "+"; None for anyone else's contact."""
    contact, sender = message.contact, message.from_user
    if contact is None or sender is None or contact.user_id != sender.id:
        return None
    phone = clean_text(contact.phone_number or "").strip()
    return phone if phone.startswith("+") else f"+{phone}"


class TelegramChannel:
    """The adapter around a PTB Application built without its own web server."""

    name = CHANNEL

    def __init__(
        self, settings: Settings, engine: Engine, seen: SeenEvents, schools: SchoolStore
    ) -> None:
        assert settings.telegram_bot_token
        self.settings = settings
        self.engine = engine
        self.catalog = engine.catalog
        self.seen = seen
        self.schools = schools
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
        self.desk: CounsellorDesk | None = None  # handoff (issue 12): set by the web app

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
                # start_polling deletes any webhook first (getUpdates refuses to run beside one)
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
        """POST /webhooks/telegram: 403 unless the secret token matches; 400 for a body that is
        not an update (Telegram retries it a limited number of times and shows the error in
        getWebhookInfo, where an operator sees it)."""
        if not same_secret(header_bytes(request, SECRET_HEADER), webhook_secret(self.settings)):
            return web.Response(status=403)
        try:
            data = parse_json(await request.read())
            check_update(data)
        except Malformed as exc:
            log.warning("telegram: webhook refused a malformed update: %s", exc)
            return web.Response(status=400)
        try:
            update = Update.de_json(data, self.app.bot)
        except Exception as exc:  # PTB's parsers raise many kinds on fields we do not read
            log.warning("telegram: PTB cannot parse an update: %s", type(exc).__name__)
            return web.Response(status=400)
        await self.app.update_queue.put(update)
        return web.Response(status=200)

    async def _on_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if not await self.seen.first(CHANNEL, str(update.update_id)):
            return  # sent again by Telegram: already handled
        chat = update.effective_chat
        if chat is not None and chat.type in GROUPS:
            await self._on_group(update)
            return
        inbound = self._inbound(update)
        if inbound is None:
            return
        if inbound.text in ("/leads", "/link", "/lienket"):
            await self._post(inbound.user_key, self.catalog.text(T.STAFF_GROUP_ONLY))
            return
        if update.callback_query is not None:
            try:
                await update.callback_query.answer()
            except TelegramError as exc:
                log.info("telegram: answerCallbackQuery: %s", type(exc).__name__)
        replies = await self.engine.handle(inbound)
        await self.send(int(inbound.user_key), replies)

    def _inbound(self, update: Update) -> Inbound | None:
        query = update.callback_query
        if query is not None and query.message is not None:
            payload = clean_text(query.data or "")
            return Inbound(CHANNEL, str(query.message.chat.id), payload=payload)
        message = update.message
        if message is None or message.chat.type != "private":
            return None
        chat_id = str(message.chat.id)
        text = message.text or message.caption
        phone = own_contact(message)
        if phone is not None and not text:
            return Inbound(CHANNEL, chat_id, shared=((VERIFIED_PHONE, phone),))
        if not text:
            media = next((kind for kind in MEDIA_KINDS if getattr(message, kind, None)), None)
            if media is not None:
                return Inbound(CHANNEL, chat_id, media=media)
            if message.text is None:
                return None  # a service message (a pin, a timer): nothing anyone said
            text = ""
        text = clean_text(text)
        command, argument = self._command(text)
        if command == "start" and parent_code(argument or "") is not None:
            # parent (issue 12): t.me/<bot>?start=PHABCD2345 opens a parent's confirmation
            return Inbound(CHANNEL, chat_id, text=argument)
        if command == "start":
            # "/start CODE" comes from a t.me/<bot>?start=CODE link (a poster's QR code)
            return Inbound(CHANNEL, chat_id, payload="start")
        if command is not None:
            text = f"/{command}"  # "/menu@our_bot" is "/menu"
        return Inbound(CHANNEL, chat_id, text=text)

    async def send(self, chat_id: int, replies: list[Reply]) -> None:
        """Each reply as HTML-escaped text in pieces under 4,096 characters; buttons on the
        last piece."""
        for reply in replies:
            pieces = split_text(html.escape(reply.text, quote=False), MAX_TEXT)
            for index, piece in enumerate(pieces):
                markup: Any = keyboard(reply) if index == len(pieces) - 1 else None
                if not await self._send_html(chat_id, piece, markup):
                    return
            asking = share_keyboard(reply)
            if asking is not None:  # parentsafe: the request for the parent's own phone
                hint = html.escape(self.catalog.text(T.PARENT_SHARE_KEYBOARD), quote=False)
                if not await self._send_html(chat_id, hint, asking):
                    return

    async def _send_html(self, chat_id: int, text: str, markup: Any) -> bool:
        """One HTML message with its keyboard; False (logged) when Telegram refused it."""
        try:
            await self.app.bot.send_message(
                chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup
            )
        except TelegramError as exc:
            log.warning("telegram: sendMessage failed: %s", type(exc).__name__)
            return False
        return True

    # -- school staff groups -----------------------------------------------------------------

    async def _on_group(self, update: Update) -> None:
        """A staff group: link it, or send its school's list; stay quiet otherwise."""
        message = update.message
        if message is None:
            return  # a button or an edit in a group: nothing for us
        chat_id = str(message.chat.id)
        if message.migrate_to_chat_id is not None:
            await self.schools.move_chat(CHANNEL, chat_id, str(message.migrate_to_chat_id))
            return
        command, argument = self._command(message.text or "")
        # -- handoff (issue 12): the counsellors' group; only /link keeps its meaning there --
        if (
            self.desk is not None
            and command not in ("link", "lienket")
            and await self.desk.is_group(chat_id)
        ):
            await self.desk.from_group(group_message(message, command))
            return
        if command == "leads":
            await self._send_leads(chat_id)
        elif (command in LINK_COMMANDS and argument) or (
            command is None and LINK_CODE_PATTERN.search(message.text or "")
        ):
            await self._link(chat_id, argument or message.text or "")
        elif command in ("link", "lienket"):
            await self._post(chat_id, self.catalog.text(T.STAFF_LINK_USAGE))

    def _command(self, text: str) -> tuple[str | None, str]:
        """("leads", "") for "/leads@our_bot"; (None, "") for text or another bot's command."""
        match = _COMMAND.match(text.strip())
        if match is None:
            return None, ""
        name, addressee, argument = match.groups()
        if addressee and addressee.lower() != (self.app.bot.username or "").lower():
            return None, ""
        return name.lower(), (argument or "").strip()

    async def _link(self, chat_id: str, text: str) -> None:
        now = dt.datetime.now(dt.UTC)
        linked = await self.schools.redeem_link_code(text, CHANNEL, chat_id, now)
        if linked is None:
            await self._post(chat_id, self.catalog.text(T.STAFF_LINK_INVALID))
            return
        if linked.school_id == COUNSELLORS:  # handoff (issue 12): the counsellors' group
            log.info("telegram: counsellors' group linked")
            await self._post(chat_id, self.catalog.text(T.HANDOFF_GROUP_LINKED))
            return
        log.info("telegram: staff group linked", extra={"school": linked.school_id})
        name = self.catalog.school_name(linked.school_id)
        said = [self.catalog.text(T.STAFF_LINKED, school=name)]
        if linked.replaced_school:
            old = self.catalog.school_name(linked.replaced_school)
            said.append(self.catalog.text(T.STAFF_LINK_REPLACED_SCHOOL, school=old))
        await self._post(chat_id, "\n\n".join(said))
        if linked.previous_chat and linked.previous_chat != chat_id:
            await self._post(
                linked.previous_chat, self.catalog.text(T.STAFF_LINK_MOVED, school=name)
            )

    async def _send_leads(self, chat_id: str) -> None:
        """The linked school's active leads as a CSV document; nothing for any other chat."""
        school_id = await self.schools.school_for_chat(CHANNEL, chat_id)
        if school_id is None:
            await self._post(chat_id, self.catalog.text(T.STAFF_NOT_LINKED))
            return
        name = self.catalog.school_name(school_id)
        records = await self.schools.leads(school_id)
        if not records:
            await self._post(chat_id, self.catalog.text(T.STAFF_LEADS_EMPTY, school=name))
            return
        now = dt.datetime.now(dt.UTC)
        local = now.astimezone(VIETNAM)
        caption = self.catalog.text(
            T.STAFF_LEADS_CAPTION, school=name, count=len(records), time=f"{local:%H:%M %d/%m/%Y}"
        )
        try:
            await self.app.bot.send_document(
                int(chat_id),
                document=to_csv([lead_dict(r, self.catalog) for r in records]),
                filename=f"hoc-sinh-{school_id}-{local:%Y%m%d-%H%M}.csv",
                caption=caption[:1024],
            )
        except TelegramError as exc:
            log.warning("telegram: sendDocument failed: %s", type(exc).__name__)
            return
        principal = Principal(GROUP_EXPORT_TOKEN, "telegram_group", school_id)
        await self.schools.log_export(principal, "csv", len(records), None, now)

    async def _post(self, chat_id: str, text: str) -> None:
        await self.send(int(chat_id), [Reply(text)])

    async def deliver_lead(self, delivery: Delivery) -> str | None:
        """The outbox's `telegram` delivery: a new lead as a message in the school's group, or
        a one-line note that a lead was withdrawn. None when sent, an error to retry later;
        Gone when the school has no group."""
        school_id = delivery.school_id
        chat_id = await self.schools.chat_for_school(school_id, CHANNEL)
        if chat_id is None:
            raise Gone("no linked Telegram group")
        if delivery.event == LEAD_WITHDRAWN:
            key = (
                T.STAFF_LEAD_ERASED if delivery.reason == "data_erased" else T.STAFF_LEAD_WITHDRAWN
            )
            body = self.catalog.text(key, lead=delivery.lead_id)
        else:
            assert delivery.record is not None
            lines = as_lines(lead_dict(delivery.record, self.catalog))
            # parent (issue 12): a corrected lead comes again, saying so
            heading_key = (
                T.STAFF_LEAD_UPDATED if delivery.event == LEAD_UPDATED else T.STAFF_NEW_LEAD
            )
            heading = self.catalog.text(heading_key, school=self.catalog.school_name(school_id))
            body = "\n".join([heading, "", *lines])[: MAX_TEXT - 200]  # room for the escapes
        text = html.escape(body, quote=False)
        try:
            try:
                await self.app.bot.send_message(int(chat_id), text, parse_mode=ParseMode.HTML)
            except ChatMigrated as moved:  # the group became a supergroup
                await self.schools.move_chat(CHANNEL, chat_id, str(moved.new_chat_id))
                await self.app.bot.send_message(moved.new_chat_id, text, parse_mode=ParseMode.HTML)
        except TelegramError as exc:
            return f"telegram: {type(exc).__name__}"
        return None
