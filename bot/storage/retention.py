"""Retention: personal data older than the retention period is deleted; anonymous counts stay."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.settings import MAX_RETENTION_MONTHS as MAX_MONTHS
from bot.settings import MIN_RETENTION_MONTHS as MIN_MONTHS
from bot.storage import events, handoffs, unanswered
from bot.storage.db import checkpoint
from bot.storage.erasure import forget_responses
from bot.storage.models import ConversationRow, ResponseRow

log = logging.getLogger(__name__)


def cutoff(now: dt.datetime, months: int) -> dt.datetime:
    """The moment before which personal data is too old to keep (a month is 365/12 days)."""
    return now - dt.timedelta(days=round(months * 365 / 12))


def check_months(months: int) -> str | None:
    """Why `months` is not a usable retention period, or None when it is."""
    if months < MIN_MONTHS:
        return (
            f"{months} month(s) is too short: the retention period is at least {MIN_MONTHS} "
            "month (less would delete the contacts of surveys sent today)"
        )
    if months > MAX_MONTHS:
        return f"{months} months is too long: the retention period is at most {MAX_MONTHS} months"
    return None


@dataclass(frozen=True)
class Purged:
    responses: int  # responses whose personal data was deleted
    conversations: int  # conversation states deleted
    events: int = 0  # seen platform events pruned (older than events.KEEP)
    handoffs: int = 0  # portal2: handoffs to counsellors deleted (with their posts, pushes)
    questions: int = 0  # questions the bot could not answer (bot/core/unanswered.py)


async def purge(engine: AsyncEngine, now: dt.datetime, months: int) -> Purged:
    """Delete personal data (contacts, links to users, conversation states) older than `months`,
    and seen platform events older than a week (some ids embed a user id); then, on SQLite,
    empty the write-ahead log so the deleted rows leave no copy there."""
    problem = check_months(months)
    if problem is not None:
        raise ValueError(problem)
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
        seen = await events.prune(session, now)
        threads = await handoffs.purge_before(session, before)
        questions = await unanswered.purge_before(session, before)
    await checkpoint(engine)
    if ids or conversations or seen or threads or questions:
        log.info(
            "retention purge",
            extra={
                "responses": len(ids),
                "conversations": conversations,
                "events": seen,
                "handoffs": threads,
                "questions": questions,
            },
        )
    return Purged(len(ids), conversations, seen, threads, questions)
