"""Seen platform events: each Telegram update or Zalo message is handled once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.storage.db import dialect_insert
from bot.storage.models import SeenEventRow

KEEP = dt.timedelta(days=7)  # platforms re-send within minutes; a week is plenty


class SeenEvents:
    """`first(channel, event_id)` is True exactly once per event, across processes."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = async_sessionmaker(engine)
        self._insert = dialect_insert(engine)

    async def first(self, channel: str, event_id: str) -> bool:
        now = dt.datetime.now(dt.UTC)
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                self._insert(SeenEventRow)
                .values(channel=channel, event_id=event_id[:128], seen_at=now)
                .on_conflict_do_nothing()
            )
            return bool(getattr(result, "rowcount", 0))

    async def forget_old(self, now: dt.datetime) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(delete(SeenEventRow).where(SeenEventRow.seen_at < now - KEEP))
