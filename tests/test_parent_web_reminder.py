"""The one reminder a day after a parent code reaches a web chat student too (issue 12): kept
in the page's history (shown when the student comes back) and pushed to the page's event
stream (GET /api/chat/events), once. The real app on SQLite and PostgreSQL, no Telegram."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.catalog import Catalog
from bot.settings import Settings
from bot.web.app import PARENT_REMINDERS, create_app
from tests.conftest import switch_on
from tests.test_parent import CODE, GRADE9_TYPED

SESSION = "web-parent-reminder-1"


@pytest.fixture
async def server(catalog: Catalog, database_url: str, tmp_path: Path) -> AsyncIterator[TestServer]:
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        public_url="https://bot.example.edu.vn",
        events_stream_seconds=2.0,
        events_poll=0.1,
    )
    app = TestServer(create_app(settings, catalog), host="127.0.0.1")
    await app.start_server()
    await switch_on(database_url, "cd_cn_hung_yen")
    yield app
    await app.close()


async def chat(server: TestServer, body: dict[str, str]) -> list[dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(server.make_url("/api/chat"), json={"session": SESSION, **body}) as r,
    ):
        assert r.status == 200
        replies: list[dict[str, Any]] = (await r.json())["replies"]
        return replies


async def history(server: TestServer) -> list[dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(server.make_url("/api/chat/history"), params={"session": SESSION}) as r,
    ):
        turns: list[dict[str, Any]] = (await r.json())["turns"]
        return turns


async def stream(server: TestServer, after: str | None) -> tuple[int, list[dict[str, Any]]]:
    """The page's event stream (from event id `after`, or from now): status, replies events."""
    params = {"session": SESSION} | ({"after": after} if after is not None else {})
    found: list[dict[str, Any]] = []
    async with (
        aiohttp.ClientSession() as http,
        http.get(server.make_url("/api/chat/events"), params=params) as r,
    ):
        if r.status != 200:
            return r.status, found
        kind = ""
        async for raw in r.content:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                kind = line.removeprefix("event: ")
            elif line.startswith("data: ") and kind == "replies":
                found.append(json.loads(line.removeprefix("data: ")))
            elif line.startswith("event: end"):
                break
        return r.status, found


def later(days: float) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(days=days)


async def test_a_web_chat_student_is_reminded_once_in_history_and_event_stream(
    server: TestServer,
) -> None:
    for typed in GRADE9_TYPED:
        await chat(server, {"text": typed})
    sent = await chat(server, {"text": "1"})  # "✅ Gửi"
    assert CODE.search(" ".join(r["text"] for r in sent))
    assert await stream(server, None) == (204, [])  # nothing live, nothing waiting yet
    seen = (await history(server))[-1]["text"]

    reminders = server.app[PARENT_REMINDERS]
    reminders.now = lambda: later(0.5)
    assert (await reminders.run_once()).reminded == 0  # not a day yet
    reminders.now = lambda: later(1.01)
    assert (await reminders.run_once()).reminded == 1
    assert (await reminders.run_once()).reminded == 0  # once

    # a page that listens (or reconnects with its last event id) gets it at once
    status, events = await stream(server, "0")
    assert status == 200 and len(events) == 1
    [reminder] = events[0]["replies"]
    assert "vẫn đang chờ phụ huynh xác nhận" in reminder["text"]
    assert "Trường Cao đẳng Công nghiệp Hưng Yên" in reminder["text"]
    assert "0912" not in reminder["text"]  # no personal data
    assert [b["label"] for b in reminder["buttons"]] == ["🔑 Mã cho phụ huynh"]
    # a page opened later shows it in its history, with its button; the stream adds nothing
    turns = await history(server)
    assert turns[-2]["text"] == seen  # the turn before is the submission's
    assert turns[-1]["who"] == "bot" and turns[-1]["text"] == reminder["text"]
    assert [b["label"] for b in turns[-1]["buttons"]] == ["🔑 Mã cho phụ huynh"]
    assert await stream(server, None) == (204, [])
    # the button works: a new code for the parent
    fresh = await chat(server, {"payload": reminder["buttons"][0]["payload"]})
    assert CODE.search(" ".join(r["text"] for r in fresh))
