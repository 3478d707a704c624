"""Issue 4's acceptance: the same grade 12 survey on Telegram, Zalo OA, Zalo Bot and the web
chat gives four stored leads identical apart from their channel; each reaches the school (its
webhook and its linked Telegram group); forged and replayed requests change nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.catalog import Catalog
from bot.channels import zalo_bot
from bot.channels.telegram import webhook_secret
from bot.leads.records import lead_dict
from bot.settings import Settings
from bot.storage.db import make_engine
from bot.storage.models import ConversationRow, LeadRow, ResponseRow
from bot.storage.schools import SchoolStore
from bot.web.app import ZALO_OA, create_app
from tests.drivers import (
    GRADE12_SCHOOL,
    GRADE12_TYPED,
    TelegramChat,
    WebChat,
    ZaloBotChat,
    ZaloOAChat,
)
from tests.fakes.school_webhook import FakeSchool
from tests.fakes.telegram_api import FakeTelegramApi, text_update
from tests.fakes.zalo_bot_api import FakeZaloBotApi
from tests.fakes.zalo_bot_api import message as zalo_message
from tests.fakes.zalo_oa_api import FakeZaloOA, user_send_text

ZALO_BOT_SECRET = "zalo-bot-secret_42"
STAFF_GROUP = -100777


class Platforms:
    """The fake Telegram, Zalo Bot and Zalo OA platforms and a school's CRM, all on 127.0.0.1."""

    def __init__(self) -> None:
        self.telegram = FakeTelegramApi()
        self.zalo_bot = FakeZaloBotApi()
        self.zalo_oa = FakeZaloOA()
        self.school = FakeSchool()

    async def start(self) -> Platforms:
        await self.telegram.start()
        await self.zalo_bot.start()
        await self.zalo_oa.start()
        await self.school.start()
        return self

    async def close(self) -> None:
        for fake in (self.telegram, self.zalo_bot, self.zalo_oa, self.school):
            await fake.close()


@pytest.fixture
async def platforms() -> AsyncIterator[Platforms]:
    fakes = await Platforms().start()
    yield fakes
    await fakes.close()


@pytest.fixture
async def stack(
    catalog: Catalog, database_url: str, tmp_path: Path, platforms: Platforms
) -> AsyncIterator[tuple[TestServer, AsyncEngine, Settings]]:
    oa = platforms.zalo_oa
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        public_url="https://bot.example.edu.vn",
        outbox_poll=0.1,
        retry_base=0.05,
        webhook_timeout=2.0,
        telegram_bot_token=platforms.telegram.token,
        telegram_api_base=platforms.telegram.base_url,
        zalo_bot_token=platforms.zalo_bot.token,
        zalo_bot_secret=ZALO_BOT_SECRET,
        zalo_bot_api_base=platforms.zalo_bot.base_url,
        zalo_oa_app_id=oa.app_id,
        zalo_oa_secret_key=oa.oa_secret_key,
        zalo_app_secret=oa.app_secret,
        zalo_oa_access_token=oa.access_token,
        zalo_oa_refresh_token=oa.refresh_token,
        zalo_oa_api_base=oa.base_url,
        zalo_oauth_base=oa.base_url,
    )
    server = TestServer(create_app(settings, catalog), host="127.0.0.1")
    await server.start_server()
    db = make_engine(database_url)
    yield server, db, settings
    await server.close()
    await db.dispose()


async def _count(db: AsyncEngine, model: Any) -> int:
    async with async_sessionmaker(db)() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _post_json(server: TestServer, path: str, body: object, headers: dict[str, str]) -> int:
    async with (
        aiohttp.ClientSession() as http,
        http.post(server.make_url(path), json=body, headers=headers) as response,
    ):
        return response.status


async def test_one_survey_four_channels_four_identical_leads(
    stack: tuple[TestServer, AsyncEngine, Settings], platforms: Platforms
) -> None:
    server, db, settings = stack
    now = dt.datetime.now(dt.UTC)
    store = SchoolStore(db)
    hook_secret = await store.set_webhook(GRADE12_SCHOOL, platforms.school.url, now)
    tg_secret = webhook_secret(settings)
    staff = TelegramChat(server, platforms.telegram, tg_secret, STAFF_GROUP, "supergroup")
    assert "Đã liên kết" in await staff.say(
        f"/link {await store.new_link_code(GRADE12_SCHOOL, now)}"
    )

    students = {
        "web": WebChat(server, "web-student-0001"),
        "telegram": TelegramChat(server, platforms.telegram, tg_secret, 7001),
        "zalo_bot": ZaloBotChat(server, platforms.zalo_bot, ZALO_BOT_SECRET, "zb-student"),
        "zalo_oa": ZaloOAChat(server, platforms.zalo_oa, "oa-student", server.app[ZALO_OA]),
    }

    # forged and replayed requests first: they must change nothing
    oa = students["zalo_oa"]
    assert isinstance(oa, ZaloOAChat)
    forged = platforms.zalo_oa.event(user_send_text("oa-student", "khao sat"), secret="guessed")
    assert await oa.post(*forged) == 403
    wrong = {"X-Telegram-Bot-Api-Secret-Token": "not-the-secret"}
    assert (
        await _post_json(server, "/webhooks/telegram", text_update(1, 7001, "khao sat"), wrong)
        == 403
    )
    zb_forged = {zalo_bot.SECRET_HEADER: "not-the-secret"}
    zb_body = zalo_message("zb-student", "khao sat", "zb-forged")
    assert await _post_json(server, zalo_bot.WEBHOOK_PATH, zb_body, zb_forged) == 403
    await asyncio.sleep(0.3)
    assert await _count(db, ConversationRow) == 0
    assert platforms.zalo_oa.texts() == [] and platforms.zalo_bot.texts() == []
    assert platforms.telegram.messages(7001) == []

    for channel, student in students.items():
        for text, expected in GRADE12_TYPED:
            reply = await student.say(text)
            assert expected in reply, f"{channel}: {text!r} -> {reply}"

    # a replayed Telegram update and a replayed Zalo OA message: handled once, nothing new
    tg = students["telegram"]
    assert isinstance(tg, TelegramChat)
    replay = text_update(90_001, 7001, "khao sat")
    assert await tg.post(replay) == 200
    await asyncio.sleep(0.3)
    sent_before = len(platforms.telegram.messages(7001))
    assert await tg.post(replay) == 200
    oa_replay = platforms.zalo_oa.event(user_send_text("oa-student", "xin chao", "oa-replay-1"))
    assert await oa.post(*oa_replay) == 200
    oa_sent = len(platforms.zalo_oa.texts("oa-student"))
    assert await oa.post(*oa_replay) == 200
    await asyncio.sleep(0.3)
    assert len(platforms.telegram.messages(7001)) == sent_before
    assert len(platforms.zalo_oa.texts("oa-student")) == oa_sent

    async with async_sessionmaker(db)() as session:
        responses = list(await session.scalars(select(ResponseRow)))
        leads = list(await session.scalars(select(LeadRow)))
    assert sorted(r.channel for r in responses) == sorted(students)
    assert {lead.school_id for lead in leads} == {GRADE12_SCHOOL} and len(leads) == 4

    records = await store.leads(GRADE12_SCHOOL)
    catalog = server.app[ZALO_OA].engine.catalog
    views = {r.channel: _without_identity(lead_dict(r, catalog)) for r in records}
    assert sorted(views) == sorted(students)
    first = views["web"]
    assert first["student"]["name"] == "Trần Thị Bình"
    assert first["trades"] and first["province"] and first["consent"]["version"]
    for channel, view in views.items():
        assert view == first, f"{channel} differs from web"

    # each lead reached the school: its CRM (signed) and its Telegram staff group
    await platforms.school.wait_for(4, timeout=15)
    assert all(r.signed_with(hook_secret) for r in platforms.school.received)
    assert sorted(r.json["lead"]["channel"] for r in platforms.school.received) == sorted(students)
    async with asyncio.timeout(15):
        while len(_posted(platforms.telegram)) < 4:
            platforms.telegram.sent.clear()
            await platforms.telegram.sent.wait()
    assert sorted(_posted(platforms.telegram)) == sorted(f"Kênh: {c}" for c in students)


def _without_identity(lead: dict[str, Any]) -> dict[str, Any]:
    """A lead without what differs by nature: its id, times and channel."""
    lead = dict(lead)
    for key in ("lead_id", "created_at", "channel"):
        lead.pop(key)
    lead["consent"] = {"version": lead["consent"]["version"]}
    return lead


def _posted(fake: FakeTelegramApi) -> list[str]:
    """The channel line of every new-lead message in the staff group."""
    return [
        line
        for m in fake.messages(STAFF_GROUP)
        if "Học sinh mới" in m["text"]
        for line in m["text"].splitlines()
        if line.startswith("Kênh: ")
    ]
