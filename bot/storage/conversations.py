"""ConversationStore in the database: one row per conversation, locked while a message runs."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.core.locks import KeyedLocks
from bot.core.messages import ConversationKey
from bot.core.ports import ConversationState
from bot.storage.db import checkpoint, dialect_insert
from bot.storage.models import ConversationRow
from bot.storage.session import shared


class SqlConversationStore:
    """State survives restarts; two processes on one database see one conversation.

    On PostgreSQL the row is locked with SELECT ... FOR UPDATE; on SQLite the transaction
    starts with BEGIN IMMEDIATE (see bot.storage.db), which serializes writers.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._local = KeyedLocks()  # spare the database the waits we can resolve in-process
        self._insert = dialect_insert(engine)

    @asynccontextmanager
    async def open(self, key: ConversationKey) -> AsyncIterator[ConversationState]:
        async with self._local.hold(key):
            async with self._sessions() as session, session.begin():
                row = await self._locked_row(session, key)
                state = ConversationState.from_dict(row.state) if row.state else ConversationState()
                async with shared(session):
                    yield state
                if state.erased:  # the user's data was deleted: the conversation goes too
                    await session.delete(row)
                else:
                    row.state = state.to_dict()
                    row.version += 1
                    row.updated_at = dt.datetime.now(dt.UTC)
            if state.erased:  # committed: on SQLite, empty the write-ahead log as well
                await checkpoint(self._engine)

    async def _locked_row(self, session: AsyncSession, key: ConversationKey) -> ConversationRow:
        """The conversation's row, created if missing, locked until the transaction ends."""
        for _ in range(3):
            await session.execute(
                self._insert(ConversationRow)
                .values(
                    channel=key.channel,
                    user_key=key.user_key,
                    state={},
                    version=0,
                    updated_at=dt.datetime.now(dt.UTC),
                )
                .on_conflict_do_nothing()
            )
            row = (
                await session.execute(
                    select(ConversationRow)
                    .where(
                        ConversationRow.channel == key.channel,
                        ConversationRow.user_key == key.user_key,
                    )
                    .with_for_update()
                )
            ).scalar_one_or_none()
            if row is not None:
                return row
            # PostgreSQL: another process erased the row while we waited for its lock
        raise RuntimeError("conversation row vanished three times")

    async def load(self, key: ConversationKey) -> ConversationState:
        """A read-only copy of the stored state (tools and tests)."""
        async with self._sessions() as session:
            row = await session.get(ConversationRow, (key.channel, key.user_key))
            return (
                ConversationState.from_dict(row.state) if row and row.state else ConversationState()
            )
