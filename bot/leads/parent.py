"""Leads waiting for a parent (issue 12): a school records a confirmation it got by phone,
the student is reminded once after a day, and leads never confirmed expire with their code.

`record_parent_confirmation` is the hook for the school portal and the CLI
(`huongnghiep parent confirm LEAD_ID SCHOOL_ID`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.catalog import Catalog
from bot.catalog.text_keys import T
from bot.core.flows.parent_view import CODE
from bot.core.messages import Button, Reply
from bot.storage import lead_status, lead_updates, parent_codes
from bot.storage.models import LeadRow, ParentCodeRow

log = logging.getLogger(__name__)

REMIND_AFTER = dt.timedelta(days=1)
EVERY = 600.0  # seconds between passes of the worker
HOWS = ("bot", "school_phone")
# a student's channel -> send these replies to that user; None when sent, else an error
Sender = Callable[[str, list[Reply]], Awaitable[str | None]]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def record_parent_confirmation(
    engine: AsyncEngine,
    lead_id: str,
    school_id: str,
    how: str = "school_phone",
    now: dt.datetime | None = None,
) -> bool:
    """A parent confirmed this school's waiting lead (by default: on the school's phone
    call): it goes to the school now, with how and when. True when the lead is confirmed
    (now, or already); False for a lead that is not this school's or no longer waits."""
    if how not in HOWS:
        raise ValueError(f"how must be one of {HOWS}")
    outcome = await record_parent_answer(
        engine, lead_id, school_id, True, lead_status.CLI_INVITE, now, how
    )
    return outcome in (CONFIRMED, ALREADY_CONFIRMED)


# portal2: what recording a parent's answer did
CONFIRMED = "confirmed"  # the lead went to the school now
DECLINED = "declined"  # the lead will never go; its contact data is dropped
ALREADY_CONFIRMED = "already_confirmed"  # nothing changed: confirmed before (bot or phone)
ENDED = "ended"  # nothing changed: the lead no longer waits (declined, expired, withdrawn)


async def record_parent_answer(
    engine: AsyncEngine,
    lead_id: str,
    school_id: str,
    agreed: bool,
    invite_id: int,
    now: dt.datetime | None = None,
    how: str = "school_phone",
) -> str | None:
    """Staff of `school_id` (signed in with invite `invite_id`) record the parent's answer
    to a waiting lead: agreed, it is released to the school exactly as a confirmation in
    the bot releases it (how=school_phone); declined, it ends as a parent's "no" in the bot
    ends it, for this school. Logged in the portal's audit. One transaction with the lead
    locked: a second answer (a double click, two staff at once) changes nothing. None when
    the lead is not this school's."""
    if not (0 < len(lead_id) <= 32 and lead_id.isascii() and lead_id.isalnum()):
        return None  # never one of our ids (hex): nothing to look up
    now = now or _now()
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions() as session, session.begin():
        lead = await session.get(LeadRow, lead_id, with_for_update=True)
        if lead is None or lead.school_id != school_id:
            return None
        if lead.status == lead_updates.ACTIVE and lead.parent_how is not None:
            return ALREADY_CONFIRMED
        if lead.status != lead_updates.AWAITING:
            return ENDED
        if agreed:
            await lead_updates.confirm(session, lead, how, now)
        else:
            await lead_updates.end_waiting(session, [lead], "declined", now)
        if how == "school_phone":
            lead_status.audit_parent(session, school_id, lead_id, invite_id, agreed, now)
        return CONFIRMED if agreed else DECLINED


@dataclass(frozen=True)
class Pass:
    """What one pass of the worker did."""

    reminded: int
    expired: int


class ParentReminders:
    """One reminder to the student a day after the code (on the student's channel, when a
    sender for it is registered), and expiry of leads whose codes all expired."""

    def __init__(
        self,
        engine: AsyncEngine,
        catalog: Catalog,
        now: Callable[[], dt.datetime] = _now,
        every: float = EVERY,
    ) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self.catalog = catalog
        self.now = now
        self.every = every
        self.senders: dict[str, Sender] = {}

    async def run(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("parent reminders pass failed")
            await asyncio.sleep(self.every)

    async def run_once(self) -> Pass:
        now = self.now()
        expired = await self._expire(now)
        reminded = 0
        for channel, user_key, schools in await self._due(now):
            sender = self.senders.get(channel)
            if sender is None:
                log.info("parent reminder: no sender", extra={"channel": channel})
                continue
            names = ", ".join(self.catalog.school_name(s) for s in schools)
            text = self.catalog.text(T.PARENT_REMINDER, schools=names)
            button = Button(self.catalog.text(T.PARENT_CODE_BUTTON), CODE)
            error = await sender(user_key, [Reply(text, (button,))])
            if error is None:
                reminded += 1
            else:
                log.warning("parent reminder not sent: %s", error, extra={"channel": channel})
        return Pass(reminded, expired)

    async def _due(self, now: dt.datetime) -> list[tuple[str, str, list[str]]]:
        """Students to remind now, each once: (channel, user, schools waiting). Marked as
        reminded before sending (a failed send is not retried: one reminder at most)."""
        due: list[tuple[str, str, list[str]]] = []
        async with self._sessions() as session, session.begin():
            codes = list(
                await session.scalars(
                    select(ParentCodeRow)
                    .where(
                        ParentCodeRow.used_at.is_(None),
                        ParentCodeRow.reminded_at.is_(None),
                        ParentCodeRow.created_at <= now - REMIND_AFTER,
                        ParentCodeRow.expires_at > now,
                    )
                    .with_for_update(skip_locked=True)
                )
            )
            for code in codes:
                code.reminded_at = now
                schools = list(
                    await session.scalars(
                        select(LeadRow.school_id).where(
                            LeadRow.response_id == code.response_id,
                            LeadRow.status == lead_updates.AWAITING,
                        )
                    )
                )
                if schools:
                    due.append((code.channel, code.user_key, schools))
        return due

    async def _expire(self, now: dt.datetime) -> int:
        """Waiting leads whose newest code expired never go: expired."""
        async with self._sessions() as session, session.begin():
            newest = (
                select(func.max(ParentCodeRow.expires_at))
                .where(ParentCodeRow.response_id == LeadRow.response_id)
                .scalar_subquery()
            )
            leads = list(
                await session.scalars(
                    select(LeadRow)
                    .where(
                        LeadRow.status == lead_updates.AWAITING,
                        newest <= now,
                    )
                    .with_for_update()
                )
            )
            await lead_updates.end_waiting(session, leads, "expired", now)
            await parent_codes.prune_attempts(session, now)
            return len(leads)
