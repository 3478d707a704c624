"""Property-based: hostile input around the handoff never gives a 500 nor an ERROR log line.

The event stream's query and Last-Event-ID header can be anything; counsellors' group messages
may carry any thread id, reply, text or command (the Telegram webhook answers 200 or 400).
The real app runs in a thread (tests/test_hostile_http.LiveServer) with the fake Bot API in the
same loop; its counsellors' group is a forum, and one handoff is open while the group talks.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.catalog import Catalog
from bot.channels.handoff_desk import COUNSELLORS
from bot.channels.telegram import SECRET_HEADER, WEBHOOK_PATH, webhook_secret
from bot.settings import Settings
from bot.storage.migrate import upgrade
from bot.web.app import SCHOOLS
from tests.fakes.telegram_api import FakeTelegramApi, group_update, text_update
from tests.hostile_core import ANY_CHAR, HOSTILE
from tests.test_hostile_http import LiveServer, check_answer

GROUP = -1009555
_ids = iter(range(90_000, 10**9))


class HandoffServer(LiveServer):
    """LiveServer with the fake Bot API running in the server's own loop."""

    def __init__(self, tmp: Path, catalog: Catalog) -> None:
        import asyncio
        import threading

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.fake = self.run(FakeTelegramApi().start())
        self.fake.forums.add(GROUP)
        self.settings = Settings(
            data_dir=tmp,
            public_url="https://bot.example.edu.vn",
            telegram_bot_token=self.fake.token,
            telegram_api_base=self.fake.base_url,
            handoff_hours="always",
            events_stream_seconds=0.2,
            events_poll=0.05,
        )
        upgrade(self.settings.db_url)
        from aiohttp import web

        from bot.web.app import create_app

        self.app = create_app(self.settings, catalog)
        self.runner = web.AppRunner(self.app)
        self.run(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.run(site.start())
        self.port = self.runner.addresses[0][1]

    def post_update(self, update: Any) -> int:
        secret = webhook_secret(self.settings)
        body = json.dumps(update).encode()
        status, _, _ = self.request(
            "POST",
            WEBHOOK_PATH,
            body,
            [(SECRET_HEADER, secret), ("Content-Type", "application/json")],
        )
        return status


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, catalog: Catalog) -> Iterator[HandoffServer]:
    server = HandoffServer(tmp_path_factory.mktemp("handoff") / "var", catalog)
    now = dt.datetime.now(dt.UTC)
    code = server.run(server.app[SCHOOLS].new_link_code(COUNSELLORS, now))
    assert server.post_update(text_update(next(_ids), GROUP, f"/link {code}", "supergroup")) == 200
    for text in ("gặp người tư vấn", "Em có câu hỏi ạ"):
        body = json.dumps({"session": "hostile-handoff", "text": text}).encode()
        status, _, _ = server.request(
            "POST", "/api/chat", body, [("Content-Type", "application/json")]
        )
        assert status == 200
    try:
        yield server
    finally:
        server.run(server.fake.close())
        server.close()


@HOSTILE
@given(
    session=st.one_of(
        st.sampled_from(["hostile-handoff", "abcdefgh"]), st.text(ANY_CHAR, max_size=80)
    ),
    last=st.one_of(
        st.none(), st.text(ANY_CHAR, max_size=30), st.integers(-(10**30), 10**30).map(str)
    ),
    in_header=st.booleans(),
)
def test_event_stream_takes_any_query(
    live: HandoffServer,
    caplog: pytest.LogCaptureFixture,
    session: str,
    last: str | None,
    in_header: bool,
) -> None:
    caplog.set_level(logging.WARNING)
    query = {"session": session}
    headers: list[tuple[str, str | bytes]] = []
    # a header with control characters is refused by aiohttp's parser before any handler runs
    # (a plain-text 400 of its own): such values go in the query instead
    printable = last is not None and not any(ord(c) < 32 or ord(c) == 127 for c in last)
    if last is not None and in_header and printable:
        headers.append(("Last-Event-ID", last.encode("utf-8", "surrogatepass")))
    elif last is not None:
        query["after"] = last
    target = "/api/chat/events?" + urllib.parse.urlencode(query, errors="surrogatepass")
    status, content_type, body = live.request("GET", target, None, headers)
    check_answer(status, content_type, body, target[:80])
    assert status in (200, 204, 400)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@HOSTILE
@given(
    thread=st.one_of(st.none(), st.integers(-(2**60), 2**60), st.sampled_from([1001, 0, -1])),
    reply_to=st.one_of(st.none(), st.integers(-(2**60), 2**60)),
    text=st.one_of(
        st.sampled_from(["/xong", "/xong@hn_test_bot", "/xong@other_bot", "/leads", "/link", ""]),
        st.text(ANY_CHAR, max_size=300),
    ),
)
def test_counsellors_group_takes_any_message(
    live: HandoffServer,
    caplog: pytest.LogCaptureFixture,
    thread: int | None,
    reply_to: int | None,
    text: str,
) -> None:
    caplog.set_level(logging.WARNING)
    update = group_update(next(_ids), GROUP, text, thread, reply_to)
    update["message"]["text"] = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    assert live.post_update(update) in (200, 400)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
