"""Talking to a counsellor: a student's conversation handed to the counsellors' Telegram group
(forum topics, or reply chains), replies back on the student's channel, "/xong", "kết thúc",
office hours and the idle timer. The platforms are fake servers; the app is the real one."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.catalog import Catalog
from bot.channels.handoff_desk import COUNSELLORS
from bot.channels.telegram import webhook_secret
from bot.core.flows.handoff_hours import VIETNAM
from bot.settings import Settings
from bot.storage.db import make_engine
from bot.storage.models import HandoffRow
from bot.storage.schools import SchoolStore
from bot.web.app import DESK, create_app
from tests.drivers import TelegramChat, WebChat
from tests.fakes.telegram_api import FakeTelegramApi, group_update

GROUP = -1009001
STUDENT = 6101
_ids = iter(range(50_000, 60_000))


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegramApi]:
    api = await FakeTelegramApi().start()
    yield api
    await api.close()


def settings_for(
    database_url: str, tmp_path: Path, fake: FakeTelegramApi, hours: str = "always"
) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        public_url="https://bot.example.edu.vn",
        telegram_bot_token=fake.token,
        telegram_api_base=fake.base_url,
        handoff_hours=hours,
        events_stream_seconds=5.0,
        events_poll=0.1,
    )


@pytest.fixture(params=["always"])
async def stack(
    request: pytest.FixtureRequest,
    catalog: Catalog,
    database_url: str,
    tmp_path: Path,
    fake: FakeTelegramApi,
) -> AsyncIterator[tuple[TestServer, AsyncEngine, str]]:
    """The app with Telegram (webhook mode) and the counsellors' group linked by its code."""
    settings = settings_for(database_url, tmp_path, fake, request.param)
    server = TestServer(create_app(settings, catalog), host="127.0.0.1")
    await server.start_server()
    db = make_engine(database_url)
    secret = webhook_secret(settings)
    code = await SchoolStore(db).new_link_code(COUNSELLORS, dt.datetime.now(dt.UTC))
    group = TelegramChat(server, fake, secret, GROUP, "supergroup")
    assert "nhóm người tư vấn" in await group.say(f"/link {code}")
    yield server, db, secret
    await server.close()
    await db.dispose()


async def web_replies(server: TestServer, session: str, text: str) -> list[dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(server.make_url("/api/chat"), json={"session": session, "text": text}) as r,
    ):
        assert r.status == 200
        replies: list[dict[str, Any]] = (await r.json())["replies"]
        return replies


async def counsellor(server: TestServer, secret: str, update: dict[str, Any]) -> None:
    """A counsellor's message in the group, through the webhook."""
    chat = TelegramChat(server, FakeTelegramApi(), secret, GROUP, "supergroup")
    assert await chat.post(update) == 200


async def group_messages(fake: FakeTelegramApi, count: int) -> list[dict[str, Any]]:
    """The group's messages, once there are `count` after the "linked" one."""
    await fake.wait_messages(count + 1, GROUP)
    return fake.messages(GROUP)[1:]


async def events(server: TestServer, session: str, after: int, count: int) -> list[Any]:
    """The first `count` events of the page's stream after id `after` (`end` as "end")."""
    found: list[Any] = []
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            server.make_url("/api/chat/events"), params={"session": session, "after": str(after)}
        ) as response,
    ):
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        kind, data = "message", ""
        async with asyncio.timeout(10):
            async for raw in response.content:
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    kind = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    data = line.removeprefix("data: ")
                elif not line and data:
                    found.append(json.loads(data) if kind == "replies" else kind)
                    kind, data = "message", ""
                    if len(found) >= count:
                        break
    return found


async def test_web_chat_forum_topic_reply_and_xong(
    stack: tuple[TestServer, AsyncEngine, str], fake: FakeTelegramApi
) -> None:
    server, _db, secret = stack
    fake.forums.add(GROUP)
    web = WebChat(server, "handoff-web-1")
    asked = await web.say("gặp người tư vấn")
    assert "Bạn muốn hỏi người tư vấn điều gì" in asked  # nothing known: no consent question
    opened = await web.say("Em học lớp 9, muốn học điện thì học ở đâu ạ?")
    assert "Đã chuyển câu hỏi của bạn tới người tư vấn" in opened

    [topic] = [body for method, body in fake.calls if method == "createForumTopic"]
    assert topic["name"].startswith("Học sinh #")
    [first] = await group_messages(fake, 1)
    thread = int(first["message_thread_id"])
    assert "muốn học điện thì học ở đâu" in first["text"]
    assert "không chia sẻ thông tin gì thêm" in first["text"]
    assert "reply_parameters" not in first  # a topic needs no reply chain

    assert await web.say("Nhà em ở Long An") == ""  # the bot stays quiet
    [_, second] = await group_messages(fake, 2)
    assert "Nhà em ở Long An" in second["text"] and int(second["message_thread_id"]) == thread

    await counsellor(server, secret, group_update(next(_ids), GROUP, "Chào em, cô đây", thread))
    [replies] = await events(server, "handoff-web-1", 0, 1)
    assert replies["replies"][0]["text"] == "👩‍🏫 Người tư vấn: Chào em, cô đây"

    await counsellor(server, secret, group_update(next(_ids), GROUP, "/xong", thread))
    await group_messages(fake, 3)  # "Đã kết thúc…" is posted after the student was told
    pushed = await events(server, "handoff-web-1", 1, 2)
    assert "Người tư vấn đã kết thúc" in pushed[0]["replies"][0]["text"]
    assert any(b["payload"] == "menu:trades" for b in pushed[0]["replies"][0]["buttons"])
    assert pushed[1] == "end"
    assert fake.count("closeForumTopic") == 1
    assert "Đã kết thúc cuộc trò chuyện với học sinh" in fake.messages(GROUP)[-1]["text"]
    # back to the bot: a question gets its answer again, nothing more reaches the group
    before = len(fake.messages(GROUP))
    assert "học phí" in (await web.say("học trung cấp có mất học phí không")).lower()
    assert len(fake.messages(GROUP)) == before
    # a late message in the closed topic: the counsellor is told it reached nobody
    await counsellor(server, secret, group_update(next(_ids), GROUP, "Em còn đó không?", thread))
    await fake.wait_messages(before + 1, GROUP)
    assert "đã kết thúc" in fake.messages(GROUP)[-1]["text"]


async def test_telegram_student_reply_chain_with_consent_and_ket_thuc(
    stack: tuple[TestServer, AsyncEngine, str],
    fake: FakeTelegramApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server, _db, secret = stack  # the group has no topics: reply chains
    caplog.set_level(logging.DEBUG, logger="bot")  # our logs (PTB's debug lines are its own)
    student = TelegramChat(server, fake, secret, STUDENT)
    for text in ("khao sat", "2", "hoc cao dang", "dien cong nghiep", "xong", "truong phu hop"):
        await student.say(text)
    await student.say("hung yen")
    await student.say("menu")
    consent = await student.say("gặp người tư vấn")
    assert "• Lớp: 12" in consent and "• Tỉnh, thành phố: Hưng Yên" in consent
    assert "Điện công nghiệp" in consent and "số điện thoại của bạn không được gửi" in consent
    assert "Bạn muốn hỏi" in await student.press("Đồng ý gửi kèm")
    assert "Đã chuyển" in await student.say("Cao đẳng có học bổng không ạ?")
    [root] = await group_messages(fake, 1)
    assert "message_thread_id" not in root
    assert "Học sinh đồng ý chia sẻ" in root["text"] and "Hưng Yên" in root["text"]
    assert "qua Telegram" in root["text"] and "Cao đẳng có học bổng không ạ?" in root["text"]
    root_id = next(i + 1 for i, (m, b) in enumerate(fake.calls) if m == "sendMessage" and b is root)

    await student.say("Em cảm ơn", expect_reply=False)
    [_, forwarded] = await group_messages(fake, 2)
    assert forwarded["reply_parameters"]["message_id"] == root_id

    reply = group_update(next(_ids), GROUP, "Có em nhé, mức 50%", reply_to=root_id)
    before = len(fake.messages(STUDENT))
    await counsellor(server, secret, reply)
    await fake.wait_messages(before + 1, STUDENT)
    assert fake.messages(STUDENT)[-1]["text"] == "👩‍🏫 Người tư vấn: Có em nhé, mức 50%"
    # a message in the group that answers nothing of ours reaches no student
    await counsellor(server, secret, group_update(next(_ids), GROUP, "họp lúc 3 giờ nhé"))
    await asyncio.sleep(0.2)
    assert len(fake.messages(STUDENT)) == before + 1

    ended = await student.say("kết thúc")
    assert "Đã kết thúc trò chuyện với người tư vấn" in ended
    await fake.wait_messages(4, GROUP)
    assert "đã kết thúc cuộc trò chuyện" in fake.messages(GROUP)[-1]["text"]
    assert "Không có gì" in await student.say("cảm ơn")  # the bot answers again
    assert fake.count("createForumTopic") == 1  # tried once, refused: not a forum
    logged = " ".join(
        r.getMessage() + str(r.__dict__) for r in caplog.records if r.name.startswith("bot")
    )
    assert "Cao đẳng có học bổng" not in logged and "Có em nhé" not in logged


async def test_declining_to_share_sends_only_the_question(
    stack: tuple[TestServer, AsyncEngine, str], fake: FakeTelegramApi
) -> None:
    server, _db, secret = stack
    student = TelegramChat(server, fake, secret, STUDENT + 1)
    for text in ("khao sat", "2", "hoc cao dang", "dien cong nghiep", "xong", "truong phu hop"):
        await student.say(text)
    await student.say("hung yen")
    await student.say("menu")
    await student.say("gặp người tư vấn")
    assert "Bạn muốn hỏi" in await student.say("không")
    await student.say("Học nghề có khó không?")
    [root] = await group_messages(fake, 1)
    assert "Hưng Yên" not in root["text"] and "Điện công nghiệp" not in root["text"]
    assert "không chia sẻ" in root["text"]


async def test_menu_pauses_and_data_rights_still_act(
    stack: tuple[TestServer, AsyncEngine, str], fake: FakeTelegramApi
) -> None:
    server, _db, _secret = stack
    web = WebChat(server, "handoff-web-2")
    await web.say("gặp người tư vấn")
    await web.say("Cho em hỏi ạ")
    [menu] = await web_replies(server, "handoff-web-2", "menu")
    assert menu["buttons"][0]["label"] == "▶ Tiếp tục trò chuyện với người tư vấn"
    assert len(fake.messages(GROUP)) == 2  # "menu" did not reach the group
    [mine] = await web_replies(server, "handoff-web-2", "xem dữ liệu của tôi")
    assert "Không có khảo sát nào gắn với bạn" in mine["text"]
    assert len(fake.messages(GROUP)) == 2  # nor did a data-rights command
    assert "Bạn đang trò chuyện với người tư vấn" in await web.say("gặp người tư vấn")
    assert await web.say("Em hỏi tiếp nhé") == ""
    await group_messages(fake, 2)


@pytest.mark.parametrize("stack", ["sun 00:00-00:01"], indirect=True)
async def test_outside_office_hours_the_question_waits(
    stack: tuple[TestServer, AsyncEngine, str], fake: FakeTelegramApi
) -> None:
    server, _db, _secret = stack
    if dt.datetime.now(VIETNAM).weekday() == 6 and dt.datetime.now(VIETNAM).hour == 0:
        pytest.skip("inside the one minute of office hours")
    web = WebChat(server, "handoff-web-3")
    await web.say("gặp người tư vấn")
    told = await web.say("Em muốn hỏi về trung cấp")
    assert "ngoài giờ tư vấn" in told and "Chủ nhật" in told and "00:00" in told
    [root] = await group_messages(fake, 1)
    assert root["text"].startswith("🙋") and "⏰ Gửi ngoài giờ tư vấn" in root["text"]


async def test_an_idle_handoff_closes(
    stack: tuple[TestServer, AsyncEngine, str], fake: FakeTelegramApi
) -> None:
    server, db, _secret = stack
    web = WebChat(server, "handoff-web-4")
    await web.say("gặp người tư vấn")
    await web.say("Cho em hỏi về ký túc xá")
    desk = server.app[DESK]
    assert await desk.close_idle() == 0  # not quiet long enough
    old = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    async with async_sessionmaker(db)() as session, session.begin():
        await session.execute(update(HandoffRow).values(last_activity_at=old))
    assert await desk.close_idle() == 1
    assert "30 phút không có tin nhắn" in fake.messages(GROUP)[-1]["text"]
    [pushed, end] = await events(server, "handoff-web-4", 0, 2)
    assert "tự kết thúc" in pushed["replies"][0]["text"] and end == "end"
    assert "học phí" in (await web.say("học trung cấp có mất học phí không")).lower()


async def test_after_the_student_deletes_their_data_no_counsellor_message_reaches_them(
    stack: tuple[TestServer, AsyncEngine, str], fake: FakeTelegramApi
) -> None:
    server, _db, secret = stack
    fake.forums.add(GROUP)
    web = WebChat(server, "handoff-web-5")
    await web.say("gặp người tư vấn")
    await web.say("Cho em hỏi về học phí")
    [first] = await group_messages(fake, 1)
    thread = int(first["message_thread_id"])
    assert "Bạn muốn xóa dữ liệu" in await web.say("xóa dữ liệu của tôi")
    await web_replies(server, "handoff-web-5", "có")  # yes, delete
    await counsellor(
        server, secret, group_update(next(_ids), GROUP, "Em còn cần gì không?", thread)
    )
    [_, told] = await group_messages(fake, 2)
    assert "đã kết thúc cuộc trò chuyện" in told["text"]
    assert "không nhận được tin nhắn này" in told["text"]
    async with aiohttp.ClientSession() as http:
        url = server.make_url("/api/chat/events")
        params = {"session": "handoff-web-5", "after": "0"}
        async with http.get(url, params=params) as response:
            body = await response.text()
    assert "Em còn cần gì không?" not in body


async def test_care_offers_a_counsellor_and_reaches_one_already_talking(
    stack: tuple[TestServer, AsyncEngine, str], fake: FakeTelegramApi
) -> None:
    server, _db, _secret = stack
    # no counsellor yet: the care answer comes first, and a person is offered under it
    [care] = await web_replies(server, "handoff-care", "e ko muon song nua")
    assert "111" in care["text"]
    labels = {b["label"]: b["payload"] for b in care["buttons"]}
    assert "👤 Nói chuyện với người tư vấn" in labels
    assert (
        "Bạn muốn hỏi người tư vấn điều gì"
        in (
            (await web_replies(server, "handoff-care", "👤 Nói chuyện với người tư vấn"))[0]["text"]
        )
    )
    web = WebChat(server, "handoff-care")
    assert "Đã chuyển câu hỏi" in await web.say("em buồn lắm, muốn nói chuyện với ai đó")
    await group_messages(fake, 1)
    # while a counsellor is in the conversation: the care answer, and the counsellor reads it
    # too, flagged; the talk stays open (the next message still goes to the thread)
    [care] = await web_replies(server, "handoff-care", "bo e danh e suot, e so lam")
    assert "111" in care["text"] and "Người tư vấn đang trò chuyện với bạn" in care["text"]
    [_, flagged] = await group_messages(fake, 2)
    assert "⚠️ Tin nhắn có dấu hiệu" in flagged["text"] and "bo e danh e suot" in flagged["text"]
    assert await web.say("cô ơi em phải làm sao") == ""
    [_, _, third] = await group_messages(fake, 3)
    assert "cô ơi em phải làm sao" in third["text"]


async def test_without_counsellors_care_offers_no_person(catalog: Catalog) -> None:
    from bot.core.engine import Engine
    from bot.core.memory import MemoryConversationStore
    from bot.core.messages import Inbound
    from bot.matching.targets import build_matcher

    engine = Engine(catalog, build_matcher(catalog), MemoryConversationStore())
    [care] = await engine.handle(Inbound("test", "alone", text="e ko muon song nua"))
    assert "111" in care.text
    assert [b.payload for b in care.buttons] == ["home"]
