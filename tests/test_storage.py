"""Conversation state in a real database (SQLite and PostgreSQL): restarts and two processes."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import inspect, text

from bot.catalog import Catalog
from bot.core.engine import Engine
from bot.core.messages import ConversationKey, Inbound
from bot.matching.matcher import Matcher
from bot.storage.conversations import SqlConversationStore
from bot.storage.db import make_engine
from tests.conftest import FixedClock

KEY = ConversationKey("web", "student-1")


async def test_migrations_create_the_tables(database_url: str) -> None:
    db = make_engine(database_url)
    try:
        async with db.connect() as conn:
            tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
        assert {
            "conversations",
            "responses",
            "consents",
            "contacts",
            "leads",
            "outbox",
            "school_webhooks",
            "api_tokens",
            "export_log",
            "seen_events",
            "school_chats",
            "link_codes",
            "channel_credentials",
            "unreachable_users",
            "alembic_version",
        } <= set(tables)
    finally:
        await db.dispose()


async def test_state_survives_a_restart(
    database_url: str, catalog: Catalog, matcher: Matcher
) -> None:
    db = make_engine(database_url)
    engine = Engine(catalog, matcher, SqlConversationStore(db), FixedClock())
    await engine.handle(Inbound("web", "student-1", payload="menu:trades"))
    await engine.handle(Inbound("web", "student-1", payload="sector:dich_vu"))
    await db.dispose()  # the process ends

    db2 = make_engine(database_url)
    try:
        engine2 = Engine(catalog, matcher, SqlConversationStore(db2), FixedClock())
        back = await engine2.handle(Inbound("web", "student-1", payload="back"))
        assert back[0].text == catalog.text("trades_prompt")
        picked = await engine2.handle(Inbound("web", "student-1", text="3"))  # "Dịch vụ"
        assert "Dịch vụ" in picked[0].text
    finally:
        await db2.dispose()


async def test_two_processes_on_one_database_never_interleave(database_url: str) -> None:
    """Two engines (as two `serve` processes) update one conversation concurrently."""
    first, second = make_engine(database_url), make_engine(database_url)
    stores = [SqlConversationStore(first), SqlConversationStore(second)]
    inside = 0
    overlaps = 0

    async def bump(store: SqlConversationStore) -> None:
        nonlocal inside, overlaps
        async with store.open(KEY) as state:
            inside += 1
            overlaps += inside > 1
            count = int(state.data.get("count", 0))
            await asyncio.sleep(0.005)  # read-modify-write with a gap another process could use
            state.data["count"] = count + 1
            inside -= 1

    try:
        await asyncio.gather(*(bump(stores[i % 2]) for i in range(20)))
        state = await stores[0].load(KEY)
        assert state.data["count"] == 20  # no lost update
        assert overlaps == 0
    finally:
        await first.dispose()
        await second.dispose()


async def test_failed_turn_does_not_save(database_url: str) -> None:
    db = make_engine(database_url)
    store = SqlConversationStore(db)
    try:
        async with store.open(KEY) as state:
            state.data["kept"] = True
        try:
            async with store.open(KEY) as state:
                state.data["kept"] = False
                raise RuntimeError("crash mid-turn")
        except RuntimeError:
            pass
        assert (await store.load(KEY)).data == {"kept": True}
    finally:
        await db.dispose()


async def test_a_change_deep_inside_the_state_is_saved(database_url: str) -> None:
    """Only a nested value changes (a survey answer): the store must still write the row."""
    db = make_engine(database_url)
    store = SqlConversationStore(db)
    key = ConversationKey("web", "nested-user")
    try:
        async with store.open(key) as state:
            state.data["survey"] = {"answers": {"name": "An"}, "history": []}
        for name in ("Bình", "Cúc"):
            async with store.open(key) as state:
                state.data["survey"]["answers"]["name"] = name
                state.data["survey"]["history"].append(name)
        saved = await SqlConversationStore(db).load(key)
        assert saved.data["survey"] == {"answers": {"name": "Cúc"}, "history": ["Bình", "Cúc"]}
    finally:
        await db.dispose()


async def test_the_migrations_match_the_models(database_url: str) -> None:
    """Alembic finds nothing to add: the tables the code uses are the tables migrations make."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bot.storage.models import Base

    db = make_engine(database_url)
    try:
        async with db.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(
                    MigrationContext.configure(c, opts={"compare_type": False}), Base.metadata
                )
            )
        assert diff == []
    finally:
        await db.dispose()


async def test_sqlite_files_are_private(tmp_path: Path) -> None:
    """Minors' names and phones live in these files: only their owner may read them."""
    folder = tmp_path / "new" / "var"
    db = make_engine(f"sqlite+aiosqlite:///{folder / 'hn.db'}")
    try:
        async with db.begin() as conn:
            await conn.execute(text("CREATE TABLE t (x TEXT)"))
            await conn.execute(text("INSERT INTO t VALUES ('Nguyễn Văn A')"))
        files = sorted(folder.iterdir())
        assert {f.name for f in files} >= {"hn.db", "hn.db-wal"}
        for f in files:
            assert f.stat().st_mode & 0o077 == 0, (f.name, oct(f.stat().st_mode))
        assert folder.stat().st_mode & 0o077 == 0
    finally:
        await db.dispose()
