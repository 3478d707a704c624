"""Which schools receive leads (task directory): the operator's switch, one row per school."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.models import ParticipationRow

CACHE_SECONDS = 5.0  # a switch reaches the chat within this long (per process)


@dataclass(frozen=True)
class Switch:
    """One school's switch, as `huongnghiep school participating` lists it."""

    school_id: str
    participates: bool
    reason: str
    changed_at: dt.datetime


async def switch_on(session: AsyncSession, school_id: str, reason: str, now: dt.datetime) -> bool:
    """Switch a school on inside the caller's transaction (its token, webhook or staff group
    was just configured); a school an operator switched off stays off. True when switched."""
    row = await session.get(ParticipationRow, school_id)
    if row is not None:
        return False
    session.add(
        ParticipationRow(school_id=school_id, participates=True, reason=reason, changed_at=now)
    )
    return True


class ParticipationStore:
    """Reads and sets the switches; the set of schools switched on is cached briefly."""

    def __init__(self, engine: AsyncEngine, cache_seconds: float = CACHE_SECONDS) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._cache_seconds = cache_seconds
        self._cached: tuple[float, frozenset[str]] | None = None

    async def switch(self, school_id: str, on: bool, reason: str, now: dt.datetime) -> bool:
        """Switch a school on or off; True when this changed it."""
        async with self._sessions() as session, session.begin():
            row = await session.get(ParticipationRow, school_id, with_for_update=True)
            if row is not None and row.participates == on:
                return False
            if row is None:
                session.add(
                    ParticipationRow(
                        school_id=school_id, participates=on, reason=reason, changed_at=now
                    )
                )
            else:
                row.participates, row.reason, row.changed_at = on, reason, now
        self._cached = None
        return True

    async def participating(self) -> frozenset[str]:
        """The schools switched on (read again after CACHE_SECONDS)."""
        clock = time.monotonic()
        if self._cached is not None and clock - self._cached[0] < self._cache_seconds:
            return self._cached[1]
        async with self._sessions() as session:
            ids = frozenset(
                await session.scalars(
                    select(ParticipationRow.school_id).where(ParticipationRow.participates)
                )
            )
        self._cached = (clock, ids)
        return ids

    async def switches(self) -> list[Switch]:
        """Every school's switch, by school id."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(ParticipationRow).order_by(ParticipationRow.school_id)
            )
            return [Switch(r.school_id, r.participates, r.reason, r.changed_at) for r in rows]
