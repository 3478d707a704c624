"""create_app(settings, catalog): the aiohttp application with typed AppKeys."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.catalog import Catalog
from bot.channels import webchat
from bot.core.engine import Engine
from bot.core.memory import MemoryConversationStore
from bot.matching.targets import build_matcher
from bot.settings import Settings

log = logging.getLogger(__name__)

ENGINE = web.AppKey("engine", Engine)
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


def build_engine(catalog: Catalog) -> Engine:
    """The conversation engine over the catalog, with in-memory conversation state."""
    return Engine(catalog, build_matcher(catalog), MemoryConversationStore())


def create_app(
    settings: Settings, catalog: Catalog, engine: Engine | None = None
) -> web.Application:
    """The application: page at /, POST /api/chat, GET /healthz."""
    app = web.Application(middlewares=[security_headers], client_max_size=64 * 1024)
    app[SETTINGS] = settings
    app[ENGINE] = engine or build_engine(catalog)

    async def chat(request: web.Request) -> web.Response:
        return await webchat.handle_chat(request, request.app[ENGINE])

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "content": len(catalog.faq)})

    app.router.add_get("/", webchat.index)
    app.router.add_post("/api/chat", chat)
    app.router.add_get("/healthz", healthz)
    app.router.add_static("/static/", webchat.STATIC_DIR, show_index=False)
    return app
