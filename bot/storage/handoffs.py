"""Handoffs to counsellors and the web chat's pushed messages, in the database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.core.messages import ConversationKey
from bot.storage.models import HandoffPostRow, HandoffRow, WebPushRow

OPEN, CLOSED = "open", "closed"
PUSH_KEPT = dt.timedelta(days=1)  # a page away longer than this reads its history instead
# portal2: the channel of a handoff whose student erased their data (its user_key is then the
# handoff's own id): the row names nobody, yet a counsellor writing in the thread is told
WEB, ERASED = "web", "erased"


@dataclass(frozen=True)
class Handoff:
    """One handoff as the desk uses it."""

    id: str
    key: ConversationKey
    open: bool
    chat_id: str
    thread_id: int | None
    root_message_id: int | None
    after_hours: bool
    opened_at: dt.datetime
    last_activity_at: dt.datetime

    @property
    def ref(self) -> str:
        """A short reference the group and the student can both quote (no personal data)."""
        return self.id[:6].upper()


def _view(row: HandoffRow) -> Handoff:
    return Handoff(
        row.id,
        ConversationKey(row.channel, row.user_key),
        row.status == OPEN,
        row.chat_id,
        row.thread_id,
        row.root_message_id,
        row.after_hours,
        row.opened_at,
        row.last_activity_at,
    )


class HandoffStore:
    """Handoffs, their posts in the counsellors' group, and web pushes."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def create(
        self,
        handoff_id: str,
        key: ConversationKey,
        chat_id: str,
        thread_id: int | None,
        after_hours: bool,
        now: dt.datetime,
    ) -> None:
        """A new open handoff (any earlier open one of the same conversation is closed)."""
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(HandoffRow)
                .where(
                    HandoffRow.channel == key.channel,
                    HandoffRow.user_key == key.user_key,
                    HandoffRow.status == OPEN,
                )
                .values(status=CLOSED, closed_at=now, closed_by="replaced")
            )
            session.add(
                HandoffRow(
                    id=handoff_id,
                    channel=key.channel,
                    user_key=key.user_key,
                    status=OPEN,
                    chat_id=chat_id,
                    thread_id=thread_id,
                    after_hours=after_hours,
                    opened_at=now,
                    last_activity_at=now,
                )
            )

    async def add_post(
        self, handoff_id: str, chat_id: str, message_id: int, root: bool = False
    ) -> None:
        """A message of the group that belongs to the handoff (the first one is its root)."""
        async with self._sessions() as session, session.begin():
            await session.merge(
                HandoffPostRow(chat_id=chat_id, message_id=message_id, handoff_id=handoff_id)
            )
            if root:
                await session.execute(
                    update(HandoffRow)
                    .where(HandoffRow.id == handoff_id)
                    .values(root_message_id=message_id)
                )

    async def get(self, handoff_id: str) -> Handoff | None:
        async with self._sessions() as session:
            row = await session.get(HandoffRow, handoff_id)
            return _view(row) if row is not None else None

    async def by_thread(self, chat_id: str, thread_id: int) -> Handoff | None:
        """The newest handoff of a forum topic."""
        async with self._sessions() as session:
            row = (
                await session.scalars(
                    select(HandoffRow)
                    .where(HandoffRow.chat_id == chat_id, HandoffRow.thread_id == thread_id)
                    .order_by(HandoffRow.opened_at.desc())
                    .limit(1)
                )
            ).first()
            return _view(row) if row is not None else None

    async def by_post(self, chat_id: str, message_id: int) -> Handoff | None:
        """The handoff a message of the group belongs to."""
        async with self._sessions() as session:
            post = await session.get(HandoffPostRow, (chat_id, message_id))
            if post is None:
                return None
            row = await session.get(HandoffRow, post.handoff_id)
            return _view(row) if row is not None else None

    async def touch(self, handoff_id: str, now: dt.datetime) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(HandoffRow).where(HandoffRow.id == handoff_id).values(last_activity_at=now)
            )

    async def close(self, handoff_id: str, by: str, now: dt.datetime) -> Handoff | None:
        """Close an open handoff; the handoff, or None when it was not open (closed once)."""
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                update(HandoffRow)
                .where(HandoffRow.id == handoff_id, HandoffRow.status == OPEN)
                .values(status=CLOSED, closed_at=now, closed_by=by)
            )
            if not getattr(result, "rowcount", 0):
                return None
            row = await session.get(HandoffRow, handoff_id)
            return _view(row) if row is not None else None

    async def open_for(self, key: ConversationKey) -> Handoff | None:
        """The conversation's open handoff, if any."""
        async with self._sessions() as session:
            row = (
                await session.scalars(
                    select(HandoffRow).where(
                        HandoffRow.channel == key.channel,
                        HandoffRow.user_key == key.user_key,
                        HandoffRow.status == OPEN,
                    )
                )
            ).first()
            return _view(row) if row is not None else None

    async def live(self, key: ConversationKey, closed_since: dt.datetime) -> bool:
        """Whether the conversation has an open handoff, or one closed after `closed_since`
        (its last messages may still be on their way)."""
        async with self._sessions() as session:
            found = await session.scalar(
                select(HandoffRow.id)
                .where(
                    HandoffRow.channel == key.channel,
                    HandoffRow.user_key == key.user_key,
                    (HandoffRow.status == OPEN) | (HandoffRow.closed_at > closed_since),
                )
                .limit(1)
            )
            return found is not None

    async def open_handoffs(self) -> list[Handoff]:
        """Open handoffs of students still here (the idle timer's; an erased student's wait
        for a counsellor's next message, which tells the group, or for the retention purge)."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(HandoffRow).where(HandoffRow.status == OPEN, HandoffRow.channel != ERASED)
            )
            return [_view(r) for r in rows]

    # -- web pushes -----------------------------------------------------------------------------

    async def push(self, user_key: str, body: dict[str, Any], now: dt.datetime) -> int:
        """A message for a web chat page; its id (increasing)."""
        async with self._sessions() as session, session.begin():
            row = WebPushRow(user_key=user_key, body=body, created_at=now)
            session.add(row)
            await session.flush()
            return int(row.id)

    async def pushes(self, user_key: str, after: int) -> list[tuple[int, dict[str, Any]]]:
        """The page's messages after id `after`, oldest first."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(WebPushRow.id, WebPushRow.body)
                .where(WebPushRow.user_key == user_key, WebPushRow.id > after)
                .order_by(WebPushRow.id)
                .limit(100)
            )
            return [(int(i), dict(b)) for i, b in rows]

    async def last_push(self, user_key: str) -> int:
        """The newest push id of a page (0 when none)."""
        async with self._sessions() as session:
            found = await session.scalar(
                select(func.max(WebPushRow.id)).where(WebPushRow.user_key == user_key)
            )
            return int(found or 0)

    async def purge_pushes(self, now: dt.datetime) -> None:
        """Pushes older than PUSH_KEPT (the page shows its history after a reload)."""
        async with self._sessions() as session, session.begin():
            await session.execute(delete(WebPushRow).where(WebPushRow.created_at < now - PUSH_KEPT))


# -- portal2 (issue 12): erasure and retention of handoffs ------------------------------------


async def forget_user(session: AsyncSession, key: ConversationKey) -> int:
    """A student erases their data: their handoffs stop naming them (channel ERASED, user
    the handoff's id; what was relayed lives in the counsellors' group, never here) and their
    web chat's pushed messages (counsellors' replies) are deleted. How many handoffs."""
    result = await session.execute(
        update(HandoffRow)
        .where(HandoffRow.channel == key.channel, HandoffRow.user_key == key.user_key)
        .values(channel=ERASED, user_key=HandoffRow.id)
    )
    if key.channel == WEB:
        await session.execute(delete(WebPushRow).where(WebPushRow.user_key == key.user_key))
    return int(getattr(result, "rowcount", 0) or 0)


async def purge_before(session: AsyncSession, before: dt.datetime) -> int:
    """Retention: handoffs without activity since `before` are deleted with their posts in
    the group (message ids), and web pushes older than `before`. How many handoffs."""
    old = select(HandoffRow.id).where(HandoffRow.last_activity_at < before)
    await session.execute(delete(HandoffPostRow).where(HandoffPostRow.handoff_id.in_(old)))
    result = await session.execute(delete(HandoffRow).where(HandoffRow.last_activity_at < before))
    await session.execute(delete(WebPushRow).where(WebPushRow.created_at < before))
    return int(getattr(result, "rowcount", 0) or 0)
