"""Seen platform events: each Telegram update or Zalo message is handled once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Delete, delete, or_
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.db import dialect_insert
from bot.storage.models import SeenEventRow

KEEP = dt.timedelta(days=7)  # platforms re-send within minutes; a week is plenty
MAX_EVENT_ID = 128


def _like(text: str) -> str:
    """`text` for a LIKE pattern with `\\` as the escape character."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def forget_user(channel: str, user_key: str) -> Delete:
    """The statement that deletes the events whose id names this user.

    Event ids are colon-separated parts; where a channel has no message id it builds one from
    the user id (Zalo OA: `follow:<user>:<time>`, `info:<user>:<time>`), so any id with the
    user id as one of its parts goes.
    """
    user = _like(user_key)
    return delete(SeenEventRow).where(
        SeenEventRow.channel == channel,
        or_(
            SeenEventRow.event_id == user_key[:MAX_EVENT_ID],
            SeenEventRow.event_id.like(f"{user}:%", escape="\\"),
            SeenEventRow.event_id.like(f"%:{user}", escape="\\"),
            SeenEventRow.event_id.like(f"%:{user}:%", escape="\\"),
        ),
    )


async def prune(session: AsyncSession, now: dt.datetime) -> int:
    """Delete events seen more than KEEP ago; how many."""
    result = await session.execute(delete(SeenEventRow).where(SeenEventRow.seen_at < now - KEEP))
    return int(getattr(result, "rowcount", 0) or 0)


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
                .values(channel=channel, event_id=event_id[:MAX_EVENT_ID], seen_at=now)
                .on_conflict_do_nothing()
            )
            return bool(getattr(result, "rowcount", 0))

    async def forget_old(self, now: dt.datetime) -> int:
        """Delete events seen more than KEEP ago (the retention purge does it every hour)."""
        async with self._sessions() as session, session.begin():
            return await prune(session, now)
