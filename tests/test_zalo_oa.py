"""Zalo OA adapter against a fake OA platform on 127.0.0.1: signed webhook, send API, tokens."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.catalog import Catalog
from bot.catalog.text_keys import T
from bot.channels.zalo_oa import MAX_TEXT, PAYLOAD_PREFIX, WEBHOOK_PATH, ZaloOAChannel
from bot.core.engine import Engine
from bot.core.messages import Button, Reply
from bot.settings import Settings
from bot.storage.db import make_engine
from bot.storage.models import (
    ChannelCredentialRow,
    ContactRow,
    ConversationRow,
    LeadRow,
    ResponseRow,
    SeenEventRow,
    UnreachableRow,
)
from bot.web.app import ZALO_OA, create_app
from tests.conftest import switch_on
from tests.drivers import GRADE12_TYPED
from tests.fakes.zalo_oa_api import (
    TIMEOUT,
    FakeZaloOA,
    follow,
    oa_send_text,
    user_send_text,
    user_submit_info,
)

NAME_STEP = 9  # GRADE12_TYPED[:9] ends at "Họ và tên"
GRADE12_TO_NAME = GRADE12_TYPED[:NAME_STEP]


@pytest.fixture
async def fake() -> AsyncIterator[FakeZaloOA]:
    api = await FakeZaloOA().start()
    yield api
    await api.close()


def _settings(tmp_path: Path, database_url: str, fake: FakeZaloOA) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        public_url="https://bot.example.edu.vn",
        zalo_oa_app_id=fake.app_id,
        zalo_oa_secret_key=fake.oa_secret_key,
        zalo_app_secret=fake.app_secret,
        zalo_oa_access_token="oa-access-1",
        zalo_oa_refresh_token="oa-refresh-1",
        zalo_oa_api_base=fake.base_url,
        zalo_oauth_base=fake.base_url,
        zalo_oa_timeout=0.5,
        zalo_oa_retry_base=0.01,
    )


async def _start(settings: Settings, catalog: Catalog) -> TestServer:
    server = TestServer(create_app(settings, catalog))
    await server.start_server()
    return server


@pytest.fixture
async def hook(
    catalog: Catalog, database_url: str, tmp_path: Path, fake: FakeZaloOA
) -> AsyncIterator[TestServer]:
    server = await _start(_settings(tmp_path, database_url, fake), catalog)
    await switch_on(database_url)  # task directory: the schools an operator switched on
    yield server
    await server.close()


def _channel(server: TestServer) -> ZaloOAChannel:
    return server.app[ZALO_OA]


async def _settle(server: TestServer) -> None:
    """Wait until every event the channel accepted has been handled and answered."""
    channel = _channel(server)
    await channel.tasks.settle()


async def _post(server: TestServer, body: bytes, headers: dict[str, str]) -> int:
    async with (
        aiohttp.ClientSession() as http,
        http.post(server.make_url(WEBHOOK_PATH), data=body, headers=headers) as response,
    ):
        status = response.status
    await _settle(server)
    return status


async def _event(server: TestServer, fake: FakeZaloOA, event: dict[str, Any]) -> int:
    return await _post(server, *fake.event(event))


async def _say(server: TestServer, fake: FakeZaloOA, user: str, text: str) -> str:
    before = len(fake.texts(user))
    assert await _event(server, fake, user_send_text(user, text)) == 200
    return "\n".join(fake.texts(user)[before:])


async def _press(server: TestServer, fake: FakeZaloOA, user: str, title: str) -> str:
    """Press a button of the last message with buttons: Zalo sends its hidden query as text."""
    last = next(s for s in reversed(fake.delivered(user)) if s.buttons)
    payloads = {b["title"]: b["payload"] for b in last.buttons}
    assert title in payloads, f"no button {title!r} in {list(payloads)}"
    return await _say(server, fake, user, payloads[title])


async def _health(server: TestServer) -> str:
    async with aiohttp.ClientSession() as http, http.get(server.make_url("/healthz")) as r:
        return str((await r.json())["channels"]["zalo_oa"])


async def _count(database_url: str, model: Any) -> int:
    db = make_engine(database_url)
    try:
        async with async_sessionmaker(db)() as session:
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        await db.dispose()


async def _rows(database_url: str, model: Any) -> list[Any]:
    db = make_engine(database_url)
    try:
        async with async_sessionmaker(db)() as session:
            return list(await session.scalars(select(model)))
    finally:
        await db.dispose()


# -- the webhook ----------------------------------------------------------------------------------


async def test_forged_foreign_or_stale_events_are_refused_and_change_nothing(
    hook: TestServer, fake: FakeZaloOA, database_url: str
) -> None:
    assert await _health(hook) == "webhook"
    event = user_send_text("u-forged", "xin chào", "zmsg-forged")
    body, headers = fake.event(event)
    other_body, _ = fake.event(user_send_text("u-forged", "tin khác", "zmsg-forged"))
    refused = [
        fake.event(event, secret="not-the-oa-secret"),  # forged signature
        (body, {"Content-Type": "application/json"}),  # no signature
        (body, {**headers, "X-ZEvent-Signature": headers["X-ZEvent-Signature"][4:]}),  # no mac=
        (other_body, headers),  # a signature of another body
        fake.event(event, app_id="9999999999"),  # signed, but for another app
        fake.event(event, age=20 * 60),  # replayed 20 minutes later
        fake.event(event, age=-20 * 60),  # far in the future
    ]
    for forged_body, forged_headers in refused:
        assert await _post(hook, forged_body, forged_headers) == 403
    # the signature covers a timestamp inside the body: a body we cannot parse cannot be
    # verified, and is refused like a forged one
    assert await _post(hook, b"{not json", headers) == 403
    assert fake.sends == []
    assert await _count(database_url, SeenEventRow) == 0
    assert await _count(database_url, ConversationRow) == 0
    assert await _post(hook, body, headers) == 200  # the genuine event is still answered
    assert len(fake.texts("u-forged")) == 1


async def test_a_replayed_msg_id_is_handled_once_and_echoes_are_ignored(
    hook: TestServer, fake: FakeZaloOA
) -> None:
    event = user_send_text("u-replay", "xin chào", "zmsg-replayed")
    assert await _event(hook, fake, event) == 200
    assert await _event(hook, fake, event) == 200  # Zalo retries: same msg_id, new signature
    assert len(fake.texts("u-replay")) == 1
    echo = oa_send_text("u-replay", "tin của chính OA")
    assert await _event(hook, fake, echo) == 200
    assert await _event(hook, fake, {"event_name": "user_seen_message"}) == 200  # unknown
    assert len(fake.sends) == 1


async def test_follow_is_greeted_with_the_main_menu(hook: TestServer, fake: FakeZaloOA) -> None:
    assert await _event(hook, fake, follow("u-follow")) == 200
    [greeting] = fake.delivered("u-follow")
    assert greeting.text.startswith(_channel(hook).engine.catalog.text(T.GREETING))
    # the main menu has six choices, more than a template holds: a numbered list
    assert "1. Các nghề" in greeting.text and "6. " in greeting.text
    assert greeting.buttons == []


async def test_buttons_go_out_as_a_template_and_come_back_as_payloads(
    hook: TestServer, fake: FakeZaloOA
) -> None:
    await _say(hook, fake, "u-buttons", "khao sat")
    last = fake.delivered("u-buttons")[-1]
    assert [b["title"] for b in last.buttons] == [
        "Khảo sát nguyện vọng sau lớp 9",
        "Khảo sát nguyện vọng sau lớp 12",
        "🏠 Trang chủ",
    ]
    assert {b["type"] for b in last.buttons} == {"oa.query.hide"}
    assert all(b["payload"].startswith(PAYLOAD_PREFIX) for b in last.buttons)
    assert "1. " not in last.text  # not also numbered
    reply = await _press(hook, fake, "u-buttons", "Khảo sát nguyện vọng sau lớp 12")
    assert "Sau khi tốt nghiệp THPT" in reply
    question = fake.delivered("u-buttons")[-1]
    assert "1. Học đại học" in question.text and question.buttons == []  # 8 choices: numbered


async def test_a_question_without_diacritics_is_answered(
    hook: TestServer, fake: FakeZaloOA, engine: Engine
) -> None:
    question = "hoc nghe han co mat hoc phi ko"
    expected = engine.ask(question)
    assert expected.matched
    reply = await _say(hook, fake, "u-ask", question)
    assert expected.answer.splitlines()[0] in reply


async def test_long_answers_are_split_under_2000_with_buttons_on_the_last_piece(
    hook: TestServer, fake: FakeZaloOA
) -> None:
    text = "\n\n".join(f"Đoạn {i}: " + "chữ " * 120 for i in range(20))
    await _channel(hook).send("u-long", [Reply(text, (Button("🏠 Trang chủ", "home"),))])
    pieces = fake.delivered("u-long")
    assert len(pieces) > 1 and all(len(p.text) <= MAX_TEXT for p in pieces)
    assert [bool(p.buttons) for p in pieces] == [False] * (len(pieces) - 1) + [True]
    joined = "".join(p.text for p in pieces)
    assert joined.replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(" ", "")


# -- tokens ---------------------------------------------------------------------------------------


async def _stored(database_url: str) -> ChannelCredentialRow:
    [row] = await _rows(database_url, ChannelCredentialRow)
    return row


async def test_an_invalid_token_is_refreshed_once_and_the_new_pair_stored(
    hook: TestServer, fake: FakeZaloOA, database_url: str
) -> None:
    fake.inject(-216)
    assert await _say(hook, fake, "u-token", "xin chào")
    assert [(s.token, s.error) for s in fake.sends] == [("oa-access-1", -216), ("oa-access-2", 0)]
    assert [r["refresh_token"] for r in fake.refreshes] == ["oa-refresh-1"]
    row = await _stored(database_url)
    assert (row.access_token, row.refresh_token) == ("oa-access-2", "oa-refresh-2")
    assert row.expires_at is not None
    assert row.expires_at > dt.datetime.now(dt.UTC) + dt.timedelta(hours=24)
    fake.inject(-220)  # expired: the next refresh spends the new refresh token
    assert await _say(hook, fake, "u-token", "cảm ơn")
    assert [r["refresh_token"] for r in fake.refreshes] == ["oa-refresh-1", "oa-refresh-2"]
    assert fake.reused == 0
    row = await _stored(database_url)
    assert (row.access_token, row.refresh_token) == ("oa-access-3", "oa-refresh-3")
    assert await _health(hook) == "webhook"


async def test_a_token_about_to_expire_is_refreshed_ahead(
    catalog: Catalog, database_url: str, tmp_path: Path, fake: FakeZaloOA
) -> None:
    settings = replace(_settings(tmp_path, database_url, fake), zalo_oa_access_token=None)
    fake.expires_in = "1800"  # the pair issued at start lasts 30 minutes: within the hour
    server = await _start(settings, catalog)
    try:
        fake.expires_in = "90000"
        assert await _say(server, fake, "u-ahead", "xin chào")
    finally:
        await server.close()
    # renewed before sending, not after a failure
    assert [(s.token, s.error) for s in fake.sends] == [("oa-access-3", 0)]
    assert [r["refresh_token"] for r in fake.refreshes] == ["oa-refresh-1", "oa-refresh-2"]
    row = await _stored(database_url)
    assert (row.access_token, row.refresh_token) == ("oa-access-3", "oa-refresh-3")


async def test_a_refresh_token_alone_is_spent_at_start(
    catalog: Catalog, database_url: str, tmp_path: Path, fake: FakeZaloOA
) -> None:
    settings = replace(_settings(tmp_path, database_url, fake), zalo_oa_access_token=None)
    server = await _start(settings, catalog)
    try:
        assert await _health(server) == "webhook"
        assert [r["refresh_token"] for r in fake.refreshes] == ["oa-refresh-1"]
        assert await _say(server, fake, "u-fresh", "xin chào")
        assert fake.sends[-1].token == "oa-access-2"
    finally:
        await server.close()


async def test_a_restart_uses_the_tokens_in_the_database_not_the_settings(
    catalog: Catalog, database_url: str, tmp_path: Path, fake: FakeZaloOA
) -> None:
    settings = _settings(tmp_path, database_url, fake)
    first = await _start(settings, catalog)
    try:
        fake.inject(-216)
        assert await _say(first, fake, "u-restart", "xin chào")
    finally:
        await first.close()
    second = await _start(settings, catalog)  # settings still name oa-access-1 / oa-refresh-1
    try:
        assert await _say(second, fake, "u-restart", "cảm ơn")
    finally:
        await second.close()
    assert fake.sends[-1].token == "oa-access-2"
    assert len(fake.refreshes) == 1 and fake.reused == 0
    row = await _stored(database_url)
    assert (row.access_token, row.refresh_token) == ("oa-access-2", "oa-refresh-2")


async def test_a_second_process_uses_the_token_the_first_refreshed(
    catalog: Catalog, database_url: str, tmp_path: Path, fake: FakeZaloOA
) -> None:
    settings = _settings(tmp_path, database_url, fake)
    one, two = await _start(settings, catalog), await _start(settings, catalog)
    try:
        fake.inject(-216)
        assert await _say(one, fake, "u-one", "xin chào")  # process one refreshes
        assert await _say(two, fake, "u-two", "xin chào")  # two still holds oa-access-1
    finally:
        await one.close()
        await two.close()
    assert [(s.user, s.token, s.error) for s in fake.sends if s.user == "u-two"] == [
        ("u-two", "oa-access-1", -216),
        ("u-two", "oa-access-2", 0),
    ]
    assert len(fake.refreshes) == 1 and fake.reused == 0


async def test_a_failed_refresh_sets_the_error_state_and_logs_no_token(
    catalog: Catalog,
    database_url: str,
    tmp_path: Path,
    fake: FakeZaloOA,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = replace(_settings(tmp_path, database_url, fake), zalo_app_secret="wrong-secret")
    server = await _start(settings, catalog)
    try:
        with caplog.at_level(logging.INFO):
            fake.inject(-216)
            assert await _say(server, fake, "u-fail", "xin chào") == ""
            assert await _health(server) == "error"
    finally:
        await server.close()
    assert fake.refresh_token == "oa-refresh-1"  # the OAuth server refused: nothing spent
    row = await _stored(database_url)
    assert (row.access_token, row.refresh_token) == ("oa-access-1", "oa-refresh-1")
    assert "token refresh failed" in caplog.text
    for secret in ("oa-access-1", "oa-refresh-1", "wrong-secret", fake.oa_secret_key):
        assert secret not in caplog.text


# -- platform errors ------------------------------------------------------------------------------


async def test_an_unreachable_user_is_recorded_and_cleared_when_writing_again(
    hook: TestServer, fake: FakeZaloOA, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        fake.inject(-230)
        assert await _say(hook, fake, "u-away", "xin chào") == ""
    assert len(fake.sends) == 1  # no retry
    [row] = await _rows(database_url, UnreachableRow)
    assert (row.channel, row.user_key) == ("zalo_oa", "u-away")
    assert "-230" in caplog.text and "u-away" not in caplog.text
    assert await _health(hook) == "webhook"
    assert await _say(hook, fake, "u-away", "chào bạn")  # the user wrote: reachable again
    assert await _count(database_url, UnreachableRow) == 0


async def test_a_rate_limit_is_retried_after_backing_off(
    hook: TestServer, fake: FakeZaloOA
) -> None:
    fake.inject(-32, -32)
    assert await _say(hook, fake, "u-busy", "xin chào")
    assert [s.error for s in fake.sends] == [-32, -32, 0]
    fake.inject(-32, -32, -32, -32)  # still limited after the last wait: given up
    assert await _say(hook, fake, "u-busy", "cảm ơn") == ""
    assert [s.error for s in fake.sends[3:]] == [-32, -32, -32, -32]
    assert await _health(hook) == "webhook"


async def test_a_timeout_gives_up_on_that_message_only(hook: TestServer, fake: FakeZaloOA) -> None:
    fake.inject(TIMEOUT)
    assert await _say(hook, fake, "u-slow", "xin chào") == ""
    assert len(fake.sends) == 1
    assert await _health(hook) == "webhook"
    assert await _say(hook, fake, "u-slow", "chào bạn")


# -- surveys --------------------------------------------------------------------------------------


async def _submit_info(server: TestServer, fake: FakeZaloOA, user: str) -> str:
    before = len(fake.texts(user))
    info = user_submit_info(
        user,
        name="Trần Thị Bình",
        phone="84912345678",
        address="12 Lê Lợi",
        city="Hưng Yên",
        district="Mỹ Hào",
        ward="Phường Nhân Hòa",
    )
    assert await _event(server, fake, info) == 200
    return "\n".join(fake.texts(user)[before:])


async def test_shared_info_answers_the_name_and_phone_questions_only(
    hook: TestServer, fake: FakeZaloOA, database_url: str
) -> None:
    user = "u-info"
    note = _channel(hook).engine.catalog.text(T.SHARED_NOT_ASKED)
    assert note in await _submit_info(hook, fake, user)  # no survey asks for it yet
    for text, expected in GRADE12_TO_NAME:
        reply = await _say(hook, fake, user, text)
        assert expected in reply, f"{text!r} -> {reply}"
    assert "trường THPT nào" in await _submit_info(hook, fake, user)  # the name question
    assert "Số điện thoại" in await _say(hook, fake, user, "THPT Mỹ Hào, 12A1")
    summary = await _submit_info(hook, fake, user)  # the phone question
    assert "Bạn kiểm tra lại" in summary and "0912 345 678" in summary
    assert "Trần Thị Bình" in summary
    assert "đã được chuyển tới" in await _say(hook, fake, user, "1")
    [contact] = await _rows(database_url, ContactRow)
    assert contact.data["name"] == "Trần Thị Bình" and contact.data["phone"] == "+84912345678"
    stored = [str(r.state) for r in await _rows(database_url, ConversationRow)]
    stored += [str(contact.data)]
    assert not [s for s in stored if "Lê Lợi" in s or "Nhân Hòa" in s]


async def test_grade12_survey_on_zalo_oa_stores_the_lead(
    hook: TestServer, fake: FakeZaloOA, database_url: str
) -> None:
    user = "u-survey-12"
    for text, expected in GRADE12_TYPED:
        reply = await _say(hook, fake, user, text)
        assert expected in reply, f"{text!r} -> {reply}"
    [response] = await _rows(database_url, ResponseRow)
    [lead] = await _rows(database_url, LeadRow)
    assert (response.channel, response.grade, response.consent_given) == ("zalo_oa", 12, True)
    assert lead.school_id == "cd_cn_hung_yen"
