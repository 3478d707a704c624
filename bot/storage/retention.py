"""Retention: personal data older than the retention period is deleted; anonymous counts stay."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.storage.leads import forget_responses
from bot.storage.models import ConversationRow, ResponseRow

log = logging.getLogger(__name__)


def cutoff(now: dt.datetime, months: int) -> dt.datetime:
    """The moment before which personal data is too old to keep (a month is 365/12 days)."""
    return now - dt.timedelta(days=round(months * 365 / 12))


@dataclass(frozen=True)
class Purged:
    responses: int  # responses whose personal data was deleted
    conversations: int  # conversation states deleted


async def purge(engine: AsyncEngine, now: dt.datetime, months: int) -> Purged:
    """Delete personal data (contacts, links to users, conversation states) older than `months`."""
    before = cutoff(now, months)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions() as session, session.begin():
        ids = list(
            await session.scalars(
                select(ResponseRow.id).where(
                    ResponseRow.created_at < before, ResponseRow.personal_deleted_at.is_(None)
                )
            )
        )
        await forget_responses(session, ids, now)
        result = await session.execute(
            delete(ConversationRow).where(ConversationRow.updated_at < before)
        )
        conversations = int(getattr(result, "rowcount", 0) or 0)
    if ids or conversations:
        log.info("retention purge", extra={"responses": len(ids), "conversations": conversations})
    return Purged(len(ids), conversations)
