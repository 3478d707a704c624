"""One transaction per conversation turn: stores that run inside a turn share its session.

SqlConversationStore.open publishes the turn's session here while the turn runs, so a survey
submitted in that turn is written in the same transaction as the conversation state: both
are saved, or neither. (On SQLite a second writer would also wait on the first's lock.) The
session is made on first use: most turns never need one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


class TurnSession:
    """The session of one turn, made by `factory` when something first asks for it."""

    def __init__(self, factory: Callable[[], AsyncSession]) -> None:
        self._factory = factory
        self.session: AsyncSession | None = None

    def get(self) -> AsyncSession:
        if self.session is None:
            self.session = self._factory()
        return self.session

    @property
    def wrote(self) -> bool:
        """Whether the turn used its session (it then has a transaction to finish)."""
        return self.session is not None and self.session.in_transaction()

    async def close(self) -> None:
        """Close the session if one was made (rolling back whatever was not committed)."""
        if self.session is not None:
            await self.session.close()


CURRENT: ContextVar[TurnSession | None] = ContextVar("huongnghiep_session", default=None)


@asynccontextmanager
async def shared(turn: TurnSession) -> AsyncIterator[None]:
    """Make `turn` the current turn's session for the duration of the block."""
    token = CURRENT.set(turn)
    try:
        yield
    finally:
        CURRENT.reset(token)


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """The current turn's session if there is one, else a new session in its own transaction."""
    current = CURRENT.get()
    if current is not None:
        yield current.get()
        return
    async with sessions() as session, session.begin():
        yield session
