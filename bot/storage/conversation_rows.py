"""Conversation rows: the row as a turn read it, and the versioned save that ends a turn."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select, update

from bot.core.messages import ConversationKey
from bot.storage.db import Insert
from bot.storage.models import ConversationRow

TOUCH_EVERY = dt.timedelta(hours=1)  # an unchanged state still refreshes updated_at (retention)
# the table, not the mapped class: Core statements, which a session runs as they are (an ORM
# UPDATE or DELETE through a session would synchronize objects and may not report a row count)
TABLE = cast(Table, ConversationRow.__table__)
COLUMNS = TABLE.c


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


# The statements of a turn, built once (SQLAlchemy Core with bound parameters).
# (bound names differ from column names: SQLAlchemy reserves those in INSERT and UPDATE)
_KEY = (COLUMNS.channel == bindparam("b_channel"), COLUMNS.user_key == bindparam("b_user_key"))
_NEW: dict[str, Any] = {
    "state": bindparam("b_state"),
    "version": bindparam("b_next"),
    "updated_at": bindparam("b_now"),
}
READ = select(COLUMNS.state, COLUMNS.version, COLUMNS.updated_at).where(*_KEY)
READ_FOR_UPDATE = READ.with_for_update()
UPDATE = update(TABLE).where(*_KEY, COLUMNS.version == bindparam("b_read")).values(_NEW)
DELETE = delete(TABLE).where(*_KEY, COLUMNS.version == bindparam("b_read"))


def insert_statement(insert: Insert) -> Any:
    """INSERT of a conversation's first row in the dialect of `insert` (nothing if it exists)."""
    return (
        insert(TABLE)
        .values(channel=bindparam("b_channel"), user_key=bindparam("b_user_key"), **_NEW)
        .on_conflict_do_nothing()
    )


def bind(key: ConversationKey, version: int, state: Any, now: Any) -> dict[str, Any]:
    """The bound values of READ, UPDATE (from `version` to the next) and the INSERT."""
    return {
        "b_channel": key.channel,
        "b_user_key": key.user_key,
        "b_read": version,
        "b_next": version + 1,
        "b_state": state,
        "b_now": now,
    }


async def save(
    execute: Callable[[Any, dict[str, Any]], Awaitable[Any]],
    insert: Any,
    key: ConversationKey,
    read: Read,
    new: dict[str, Any] | None,
    now: dt.datetime,
) -> None:
    """Store `new` (a first row through `insert`, from insert_statement), or delete the row if
    `new` is None (the conversation was erased); either only if the row is still at the version
    the turn read, through the turn's connection or session, else ConversationConflict."""
    statement: Any
    if new is None:  # erased
        if not read.exists:
            return
        statement = DELETE
    else:
        statement = UPDATE if read.exists else insert
    if (await execute(statement, bind(key, read.version, new, now))).rowcount != 1:
        raise ConversationConflict("conversation changed under the turn")
