"""Schools on Telegram: a one-time code links a staff group; new leads are posted there by the
outbox; `/leads` there returns the school's list as a CSV document. No other chat can do either."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.catalog import Catalog
from bot.channels.telegram import webhook_secret
from bot.leads.outbox import outbox_rows
from bot.settings import Settings
from bot.storage.db import make_engine
from bot.storage.models import OutboxRow, SchoolChatRow
from bot.storage.schools import SchoolStore
from bot.web.app import OUTBOX, create_app
from tests.drivers import GRADE12_SCHOOL, GRADE12_TYPED, TelegramChat
from tests.fakes.telegram_api import FakeTelegramApi

STAFF_GROUP = -1001234
OTHER_GROUP = -1005678
STUDENT = 6001


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegramApi]:
    api = await FakeTelegramApi().start()
    yield api
    await api.close()


@pytest.fixture(params=[0.1])
async def stack(
    request: pytest.FixtureRequest,
    catalog: Catalog,
    database_url: str,
    tmp_path: Path,
    fake: FakeTelegramApi,
) -> AsyncIterator[tuple[TestServer, AsyncEngine, str]]:
    """The app with Telegram in webhook mode; the outbox polls every `param` seconds."""
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        public_url="https://bot.example.edu.vn",
        telegram_bot_token=fake.token,
        telegram_api_base=fake.base_url,
        outbox_poll=request.param,
        retry_base=0.05,
    )
    server = TestServer(create_app(settings, catalog), host="127.0.0.1")
    await server.start_server()
    db = make_engine(database_url)
    yield server, db, webhook_secret(settings)
    await server.close()
    await db.dispose()


async def _wait_for(fake: FakeTelegramApi, chat_id: int, needle: str) -> str:
    async with asyncio.timeout(10):
        while True:
            for message in fake.messages(chat_id):
                if needle in message["text"]:
                    return str(message["text"])
            fake.sent.clear()
            await fake.sent.wait()


async def test_a_linked_group_gets_the_lead_and_its_list(
    stack: tuple[TestServer, AsyncEngine, str], fake: FakeTelegramApi
) -> None:
    server, db, secret = stack
    code = await SchoolStore(db).new_link_code(GRADE12_SCHOOL, dt.datetime.now(dt.UTC))
    staff = TelegramChat(server, fake, secret, STAFF_GROUP, "supergroup")
    other = TelegramChat(server, fake, secret, OTHER_GROUP, "group")

    assert "chưa được liên kết" in await staff.say("/leads")
    assert "Đã liên kết nhóm này với Trường Cao đẳng" in await staff.say(
        f"/link@hn_test_bot {code}"
    )
    assert "đã được dùng hoặc đã hết hạn" in await other.say(f"/link {code}")  # spent
    assert await staff.say("chào cả nhà", expect_reply=False) == ""  # staff talk: bot is quiet

    student = TelegramChat(server, fake, secret, STUDENT)
    for text, expected in GRADE12_TYPED:
        reply = await student.say(text)
        assert expected in reply, f"{text!r} -> {reply}"

    posted = await _wait_for(fake, STAFF_GROUP, "Học sinh mới đồng ý")
    assert "Họ tên: Trần Thị Bình" in posted and "Số điện thoại: +84912345678" in posted
    assert "Nghề quan tâm: Điện công nghiệp" in posted and "Kênh: telegram" in posted
    # escaped for HTML and sent as HTML: "&" or "<" in a name shows as typed
    assert all(m.get("parse_mode") == "HTML" for m in fake.messages(STAFF_GROUP))
    async with async_sessionmaker(db)() as session:
        [row] = list(await session.scalars(select(OutboxRow)))
    assert (row.kind, row.target) == ("telegram", GRADE12_SCHOOL)

    await staff.say("/leads")
    [(chat, filename, data)] = fake.documents
    assert chat == STAFF_GROUP and filename.startswith(f"hoc-sinh-{GRADE12_SCHOOL}-")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0][4] == "Họ tên" and [r[4] for r in table[1:]] == ["Trần Thị Bình"]
    assert [e.rows for e in await SchoolStore(db).exports(GRADE12_SCHOOL)] == [1]

    # nobody else gets the list: not the other group, not the student's private chat
    assert "chưa được liên kết" in await other.say("/leads")
    await student.say("/leads")
    await asyncio.sleep(0.2)
    assert len(fake.documents) == 1


async def test_linking_another_group_moves_the_link_and_unlinked_schools_get_no_message(
    stack: tuple[TestServer, AsyncEngine, str], fake: FakeTelegramApi
) -> None:
    server, db, secret = stack
    store = SchoolStore(db)
    now = dt.datetime.now(dt.UTC)
    first = TelegramChat(server, fake, secret, STAFF_GROUP, "group")
    second = TelegramChat(server, fake, secret, OTHER_GROUP, "supergroup")
    assert "Gửi kèm mã liên kết" in await first.say("/link")
    await first.say(f"/link {await store.new_link_code(GRADE12_SCHOOL, now)}")
    await second.say(f"/lienket {await store.new_link_code(GRADE12_SCHOOL, now)}")
    assert await store.chat_for_school(GRADE12_SCHOOL, "telegram") == str(OTHER_GROUP)
    told = [m["text"] for m in fake.messages(STAFF_GROUP)]
    assert "từ nay được gửi sang một nhóm khác" in told[-1]  # the old group is told
    assert "chưa được liên kết" in await first.say("/leads")

    # the second group now takes another school: it is told the first one is gone
    moved = await second.say(f"/link {await store.new_link_code('cd_long_an', now)}")
    assert "Trường Cao đẳng Long An" in moved and "trước đây nhận học sinh của" in moved
    assert await store.chat_for_school(GRADE12_SCHOOL, "telegram") is None
    await second.say(f"/link {await store.new_link_code(GRADE12_SCHOOL, now)}")

    # an expired code links nothing
    old = await store.new_link_code("cd_long_an", now - dt.timedelta(hours=25))
    assert "hết hạn" in await first.say(f"/link {old}")
    async with async_sessionmaker(db)() as session:
        links = {(r.school_id, r.chat_id) for r in await session.scalars(select(SchoolChatRow))}
    assert links == {(GRADE12_SCHOOL, str(OTHER_GROUP))}


@pytest.mark.parametrize("stack", [3600.0], indirect=True)  # the outbox runs when we say
async def test_a_refused_post_is_retried_and_an_unlinked_group_cancels_the_delivery(
    stack: tuple[TestServer, AsyncEngine, str], fake: FakeTelegramApi
) -> None:
    server, db, secret = stack
    store = SchoolStore(db)
    staff = TelegramChat(server, fake, secret, STAFF_GROUP, "group")
    await staff.say(f"/link {await store.new_link_code(GRADE12_SCHOOL, dt.datetime.now(dt.UTC))}")
    student = TelegramChat(server, fake, secret, STUDENT)
    for text, _ in GRADE12_TYPED:
        await student.say(text)
    outbox = server.app[OUTBOX]

    fake.fail("sendMessage", 403, "Forbidden: bot was kicked from the group chat")
    async with aiohttp.ClientSession() as http:
        assert await outbox.run_once(http) == 1
    [row] = await outbox_rows(db)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "telegram: Forbidden")

    assert await store.unlink_chat(GRADE12_SCHOOL, "telegram")
    async with async_sessionmaker(db)() as session, session.begin():
        await session.execute(update(OutboxRow).values(next_attempt_at=dt.datetime.now(dt.UTC)))
    async with aiohttp.ClientSession() as http:
        assert await outbox.run_once(http) == 1
    [row] = await outbox_rows(db)
    assert (row.status, row.last_error) == ("cancelled", "no linked Telegram group")
    assert not [m for m in fake.messages(STAFF_GROUP) if "Học sinh mới" in m["text"]]
    # the lead itself stays in the school's list
    assert [r.personal["name"] for r in await store.leads(GRADE12_SCHOOL)] == ["Trần Thị Bình"]
