"""The last line of defence: aiohttp's errors become Vietnamese JSON; a crash is a logged 500."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.logs import PhoneMask
from bot.web.errors import SERVER_ERROR, json_errors
from tests.hostile_core import vietnamese


async def _boom(request: web.Request) -> web.Response:
    raise RuntimeError(f"a bug that quotes the user: {request.query.get('q', '')}")


async def _read(request: web.Request) -> web.Response:
    return web.Response(body=await request.read())


@pytest.fixture
async def tiny() -> AsyncIterator[TestServer]:
    app = web.Application(middlewares=[json_errors], client_max_size=1024)
    app.router.add_get("/boom", _boom)
    app.router.add_post("/read", _read)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()


async def test_a_crash_is_a_json_500_and_a_log_record_without_the_query(
    tiny: TestServer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        async with (
            aiohttp.ClientSession() as http,
            http.get(tiny.make_url("/boom?q=Nguyen+Van+An")) as r,
        ):
            assert r.status == 500
            assert (await r.json()) == {"error": SERVER_ERROR}
    errors = [rec for rec in caplog.records if rec.levelno == logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is not None
    assert errors[0].getMessage() == "unhandled error in GET /boom"


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/nowhere", None, 404),
        ("POST", "/boom", b"{}", 405),
        ("POST", "/read", b"x" * 4096, 413),
    ],
)
async def test_aiohttp_errors_become_vietnamese_json(
    tiny: TestServer, method: str, path: str, body: bytes | None, status: int
) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, tiny.make_url(path), data=body) as r,
    ):
        assert r.status == status
        assert r.content_type == "application/json"
        message = (await r.json())["error"]
        assert vietnamese(message)
        if status == 405:
            assert r.headers["Allow"] == "GET,HEAD"
            assert "POST" in message


def test_a_traceback_in_the_log_has_its_phone_numbers_masked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = logging.getLogger("test.tracebacks")
    caplog.handler.addFilter(PhoneMask())
    with caplog.at_level(logging.INFO, logger="test.tracebacks"):
        try:
            int("Số của em là 0912345678")
        except ValueError:
            logger.exception("could not read a number")
    assert "ValueError" in caplog.text
    assert "0912345678" not in caplog.text and "***78" in caplog.text
