"""Erasure erases: after "xóa dữ liệu của tôi" no name, phone, class, commune or platform user id
is left, not in any table, and on SQLite not in the raw database or write-ahead log files."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.catalog import Catalog
from bot.core.memory import MemoryConversationStore
from bot.core.messages import ConversationKey
from bot.core.ports import Submission
from bot.settings import Settings
from bot.storage.conversations import SqlConversationStore
from bot.storage.db import make_engine
from bot.storage.events import KEEP, SeenEvents, forget_user
from bot.storage.leads import SqlLeadSink
from bot.storage.migrate import upgrade
from bot.storage.models import Base, ConversationRow, SeenEventRow
from bot.storage.retention import purge
from bot.web.app import ZALO_OA, create_app
from tests.conftest import switch_on
from tests.drivers import GRADE12_TYPED, ZaloOAChat
from tests.fakes.zalo_oa_api import FakeZaloOA, follow, user_submit_info

USER = "3104972258316640127"  # Zalo user ids are long strings of digits
NAME = "Hoàng Phi Yến Xuân"
CLASS = "THPT Quỳnh Côi, 12A7"
COMMUNE = "Phường Lạc Viên Tây"
PHONE = "0938271645"
E164 = "+84938271645"
NEEDLES = {"user id": USER, "name": NAME, "class": CLASS, "commune": COMMUNE, "phone": PHONE}
NEEDLES |= {"phone (E.164)": E164, "phone digits": PHONE[1:]}
NOW = dt.datetime.now(dt.UTC)


def _forms(value: str) -> list[bytes]:
    """How a value can lie in a database file: UTF-8, or JSON with non-ASCII escaped."""
    return [value.encode(), json.dumps(value)[1:-1].encode()]


def _in(raw: bytes, value: str) -> bool:
    return any(form in raw for form in _forms(value))


def _wal_size(path: Path) -> int:
    return path.with_name(path.name + "-wal").stat().st_size


def _raw(path: Path) -> bytes:
    """The database file with its -wal and -shm files, as bytes."""
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))


async def _rows_holding(db: AsyncEngine, needles: dict[str, str]) -> dict[str, list[str]]:
    """label -> the tables with a row holding that value (every column of every table)."""
    found: dict[str, list[str]] = {}
    async with db.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in await conn.execute(select(table)):
                cells = " ".join(_cell(v) for v in row)
                for label, value in needles.items():
                    if value in cells:
                        found.setdefault(label, []).append(table.name)
    return found


def _cell(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else str(value)


async def _holding(database_url: str) -> dict[str, list[str]]:
    db = make_engine(database_url)
    try:
        return await _rows_holding(db, NEEDLES)
    finally:
        await db.dispose()


def _sqlite_file(database_url: str) -> Path | None:
    return Path(database_url.split("///", 1)[1]) if database_url.startswith("sqlite") else None


@pytest.fixture
async def fake() -> AsyncIterator[FakeZaloOA]:
    api = await FakeZaloOA().start()
    yield api
    await api.close()


@pytest.fixture
async def zalo(
    catalog: Catalog, database_url: str, tmp_path: Path, fake: FakeZaloOA
) -> AsyncIterator[ZaloOAChat]:
    settings = Settings(
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
    )
    server = TestServer(create_app(settings, catalog), host="127.0.0.1")
    await server.start_server()
    await switch_on(database_url)  # task directory: the schools an operator switched on
    try:
        yield ZaloOAChat(server, fake, USER, server.app[ZALO_OA])
    finally:
        await server.close()


async def _survey(chat: ZaloOAChat) -> None:
    """A grade 12 survey with consent, the name shared through a Zalo form."""
    assert await chat.post(*chat.fake.event(follow(USER))) == 200  # event id follow:<user>:<t>
    steps = [
        *GRADE12_TYPED[:7],  # up to the commune question
        (COMMUNE, "Đúng không?"),
        ("đúng", "Trường sẽ nhận thông tin"),
        ("dong y", "Họ và tên"),
    ]
    for said, expected in steps:
        assert expected in await chat.say(said), said
    before = len(chat.fake.texts(USER))
    shared = user_submit_info(USER, name=NAME, phone=PHONE)  # no msg_id: info:<user>:<t>
    assert await chat.post(*chat.fake.event(shared)) == 200
    assert "trường THPT nào" in "\n".join(chat.fake.texts(USER)[before:])
    for said, expected in [(CLASS, "Số điện thoại"), (PHONE, "Bạn kiểm tra lại")]:
        assert expected in await chat.say(said), said
    assert "đã được chuyển tới" in await chat.say("1")


async def test_erasure_leaves_nothing_identifying(zalo: ZaloOAChat, database_url: str) -> None:
    await _survey(zalo)
    held = await _holding(database_url)
    stored = set(NEEDLES) - {"phone"}  # the phone is stored in E.164, never as typed
    assert set(held) == stored, held  # the test can fail: everything is stored first
    assert "seen_events" in held["user id"] and "conversations" in held["user id"]
    path = _sqlite_file(database_url)
    if path is not None:
        raw = _raw(path)
        assert all(_in(raw, NEEDLES[label]) for label in stored)

    assert "Bạn muốn xóa dữ liệu" in await zalo.say("xoa du lieu cua toi")
    assert "Mình đã xóa dữ liệu của bạn" in await zalo.say("ok")

    assert await _holding(database_url) == {}
    if path is not None:
        assert _wal_size(path) == 0  # checkpointed and truncated
        raw = _raw(path)
        left = {label: v for label, v in NEEDLES.items() if _in(raw, v)}
        assert left == {}, f"still in the database files: {sorted(left)}"


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Path:
    """A migrated SQLite database file."""
    path = tmp_path / "scrub.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


async def test_forget_outside_a_turn_and_purge_scrub_the_sqlite_files(sqlite_file: Path) -> None:
    path = sqlite_file
    db = make_engine(f"sqlite+aiosqlite:///{path}")
    sink = SqlLeadSink(db)
    old = NOW - dt.timedelta(days=400)
    try:
        for user, at in (("asks-to-forget", NOW), ("long-ago", old)):
            await sink.submit(_submission(user, at, f"{NAME} {user}"))
        raw = _raw(path)
        assert _in(raw, f"{NAME} asks-to-forget") and _in(raw, f"{NAME} long-ago")
        gone = await sink.forget(ConversationKey("web", "asks-to-forget"), NOW)
        assert gone.surveys == 1
        assert _wal_size(path) == 0
        raw = _raw(path)
        assert not _in(raw, f"{NAME} asks-to-forget")
        assert _in(raw, f"{NAME} long-ago")  # not asked, not expired: kept
        done = await purge(db, NOW, months=12)
        assert done.responses == 1
        assert _wal_size(path) == 0
        assert not _in(_raw(path), NAME) and not _in(_raw(path), COMMUNE)
        async with db.connect() as conn:
            assert await conn.scalar(text("PRAGMA secure_delete")) == 1
    finally:
        await db.dispose()


def _submission(user: str, at: dt.datetime, name: str) -> Submission:
    return Submission(
        key=ConversationKey("web", user),
        run_id=f"run-{user}",
        survey_id="lop12",
        grade=12,
        answers={"plan": "cao_dang", "commune": COMMUNE},
        personal={"name": name, "phone": E164},
        schools=("cd_long_an",),
        consent_version="v1",
        consent_given=True,
        consent_at=at,
        parent_confirmed=None,
        submitted_at=at,
    )


# -- the conversation store ------------------------------------------------------------------


async def test_an_erased_conversation_is_deleted_by_both_stores(database_url: str) -> None:
    key = ConversationKey("zalo_oa", USER)
    db = make_engine(database_url)
    try:
        for store in (MemoryConversationStore(), SqlConversationStore(db)):
            async with store.open(key) as state:
                state.data["survey"] = {"answers": {"name": NAME}}
            assert (await store.load(key)).data
            async with store.open(key) as state:
                state.erase()
                state.screens.append("home")  # what the engine does after: not saved either
            assert (await store.load(key)).data == {}
            async with store.open(key) as state:  # the next message starts afresh
                assert state.data == {} and state.screens == []
                state.screens.append("menu")
            assert (await store.load(key)).screens == ["menu"]
        async with db.connect() as conn:
            assert len((await conn.execute(select(ConversationRow))).all()) == 1
    finally:
        await db.dispose()


async def test_a_turn_waiting_on_an_erased_conversation_starts_afresh(database_url: str) -> None:
    """Two processes (two stores, one database): the second message waits for the first's row
    lock; the first erases the row; the second then gets a fresh conversation, not an error."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serializes whole write transactions; the row race is PostgreSQL's")
    key = ConversationKey("zalo_oa", USER)
    one, two = make_engine(database_url), make_engine(database_url)
    try:
        first, second = SqlConversationStore(one), SqlConversationStore(two)
        async with first.open(key) as state:
            state.data["x"] = 1
        seen: list[dict[str, Any]] = []

        async def later() -> None:
            async with second.open(key) as state:
                seen.append(dict(state.data))
                state.data["after"] = True

        async with first.open(key) as state:
            state.erase()
            waiting = asyncio.create_task(later())
            await _until_a_backend_waits_for_a_lock(one)
        await waiting
        assert seen == [{}]
        assert (await first.load(key)).data == {"after": True}
    finally:
        await one.dispose()
        await two.dispose()


async def _until_a_backend_waits_for_a_lock(db: AsyncEngine) -> None:
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        "AND datname = current_database()"
    )
    async with asyncio.timeout(10):
        while True:
            async with db.connect() as conn:
                if await conn.scalar(query):
                    return
            await asyncio.sleep(0.01)


# -- seen platform events --------------------------------------------------------------------


async def test_seen_events_naming_the_user_go_and_old_ones_are_pruned(database_url: str) -> None:
    db = make_engine(database_url)
    user = "12_3%"  # LIKE wildcards in a user id must not widen the match
    kept = ["zmsg-1", "follow:1203%x:5", "follow:12x3%:5", f"{user}x:1", f"x:{user}x"]
    gone = [f"follow:{user}:1700000000000", f"info:{user}:1", f"{user}:1", f"x:{user}", user]
    try:
        seen = SeenEvents(db)
        for event_id in kept + gone:
            assert await seen.first("zalo_oa", event_id)
        assert await seen.first("telegram", f"follow:{user}:1")  # another platform's event
        async with db.begin() as conn:
            await conn.execute(forget_user("zalo_oa", user))
            left = set(await conn.scalars(select(SeenEventRow.event_id)))
            assert left == {*kept, f"follow:{user}:1"}
            old = NOW - KEEP - dt.timedelta(minutes=1)
            await conn.execute(
                insert(SeenEventRow).values(channel="zalo_bot", event_id="old", seen_at=old)
            )
        done = await purge(db, NOW, months=12)
        assert done.events == 1
        async with db.connect() as conn:
            assert "old" not in set(await conn.scalars(select(SeenEventRow.event_id)))
            assert len(set(await conn.scalars(select(SeenEventRow.event_id)))) == 6
    finally:
        await db.dispose()


async def test_the_hourly_retention_loop_prunes_seen_events(
    catalog: Catalog, database_url: str, tmp_path: Path
) -> None:
    db = make_engine(database_url)
    old = NOW - KEEP - dt.timedelta(hours=1)
    try:
        async with db.begin() as conn:
            await conn.execute(
                insert(SeenEventRow).values(
                    channel="zalo_oa", event_id=f"follow:{USER}:1", seen_at=old
                )
            )
        settings = Settings(data_dir=tmp_path, database_url=database_url)
        server = TestServer(create_app(settings, catalog), host="127.0.0.1")
        await server.start_server()  # the loop runs once at start, then every hour
        try:
            async with asyncio.timeout(10):
                while True:
                    async with db.connect() as conn:
                        if not (await conn.execute(select(SeenEventRow))).all():
                            break
                    await asyncio.sleep(0.05)
        finally:
            await server.close()
    finally:
        await db.dispose()
