"""create_app(settings, catalog): the aiohttp application with typed AppKeys."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.catalog import Catalog
from bot.channels import webchat
from bot.core.engine import Engine
from bot.core.memory import MemoryConversationStore
from bot.core.ports import ConversationStore
from bot.matching.targets import build_matcher
from bot.settings import Settings
from bot.storage.conversations import SqlConversationStore
from bot.storage.db import make_engine

log = logging.getLogger(__name__)

ENGINE = web.AppKey("engine", Engine)
DB = web.AppKey("db", AsyncEngine)
SETTINGS = web.AppKey("settings", Settings)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Headers every response carries: no sniffing, no framing, a strict CSP."""
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("Content-Security-Policy", _CSP)
    return response


def build_engine(catalog: Catalog, store: ConversationStore | None = None) -> Engine:
    """The conversation engine over the catalog (in-memory state unless a store is given)."""
    return Engine(catalog, build_matcher(catalog), store or MemoryConversationStore())


def create_app(
    settings: Settings, catalog: Catalog, engine: Engine | None = None
) -> web.Application:
    """The application: page at /, POST /api/chat, GET /healthz.

    The database must be migrated already (`serve` does it first). Conversation state lives in
    the database unless an engine with its own store is passed (tests).
    """
    app = web.Application(middlewares=[security_headers], client_max_size=64 * 1024)
    db = make_engine(settings.db_url)
    app[SETTINGS] = settings
    app[DB] = db
    app[ENGINE] = engine or build_engine(catalog, SqlConversationStore(db))

    async def dispose(_app: web.Application) -> None:
        await db.dispose()

    app.on_cleanup.append(dispose)

    async def chat(request: web.Request) -> web.Response:
        return await webchat.handle_chat(request, request.app[ENGINE])

    async def healthz(_request: web.Request) -> web.Response:
        try:
            async with db.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError) as exc:
            log.warning("health check: database unreachable: %s", type(exc).__name__)
            return web.json_response({"status": "error", "database": "unreachable"}, status=503)
        return web.json_response({"status": "ok", "database": "ok"})

    app.router.add_get("/", webchat.index)
    app.router.add_post("/api/chat", chat)
    app.router.add_get("/healthz", healthz)
    app.router.add_static("/static/", webchat.STATIC_DIR, show_index=False)
    return app
