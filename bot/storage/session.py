"""One transaction per conversation turn: stores that run inside a turn share its session.

SqlConversationStore.open publishes its session here while the turn runs, so a survey
submitted in that turn is written in the same transaction as the conversation state: both
are saved, or neither. (On SQLite a second writer would also wait on the first's lock.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

CURRENT: ContextVar[AsyncSession | None] = ContextVar("huongnghiep_session", default=None)


@asynccontextmanager
async def shared(session: AsyncSession) -> AsyncIterator[None]:
    """Make `session` the current turn's session for the duration of the block."""
    token = CURRENT.set(session)
    try:
        yield
    finally:
        CURRENT.reset(token)


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """The current turn's session if there is one, else a new session in its own transaction."""
    current = CURRENT.get()
    if current is not None:
        yield current
        return
    async with sessions() as session, session.begin():
        yield session
