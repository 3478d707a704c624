"""Users a platform will not let us message for now (Zalo OA -230), until they write again."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Delete, delete
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.storage.db import dialect_insert
from bot.storage.models import UnreachableRow


def forget(channel: str, user_key: str) -> Delete:
    """The statement that clears a user's record (they wrote again, or deleted their data)."""
    return delete(UnreachableRow).where(
        UnreachableRow.channel == channel, UnreachableRow.user_key == user_key[:128]
    )


class UnreachableUsers:
    """`record` when the platform refuses a user; `clear` when that user writes again."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = async_sessionmaker(engine)
        self._insert = dialect_insert(engine)

    async def record(self, channel: str, user_key: str, reason: str) -> None:
        now = dt.datetime.now(dt.UTC)
        statement = self._insert(UnreachableRow).values(
            channel=channel, user_key=user_key[:128], reason=reason[:64], recorded_at=now
        )
        async with self._sessions() as session, session.begin():
            await session.execute(
                statement.on_conflict_do_update(
                    index_elements=[UnreachableRow.channel, UnreachableRow.user_key],
                    set_={"reason": statement.excluded.reason, "recorded_at": now},
                )
            )

    async def clear(self, channel: str, user_key: str) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(forget(channel, user_key))
