"""Conversation rows: the row as a turn read it, and the versioned save that ends a turn."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update

from bot.core.messages import ConversationKey
from bot.storage.db import Insert
from bot.storage.models import ConversationRow

TOUCH_EVERY = dt.timedelta(hours=1)  # an unchanged state still refreshes updated_at (retention)
COLUMNS = ConversationRow.__table__.c


class ConversationConflict(RuntimeError):
    """The row changed (or vanished) under a turn: the turn is not saved."""


@dataclass(frozen=True)
class Read:
    """The row as a turn found it (or that there was none)."""

    state: dict[str, Any]
    version: int
    updated_at: dt.datetime | None
    exists: bool

    def unchanged(self, new: dict[str, Any], now: dt.datetime) -> bool:
        """Whether writing `new` would store nothing a later turn needs.

        The state's own `updated_at` is left out: nothing reads it. The row's `updated_at` is
        what retention reads, with a precision of months; it is refreshed every TOUCH_EVERY.
        """
        if not self.exists or self.updated_at is None or now - self.updated_at >= TOUCH_EVERY:
            return False
        old = self.state
        return len(old) == len(new) and all(
            k == "updated_at" or old.get(k, _MISSING) == v for k, v in new.items()
        )


_MISSING = object()
NOTHING = Read({}, 0, None, exists=False)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """A stored time as an aware UTC datetime (SQLite keeps no zone; what it keeps is UTC)."""
    return value.replace(tzinfo=dt.UTC) if value is not None and value.tzinfo is None else value


async def save(
    execute: Callable[[Any], Awaitable[Any]],
    insert: Insert,
    key: ConversationKey,
    read: Read,
    new: dict[str, Any],
    now: dt.datetime,
) -> None:
    """Insert the first row, or update the row if it is still at the version the turn read
    (SQLAlchemy Core, through the turn's connection or session); ConversationConflict if not."""
    if not read.exists:
        statement: Any = (
            insert(ConversationRow)
            .values(channel=key.channel, user_key=key.user_key)
            .values(state=new, version=1, updated_at=now)
            .on_conflict_do_nothing()
        )
    else:
        statement = (
            update(ConversationRow)
            .where(
                COLUMNS.channel == key.channel,
                COLUMNS.user_key == key.user_key,
                COLUMNS.version == read.version,
            )
            .values(state=new, version=read.version + 1, updated_at=now)
        )
    if (await execute(statement)).rowcount != 1:
        raise ConversationConflict("conversation changed under the turn")
