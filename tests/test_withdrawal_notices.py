"""A school that got a lead hears when the student withdraws consent or erases their data: a
signed lead.withdrawn on its webhook and a one-line note in its Telegram staff group (the real
app, students on Telegram, SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.catalog import Catalog
from bot.channels.telegram import webhook_secret
from bot.settings import Settings
from bot.storage.db import make_engine
from bot.storage.schools import SchoolStore
from bot.web.app import create_app
from tests.drivers import GRADE12_SCHOOL, GRADE12_TYPED, TelegramChat
from tests.fakes.school_webhook import FakeSchool
from tests.fakes.telegram_api import FakeTelegramApi

STAFF_GROUP = -1009876


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeTelegramApi, FakeSchool]]:
    api = await FakeTelegramApi().start()
    school = await FakeSchool().start()
    yield api, school
    await school.close()
    await api.close()


@pytest.fixture
async def stack(
    catalog: Catalog,
    database_url: str,
    tmp_path: Path,
    fakes: tuple[FakeTelegramApi, FakeSchool],
) -> AsyncIterator[tuple[TestServer, AsyncEngine, str]]:
    api, _ = fakes
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        public_url="https://bot.example.edu.vn",
        telegram_bot_token=api.token,
        telegram_api_base=api.base_url,
        outbox_poll=0.1,
        retry_base=0.05,
    )
    server = TestServer(create_app(settings, catalog), host="127.0.0.1")
    await server.start_server()
    db = make_engine(database_url)
    yield server, db, webhook_secret(settings)
    await server.close()
    await db.dispose()


async def _posted(api: FakeTelegramApi, needle: str, count: int = 1) -> list[str]:
    """The group's messages containing `needle`, once there are `count` of them."""
    async with asyncio.timeout(10):
        while True:
            found = [m["text"] for m in api.messages(STAFF_GROUP) if needle in m["text"]]
            if len(found) >= count:
                return found
            api.sent.clear()
            await api.sent.wait()


async def test_withdrawal_and_erasure_reach_the_webhook_and_the_staff_group(
    stack: tuple[TestServer, AsyncEngine, str],
    fakes: tuple[FakeTelegramApi, FakeSchool],
    catalog: Catalog,
) -> None:
    server, db, secret = stack
    api, school = fakes
    store = SchoolStore(db)
    now = dt.datetime.now(dt.UTC)
    hook_secret = await store.set_webhook(GRADE12_SCHOOL, school.url, now)
    staff = TelegramChat(server, api, secret, STAFF_GROUP, "group")
    await staff.say(f"/link {await store.new_link_code(GRADE12_SCHOOL, now)}")
    school_name = catalog.schools[GRADE12_SCHOOL].name

    leads: list[str] = []
    for n, student_id in enumerate((7101, 7102), start=1):
        student = TelegramChat(server, api, secret, student_id)
        for text, _ in GRADE12_TYPED:
            await student.say(text)
        [*_, post] = await _posted(api, "Học sinh mới", count=n)
        leads.append(re.findall(r"Mã: ([0-9a-f]{32})", post)[0])
        await school.wait_for(n)

    withdrawing = TelegramChat(server, api, secret, 7101)
    await withdrawing.say("rút lại đồng ý")
    assert "Đã rút lại đồng ý" in await withdrawing.press(school_name)
    [note] = await _posted(api, "rút lại đồng ý")
    assert note == f"Học sinh đã rút lại đồng ý: hãy xóa thông tin của học sinh có Mã {leads[0]}."

    erasing = TelegramChat(server, api, secret, 7102)
    await erasing.say("xóa dữ liệu của tôi")
    assert "Mình đã xóa dữ liệu của bạn" in await erasing.press("🗑 Xóa dữ liệu")
    [note] = await _posted(api, "xóa dữ liệu")
    assert leads[1] in note and "Trần Thị Bình" not in note

    await school.wait_for(4)
    notices = school.events("lead.withdrawn")
    assert [(n.json["lead_id"], n.json["reason"]) for n in notices] == [
        (leads[0], "consent_withdrawn"),
        (leads[1], "data_erased"),
    ]
    for notice in notices:
        assert notice.signed_with(hook_secret)
        assert set(notice.json) == {
            "event",
            "idempotency_key",
            "lead_id",
            "school_id",
            "withdrawn_at",
            "reason",
        }
        assert notice.json["withdrawn_at"].endswith("+07:00")
        assert "Bình" not in notice.body.decode() and "912345678" not in notice.body.decode()
    assert len({r.key for r in school.received}) == 4  # a key per event
    assert await store.leads(GRADE12_SCHOOL) == []
