"""create_app(settings, catalog): the aiohttp application with typed AppKeys."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.catalog import Catalog
from bot.channels import webchat
from bot.channels.handoff_desk import CounsellorDesk, Wakeups
from bot.channels.telegram import WEBHOOK_PATH as TELEGRAM_PATH
from bot.channels.telegram import TelegramChannel
from bot.channels.telegram_handoff import TelegramCounsellorGroup
from bot.channels.zalo_bot import CHANNEL as ZALO_BOT_CHANNEL
from bot.channels.zalo_bot import WEBHOOK_PATH as ZALO_BOT_PATH
from bot.channels.zalo_bot import ZaloBotChannel
from bot.channels.zalo_oa import CHANNEL as ZALO_OA_CHANNEL
from bot.channels.zalo_oa import WEBHOOK_PATH as ZALO_OA_PATH
from bot.channels.zalo_oa import ZaloOAChannel
from bot.core.engine import Engine
from bot.core.flows.handoff_hours import OfficeHours
from bot.core.history import RecordingEngine
from bot.core.memory import MemoryConversationStore
from bot.core.messages import Reply
from bot.core.ports import ConversationStore, LeadSink, ParentLinks
from bot.core.unanswered import QuestionLog
from bot.leads.outbox import OutboxWorker, RetryPolicy
from bot.leads.parent import ParentReminders
from bot.matching.targets import build_matcher
from bot.settings import Settings
from bot.storage.access import AccessStore  # portal
from bot.storage.conversations import SqlConversationStore
from bot.storage.db import make_engine
from bot.storage.events import SeenEvents
from bot.storage.handoffs import HandoffStore
from bot.storage.lead_status import LeadStatusStore  # portal
from bot.storage.leads import SqlLeadSink
from bot.storage.participation import ParticipationStore
from bot.storage.retention import purge
from bot.storage.schools import SchoolStore
from bot.storage.unanswered import SqlQuestionLog
from bot.web import errors, events, portal
from bot.web.auth import Auth  # portal
from bot.web.dashboard import Dashboard  # dashboard (issue 12, deliver 5)
from bot.web.parent_web import web_sender  # portal2
from bot.web.portal_pages import SchoolPortal  # portal

log = logging.getLogger(__name__)

ENGINE = web.AppKey("engine", Engine)
DB = web.AppKey("db", AsyncEngine)
SETTINGS = web.AppKey("settings", Settings)
SCHOOLS = web.AppKey("schools", SchoolStore)
OUTBOX = web.AppKey("outbox", OutboxWorker)
ZALO_BOT = web.AppKey("zalo_bot", ZaloBotChannel)
TELEGRAM = web.AppKey("telegram", TelegramChannel)
ZALO_OA = web.AppKey("zalo_oa", ZaloOAChannel)
AUTH = web.AppKey("auth", Auth)  # portal: the web pages' sign-in (the dashboard reuses it)
PURGE_EVERY = 3600.0  # seconds between retention purges
HANDOFFS = web.AppKey("handoffs", HandoffStore)  # handoff (issue 12)
DESK = web.AppKey("desk", CounsellorDesk)
WAKEUPS = web.AppKey("wakeups", Wakeups)
# -- parent (issue 12) --
PARENT_LINKS = web.AppKey("parent_links", ParentLinks)
PARENT_REMINDERS = web.AppKey("parent_reminders", ParentReminders)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


async def security_headers(_request: web.Request, response: web.StreamResponse) -> None:
    """Headers every response carries: no sniffing, no framing, a strict CSP. Set as the
    response is prepared, so streamed responses (lead exports) and raised errors get them too."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("Content-Security-Policy", _CSP)


_STATIC_FILES = frozenset(
    p.relative_to(webchat.STATIC_DIR).as_posix()
    for p in webchat.STATIC_DIR.rglob("*")
    if p.is_file()
)


async def static_file(request: web.Request) -> web.FileResponse:
    """A file of the page (a known name only: a missing file is a JSON 404 like any other)."""
    path = request.match_info["path"]
    if path not in _STATIC_FILES:
        raise web.HTTPNotFound()
    return web.FileResponse(webchat.STATIC_DIR / path)


def build_engine(
    catalog: Catalog,
    store: ConversationStore | None = None,
    leads: LeadSink | None = None,
    questions: QuestionLog | None = None,
) -> Engine:
    """The conversation engine over the catalog (in-memory state unless a store is given);
    it keeps the web chat's recent turns, so a reloaded page shows them again, and the
    questions it could not answer when a log is given."""
    store = store or MemoryConversationStore()
    matcher = build_matcher(catalog)
    channels = (webchat.CHANNEL,)
    return RecordingEngine(
        catalog, matcher, store, leads=leads, questions=questions, channels=channels
    )


def outbox_worker(settings: Settings, db: AsyncEngine, catalog: Catalog) -> OutboxWorker:
    """The outbox worker configured from settings."""
    policy = RetryPolicy(
        max_attempts=settings.retry_max_attempts,
        base_seconds=settings.retry_base,
        timeout_seconds=settings.webhook_timeout,
    )
    return OutboxWorker(db, catalog, policy, poll_seconds=settings.outbox_poll)


async def _purge_loop(settings: Settings, db: AsyncEngine) -> None:
    while True:
        try:
            await purge(db, dt.datetime.now(dt.UTC), settings.retention_months)
        except Exception:
            log.exception("retention purge failed")
        await asyncio.sleep(PURGE_EVERY)


def _parent_senders(app: web.Application) -> None:
    """Parent (issue 12): the channels that can remind a student, and the Telegram bot's
    name for t.me links (known once the channel is connected)."""
    reminders = app[PARENT_REMINDERS]
    if TELEGRAM in app:
        telegram = app[TELEGRAM]
        try:
            app[PARENT_LINKS].telegram = telegram.app.bot.username
        except RuntimeError:  # the bot could not be initialized: no t.me link for now
            app[PARENT_LINKS].telegram = None

        async def to_telegram(user: str, replies: list[Reply]) -> str | None:
            await telegram.send(int(user), replies)
            return None

        reminders.senders["telegram"] = to_telegram
    if ZALO_BOT in app:
        zalo_bot = app[ZALO_BOT]

        async def to_zalo_bot(user: str, replies: list[Reply]) -> str | None:
            await zalo_bot.send(user, replies)
            return None

        reminders.senders[ZALO_BOT_CHANNEL] = to_zalo_bot
    if ZALO_OA in app:
        zalo_oa = app[ZALO_OA]

        async def to_zalo_oa(user: str, replies: list[Reply]) -> str | None:
            await zalo_oa.send(user, replies)
            return None

        reminders.senders[ZALO_OA_CHANNEL] = to_zalo_oa
    # portal2: a web chat student finds the reminder in the page's history and event stream
    reminders.senders[webchat.CHANNEL] = web_sender(app[ENGINE], app[HANDOFFS], app[WAKEUPS])


def create_app(
    settings: Settings, catalog: Catalog, engine: Engine | None = None
) -> web.Application:
    """The application: page at /, POST /api/chat, GET /healthz.

    The database must be migrated already (`serve` does it first). Conversation state lives in
    the database unless an engine with its own store is passed (tests).
    """
    app = web.Application(middlewares=[errors.json_errors], client_max_size=64 * 1024)
    app.on_response_prepare.append(security_headers)
    db = make_engine(settings.db_url)
    app[SETTINGS] = settings
    app[DB] = db
    # parent (issue 12): where a parent opens the bot with a code (Telegram: once it runs)
    links = ParentLinks(web=settings.public_url)
    app[PARENT_LINKS] = links
    # only schools switched on receive leads (task directory)
    sink = SqlLeadSink(db, ParticipationStore(db), links)
    questions = SqlQuestionLog(db)  # what the bot could not answer (bot/core/unanswered.py)
    app[ENGINE] = engine or build_engine(catalog, SqlConversationStore(db), sink, questions)
    app[PARENT_REMINDERS] = ParentReminders(db, catalog)
    app[SCHOOLS] = SchoolStore(db)
    app[OUTBOX] = outbox_worker(settings, db, catalog)
    seen = SeenEvents(db)
    if settings.zalo_oa_enabled:
        app[ZALO_OA] = ZaloOAChannel(settings, app[ENGINE], seen, db)
    if settings.zalo_bot_token:
        app[ZALO_BOT] = ZaloBotChannel(settings, app[ENGINE], seen)
    if settings.telegram_bot_token:
        app[TELEGRAM] = TelegramChannel(settings, app[ENGINE], seen, app[SCHOOLS])
        app[OUTBOX].deliverers["telegram"] = app[TELEGRAM].deliver_lead
    _handoff(app, settings)

    async def background(app: web.Application) -> AsyncIterator[None]:
        # background tasks kept in a set, cancelled and awaited at shutdown; then the pool goes
        tasks = {
            asyncio.create_task(app[OUTBOX].run(), name="outbox"),
            asyncio.create_task(_purge_loop(settings, db), name="retention"),
            asyncio.create_task(app[PARENT_REMINDERS].run(), name="parent-reminders"),
        }
        channels: list[ZaloBotChannel | TelegramChannel | ZaloOAChannel] = []
        if ZALO_BOT in app:
            channels.append(app[ZALO_BOT])
        if TELEGRAM in app:
            channels.append(app[TELEGRAM])
        if ZALO_OA in app:
            channels.append(app[ZALO_OA])
        for channel in channels:
            await channel.connect()
        if DESK in app:  # handoff (issue 12): the idle timer
            tasks.add(asyncio.create_task(app[DESK].run(), name="handoff"))
        _parent_senders(app)  # parent (issue 12)
        yield
        for channel in channels:
            await channel.disconnect()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await db.dispose()

    app.cleanup_ctx.append(background)

    async def chat(request: web.Request) -> web.Response:
        return await webchat.handle_chat(request, request.app[ENGINE])

    async def history(request: web.Request) -> web.Response:
        return await webchat.handle_history(request, request.app[ENGINE])

    async def healthz(request: web.Request) -> web.Response:
        try:
            async with db.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError) as exc:
            log.warning("health check: database unreachable: %s", type(exc).__name__)
            return web.json_response({"status": "error", "database": "unreachable"}, status=503)
        channels = {"web": "ok"}
        if ZALO_BOT in request.app:
            channels[ZALO_BOT_CHANNEL] = request.app[ZALO_BOT].state
        if TELEGRAM in request.app:
            channels["telegram"] = request.app[TELEGRAM].state
        if ZALO_OA in request.app:
            channels[ZALO_OA_CHANNEL] = request.app[ZALO_OA].state
        return web.json_response(
            {
                "status": "ok",
                "database": "ok",
                "outbox": request.app[OUTBOX].state,
                "channels": channels,
            }
        )

    async def leads(request: web.Request) -> web.StreamResponse:
        return await portal.leads(request, request.app[SCHOOLS], catalog)

    app.router.add_get("/", webchat.index)
    app.router.add_post("/api/chat", chat)
    app.router.add_get("/api/chat/history", history)

    async def chat_events(request: web.Request) -> web.StreamResponse:  # handoff (issue 12)
        return await events.stream(
            request,
            request.app[HANDOFFS],
            request.app[WAKEUPS],
            settings.events_stream_seconds,
            settings.events_poll,
        )

    app.router.add_get("/api/chat/events", chat_events)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/api/leads", leads)
    if ZALO_BOT in app:
        app.router.add_post(ZALO_BOT_PATH, app[ZALO_BOT].webhook)
    if TELEGRAM in app:
        app.router.add_post(TELEGRAM_PATH, app[TELEGRAM].webhook)
    if ZALO_OA in app:
        app.router.add_post(ZALO_OA_PATH, app[ZALO_OA].webhook)
    # -- portal (issue 12, deliver 4): /dang-nhap, /dang-xuat, /truong --
    app[AUTH] = Auth(settings, catalog, AccessStore(db))
    app[AUTH].register(app.router)
    SchoolPortal(app[AUTH], catalog, LeadStatusStore(db)).register(app.router)
    Dashboard(app[AUTH], catalog, db).register(app.router)  # dashboard: /so
    app.router.add_get("/static/{path:.+}", static_file)
    return app


def _handoff(app: web.Application, settings: Settings) -> None:
    """Handoff (issue 12): the pushes' store; with Telegram, the counsellors' desk, whose
    replies reach students on every configured channel."""
    app[HANDOFFS] = HandoffStore(app[DB])
    app[WAKEUPS] = Wakeups()
    if TELEGRAM not in app:
        return
    desk = CounsellorDesk(
        app[ENGINE],
        app[HANDOFFS],
        app[SCHOOLS],
        TelegramCounsellorGroup(app[TELEGRAM].app.bot),
        OfficeHours.parse(settings.handoff_hours),
        dt.timedelta(minutes=settings.handoff_idle_minutes),
    )
    desk.wakeups = app[WAKEUPS]
    telegram = app[TELEGRAM]
    telegram.desk = desk

    async def to_telegram(user: str, replies: list[Reply]) -> None:
        await telegram.send(int(user), replies)

    desk.senders["telegram"] = to_telegram
    if ZALO_OA in app:
        desk.senders[ZALO_OA_CHANNEL] = app[ZALO_OA].send
    if ZALO_BOT in app:
        desk.senders[ZALO_BOT_CHANNEL] = app[ZALO_BOT].send
    app[DESK] = desk
