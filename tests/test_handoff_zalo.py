"""Talking to a counsellor from Zalo (issue 12, deliver 1): a student on Zalo OA and on the
Zalo Bot Platform asks for a counsellor; the question and the student's later messages reach
the counsellors' fake Telegram group thread; a counsellor's reply there reaches the student
through the fake Zalo API; "/xong" (or the student's "kết thúc") gives the student back to the
bot. The real app (SQLite and PostgreSQL) with the three fake platforms on 127.0.0.1."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from bot.catalog import Catalog
from bot.channels import zalo_bot
from bot.channels.handoff_desk import COUNSELLORS
from bot.channels.telegram import webhook_secret
from bot.settings import Settings
from bot.storage.db import make_engine
from bot.storage.models import HandoffRow
from bot.storage.schools import SchoolStore
from bot.web.app import ZALO_OA, create_app
from tests.drivers import TelegramChat, ZaloBotChat, ZaloOAChat
from tests.fakes.telegram_api import FakeTelegramApi, group_update
from tests.fakes.zalo_bot_api import FakeZaloBotApi, message
from tests.fakes.zalo_oa_api import FakeZaloOA

GROUP = -1009101
ZALO_SECRET = "zalo-webhook-secret_456"
_ids = itertools.count(70_000)


@dataclass
class Platforms:
    """The app, its database, and the three fake platforms."""

    server: TestServer
    telegram: FakeTelegramApi
    zalo_oa: FakeZaloOA
    zalo_bot: FakeZaloBotApi
    secret: str  # Telegram's webhook secret
    database_url: str

    async def counsellor(self, text: str, thread: int | None, reply_to: int | None = None) -> None:
        """A counsellor writes in the group (in a topic, or as a reply)."""
        group = TelegramChat(self.server, self.telegram, self.secret, GROUP, "supergroup")
        update = group_update(next(_ids), GROUP, text, thread, reply_to)
        assert await group.post(update) == 200

    async def group(self, count: int) -> list[dict[str, Any]]:
        """The group's messages after the "linked" one, once there are `count`."""
        await self.telegram.wait_messages(count + 1, GROUP)
        return self.telegram.messages(GROUP)[1:]

    async def zalo_bot_quiet(self, chat_id: str, text: str) -> None:
        """A Zalo Bot user's message that gets no answer (the bot is quiet in a handoff)."""
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                self.server.make_url(zalo_bot.WEBHOOK_PATH),
                json=message(chat_id, text, f"zb-{next(_ids)}"),
                headers={zalo_bot.SECRET_HEADER: ZALO_SECRET},
            ) as r,
        ):
            assert r.status == 200

    async def open_handoffs(self) -> list[tuple[str, str]]:
        db = make_engine(self.database_url)
        try:
            async with db.connect() as conn:
                rows = await conn.execute(
                    select(HandoffRow.channel, HandoffRow.user_key).where(
                        HandoffRow.closed_at.is_(None)
                    )
                )
                return [(str(c), str(u)) for c, u in rows]
        finally:
            await db.dispose()


@pytest.fixture
async def platforms(
    catalog: Catalog, database_url: str, tmp_path: Path
) -> AsyncIterator[Platforms]:
    telegram = await FakeTelegramApi().start()
    zalo_oa = await FakeZaloOA().start()
    zalo_bot = await FakeZaloBotApi().start()
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        public_url="https://bot.example.edu.vn",
        telegram_bot_token=telegram.token,
        telegram_api_base=telegram.base_url,
        handoff_hours="always",
        zalo_oa_app_id=zalo_oa.app_id,
        zalo_oa_secret_key=zalo_oa.oa_secret_key,
        zalo_app_secret=zalo_oa.app_secret,
        zalo_oa_access_token="oa-access-1",
        zalo_oa_refresh_token="oa-refresh-1",
        zalo_oa_api_base=zalo_oa.base_url,
        zalo_oauth_base=zalo_oa.base_url,
        zalo_oa_timeout=0.5,
        zalo_oa_retry_base=0.01,
        zalo_bot_token=zalo_bot.token,
        zalo_bot_secret=ZALO_SECRET,
        zalo_bot_api_base=zalo_bot.base_url,
    )
    server = TestServer(create_app(settings, catalog), host="127.0.0.1")
    await server.start_server()
    secret = webhook_secret(settings)
    db = make_engine(database_url)
    try:
        code = await SchoolStore(db).new_link_code(COUNSELLORS, dt.datetime.now(dt.UTC))
    finally:
        await db.dispose()
    group = TelegramChat(server, telegram, secret, GROUP, "supergroup")
    assert "nhóm người tư vấn" in await group.say(f"/link {code}")
    try:
        yield Platforms(server, telegram, zalo_oa, zalo_bot, secret, database_url)
    finally:
        await server.close()
        await zalo_bot.close()
        await zalo_oa.close()
        await telegram.close()


async def settle_oa(platforms: Platforms) -> None:
    await platforms.server.app[ZALO_OA].tasks.settle()


async def until(check: Any, what: str) -> None:
    """Wait (up to 10 s) until `check()` is true."""
    async with asyncio.timeout(10):
        while not check():  # noqa: ASYNC110 (fakes of three platforms: polled)
            await asyncio.sleep(0.05)
    assert check(), what


async def test_zalo_oa_student_talks_with_a_counsellor_in_a_forum_topic(
    platforms: Platforms,
) -> None:
    platforms.telegram.forums.add(GROUP)
    oa = platforms.zalo_oa
    student = ZaloOAChat(platforms.server, oa, "oa-student-1", platforms.server.app[ZALO_OA])
    asked = await student.say("gặp người tư vấn")
    assert "Bạn muốn hỏi người tư vấn điều gì" in asked
    opened = await student.say("Em muốn học điện công nghiệp ở Long An ạ")
    assert "Đã chuyển câu hỏi của bạn tới người tư vấn" in opened
    [first] = await platforms.group(1)
    thread = int(first["message_thread_id"])
    assert "Em muốn học điện công nghiệp ở Long An ạ" in first["text"]
    assert "qua Zalo OA" in first["text"]
    assert "oa-student-1" not in first["text"]  # the group never sees the student's Zalo id

    # the student's next message goes to the thread; the bot says nothing back
    assert await student.say("Nhà em ở Bến Lức") == ""
    [_, second] = await platforms.group(2)
    assert "Nhà em ở Bến Lức" in second["text"] and int(second["message_thread_id"]) == thread

    # the counsellor's reply reaches the student through the Zalo OA send API
    before = len(oa.texts("oa-student-1"))
    await platforms.counsellor("Chào em, trường Cao đẳng Long An có ngành này", thread)
    await until(lambda: len(oa.texts("oa-student-1")) > before, "reply on Zalo OA")
    assert oa.texts("oa-student-1")[-1] == (
        "👩‍🏫 Người tư vấn: Chào em, trường Cao đẳng Long An có ngành này"
    )
    assert oa.delivered("oa-student-1")[-1].user == "oa-student-1"
    # a long answer (Telegram takes 4096 characters, Zalo 2000) arrives whole, in pieces
    long = " ".join(["Trường có ký túc xá và học bổng cho học sinh giỏi."] * 70)
    before = len(oa.texts("oa-student-1"))
    await platforms.counsellor(long, thread)
    await until(lambda: len(oa.texts("oa-student-1")) >= before + 2, "a long reply")
    pieces = oa.texts("oa-student-1")[before:]
    assert all(len(piece) <= 2000 for piece in pieces)
    assert "".join(pieces).replace("\n", " ").count("học bổng") == 70

    # "/xong": the student is told, back with the bot; the topic closes
    await platforms.counsellor("/xong", thread)
    await until(
        lambda: any("Người tư vấn đã kết thúc" in t for t in oa.texts("oa-student-1")),
        "the end on Zalo OA",
    )
    await until(lambda: platforms.telegram.count("closeForumTopic") == 1, "topic closed")
    assert await platforms.open_handoffs() == []
    group_before = len(platforms.telegram.messages(GROUP))
    answer = await student.say("học trung cấp có mất học phí không")
    assert "học phí" in answer.lower()
    assert len(platforms.telegram.messages(GROUP)) == group_before  # the bot answers again


async def test_zalo_bot_student_talks_with_a_counsellor_in_a_reply_chain(
    platforms: Platforms,
) -> None:
    zb = platforms.zalo_bot
    student = ZaloBotChat(platforms.server, zb, ZALO_SECRET, "zb-student-1")
    assert "Bạn muốn hỏi người tư vấn điều gì" in await student.say("gặp người tư vấn")
    assert "Đã chuyển" in await student.say("Cho em hỏi học phí trung cấp ạ")
    [root] = await platforms.group(1)
    assert "message_thread_id" not in root  # no topics in this group: a reply chain
    assert "Cho em hỏi học phí trung cấp ạ" in root["text"] and "qua Zalo" in root["text"]
    assert "zb-student-1" not in root["text"]
    root_id = next(
        i + 1
        for i, (method, body) in enumerate(platforms.telegram.calls)
        if method == "sendMessage" and body is root
    )

    # the student's next message: to the chain, nothing back from the bot
    texts_before = len(zb.texts("zb-student-1"))
    await platforms.zalo_bot_quiet("zb-student-1", "Em ở Tây Ninh")
    [_, forwarded] = await platforms.group(2)
    assert "Em ở Tây Ninh" in forwarded["text"]
    assert forwarded["reply_parameters"]["message_id"] == root_id
    assert len(zb.texts("zb-student-1")) == texts_before  # the bot stayed quiet

    # a counsellor's reply to the chain reaches the student through the Zalo Bot API
    await platforms.counsellor("Học phí trung cấp được miễn em nhé", None, reply_to=root_id)
    await until(lambda: len(zb.texts("zb-student-1")) > texts_before, "reply on Zalo Bot")
    assert zb.texts("zb-student-1")[-1] == "👩‍🏫 Người tư vấn: Học phí trung cấp được miễn em nhé"

    # "/xong" as a reply in the chain ends it; the student is back with the bot
    await platforms.counsellor("/xong", None, reply_to=root_id)
    await until(
        lambda: any("Người tư vấn đã kết thúc" in t for t in zb.texts("zb-student-1")),
        "the end on Zalo Bot",
    )
    assert await platforms.open_handoffs() == []
    group_before = len(platforms.telegram.messages(GROUP))
    assert "học phí" in (await student.say("học trung cấp có mất học phí không")).lower()
    assert len(platforms.telegram.messages(GROUP)) == group_before


async def test_a_zalo_student_ends_it_with_ket_thuc(platforms: Platforms) -> None:
    zb = platforms.zalo_bot
    student = ZaloBotChat(platforms.server, zb, ZALO_SECRET, "zb-student-2")
    await student.say("gặp người tư vấn")
    await student.say("Em hỏi về ký túc xá ạ")
    await platforms.group(1)
    ended = await student.say("kết thúc")
    assert "Đã kết thúc trò chuyện với người tư vấn" in ended
    await platforms.group(2)
    assert "đã kết thúc cuộc trò chuyện" in platforms.telegram.messages(GROUP)[-1]["text"]
    assert await platforms.open_handoffs() == []
    oa = platforms.zalo_oa
    other = ZaloOAChat(platforms.server, oa, "oa-student-2", platforms.server.app[ZALO_OA])
    await other.say("gặp người tư vấn")
    await other.say("Em hỏi về học bổng")
    await platforms.group(3)
    assert "Đã kết thúc trò chuyện với người tư vấn" in await other.say("kết thúc")
    await settle_oa(platforms)
    assert await platforms.open_handoffs() == []


# the survey answered up to the province, then "menu": the bot knows grade, trades, province
KNOWN = (
    *("khao sat", "2", "hoc cao dang", "dien cong nghiep", "xong"),
    *("truong phu hop", "hung yen", "menu"),
)


async def test_zalo_students_choose_to_share_what_the_bot_knows(platforms: Platforms) -> None:
    # Zalo Bot has no buttons: the consent question is numbered, "1" agrees
    zb = platforms.zalo_bot
    student = ZaloBotChat(platforms.server, zb, ZALO_SECRET, "zb-student-3")
    for typed in KNOWN:
        await student.say(typed)
    consent = await student.say("gặp người tư vấn")
    assert "• Tỉnh, thành phố: Hưng Yên" in consent and "1." in consent
    assert "Bạn muốn hỏi" in await student.say("1")
    await student.say("Cao đẳng có học bổng không ạ?")
    [root] = await platforms.group(1)
    assert "Học sinh đồng ý chia sẻ" in root["text"] and "Hưng Yên" in root["text"]
    assert "0912" not in root["text"]
    # Zalo OA: the button comes back as its hidden query; declining shares nothing
    oa = platforms.zalo_oa
    other = ZaloOAChat(platforms.server, oa, "oa-student-3", platforms.server.app[ZALO_OA])
    for typed in KNOWN:
        await other.say(typed)
    assert "Hưng Yên" in await other.say("gặp người tư vấn")
    last = next(s for s in reversed(oa.delivered("oa-student-3")) if s.buttons)
    refuse = next(b["payload"] for b in last.buttons if "Đồng ý" not in b["title"])
    assert "Bạn muốn hỏi" in await other.say(refuse)
    await other.say("Học nghề có khó không?")
    [_, second] = await platforms.group(2)
    assert "Học nghề có khó không?" in second["text"] and "không chia sẻ" in second["text"]
    assert "Hưng Yên" not in second["text"]
