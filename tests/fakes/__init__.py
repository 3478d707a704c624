"""Fake external servers (real aiohttp servers on 127.0.0.1) that record what they receive."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.test_utils import TestServer

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def serve_post(path: str, handler: Handler) -> TestServer:
    """A started server on 127.0.0.1 (a free port) answering POST `path` with `handler`."""
    app = web.Application()
    app.router.add_post(path, handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


async def serve_posts(routes: dict[str, Handler]) -> TestServer:
    """A started server on 127.0.0.1 (a free port) answering POST on each path of `routes`."""
    app = web.Application()
    for path, handler in routes.items():
        app.router.add_post(path, handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


def base_url(server: TestServer | None) -> str:
    """http://127.0.0.1:PORT of a started server."""
    assert server is not None
    return str(server.make_url("")).rstrip("/")
