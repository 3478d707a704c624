"""Users a platform will not let us message for now (Zalo OA -230), until they write again."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.storage.models import UnreachableRow


class UnreachableUsers:
    """`record` when the platform refuses a user; `clear` when that user writes again."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = async_sessionmaker(engine)
        self._postgres = engine.dialect.name == "postgresql"

    async def record(self, channel: str, user_key: str, reason: str) -> None:
        insert = pg_insert if self._postgres else sqlite_insert
        now = dt.datetime.now(dt.UTC)
        statement = insert(UnreachableRow).values(
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
            await session.execute(
                delete(UnreachableRow).where(
                    UnreachableRow.channel == channel, UnreachableRow.user_key == user_key[:128]
                )
            )
