"""Property-based: hostile HTTP requests get a 2xx or a 4xx with a Vietnamese JSON message.

The real app (its SQL conversation store on SQLite and PostgreSQL) runs in a thread; hypothesis
sends raw requests with http.client, so bodies, query strings and header bytes can be anything:
random JSON shapes, every code point (surrogates as JSON escapes, NUL, U+FFFF, RTL marks),
16 KiB strings, deep nesting, huge integers, non-UTF-8 headers, unknown paths and methods.
No answer may be a 500, and the log may hold no ERROR record or traceback.

Last, a message must never hold the event loop: /healthz is polled while the worst messages
found go to /api/chat, and its latency is compared with its latency under ordinary messages.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import http.client
import json
import logging
import os
import random
import statistics
import threading
import time
import urllib.parse
import uuid
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import aiohttp
import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st

from bot.catalog import Catalog
from bot.matching.matcher import Matcher
from bot.settings import Settings
from bot.storage.migrate import upgrade
from bot.web.app import SCHOOLS, create_app
from tests.conftest import _pg_admin
from tests.hostile_core import ANY_CHAR, HOSTILE, HOSTILE_TEXT, SEVERAL_NUMBERS_ATTACK, vietnamese

R = TypeVar("R")
SESSIONS = ["hostile-session-1", "hostile-session-2", "hostile_session_3"]
MAX_BODY = 16 * 1024


class LiveServer:
    """The real application served from its own event loop in a thread."""

    def __init__(self, settings: Settings, catalog: Catalog) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.app = create_app(settings, catalog)
        self.runner = web.AppRunner(self.app)
        self.run(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.run(site.start())
        self.port: int = self.runner.addresses[0][1]

    def run(self, coro: Coroutine[Any, Any, R]) -> R:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=120)

    def close(self) -> None:
        self.run(self.runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=30)
        self.loop.close()

    def request(
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: list[tuple[str, str | bytes]] | None = None,
    ) -> tuple[int, str, bytes]:
        """(status, content type, body) of one raw request."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            conn.putrequest(method, target, skip_accept_encoding=True)
            for name, value in headers or []:
                conn.putheader(name, value)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            response = conn.getresponse()
            return response.status, response.getheader("Content-Type", ""), response.read()
        finally:
            conn.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, catalog: Catalog
) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("hostile") / "var"
    database_url: str | None = None
    admin = os.environ.get("TEST_DATABASE_URL")
    name = f"hn_test_{uuid.uuid4().hex[:12]}"
    if request.param == "postgresql":
        if not admin:
            if os.environ.get("CI"):
                pytest.fail("TEST_DATABASE_URL is not set")
            pytest.skip("no PostgreSQL (TEST_DATABASE_URL)")
        _pg_admin(admin, f'CREATE DATABASE "{name}"')
        database_url = admin.rsplit("/", 1)[0] + f"/{name}"
    settings = Settings(data_dir=data, database_url=database_url)
    upgrade(settings.db_url)
    server = LiveServer(settings, catalog)
    try:
        yield server
    finally:
        server.close()
        if database_url is not None and admin:
            _pg_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def token(live: LiveServer) -> str:
    """A school's API token."""
    now = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)
    return live.run(live.app[SCHOOLS].new_token("school", "cd_long_an", now))


def check_answer(status: int, content_type: str, body: bytes, where: str) -> Any:
    """2xx or 4xx; an error is JSON with a Vietnamese message. Returns the parsed JSON."""
    assert status < 500, f"{where}: {status} {body[:300]!r}"
    if not content_type.startswith("application/json"):
        assert status < 400, f"{where}: an error that is not JSON: {status} {body[:200]!r}"
        return None
    data = json.loads(body)
    if status >= 400:
        assert isinstance(data, dict) and isinstance(data.get("error"), str), where
        assert vietnamese(data["error"]), f"{where}: not Vietnamese: {data['error']!r}"
    return data


def assert_quiet_log(caplog: pytest.LogCaptureFixture) -> None:
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not errors, [f"{r.name}: {r.getMessage()}" for r in errors]
    assert "Traceback" not in caplog.text


# -- strategies -------------------------------------------------------------------------------

KEYS = st.one_of(st.sampled_from(["session", "text", "payload", "shared"]), st.text(max_size=8))
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(ANY_CHAR, max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)
CHAT_BODIES = st.one_of(
    st.fixed_dictionaries(
        {"session": st.sampled_from(SESSIONS)},
        optional={
            "text": st.one_of(HOSTILE_TEXT, JSON_VALUES),
            "payload": st.one_of(
                st.sampled_from(["start", "survey:start", "sv:begin:lop12", "sv:opt:han", "x"]),
                HOSTILE_TEXT,
                JSON_VALUES,
            ),
        },
    ),
    st.fixed_dictionaries(
        {"session": st.one_of(st.text(ANY_CHAR, max_size=70), JSON_VALUES)},
        optional={"text": HOSTILE_TEXT},
    ),
    JSON_VALUES,
)
RAW_BODIES = st.one_of(
    st.binary(max_size=200),
    st.integers(1, 20_000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(1, 20_000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
    st.integers(4000, 16_000).map(
        lambda n: b'{"session": "hostile-session-1", "text": ' + b"9" * n + b"}"
    ),
    st.sampled_from(
        [
            b"",
            b"\xff\xfe{}",
            b'{"session": "hostile-session-1\\n", "text": "hi"}',
            b'{"session": "hostile-session-1", "text": "\\ud800\\udfff\\uffff\\u0000"}',
            b'{"session": "hostile-session-1", "text": "a"}' + b" " * MAX_BODY,
            b"NaN",
            b'{"session": "hostile-session-1", "text": 1e999}',
        ]
    ),
)
# what HTTP allows in a header value (visible ASCII, space, tab, and any byte from 0x80: so
# text that is not UTF-8); other control bytes are refused by aiohttp's parser before the app
_HTTP_CONTROLS = bytes([*range(0x09), *range(0x0A, 0x20), 0x7F])
HEADER_VALUES = st.one_of(
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60),
    st.binary(max_size=60).map(lambda b: b.translate(None, _HTTP_CONTROLS)),
    st.text(ANY_CHAR, max_size=30).map(
        lambda s: s.encode("utf-8", "surrogatepass").translate(None, _HTTP_CONTROLS)
    ),
)


def _quote(text: str) -> str:
    return urllib.parse.quote(text.encode("utf-8", "surrogatepass"), safe="")


QUERY_VALUES = [
    "json", "csv", "xlsx", "JSON", "0001-01-01", "9999-12-31T23:59:59-12:00", "9999-12-31",
    "0001-01-01T00:00:00+14:00", "2026-11-01", "2026-13-45", "2026-11-01T25:00", "Z", "+", "%",
    "%ZZ", "%ff%fe", "9" * 60,
]  # fmt: skip
QUERY_PARTS = st.lists(
    st.tuples(
        st.sampled_from(["format", "since", "x", "format[]", ""]),
        st.one_of(st.sampled_from(QUERY_VALUES), st.text(ANY_CHAR, max_size=40).map(_quote)),
    ),
    max_size=4,
)


# -- the properties --------------------------------------------------------------------------


@HOSTILE
@given(body=CHAT_BODIES)
def test_chat_with_random_json(
    live: LiveServer, caplog: pytest.LogCaptureFixture, body: object
) -> None:
    caplog.clear()
    raw = json.dumps(body).encode()  # ensure_ascii: surrogates travel as \ud800 escapes
    with caplog.at_level(logging.INFO):
        status, ctype, answer = live.request(
            "POST", "/api/chat", raw, [("Content-Type", "application/json")]
        )
    data = check_answer(status, ctype, answer, f"POST /api/chat {raw[:200]!r}")
    if status == 200:
        assert data["replies"], raw[:200]
        assert all(vietnamese(r["text"]) for r in data["replies"]), data
    if len(raw) > MAX_BODY:
        assert status == 413
    assert_quiet_log(caplog)


@HOSTILE
@given(raw=RAW_BODIES, content_type=st.sampled_from(["application/json", "text/plain", None]))
def test_chat_with_raw_bytes(
    live: LiveServer, caplog: pytest.LogCaptureFixture, raw: bytes, content_type: str | None
) -> None:
    caplog.clear()
    headers: list[tuple[str, str | bytes]] = []
    if content_type is not None:
        headers.append(("Content-Type", content_type))
    with caplog.at_level(logging.INFO):
        status, ctype, answer = live.request("POST", "/api/chat", raw, headers)
    check_answer(status, ctype, answer, f"POST /api/chat {raw[:200]!r}")
    assert_quiet_log(caplog)


@HOSTILE
@given(
    query=QUERY_PARTS,
    auth=st.one_of(
        st.none(),
        st.just("token"),
        HEADER_VALUES,
        HEADER_VALUES.map(lambda v: b"Bearer " + (v if isinstance(v, bytes) else v.encode())),
    ),
)
def test_leads_with_random_query_and_authorization(
    live: LiveServer,
    token: str,
    caplog: pytest.LogCaptureFixture,
    query: list[tuple[str, str]],
    auth: str | bytes | None,
) -> None:
    caplog.clear()
    target = "/api/leads?" + "&".join(f"{k}={v}" for k, v in query)
    headers: list[tuple[str, str | bytes]] = []
    if auth == "token":
        headers.append(("Authorization", f"Bearer {token}"))
    elif auth is not None:
        headers.append(("Authorization", auth))
    with caplog.at_level(logging.INFO):
        status, ctype, answer = live.request("GET", target, None, headers)
    check_answer(status, ctype, answer, f"GET {target} {auth!r}")
    assert status in (200, 400, 401), (status, target, auth)
    if auth != "token":
        assert status == 401
    assert_quiet_log(caplog)


@pytest.mark.parametrize(
    "since", ["0001-01-01", "9999-12-31T23:59:59-12:00", "0001-01-01T06:59:59+07:00"]
)
def test_leads_since_out_of_range_is_a_400(live: LiveServer, token: str, since: str) -> None:
    status, ctype, body = live.request(
        "GET", f"/api/leads?since={_quote(since)}", None, [("Authorization", f"Bearer {token}")]
    )
    data = check_answer(status, ctype, body, since)
    assert status == 400 and "since" in data["error"] and "ngoài khoảng" in data["error"]


def test_a_session_id_must_match_in_full(live: LiveServer) -> None:
    raw = json.dumps({"session": "abcdefgh12\n", "text": "hi"}).encode()
    status, ctype, body = live.request("POST", "/api/chat", raw)
    assert status == 400 and "session" in check_answer(status, ctype, body, "session")["error"]


@pytest.mark.parametrize(
    "header", [b"Bearer \xff\xfe\xfd", "Bearer tôken".encode(), b"Bearer " + b"a" * 5000]
)
def test_odd_authorization_headers_are_a_401(live: LiveServer, header: bytes) -> None:
    status, ctype, body = live.request("GET", "/api/leads", None, [("Authorization", header)])
    check_answer(status, ctype, body, repr(header))
    assert status == 401


@HOSTILE
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]),
    path=st.lists(st.text(ANY_CHAR, max_size=12).map(_quote), min_size=1, max_size=4),
    prefix=st.sampled_from(["", "api/", "static/", "static/../", "api/chat/", "healthz/"]),
)
def test_unknown_paths(
    live: LiveServer, caplog: pytest.LogCaptureFixture, method: str, path: list[str], prefix: str
) -> None:
    caplog.clear()
    target = "/" + prefix + "/".join(path)
    with caplog.at_level(logging.INFO):
        status, ctype, body = live.request(method, target, b"{}" if method != "GET" else None)
    if method == "HEAD":
        assert status < 500, target
    else:
        check_answer(status, ctype, body, f"{method} {target}")
    assert_quiet_log(caplog)


# -- the event loop is never held --------------------------------------------------------------


def _typo_words(matcher: Matcher, length: int, sep: str) -> str:
    """Words one letter off the matcher's vocabulary: each costs a typo search."""
    rnd = random.Random(9)
    words = [w for w in matcher._vocab if len(w) >= 4]
    out: list[str] = []
    while len(sep.join(out)) < length:
        word = rnd.choice(words)
        i = rnd.randrange(len(word))
        out.append(word[:i] + "q" + word[i + 1 :])
    return sep.join(out)[:length]


def _hostile_messages(matcher: Matcher) -> list[dict[str, Any] | bytes]:
    s = "loop-hostile-01"
    return [
        {"session": s, "text": SEVERAL_NUMBERS_ATTACK},
        {"session": s, "text": "1" + "   1" * 249 + " x"},
        {"session": s, "text": "1" + "   1" * 249},
        {"session": s, "text": _typo_words(matcher, 1000, " ")},
        {"session": s, "text": _typo_words(matcher, 1000, ", ")},
        {"session": s, "text": "a, " * 333},
        {"session": s, "text": "1 và " * 200},
        {"session": s, "text": "à" * 16000},
        {"session": s, "text": "\uffff\u202e\x00" * 5000},
        b"[" * 16000 + b"]" * 300,
        b'{"session": "loop-hostile-01", "text": ' + b"9" * 16000 + b"}",
    ]


BENIGN = ["học phí trung cấp", "hoc nghe gi de co viec lam", "1", "menu", "ngành điện"]


async def _latencies(
    http: aiohttp.ClientSession, base: str, messages: list[dict[str, Any] | bytes]
) -> list[float]:
    """/healthz latencies, polled while the messages go to /api/chat one after another."""
    done = asyncio.Event()
    latencies: list[float] = []

    async def poll() -> None:
        while not done.is_set():
            start = time.perf_counter()
            async with http.get(f"{base}/healthz") as r:
                assert r.status == 200
                await r.read()
            latencies.append(time.perf_counter() - start)
            await asyncio.sleep(0.002)

    async def send() -> None:
        try:
            for _ in range(3):
                for message in messages:
                    raw = message if isinstance(message, bytes) else json.dumps(message).encode()
                    async with http.post(f"{base}/api/chat", data=raw) as r:
                        assert r.status < 500
                        await r.read()
        finally:
            done.set()

    await asyncio.gather(poll(), send())
    return latencies


async def test_hostile_messages_never_hold_the_loop(live: LiveServer, matcher: Matcher) -> None:
    """The server runs in its own thread, so a held loop shows as latency (or a timeout)
    here instead of freezing this test."""
    base = f"http://127.0.0.1:{live.port}"
    hostile = _hostile_messages(matcher)
    benign: list[dict[str, Any] | bytes] = [
        {"session": "loop-benign-01", "text": t} for t in BENIGN
    ]
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        for text in ("khao sat", "2", "hoc cao dang"):  # the several-choice trades question
            async with http.post(
                f"{base}/api/chat", json={"session": "loop-hostile-01", "text": text}
            ) as r:
                replies = (await r.json())["replies"]
        assert "nghề, ngành nào" in replies[-1]["text"]
        for _ in range(3):  # a busy machine may spoil one round; not three
            ordinary = await _latencies(http, base, benign)
            attacked = await _latencies(http, base, hostile)
            baseline = statistics.median(ordinary)
            if max(attacked) <= 50 * baseline:
                break
        else:
            pytest.fail(
                f"/healthz took {max(attacked) * 1000:.0f} ms during hostile messages, "
                f"{baseline * 1000:.1f} ms (median) during ordinary ones (three rounds)"
            )
