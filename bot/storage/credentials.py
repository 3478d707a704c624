"""Platform credentials in the database: the newest access token and single-use refresh token.

Every process and every restart reads the pair from here. A refresh happens inside the
transaction that read the old pair, with the row locked (SELECT ... FOR UPDATE on PostgreSQL;
BEGIN IMMEDIATE on SQLite, see bot.storage.db), so two processes never spend one refresh token.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.storage.db import dialect_insert
from bot.storage.models import ChannelCredentialRow


@dataclass(frozen=True)
class Credentials:
    """One channel's tokens; expires_at is None when nobody told us (a token from settings)."""

    access_token: str | None
    refresh_token: str | None
    expires_at: dt.datetime | None = None

    def expiring(self, now: dt.datetime, margin: dt.timedelta) -> bool:
        """Whether the access token is missing or expires within `margin`."""
        if not self.access_token:
            return True
        return self.expires_at is not None and self.expires_at - now <= margin

    def __repr__(self) -> str:  # tokens never reach a log through repr
        return f"Credentials(expires_at={self.expires_at!r})"


# Given the stored pair, a new pair to store, or None to keep (and use) the stored one.
Renewal = Callable[[Credentials], Awaitable[Credentials | None]]


class CredentialStore:
    """Read, seed and rotate one row of channel_credentials per channel."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._insert = dialect_insert(engine)

    async def seed(self, channel: str, first: Credentials) -> None:
        """Store `first` only if the channel has no row yet: the database holds the newest
        pair (the refresh token in settings may have been spent long ago)."""
        if not (first.access_token or first.refresh_token):
            return
        async with self._sessions() as session, session.begin():
            await session.execute(
                self._insert(ChannelCredentialRow)
                .values(
                    channel=channel,
                    access_token=first.access_token,
                    refresh_token=first.refresh_token,
                    expires_at=first.expires_at,
                    updated_at=dt.datetime.now(dt.UTC),
                )
                .on_conflict_do_nothing()
            )

    async def get(self, channel: str) -> Credentials | None:
        async with self._sessions() as session:
            row = await session.get(ChannelCredentialRow, channel)
            return _credentials(row) if row is not None else None

    async def rotate(self, channel: str, renew: Renewal) -> Credentials | None:
        """Lock the row, let `renew` decide from the stored pair, store what it returns, and
        return the pair now in force (None if the channel has no row). If `renew` raises,
        nothing changes."""
        async with self._sessions() as session, session.begin():
            row = (
                await session.execute(
                    select(ChannelCredentialRow)
                    .where(ChannelCredentialRow.channel == channel)
                    .with_for_update()
                )
            ).scalar_one_or_none()
            if row is None:
                return None
            current = _credentials(row)
            new = await renew(current)
            if new is None:
                return current
            row.access_token = new.access_token
            row.refresh_token = new.refresh_token
            row.expires_at = new.expires_at
            row.updated_at = dt.datetime.now(dt.UTC)
            return new


def _credentials(row: ChannelCredentialRow) -> Credentials:
    return Credentials(row.access_token, row.refresh_token, row.expires_at)
