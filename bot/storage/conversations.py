"""ConversationStore in the database: one row per conversation, one writer per conversation.

A turn reads the row, runs, and writes the row back only if the state changed, with a version
check (`UPDATE … WHERE version = :read`) so an update can never be lost. Two turns of one
conversation never run at once: an in-process lock per key, plus, across processes,
- PostgreSQL: the row locked with SELECT … FOR UPDATE for the turn (other rows stay free);
- SQLite (a file): a per-key file lock (bot.storage.keylock). The database's single write lock is
  taken only to write: a turn that does not write (a repeated answer) takes it not at all, and
  the state is read and written with single autocommit statements on the store's own connection.
When the turn writes through the LeadSink (a survey submitted), that goes through the turn's
session (bot.storage.session), and the state is saved in the same transaction: both or neither.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import sqlite3
import threading
import weakref
from asyncio import Future
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from queue import SimpleQueue
from typing import Any

from sqlalchemy import bindparam, event, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from bot.core.locks import KeyedLocks
from bot.core.messages import ConversationKey
from bot.core.ports import ConversationState
from bot.storage.db import SQLITE_PRAGMAS, Insert, dialect_insert, sqlite_file
from bot.storage.keylock import FileKeyLocks
from bot.storage.models import ConversationRow
from bot.storage.session import shared

TOUCH_EVERY = dt.timedelta(hours=1)  # an unchanged state still refreshes updated_at (retention)
_COLS = ConversationRow.__table__.c
_KEY = (_COLS.channel == bindparam("channel"), _COLS.user_key == bindparam("user_key"))
# The three statements of a turn as SQLAlchemy Core; the SQLite path compiles them once and runs
# them on its own connection (bound values converted by the column types, as SQLAlchemy would).
_READ = select(_COLS.state, _COLS.version, _COLS.updated_at).where(*_KEY)
_INSERT = (
    sqlite_insert(ConversationRow)
    .values(channel=bindparam("channel"), user_key=bindparam("user_key"))
    .values(state=bindparam("state"), version=bindparam("next"), updated_at=bindparam("now"))
    .on_conflict_do_nothing()
)
_UPDATE = (
    update(ConversationRow)
    .where(*_KEY, _COLS.version == bindparam("version"))
    .values(state=bindparam("state"), version=bindparam("next"), updated_at=bindparam("now"))
)


class ConversationConflict(RuntimeError):
    """The row changed (or vanished) under a turn: the turn is not saved."""


@dataclass(frozen=True)
class _Read:
    """The row as a turn found it (or that there was none)."""

    state: dict[str, Any]
    version: int
    updated_at: dt.datetime | None
    exists: bool

    def unchanged(self, new: dict[str, Any], now: dt.datetime) -> bool:
        """Whether writing `new` would store nothing a later turn needs (the time of the turn
        aside, which only retention reads, and coarsely)."""
        if not self.exists or self.updated_at is None or now - self.updated_at >= TOUCH_EVERY:
            return False
        old = self.state
        return len(old) == len(new) and all(
            k == "updated_at" or old.get(k, _MISSING) == v for k, v in new.items()
        )


_MISSING = object()
_NOTHING = _Read({}, 0, None, exists=False)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    # SQLite keeps no zone: the stored value is UTC
    return value.replace(tzinfo=dt.UTC) if value is not None and value.tzinfo is None else value


async def _save(
    execute: Callable[[Any], Awaitable[Any]],
    insert: Insert,
    key: ConversationKey,
    read: _Read,
    new: dict[str, Any],
    now: dt.datetime,
) -> None:
    """Insert the first row, or update the row if it is still at the version the turn read
    (SQLAlchemy Core, on the turn's connection or session)."""
    if not read.exists:
        statement: Any = (
            insert(ConversationRow)
            .values(channel=key.channel, user_key=key.user_key)
            .values(state=new, version=1, updated_at=now)
            .on_conflict_do_nothing()
        )
    else:
        statement = (
            update(ConversationRow)
            .where(
                _COLS.channel == key.channel,
                _COLS.user_key == key.user_key,
                _COLS.version == read.version,
            )
            .values(state=new, version=read.version + 1, updated_at=now)
        )
    if (await execute(statement)).rowcount != 1:
        raise ConversationConflict("conversation changed under the turn")


class SqlConversationStore:
    """State survives restarts; two processes on one database see one conversation."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._local = KeyedLocks()  # spare the database the waits we can resolve in-process
        self._insert = dialect_insert(engine)
        path = sqlite_file(engine)
        self._sqlite = _SqliteTurns(engine, path) if path is not None else None

    @asynccontextmanager
    async def open(self, key: ConversationKey) -> AsyncIterator[ConversationState]:
        turn = self._locked_turn if self._sqlite is None else self._sqlite.turn
        async with self._local.hold(key), turn(key) as state:
            yield state

    async def load(self, key: ConversationKey) -> ConversationState:
        """A read-only copy of the stored state (tools and tests)."""
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(_COLS.state).where(
                        _COLS.channel == key.channel, _COLS.user_key == key.user_key
                    )
                )
            ).first()
            await conn.rollback()
        return ConversationState.from_dict(row.state) if row and row.state else ConversationState()

    def close(self) -> None:
        """Close the store's own SQLite connection (also done when the engine is disposed)."""
        if self._sqlite is not None:
            self._sqlite.close()

    @asynccontextmanager
    async def _locked_turn(self, key: ConversationKey) -> AsyncIterator[ConversationState]:
        """One transaction over the turn with the row locked (PostgreSQL; SQLite in memory)."""
        async with self._engine.connect() as conn:
            read = await self._read_locked(conn, key)
            if not read.exists:
                # a placeholder row to lock, so two processes cannot both start this conversation
                await conn.execute(
                    self._insert(ConversationRow)
                    .values(channel=key.channel, user_key=key.user_key)
                    .values(state={}, version=0, updated_at=_now())
                    .on_conflict_do_nothing()
                )
                read = await self._read_locked(conn, key)
            state = ConversationState.from_dict(read.state)
            async with AsyncSession(bind=conn, expire_on_commit=False) as session:
                async with shared(session):
                    yield state
                await session.flush()
            new, now = state.to_dict(), _now()
            if not read.unchanged(new, now):
                await _save(conn.execute, self._insert, key, read, new, now)
            await conn.commit()

    @staticmethod
    async def _read_locked(conn: AsyncConnection, key: ConversationKey) -> _Read:
        row = (
            await conn.execute(
                select(_COLS.state, _COLS.version, _COLS.updated_at)
                .where(_COLS.channel == key.channel, _COLS.user_key == key.user_key)
                .with_for_update()
            )
        ).first()
        if row is None:
            return _NOTHING
        return _Read(row.state or {}, row.version, _utc(row.updated_at), exists=True)


class _SqliteTurns:
    """Turns on a SQLite file: a per-key file lock, and the row read and written by single
    autocommit statements on a connection of the store's own (one thread, see _SqliteThread)."""

    def __init__(self, engine: AsyncEngine, path: Path) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._path = path
        self._keys = FileKeyLocks(path.with_name(path.name + "-turns"))
        self._thread: _SqliteThread | None = None
        dialect = engine.dialect
        # the column types' own conversions, so rows look exactly as SQLAlchemy writes them
        state_type = _COLS.state.type.dialect_impl(dialect)
        time_type = _COLS.updated_at.type.dialect_impl(dialect)
        self._state_in = _processor(state_type.bind_processor(dialect))
        self._state_out = _processor(state_type.result_processor(dialect, None))
        self._time_in = _processor(time_type.bind_processor(dialect))
        self._time_out = _processor(time_type.result_processor(dialect, None))
        self._read, self._insert, self._update = (
            _Compiled(statement, dialect) for statement in (_READ, _INSERT, _UPDATE)
        )
        # the engine's disposal (shutdown, tests) closes this connection too
        ref = weakref.ref(self)
        event.listen(engine.sync_engine, "engine_disposed", lambda _engine: _close(ref))

    def close(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.close()

    def _db(self) -> _SqliteThread:
        if self._thread is None:
            self._thread = _SqliteThread(self._path)
        return self._thread

    @asynccontextmanager
    async def turn(self, key: ConversationKey) -> AsyncIterator[ConversationState]:
        async with self._keys.hold(key):
            db = self._db()
            found = self._read.params(channel=key.channel, user_key=key.user_key)
            row = await db.call(_fetch_one, *found)
            read = _NOTHING
            if row is not None:
                raw, version, stamp = row
                read = _Read(self._state_out(raw) or {}, version, _utc(self._time_out(stamp)), True)
            state = ConversationState.from_dict(read.state)
            # the session begins (BEGIN IMMEDIATE) only if the turn uses it: a survey submitted
            async with self._sessions() as session:
                async with shared(session):
                    yield state
                new, now = state.to_dict(), _now()
                if session.in_transaction():
                    await _save(session.execute, sqlite_insert, key, read, new, now)
                    await session.commit()
                    return
            if read.unchanged(new, now):
                return
            statement = self._update if read.exists else self._insert
            values = statement.params(
                channel=key.channel,
                user_key=key.user_key,
                version=read.version,
                next=read.version + 1,
                state=self._state_in(new),
                now=self._time_in(now),
            )
            if await db.call(_row_count, *values) != 1:
                raise ConversationConflict("conversation changed under the turn")


class _Compiled:
    """A Core statement compiled once for the SQLite dialect, run with positional values."""

    def __init__(self, statement: Any, dialect: Any) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql: str = compiled.string
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ())

    def params(self, **values: Any) -> tuple[str, tuple[Any, ...]]:
        return self.sql, tuple(values[name] for name in self.names)


def _fetch_one(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> Any:
    return conn.execute(sql, params).fetchone()


def _row_count(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> int:
    return conn.execute(sql, params).rowcount


class _SqliteThread:
    """A thread owning one sqlite3 connection in autocommit mode; calls are queued to it.

    Like aiosqlite, but closing needs no event loop (the engine's disposal closes it from a plain
    callback) and a result for a loop that is gone is dropped instead of raising in the thread.
    """

    def __init__(self, path: Path) -> None:
        self._queue: SimpleQueue[tuple[Callable[..., Any], tuple[Any, ...], Future[Any]] | None]
        self._queue = SimpleQueue()
        thread = threading.Thread(
            target=self._run, args=(path, self._queue), name="conversations-sqlite", daemon=True
        )
        thread.start()
        weakref.finalize(self, self._queue.put, None)

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """fn(connection, *args) on the connection's thread."""
        future = asyncio.get_running_loop().create_future()
        self._queue.put((fn, args, future))
        return await future

    def close(self) -> None:
        self._queue.put(None)

    @staticmethod
    def _run(path: Path, queue: SimpleQueue[Any]) -> None:
        conn: sqlite3.Connection | None = None
        while (item := queue.get()) is not None:
            fn, args, future = item
            try:
                if conn is None:
                    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
                    for pragma in SQLITE_PRAGMAS:
                        conn.execute(pragma)
                result, error = fn(conn, *args), None
            except Exception as exc:
                result, error = None, exc
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


def _processor(fn: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    return fn if fn is not None else (lambda value: value)


def _close(ref: weakref.ref[_SqliteTurns]) -> None:
    turns = ref()
    if turns is not None:
        turns.close()
