"""Questions the bot could not answer, in the database (bot/core/unanswered.py says what is kept
and why); read by `huongnghiep questions` and by "xem dữ liệu của tôi"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.core.messages import ConversationKey
from bot.core.unanswered import Chosen, Noted
from bot.storage.models import UnansweredRow
from bot.storage.session import transaction

SHOWN_TO_USER = 5  # "xem dữ liệu của tôi" lists this many of the newest, and counts the rest


@dataclass(frozen=True)
class Kept:
    """One kept question, as `huongnghiep questions` shows and exports it (nobody named)."""

    id: str
    asked_at: dt.datetime
    channel: str
    text: str
    kind: str
    offered: tuple[str, ...]
    chosen: str | None


class SqlQuestionLog:
    """Implements core.unanswered.QuestionLog; and the readings of the CLI."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def keep(self, noted: Sequence[Noted], chosen: Sequence[Chosen]) -> None:
        async with transaction(self._sessions) as session:
            for n in noted:
                session.add(
                    UnansweredRow(
                        id=n.id,
                        channel=n.key.channel,
                        user_key=n.key.user_key[:128],
                        asked_at=n.at,
                        text=n.text,
                        kind=n.kind,
                        offered=list(n.offered),
                    )
                )
            await session.flush()
            for c in chosen:  # the first choice only (the core notes one per question)
                await session.execute(
                    update(UnansweredRow)
                    .where(UnansweredRow.id == c.id, UnansweredRow.chosen.is_(None))
                    .values(chosen=c.chosen[:128], chosen_at=c.at)
                )

    async def listed(self, since: dt.datetime | None = None) -> list[Kept]:
        """The kept questions (asked since a moment), oldest first."""
        query = select(UnansweredRow).order_by(UnansweredRow.asked_at, UnansweredRow.id)
        if since is not None:
            query = query.where(UnansweredRow.asked_at >= since)
        async with self._sessions() as session:
            rows = list(await session.scalars(query))
        return [
            Kept(r.id, r.asked_at, r.channel, r.text, r.kind, tuple(r.offered or ()), r.chosen)
            for r in rows
        ]


async def of_user(session: AsyncSession, key: ConversationKey) -> tuple[list[str], int]:
    """A user's kept questions for "xem dữ liệu của tôi": the newest few, and how many."""
    where = (UnansweredRow.channel == key.channel, UnansweredRow.user_key == key.user_key[:128])
    texts = list(
        await session.scalars(
            select(UnansweredRow.text)
            .where(*where)
            .order_by(UnansweredRow.asked_at.desc())
            .limit(SHOWN_TO_USER)
        )
    )
    count = await session.scalar(select(func.count()).select_from(UnansweredRow).where(*where))
    return texts, int(count or 0)


async def forget_user(session: AsyncSession, key: ConversationKey) -> int:
    """A user erases their data: their kept questions go. How many."""
    result = await session.execute(
        delete(UnansweredRow).where(
            UnansweredRow.channel == key.channel, UnansweredRow.user_key == key.user_key[:128]
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def purge_before(session: AsyncSession, before: dt.datetime) -> int:
    """Retention: questions asked before `before` go. How many."""
    result = await session.execute(delete(UnansweredRow).where(UnansweredRow.asked_at < before))
    return int(getattr(result, "rowcount", 0) or 0)
