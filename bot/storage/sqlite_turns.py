"""Conversation turns on a SQLite file, without holding the database's write lock over a turn.

SQLite has one write lock for the whole file. Holding it (BEGIN IMMEDIATE) from reading the
state to saving it made every user's turn wait for every other user's matcher. Here a turn
- excludes other turns of the same conversation with a per-key file lock (bot.storage.keylock;
  the caller holds the in-process lock first);
- reads the row with one autocommit SELECT (WAL: readers never wait);
- runs; and writes the row with one autocommit UPDATE/INSERT guarded by the version it read.
The two statements run on a connection of the store's own, right on the event loop with
busy_timeout 0: they take microseconds, and if the database is locked they fail at once and are
run again on a thread that may wait (a cross-thread hop costs more than the statement itself).
That connection never checkpoints by itself; the thread does, every CHECKPOINT_EVERY writes.
A turn that writes through the LeadSink (a survey submitted) gets a SQLAlchemy session
(BEGIN IMMEDIATE), and the state is saved in that transaction: both or neither.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import sqlite3
import threading
import weakref
from asyncio import Future
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from queue import SimpleQueue
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.core.messages import ConversationKey
from bot.core.ports import ConversationState
from bot.storage.conversation_rows import (
    COLUMNS,
    DELETE,
    NOTHING,
    READ,
    UPDATE,
    ConversationConflict,
    Read,
    as_utc,
    bind,
    insert_statement,
    save,
    utcnow,
)
from bot.storage.db import SQLITE_PRAGMAS, checkpoint
from bot.storage.keylock import FileKeyLocks
from bot.storage.session import TurnSession, shared

CHECKPOINT_EVERY = 500  # writes on the loop's connection between two WAL checkpoints
_Call = tuple[Callable[..., Any], tuple[Any, ...], "Future[Any] | None"]

_INSERT = insert_statement(sqlite_insert)
_LOOP_PRAGMAS = tuple(p for p in SQLITE_PRAGMAS if "busy_timeout" not in p)


class SqliteTurns:
    """ConversationStore.open for a SQLite file (see the module's docstring)."""

    def __init__(self, engine: AsyncEngine, path: Path) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._keys = FileKeyLocks(path.with_name(path.name + "-turns"))
        self._db = _Connections(path)
        dialect = engine.dialect
        # the statements compiled once, values converted by the column types as SQLAlchemy would
        self._engine = engine
        self._read, self._insert, self._update, self._delete = (
            _Compiled(statement, dialect) for statement in (READ, _INSERT, UPDATE, DELETE)
        )
        state_type = COLUMNS.state.type.dialect_impl(dialect)
        time_type = COLUMNS.updated_at.type.dialect_impl(dialect)
        self._state_in = _identity_if_none(state_type.bind_processor(dialect))
        self._state_out = _identity_if_none(state_type.result_processor(dialect, None))
        self._time_in = _identity_if_none(time_type.bind_processor(dialect))
        self._time_out = _identity_if_none(time_type.result_processor(dialect, None))
        # disposing of the engine (shutdown, tests) closes these connections too
        event.listen(engine.sync_engine, "engine_disposed", _closer(self._db))

    def close(self) -> None:
        self._db.close()

    @asynccontextmanager
    async def turn(self, key: ConversationKey) -> AsyncIterator[ConversationState]:
        async with self._keys.hold(key):
            row = await self._db.fetch_one(*self._read.bind(bind(key, 0, None, None)))
            read = NOTHING
            if row is not None:
                raw, version, stamp = row
                stored = self._state_out(raw) or {}
                read = Read(stored, version, as_utc(self._time_out(stamp)), exists=True)
            state = ConversationState.from_dict(read.state)
            session = TurnSession(self._sessions)
            try:
                async with shared(session):
                    yield state
                new, now = (None if state.erased else state.to_dict()), utcnow()
                if session.wrote and session.session is not None:
                    # the LeadSink wrote in this turn: the state is saved in its transaction
                    await save(session.session.execute, _INSERT, key, read, new, now)
                    await session.session.commit()
                elif new is None or not read.unchanged(new, now):
                    await self._save(key, read, new, now)
            finally:
                await session.close()
            if state.erased:  # deleted: empty the write-ahead log as well
                await checkpoint(self._engine)

    async def _save(
        self, key: ConversationKey, read: Read, new: dict[str, Any] | None, now: dt.datetime
    ) -> None:
        """save() with the statements compiled here, on the store's own connection."""
        if new is None:  # erased
            if not read.exists:
                return
            statement = self._delete
        else:
            statement = self._update if read.exists else self._insert
        state = self._state_in(new) if new is not None else None
        values = bind(key, read.version, state, self._time_in(now))
        if await self._db.row_count(*statement.bind(values)) != 1:
            raise ConversationConflict("conversation changed under the turn")


class _Compiled:
    """A Core statement compiled once for SQLite, run with positional values."""

    def __init__(self, statement: Any, dialect: Any) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql: str = compiled.string
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ())

    def bind(self, values: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
        return self.sql, tuple(values[name] for name in self.names)


def _fetch_one(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> Any:
    return conn.execute(sql, params).fetchone()


def _row_count(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> int:
    return conn.execute(sql, params).rowcount


def _checkpoint(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")


def _identity_if_none(fn: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    return fn if fn is not None else (lambda value: value)


def _closer(connections: _Connections) -> Callable[[Any], None]:
    ref = weakref.ref(connections)

    def close(_engine: Any) -> None:
        target = ref()
        if target is not None:
            target.close()

    return close


def _busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        return "locked" in str(exc) or "busy" in str(exc)
    return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


class _Connections:
    """A store's connections to its file: one used on the event loop for statements that need
    no wait, and a thread (made when first needed) for those that must wait for the lock."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._now: sqlite3.Connection | None = None
        self._thread: _SqliteThread | None = None
        self._writes = 0

    async def fetch_one(self, sql: str, params: tuple[Any, ...]) -> Any:
        """The first row of a query."""
        return await self._run(_fetch_one, sql, params)

    async def row_count(self, sql: str, params: tuple[Any, ...]) -> int:
        """Rows changed by a statement, in its own transaction."""
        count: int = await self._run(_row_count, sql, params)
        self._writes += 1
        if self._writes % CHECKPOINT_EVERY == 0:
            self._waiting().post(_checkpoint)
        return count

    async def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """fn(connection, *args): right now if the database lets it, else on the thread."""
        try:
            return fn(self._loop_connection(), *args)
        except sqlite3.OperationalError as exc:
            if not _busy(exc):
                raise
        return await self._waiting().call(fn, *args)

    def _loop_connection(self) -> sqlite3.Connection:
        if self._now is None:
            # timeout 0: never wait on the loop, the thread waits; and no automatic checkpoint
            # (writing the database file back and syncing it): the thread does it
            conn = sqlite3.connect(
                self._path, isolation_level=None, timeout=0, check_same_thread=False
            )
            try:
                for pragma in (*_LOOP_PRAGMAS, "PRAGMA wal_autocheckpoint=0"):
                    conn.execute(pragma)
            except BaseException:
                conn.close()
                raise
            self._now = conn
        return self._now

    def _waiting(self) -> _SqliteThread:
        if self._thread is None:
            self._thread = _SqliteThread(self._path)
        return self._thread

    def close(self) -> None:
        conn, self._now = self._now, None
        if conn is not None:
            conn.close()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.close()


class _SqliteThread:
    """A thread owning one sqlite3 connection in autocommit mode; calls are queued to it.

    Like aiosqlite, but closing needs no event loop (the engine's disposal closes it from a plain
    callback), and a result for a loop that is gone is dropped instead of raising in the thread.
    """

    def __init__(self, path: Path) -> None:
        self._queue: SimpleQueue[_Call | None] = SimpleQueue()
        threading.Thread(
            target=_serve, args=(path, self._queue), name="conversations-sqlite", daemon=True
        ).start()
        weakref.finalize(self, self._queue.put, None)

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """fn(connection, *args) on the thread."""
        future = asyncio.get_running_loop().create_future()
        self._queue.put((fn, args, future))
        return await future

    def post(self, fn: Callable[..., Any], *args: Any) -> None:
        """fn(connection, *args) on the thread, without waiting for it."""
        self._queue.put((fn, args, None))

    def close(self) -> None:
        self._queue.put(None)


def _serve(path: Path, queue: SimpleQueue[_Call | None]) -> None:
    conn: sqlite3.Connection | None = None
    while (item := queue.get()) is not None:
        fn, args, future = item
        try:
            if conn is None:
                conn = sqlite3.connect(path, isolation_level=None)
                for pragma in SQLITE_PRAGMAS:
                    conn.execute(pragma)
            result, error = fn(conn, *args), None
        except Exception as exc:
            result, error = None, exc
        if future is not None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
                future.get_loop().call_soon_threadsafe(_settle, future, result, error)
    if conn is not None:
        conn.close()


def _settle(future: Future[Any], result: Any, error: Exception | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
