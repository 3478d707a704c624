"""Handoffs to counsellors are conversation data (issue 12): the retention purge deletes old
handoffs with their posts in the group and the web chat's pushed replies; a student who erases
their data ("xóa dữ liệu") leaves no handoff row, post or push that names them, and a
counsellor writing afterwards is told the student is gone. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.catalog import Catalog
from bot.channels.handoff_desk import COUNSELLORS
from bot.channels.telegram import webhook_secret
from bot.core.messages import ConversationKey
from bot.storage.db import make_engine
from bot.storage.handoffs import HandoffStore
from bot.storage.models import ConversationRow, HandoffPostRow, HandoffRow, WebPushRow
from bot.storage.retention import purge
from bot.storage.schools import SchoolStore
from bot.web.app import create_app
from tests.drivers import TelegramChat, WebChat
from tests.fakes.telegram_api import FakeTelegramApi, group_update
from tests.test_handoff import GROUP, events, group_messages, settings_for, web_replies

NOW = dt.datetime.now(dt.UTC)
_ids = iter(range(80_000, 90_000))


async def count(db: AsyncEngine, model: type, *where: object) -> int:
    async with db.connect() as conn:
        query = select(func.count()).select_from(model)
        for clause in where:
            query = query.where(clause)  # type: ignore[arg-type]
        return int(await conn.scalar(query) or 0)


async def naming(db: AsyncEngine, key: ConversationKey) -> dict[str, int]:
    """Rows that name this person: handoffs, web pushes, conversations."""
    return {
        "handoffs": await count(
            db, HandoffRow, HandoffRow.channel == key.channel, HandoffRow.user_key == key.user_key
        ),
        "pushes": await count(db, WebPushRow, WebPushRow.user_key == key.user_key),
        "conversations": await count(
            db,
            ConversationRow,
            ConversationRow.channel == key.channel,
            ConversationRow.user_key == key.user_key,
        ),
    }


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegramApi]:
    api = await FakeTelegramApi().start()
    yield api
    await api.close()


@pytest.fixture
async def stack(
    catalog: Catalog, database_url: str, tmp_path: Path, fake: FakeTelegramApi
) -> AsyncIterator[tuple[TestServer, AsyncEngine, str]]:
    settings = settings_for(database_url, tmp_path, fake)
    server = TestServer(create_app(settings, catalog), host="127.0.0.1")
    await server.start_server()
    db = make_engine(database_url)
    secret = webhook_secret(settings)
    code = await SchoolStore(db).new_link_code(COUNSELLORS, NOW)
    group = TelegramChat(server, fake, secret, GROUP, "supergroup")
    assert "nhóm người tư vấn" in await group.say(f"/link {code}")
    yield server, db, secret
    await server.close()
    await db.dispose()


async def test_erasing_my_data_leaves_no_handoff_row_or_push_that_names_me(
    stack: tuple[TestServer, AsyncEngine, str], fake: FakeTelegramApi
) -> None:
    server, db, secret = stack
    fake.forums.add(GROUP)
    session = "erase-handoff-web"
    me = ConversationKey("web", session)
    web = WebChat(server, session)
    await web.say("gặp người tư vấn")
    await web.say("Em muốn hỏi về học nghề ạ")
    [first] = await group_messages(fake, 1)
    thread = int(first["message_thread_id"])
    group = TelegramChat(server, fake, secret, GROUP, "supergroup")
    await group.post(group_update(next(_ids), GROUP, "Chào em", thread))
    [pushed] = await events(server, session, 0, 1)
    assert "Chào em" in pushed["replies"][0]["text"]
    before = await naming(db, me)
    assert before["handoffs"] == 1 and before["pushes"] == 1  # the test can fail

    assert "Bạn muốn xóa dữ liệu" in await web.say("xóa dữ liệu của tôi")
    await web_replies(server, session, "có")
    assert await naming(db, me) == {"handoffs": 0, "pushes": 0, "conversations": 0}

    # a counsellor writing later is told the student is gone, and nothing comes back to life
    await group.post(group_update(next(_ids), GROUP, "Em còn đó không?", thread))
    [_, told] = await group_messages(fake, 2)
    assert "không nhận được tin nhắn này" in told["text"]
    assert await naming(db, me) == {"handoffs": 0, "pushes": 0, "conversations": 0}
    async with db.connect() as conn:
        keys = (await conn.execute(select(HandoffRow.channel, HandoffRow.user_key))).all()
    assert all(session not in key for row in keys for key in row)


async def test_a_telegram_students_erasure_covers_their_handoffs(
    stack: tuple[TestServer, AsyncEngine, str], fake: FakeTelegramApi
) -> None:
    server, db, secret = stack
    student = TelegramChat(server, fake, secret, 6201)
    me = ConversationKey("telegram", "6201")
    await student.say("gặp người tư vấn")
    await student.say("Cho em hỏi học phí")
    await group_messages(fake, 1)
    assert (await naming(db, me))["handoffs"] == 1
    await student.say("xóa dữ liệu của tôi")
    await student.press("🗑 Xóa dữ liệu")
    assert (await naming(db, me))["handoffs"] == 0
    assert await count(db, HandoffRow) == 1  # the thread stays known: the group is told later


async def test_the_retention_purge_deletes_old_handoffs_posts_and_pushes(
    database_url: str,
) -> None:
    db = make_engine(database_url)
    try:
        store = HandoffStore(db)
        old, recent = NOW - dt.timedelta(days=400), NOW - dt.timedelta(days=10)
        for handoff_id, user, at, message in (
            ("a" * 32, "old-student", old, 11),
            ("b" * 32, "new-student", recent, 12),
        ):
            await store.create(handoff_id, ConversationKey("web", user), "-100", None, False, at)
            await store.add_post(handoff_id, "-100", message, root=True)
            await store.push(user, {"replies": [{"text": "Chào em", "buttons": []}]}, at)
        async with async_sessionmaker(db)() as session, session.begin():
            await session.execute(  # an open, old handoff goes too (the idle timer missed it)
                update(HandoffRow).where(HandoffRow.id == "b" * 32).values(status="open")
            )
        done = await purge(db, NOW, months=12)
        assert done.handoffs == 1
        async with db.connect() as conn:
            assert list(await conn.scalars(select(HandoffRow.id))) == ["b" * 32]
            assert list(await conn.scalars(select(HandoffPostRow.message_id))) == [12]
            assert list(await conn.scalars(select(WebPushRow.user_key))) == ["new-student"]
        assert (await purge(db, NOW, months=12)).handoffs == 0
        assert (await purge(db, NOW + dt.timedelta(days=360), months=12)).handoffs == 1
        assert await count(db, HandoffRow) == 0 and await count(db, HandoffPostRow) == 0
        assert await count(db, WebPushRow) == 0
    finally:
        await db.dispose()
