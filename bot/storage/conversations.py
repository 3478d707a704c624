"""ConversationStore in the database: one row per conversation, one turn at a time per row.

A turn reads the row, runs, and writes the row back only if the state changed, guarded by the
version it read (`UPDATE … WHERE version = :read`), so an update is never lost. Two turns of
one conversation never run at once: an in-process lock per key, plus, across processes,
- PostgreSQL: the row locked (SELECT … FOR UPDATE) for the turn; other rows stay free;
- SQLite (a file): a per-key file lock, the database's write lock taken only for the write
  itself (bot.storage.sqlite_turns).
When a turn writes through the LeadSink (a survey submitted), it does so in the turn's session
(bot.storage.session), and the state is saved in the same transaction: both or neither. A turn
that erased the conversation (ConversationState.erase) deletes its row instead, then empties
SQLite's write-ahead log (bot.storage.db.checkpoint).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from bot.core.locks import KeyedLocks
from bot.core.messages import ConversationKey
from bot.core.ports import ConversationState
from bot.storage.conversation_rows import (
    COLUMNS,
    NOTHING,
    READ_FOR_UPDATE,
    Read,
    as_utc,
    bind,
    insert_statement,
    save,
    utcnow,
)
from bot.storage.db import checkpoint, dialect_insert, sqlite_file
from bot.storage.session import TurnSession, shared
from bot.storage.sqlite_turns import SqliteTurns


class SqlConversationStore:
    """State survives restarts; two processes on one database see one conversation."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._local = KeyedLocks()  # spare the database the waits we can resolve in-process
        self._insert = insert_statement(dialect_insert(engine))
        path = sqlite_file(engine)
        self._sqlite = SqliteTurns(engine, path) if path is not None else None

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
                    select(COLUMNS.state).where(
                        COLUMNS.channel == key.channel, COLUMNS.user_key == key.user_key
                    )
                )
            ).first()
            await conn.rollback()
        return ConversationState.from_dict(row.state) if row and row.state else ConversationState()

    def close(self) -> None:
        """Close the store's own SQLite connections (disposing of the engine does it too)."""
        if self._sqlite is not None:
            self._sqlite.close()

    @asynccontextmanager
    async def _locked_turn(self, key: ConversationKey) -> AsyncIterator[ConversationState]:
        """One transaction over the turn with the row locked (PostgreSQL; SQLite in memory)."""
        async with self._engine.connect() as conn:
            read = await self._read_locked(conn, key)
            for _ in range(3):
                if read.exists:
                    break
                # a row to lock (version 0), so two processes cannot both start this conversation;
                # read again: another process may have erased it while we waited for its lock
                await conn.execute(self._insert, bind(key, -1, {}, utcnow()))
                read = await self._read_locked(conn, key)
            else:
                raise RuntimeError("conversation row vanished three times")
            state = ConversationState.from_dict(read.state)
            session = TurnSession(lambda: AsyncSession(bind=conn, expire_on_commit=False))
            try:
                async with shared(session):
                    yield state
                if session.session is not None:
                    await session.session.flush()
            finally:
                await session.close()
            new, now = (None if state.erased else state.to_dict()), utcnow()
            if new is None or not read.unchanged(new, now):
                await save(conn.execute, self._insert, key, read, new, now)
            await conn.commit()
        if state.erased:  # committed: on SQLite, empty the write-ahead log as well
            await checkpoint(self._engine)

    @staticmethod
    async def _read_locked(conn: AsyncConnection, key: ConversationKey) -> Read:
        row = (await conn.execute(READ_FOR_UPDATE, bind(key, 0, None, None))).first()
        if row is None:
            return NOTHING
        return Read(row.state or {}, row.version, as_utc(row.updated_at), exists=True)
