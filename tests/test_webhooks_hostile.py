"""Malformed platform requests on /webhooks/telegram, /webhooks/zalo-oa and /webhooks/zalo-bot
get a 4xx (never a 500), authentication comes first, and nothing is logged above WARNING.

Per platform, a well-authenticated event we cannot read gets: Telegram 400 (PLATFORMS.md asks for
a 4xx; Telegram retries a limited number of times and shows the error in getWebhookInfo); Zalo
Bot 400 for a body or message that is unreadable, 200 for an object without a message (an event
we do not know); Zalo OA 200 with nothing done (Zalo asks for 200 and would only send it again).
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.catalog import Catalog
from bot.channels import telegram, zalo_bot, zalo_oa
from bot.channels.telegram import webhook_secret
from bot.logs import quiet_bad_http
from bot.settings import Settings
from bot.storage.db import make_engine
from bot.storage.models import ConversationRow
from bot.web.app import ZALO_BOT, ZALO_OA, create_app
from tests.fakes.telegram_api import MEDIA, FakeTelegramApi, button_update, media_update
from tests.fakes.telegram_api import text_update as tg_text
from tests.fakes.zalo_bot_api import FakeZaloBotApi, media_message, unsupported
from tests.fakes.zalo_bot_api import message as zb_text
from tests.fakes.zalo_oa_api import MEDIA_KINDS as OA_MEDIA
from tests.fakes.zalo_oa_api import FakeZaloOA, follow, user_send_media, user_submit_info
from tests.fakes.zalo_oa_api import user_send_text as oa_text
from tests.hostile import HOSTILE, assert_quiet, bodies, header_values, raw_post, texts

ZB_SECRET = "zalo-webhook-secret_123"
_ids = itertools.count(1)


def _parsable(value: bytes) -> bool:
    """Whether an HTTP parser accepts these bytes as a header value (RFC 9110: visible
    characters, obs-text, space and tab; no control byte)."""
    return all(b in (9, 32) or 0x21 <= b <= 0x7E or b >= 0x80 for b in value)


@pytest.fixture(autouse=True)
def _logging_as_serve_sets_it() -> None:
    """`serve` quiets aiohttp's ERROR for requests its HTTP parser refuses (bot.logs)."""
    quiet_bad_http()


async def _count(database_url: str) -> int:
    db = make_engine(database_url)
    try:
        async with async_sessionmaker(db)() as session:
            return int(await session.scalar(select(func.count()).select_from(ConversationRow)) or 0)
    finally:
        await db.dispose()


# -- Telegram -------------------------------------------------------------------------------------


@pytest.fixture
async def tg_fake() -> AsyncIterator[FakeTelegramApi]:
    api = await FakeTelegramApi().start()
    yield api
    await api.close()


@pytest.fixture
def tg_settings(tmp_path: Path, database_url: str, tg_fake: FakeTelegramApi) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        public_url="https://bot.example.edu.vn",
        telegram_bot_token=tg_fake.token,
        telegram_api_base=tg_fake.base_url,
    )


@pytest.fixture
async def tg_hook(catalog: Catalog, tg_settings: Settings) -> AsyncIterator[TestServer]:
    server = TestServer(create_app(tg_settings, catalog), host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()


def _tg_headers(secret: bytes) -> list[tuple[bytes, bytes]]:
    return [(telegram.SECRET_HEADER.encode(), secret), (b"Content-Type", b"application/json")]


async def _tg_drained(hook: TestServer, fake: FakeTelegramApi, secret: bytes) -> None:
    """Every update accepted so far has been handled: PTB handles them one at a time, in
    order, so once a last greeting is answered, all before it are too."""
    chat = 7_000_000 + next(_ids)
    update = json.dumps(tg_text(900_000 + next(_ids), chat, "/start")).encode()
    assert await raw_post(hook.port, telegram.WEBHOOK_PATH, _tg_headers(secret), update) == 200
    await fake.wait_messages(1, chat)


TG_BROKEN: list[tuple[str, bytes]] = [
    ("not JSON", b"{not json"),
    ("not UTF-8", b'{"update_id": 1, "message": "\xff\xfe"}'),
    ("a list", b"[]"),
    ("null", b"null"),
    ("a string message", b'{"update_id":1,"message":"x"}'),
    ("nested 30000 deep", b"[" * 30_000 + b"]" * 30_000),
    ("nested 30 deep in a field", b'{"update_id":1,"message":' + b"[" * 30 + b"]" * 30 + b"}"),
    ("a huge integer", b'{"update_id":' + b"9" * 5000 + b"}"),
    ("an update_id of 2**64", b'{"update_id":18446744073709551616}'),
    ("NaN", b'{"update_id":NaN}'),
    ("update_id a string", b'{"update_id":"1"}'),
    ("update_id true", b'{"update_id":true}'),
]


def _tg_message(**fields: Any) -> bytes:
    update = tg_text(77, 4242, "xin chao")
    update["message"].update(fields)
    return json.dumps(update).encode()


TG_BROKEN += [
    ("text a number", _tg_message(text=5)),
    ("caption a list", _tg_message(caption=["a"])),
    ("chat a string", _tg_message(chat="4242")),
    ("chat id a string", _tg_message(chat={"id": "4242", "type": "private"})),
    ("chat id too large", _tg_message(chat={"id": 2**80, "type": "private"})),
    ("chat type a number", _tg_message(chat={"id": 4242, "type": 1})),
    ("date in year 300000", _tg_message(date=10**13)),
    ("date a string", _tg_message(date="today")),
    ("from without is_bot", _tg_message(**{"from": {"id": 1, "first_name": "An"}})),
    ("photo a string", _tg_message(photo="x")),
    ("sticker a number", _tg_message(sticker=1)),
    ("migrate_to_chat_id a string", _tg_message(migrate_to_chat_id="x")),
    # parentsafe: a shared contact's fields are read (a parent's own phone)
    ("contact phone a number", _tg_message(contact={"phone_number": 84912, "first_name": "A"})),
    ("contact without phone", _tg_message(contact={"first_name": "A"})),
    (
        "contact user_id a string",
        _tg_message(contact={"phone_number": "1", "first_name": "A", "user_id": "7"}),
    ),
    ("contact first_name a list", _tg_message(contact={"phone_number": "1", "first_name": []})),
]


async def test_telegram_malformed_updates_get_400_after_the_secret(
    tg_hook: TestServer,
    tg_fake: FakeTelegramApi,
    tg_settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = webhook_secret(tg_settings).encode()
    path = telegram.WEBHOOK_PATH
    for case, body in TG_BROKEN:
        assert await raw_post(tg_hook.port, path, _tg_headers(b"wrong"), body) == 403, case
        assert await raw_post(tg_hook.port, path, _tg_headers(secret), body) == 400, case
    await _tg_drained(tg_hook, tg_fake, secret)
    assert len(tg_fake.messages()) == 1  # only the greeting that proves the queue is drained
    assert_quiet(caplog)


async def test_telegram_secret_header_of_any_bytes_is_403(
    tg_hook: TestServer, tg_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    body = json.dumps(tg_text(1, 4242, "xin chao")).encode()
    secret = webhook_secret(tg_settings).encode()
    headers = [b"", b"\xff\xfe\xfd", "é".encode(), "sécret".encode("latin-1"), b" " * 300]
    for header in [*headers, secret + b"\xff", secret[:-1] + "é".encode()]:
        status = await raw_post(tg_hook.port, telegram.WEBHOOK_PATH, _tg_headers(header), body)
        assert status == 403, header
    # bytes the HTTP parser itself refuses never reach us: 400 from aiohttp, quietly
    status = await raw_post(tg_hook.port, telegram.WEBHOOK_PATH, _tg_headers(b"\x00\x7f"), body)
    assert status in (400, 403, None)
    assert_quiet(caplog)


def _tg_documents() -> st.SearchStrategy[Any]:
    ids = st.integers(min_value=1, max_value=10**6)
    return st.one_of(
        st.builds(tg_text, ids, ids, texts),
        st.builds(media_update, ids, ids, st.sampled_from(sorted(MEDIA))),
        st.builds(button_update, ids, ids, st.sampled_from(["home", "menu:trades", "sv:resume"])),
    )


@HOSTILE
@given(data=st.data())
async def test_telegram_webhook_survives_any_request(
    tg_hook: TestServer,
    tg_fake: FakeTelegramApi,
    tg_settings: Settings,
    caplog: pytest.LogCaptureFixture,
    data: st.DataObject,
) -> None:
    secret = webhook_secret(tg_settings).encode()
    header = data.draw(st.one_of(st.just(secret), header_values), label="secret")
    body = data.draw(bodies(_tg_documents()), label="body")
    status = await raw_post(tg_hook.port, telegram.WEBHOOK_PATH, _tg_headers(header), body)
    if header != secret:
        # None: a header byte the HTTP parser refuses, and a body it never read (see raw_post)
        assert status in (400, 403) or (status is None and not _parsable(header)), status
    else:
        assert status in (200, 400, 413)
    await _tg_drained(tg_hook, tg_fake, secret)
    assert_quiet(caplog)


# -- Zalo Bot -------------------------------------------------------------------------------------


@pytest.fixture
async def zb_fake() -> AsyncIterator[FakeZaloBotApi]:
    api = await FakeZaloBotApi().start()
    yield api
    await api.close()


@pytest.fixture
async def zb_hook(
    catalog: Catalog, database_url: str, tmp_path: Path, zb_fake: FakeZaloBotApi
) -> AsyncIterator[TestServer]:
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        public_url="https://bot.example.edu.vn",
        zalo_bot_token=zb_fake.token,
        zalo_bot_secret=ZB_SECRET,
        zalo_bot_api_base=zb_fake.base_url,
    )
    server = TestServer(create_app(settings, catalog), host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()


def _zb_headers(secret: bytes) -> list[tuple[bytes, bytes]]:
    return [(zalo_bot.SECRET_HEADER.encode(), secret), (b"Content-Type", b"application/json")]


def _zb_message(**fields: Any) -> bytes:
    update = zb_text("u-1", "xin chao", "m-1")
    update["message"].update(fields)
    return json.dumps(update).encode()


ZB_BROKEN: list[tuple[str, bytes]] = [
    ("not JSON", b"{not json"),
    ("not UTF-8", b'{"message": "\xff"}'),
    ("a list", b"[1, 2]"),
    ("null", b"null"),
    ("a string message", b'{"message":"x"}'),
    ("nested 30000 deep", b"[" * 30_000 + b"]" * 30_000),
    ("a huge integer", b'{"message":{"message_id":' + b"9" * 5000 + b"}}"),
    ("event_name a number", b'{"event_name": 1, "message": {}}'),
    ("chat a string", _zb_message(chat="u-1")),
    ("chat id an object", _zb_message(chat={"id": {}, "chat_type": "PRIVATE"})),
    ("chat id with NUL", _zb_message(chat={"id": "u\x001", "chat_type": "PRIVATE"})),
    ("chat id of 200 characters", _zb_message(chat={"id": "u" * 200})),
    ("chat_type a number", _zb_message(chat={"id": "u-1", "chat_type": 3})),
    ("message_id missing", _zb_message(message_id=None)),
    ("message_id a float", _zb_message(message_id=1.5)),
    ("text a list", _zb_message(text=["hi"])),
    ("a text event without text", _zb_message(text=None)),
    ("caption a number", _zb_message(caption=3)),
]


async def test_zalo_bot_malformed_updates_get_400_after_the_secret(
    zb_hook: TestServer,
    zb_fake: FakeZaloBotApi,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = zalo_bot.WEBHOOK_PATH
    secret = _zb_headers(ZB_SECRET.encode())
    for case, body in ZB_BROKEN:
        assert await raw_post(zb_hook.port, path, _zb_headers(b"wrong"), body) == 403, case
        assert await raw_post(zb_hook.port, path, secret, body) == 400, case
    await zb_hook.app[ZALO_BOT].tasks.settle()
    assert zb_fake.texts() == []
    assert await _count(database_url) == 0
    assert_quiet(caplog)


async def test_zalo_bot_objects_without_a_message_are_acknowledged_and_ignored(
    zb_hook: TestServer, zb_fake: FakeZaloBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    secret = _zb_headers(ZB_SECRET.encode())
    for body in [b"{}", b'{"event_name": "bot.something.new"}', b'{"ok": true, "result": {}}']:
        assert await raw_post(zb_hook.port, zalo_bot.WEBHOOK_PATH, secret, body) == 200
    other = json.dumps({**zb_text("u-2", "hi", "m-2"), "event_name": "chat.member.joined"})
    assert await raw_post(zb_hook.port, zalo_bot.WEBHOOK_PATH, secret, other.encode()) == 200
    await zb_hook.app[ZALO_BOT].tasks.settle()
    assert zb_fake.texts() == []
    assert_quiet(caplog)


async def test_zalo_bot_secret_header_of_any_bytes_is_403(
    zb_hook: TestServer, caplog: pytest.LogCaptureFixture
) -> None:
    body = json.dumps(zb_text("u-1", "xin chao", "m-1")).encode()
    for header in [b"", b"\xff\xfe", "é".encode(), ZB_SECRET.encode() + b"\xff"]:
        status = await raw_post(zb_hook.port, zalo_bot.WEBHOOK_PATH, _zb_headers(header), body)
        assert status == 403, header
    assert_quiet(caplog)


def _zb_documents() -> st.SearchStrategy[Any]:
    ids = st.text(alphabet="abc123-", min_size=1, max_size=12)
    return st.one_of(
        st.builds(zb_text, ids, texts, ids, st.sampled_from(["PRIVATE", "GROUP"])),
        st.builds(media_message, ids, st.sampled_from(["image", "sticker", "voice"]), ids),
        st.builds(unsupported, ids, ids),
        st.builds(lambda u: {"ok": True, "result": u}, st.builds(zb_text, ids, texts, ids)),
    )


@HOSTILE
@given(data=st.data())
async def test_zalo_bot_webhook_survives_any_request(
    zb_hook: TestServer, caplog: pytest.LogCaptureFixture, data: st.DataObject
) -> None:
    secret = ZB_SECRET.encode()
    header = data.draw(st.one_of(st.just(secret), header_values), label="secret")
    body = data.draw(bodies(_zb_documents()), label="body")
    status = await raw_post(zb_hook.port, zalo_bot.WEBHOOK_PATH, _zb_headers(header), body)
    if header != secret:
        # None: a header byte the HTTP parser refuses, and a body it never read (see raw_post)
        assert status in (400, 403) or (status is None and not _parsable(header)), status
    else:
        assert status in (200, 400, 413)
    await zb_hook.app[ZALO_BOT].tasks.settle()
    assert_quiet(caplog)


# -- Zalo OA --------------------------------------------------------------------------------------


@pytest.fixture
async def oa_fake() -> AsyncIterator[FakeZaloOA]:
    api = await FakeZaloOA().start()
    yield api
    await api.close()


@pytest.fixture
async def oa_hook(
    catalog: Catalog, database_url: str, tmp_path: Path, oa_fake: FakeZaloOA
) -> AsyncIterator[TestServer]:
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        public_url="https://bot.example.edu.vn",
        zalo_oa_app_id=oa_fake.app_id,
        zalo_oa_secret_key=oa_fake.oa_secret_key,
        zalo_app_secret=oa_fake.app_secret,
        zalo_oa_access_token="oa-access-1",
        zalo_oa_refresh_token="oa-refresh-1",
        zalo_oa_api_base=oa_fake.base_url,
        zalo_oauth_base=oa_fake.base_url,
        zalo_oa_timeout=0.5,
        zalo_oa_retry_base=0.01,
    )
    server = TestServer(create_app(settings, catalog), host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()


def _oa_headers(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(k.encode(), v.encode()) for k, v in headers.items()]


def _signed(fake: FakeZaloOA, body: bytes, stamp: str) -> list[tuple[bytes, bytes]]:
    """Headers with a valid signature of exactly `body` (whatever it holds) and `stamp`."""
    mac = hashlib.sha256(
        fake.app_id.encode() + body + stamp.encode() + fake.oa_secret_key.encode()
    ).hexdigest()
    return [(zalo_oa.SIGNATURE_HEADER.encode(), f"mac={mac}".encode())]


async def _oa_post(hook: TestServer, body: bytes, headers: list[tuple[bytes, bytes]]) -> int | None:
    status = await raw_post(hook.port, zalo_oa.WEBHOOK_PATH, headers, body)
    await hook.app[ZALO_OA].tasks.settle()
    return status


async def test_zalo_oa_unverifiable_requests_are_403(
    oa_hook: TestServer, oa_fake: FakeZaloOA, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    body, headers = oa_fake.event(oa_text("u-1", "xin chao"))
    good = _oa_headers(headers)
    event = json.loads(body)
    name = zalo_oa.SIGNATURE_HEADER.encode()
    refused = [
        (b"{not json", good),
        (b'{"app_id": "1", "timestamp": "1"' + b"\xff}", good),
        (b"[" * 30_000 + b"]" * 30_000, good),
        (b"null", good),
        (b"[]", good),
        (json.dumps({**event, "timestamp": None}).encode(), good),
        (json.dumps({**event, "timestamp": True}).encode(), good),
        (json.dumps({**event, "timestamp": 1.5}).encode(), good),
        (json.dumps({**event, "app_id": ["x"]}).encode(), good),
        (body, [(name, b"mac=\xff\xfe")]),
        (body, [(name, "mac=é".encode())]),
        (body, [(name, b"")]),
        (body, []),
    ]
    for stamp in ["abc", "", "١٢٣", "99999999999999999999", "-5", "1e3", " 1"]:
        changed = json.dumps({**event, "timestamp": stamp}).encode()
        refused.append((changed, _signed(oa_fake, changed, stamp)))  # signed, not milliseconds
    for stamp in ["9999999999999999", "0", "1"]:  # the year 318857, 1970: outside the window
        changed = json.dumps({**event, "timestamp": stamp}).encode()
        refused.append((changed, _signed(oa_fake, changed, stamp)))
    for refused_body, refused_headers in refused:
        assert await _oa_post(oa_hook, refused_body, refused_headers) == 403, refused_body[:80]
    assert oa_fake.sends == []
    assert await _count(database_url) == 0
    assert_quiet(caplog)


async def test_zalo_oa_signed_but_unreadable_events_are_acknowledged_and_do_nothing(
    oa_hook: TestServer, oa_fake: FakeZaloOA, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    unreadable: list[dict[str, Any]] = [
        {"event_name": 5},
        {"event_name": None},
        {**oa_text("u-1", "hi"), "message": "x"},
        {**oa_text("u-1", "hi"), "sender": "u-1"},
        {**oa_text("u-1", "hi"), "sender": {"id": ["u"]}},
        {**oa_text("u-1", "hi"), "sender": {"id": "u\x00"}},
        {**oa_text("u-1", "hi"), "sender": {"id": "u" * 500}},
        {**oa_text("u-1", "hi"), "sender": {"id": 10**200}},
        {**oa_text("u-1", "hi"), "message": {"text": "hi"}},
        {**oa_text("u-1", "hi"), "message": {"text": "hi", "msg_id": {"a": 1}}},
        {**oa_text("u-1", "hi"), "message": {"text": 5, "msg_id": "m-1"}},
        {**user_send_media("u-1", "image"), "message": None},
        {**follow("u-1"), "follower": None},
        {**user_submit_info("u-1", name="An"), "info": "An"},
    ]
    for event in unreadable:
        body, headers = oa_fake.event(event)
        assert await _oa_post(oa_hook, body, _oa_headers(headers)) == 200, event
    assert oa_fake.sends == []
    assert await _count(database_url) == 0
    assert_quiet(caplog)


def _oa_documents() -> st.SearchStrategy[Any]:
    users = st.text(alphabet="0123456789", min_size=1, max_size=19)
    return st.one_of(
        st.builds(oa_text, users, texts),
        st.builds(user_send_media, users, st.sampled_from(OA_MEDIA), st.one_of(st.none(), texts)),
        st.builds(follow, users),
        st.builds(lambda u, n, p: user_submit_info(u, name=n, phone=p), users, texts, texts),
    )


@HOSTILE
@given(data=st.data())
async def test_zalo_oa_webhook_survives_any_signed_event(
    oa_hook: TestServer,
    oa_fake: FakeZaloOA,
    caplog: pytest.LogCaptureFixture,
    data: st.DataObject,
) -> None:
    """Signed as Zalo signs (so the shape, not the signature, is what is tested): 200, or 403
    when the bent field is the app id or the timestamp; any header bytes: 403."""
    body = data.draw(bodies(_oa_documents()), label="event")
    try:
        event = json.loads(body)
    except ValueError:
        event = None
    if isinstance(event, dict) and data.draw(st.booleans(), label="sign it"):
        body, headers = oa_fake.event(event)
        status = await _oa_post(oa_hook, body, _oa_headers(headers))
        assert status in (200, 403, 413)
    else:
        header = data.draw(header_values, label="signature")
        status = await _oa_post(oa_hook, body, [(zalo_oa.SIGNATURE_HEADER.encode(), header)])
        # None: a header byte the HTTP parser refuses, and a body it never read (see raw_post)
        assert status in (400, 403, 413) or (status is None and not _parsable(header)), status
    assert_quiet(caplog)
