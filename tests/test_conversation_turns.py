"""Conversation turns against a real database: versions, skipped writes, locks held elsewhere."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.core.messages import Button, ConversationKey
from bot.storage.conversation_rows import ConversationConflict
from bot.storage.conversations import SqlConversationStore
from bot.storage.db import make_engine, sqlite_file
from bot.storage.keylock import FileKeyLocks, _offset
from bot.storage.migrate import upgrade
from bot.storage.models import ConversationRow

KEY = ConversationKey("web", "turns-user-1")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'turns.db'}"
    upgrade(url)
    return url


async def _version(database_url: str, key: ConversationKey = KEY) -> int | None:
    db = make_engine(database_url)
    try:
        async with db.connect() as conn:
            return await conn.scalar(
                select(ConversationRow.version).where(
                    ConversationRow.channel == key.channel,
                    ConversationRow.user_key == key.user_key,
                )
            )
    finally:
        await db.dispose()


async def test_a_turn_that_changes_nothing_writes_nothing(database_url: str) -> None:
    db = make_engine(database_url)
    store = SqlConversationStore(db)
    try:
        async with store.open(KEY) as state:
            state.buttons = [Button("Học phí", "faq:hp")]
            state.screens.append("faq:hp")
        written = await _version(database_url)
        async with store.open(KEY) as state:
            state.buttons = [Button("Học phí", "faq:hp")]  # the same answer again
        assert await _version(database_url) == written
        async with store.open(KEY) as state:
            state.buttons = [Button("Vay vốn", "faq:vay")]  # needed for the next "1"
        assert await _version(database_url) == (written or 0) + 1
        assert (await store.load(KEY)).buttons == [Button("Vay vốn", "faq:vay")]
    finally:
        await db.dispose()


async def test_a_row_changed_under_a_sqlite_turn_is_not_overwritten(sqlite_url: str) -> None:
    """Whoever else wrote the row (a tool, retention), the turn's version check refuses."""
    url = sqlite_url
    db, other = make_engine(url), make_engine(url)
    store = SqlConversationStore(db)
    try:
        async with store.open(KEY) as state:
            state.data["step"] = 1
        with pytest.raises(ConversationConflict):
            async with store.open(KEY) as state:
                state.data["step"] = 2
                async with other.begin() as conn:
                    await conn.execute(
                        update(ConversationRow)
                        .where(ConversationRow.user_key == KEY.user_key)
                        .values(version=ConversationRow.version + 1, state={"data": {"step": 9}})
                    )
        assert (await store.load(KEY)).data == {"step": 9}
    finally:
        await db.dispose()
        await other.dispose()


async def test_a_sqlite_turn_waits_for_a_write_lock_held_elsewhere(sqlite_url: str) -> None:
    """The loop's connection never waits: a locked database sends the write to the thread."""
    url = sqlite_url
    db = make_engine(url)
    store = SqlConversationStore(db)
    path = sqlite_file(db)
    assert path is not None
    blocker = sqlite3.connect(path, isolation_level=None)
    try:
        async with store.open(KEY) as state:
            state.data["n"] = 1
        blocker.execute("BEGIN IMMEDIATE")  # another process's write transaction

        async def turn() -> None:
            async with store.open(KEY) as state:
                state.data["n"] = 2

        task = asyncio.create_task(turn())
        await asyncio.sleep(0.3)
        assert not task.done()  # waiting, and the loop is free meanwhile
        blocker.execute("COMMIT")
        await asyncio.wait_for(task, 30)
        assert (await store.load(KEY)).data == {"n": 2}
    finally:
        blocker.close()
        await db.dispose()


async def test_a_conversation_locked_by_another_process_waits(sqlite_url: str) -> None:
    """A real second process holds the conversation's lock; the turn runs once it lets go."""
    url = sqlite_url
    db = make_engine(url)
    store = SqlConversationStore(db)
    path = sqlite_file(db)
    assert path is not None
    lock_file = path.with_name(path.name + "-turns")
    script = (
        "import sys, fcntl, struct, os\n"
        f"fd = os.open({str(lock_file)!r}, os.O_RDWR | os.O_CREAT)\n"
        "lock = struct.pack('hhqqi4x', fcntl.F_WRLCK, 0, int(sys.argv[1]), 1, 0)\n"
        "fcntl.fcntl(fd, fcntl.F_OFD_SETLK, lock)\n"
        "print('locked', flush=True)\n"
        "sys.stdin.read()\n"
    )
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, str(_offset(KEY)),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert (await holder.stdout.readline()).strip() == b"locked"
        entered = asyncio.Event()

        async def turn() -> None:
            async with store.open(KEY) as state:
                entered.set()
                state.data["after"] = True

        other = ConversationKey("web", "turns-user-2")
        async with store.open(other) as state:  # other conversations are not held up
            state.data["free"] = True
        task = asyncio.create_task(turn())
        await asyncio.sleep(0.3)
        assert not entered.is_set()
        holder.stdin.close()  # the other process lets go (as when it ends or is killed)
        await asyncio.wait_for(task, 30)
        assert (await store.load(KEY)).data == {"after": True}
    finally:
        if holder.returncode is None:
            holder.kill()
        await holder.wait()
        await db.dispose()


async def test_file_key_locks_exclude_each_other_not_other_keys(tmp_path: Path) -> None:
    first, second = FileKeyLocks(tmp_path / "locks"), FileKeyLocks(tmp_path / "locks")
    if not first.available:
        pytest.skip("no open-file-description locks on this platform")
    order: list[str] = []

    async def hold(locks: FileKeyLocks, key: ConversationKey, name: str) -> None:
        async with locks.hold(key):
            order.append(f"{name} in")
            await asyncio.sleep(0.05)
            order.append(f"{name} out")

    await asyncio.gather(hold(first, KEY, "a"), hold(second, KEY, "b"))
    assert order in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])
    order.clear()
    other = ConversationKey("web", "turns-user-2")
    await asyncio.gather(hold(first, KEY, "a"), hold(second, other, "b"))
    assert order[:2] == ["a in", "b in"]
