"""Leads that stay right (issue 12): one lead per person and school, updated in place, held
while a parent has not confirmed, and the outbox rows that tell schools (lead.updated)."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import ConversationKey
from bot.storage.models import ConsentRow, ContactRow, LeadRow, OutboxRow, ResponseRow

log = logging.getLogger(__name__)

LEAD_CREATED = "lead.created"
LEAD_UPDATED = "lead.updated"  # a school is sent the lead again, as it is now
PARENT = "parent_consent"  # consent purpose (as in storage.leads)
FORWARD = "forward_to_school"
ACTIVE = "active"
AWAITING = "awaiting_parent"  # held: a parent has not confirmed yet
LIVE = (ACTIVE, AWAITING)  # leads a person still has with a school
HELD = "held"  # an outbox row waiting for its lead's parent
# parentsafe: LeadRow.parent_how. "bot": someone with the code agreed in the bot (who typed it
# is not known: the school phones the parent first); BOT_VERIFIED: agreed in the bot and shared
# a phone the platform vouches for (Telegram's own contact) equal to the parent's number the
# student gave; "school_phone": the school phoned the parent. The lead says how ("bot" for
# both bot values) and whether the parent's number was verified.
BOT, BOT_VERIFIED, SCHOOL_PHONE = "bot", "bot_verified", "school_phone"


def confirmation(parent_how: str | None) -> tuple[str | None, bool | None]:
    """How a parent confirmed, as the lead says it ("bot" | "school_phone"), and whether the
    parent's number was verified (None when no parent confirmed)."""
    if parent_how is None:
        return None, None
    if parent_how == BOT_VERIFIED:
        return BOT, True
    return parent_how, parent_how == SCHOOL_PHONE


def update_key(lead_id: str, kind: str, revision: int) -> str:
    """The idempotency key of one lead.updated event of one kind (one per revision)."""
    return f"lead-{lead_id}-{kind}-updated-{revision}"


async def previous_leads(
    session: AsyncSession, key: ConversationKey, schools: tuple[str, ...]
) -> dict[str, LeadRow]:
    """This person's live leads with these schools (the newest per school), locked."""
    rows = await session.scalars(
        select(LeadRow)
        .join(ResponseRow, ResponseRow.id == LeadRow.response_id)
        .where(
            ResponseRow.channel == key.channel,
            ResponseRow.user_key == key.user_key,
            LeadRow.school_id.in_(schools),
            LeadRow.status.in_(LIVE),
        )
        .order_by(LeadRow.created_at)
        .with_for_update()
    )
    return {lead.school_id: lead for lead in rows}


async def reached_kinds(session: AsyncSession, lead_id: str) -> set[str]:
    """The kinds (webhook, telegram) by which the school has, or may have, this lead: a
    delivered lead.created row, or one tried at least once."""
    rows = await session.execute(
        select(OutboxRow.kind, OutboxRow.status, OutboxRow.attempts).where(
            OutboxRow.lead_id == lead_id, OutboxRow.event == LEAD_CREATED
        )
    )
    return {
        kind
        for kind, status, attempts in rows
        if status == "delivered" or (attempts > 0 and status in ("pending", "dead"))
    }


async def release(session: AsyncSession, lead: LeadRow, kinds: list[str], at: dt.datetime) -> None:
    """The lead is active and current: schools that have it get lead.updated, the others
    get (or keep waiting for) lead.created, now due."""
    await session.execute(
        update(OutboxRow)
        .where(OutboxRow.lead_id == lead.id, OutboxRow.status == HELD)
        .values(status="pending", next_attempt_at=at)
    )
    reached = await reached_kinds(session, lead.id)
    created = set(
        await session.scalars(
            select(OutboxRow.kind).where(
                OutboxRow.lead_id == lead.id, OutboxRow.event == LEAD_CREATED
            )
        )
    )
    for kind in dict.fromkeys([*kinds, *reached]):
        if kind in reached:
            await _queue_update(session, lead, kind, at)
            continue
        if kind not in created:
            session.add(_row(lead, kind, LEAD_CREATED, f"lead-{lead.id}-{kind}", "pending", at))


async def _queue_update(session: AsyncSession, lead: LeadRow, kind: str, at: dt.datetime) -> None:
    """One lead.updated row, unless one not yet tried waits already (it will send the lead as
    it is when it goes)."""
    waiting = await session.scalar(
        select(OutboxRow.id).where(
            OutboxRow.lead_id == lead.id,
            OutboxRow.kind == kind,
            OutboxRow.event == LEAD_UPDATED,
            OutboxRow.status == "pending",
            OutboxRow.attempts == 0,
        )
    )
    if waiting is None:
        key = update_key(lead.id, kind, lead.revision)
        session.add(_row(lead, kind, LEAD_UPDATED, key, "pending", at))


def _row(lead: LeadRow, kind: str, event: str, key: str, status: str, at: dt.datetime) -> OutboxRow:
    return OutboxRow(
        kind=kind,
        event=event,
        lead_id=lead.id,
        target=lead.school_id,
        idempotency_key=key,
        status=status,
        attempts=0,
        next_attempt_at=at,
        created_at=at,
    )


async def hold(session: AsyncSession, lead: LeadRow, kinds: list[str], at: dt.datetime) -> None:
    """The lead waits for a parent: deliveries not yet tried wait with it."""
    await session.execute(
        update(OutboxRow)
        .where(
            OutboxRow.lead_id == lead.id,
            OutboxRow.event.in_((LEAD_CREATED, LEAD_UPDATED)),
            OutboxRow.status == "pending",
            OutboxRow.attempts == 0,
        )
        .values(status=HELD)
    )
    known = set(
        await session.scalars(
            select(OutboxRow.kind).where(
                OutboxRow.lead_id == lead.id, OutboxRow.event == LEAD_CREATED
            )
        )
    )
    for kind in kinds:
        if kind not in known:
            session.add(_row(lead, kind, LEAD_CREATED, f"lead-{lead.id}-{kind}", HELD, at))


async def confirm(session: AsyncSession, lead: LeadRow, how: str, at: dt.datetime) -> None:
    """A parent confirmed this waiting lead (through the bot, or on the school's phone call):
    it goes to its school, with how and when."""
    lead.status, lead.parent_how, lead.parent_at = ACTIVE, how, at
    response = await session.get(ResponseRow, lead.response_id)
    version = await session.scalar(
        select(ConsentRow.text_version).where(
            ConsentRow.response_id == lead.response_id, ConsentRow.purpose == FORWARD
        )
    )
    if response is not None:
        response.parent_confirmed = True
        session.add(
            ConsentRow(
                response_id=lead.response_id,
                purpose=PARENT,
                school_id=lead.school_id,
                granted=True,
                text_version=version or "",
                recorded_at=at,
            )
        )
    await release(session, lead, [], at)
    log.info("parent confirmed", extra={"school": lead.school_id, "how": how})


async def end_waiting(
    session: AsyncSession, leads: list[LeadRow], status: str, at: dt.datetime
) -> None:
    """Waiting leads that will never go: the parent declined (declined) or never answered
    (expired). Held rows are cancelled; a school that had an earlier version of the lead is
    told to delete it; the contact goes once no live lead needs it."""
    from bot.storage.erasure import _cancel_deliveries, _withdrawal_notices

    if not leads:
        return
    ids = [lead.id for lead in leads]
    notices = await _withdrawal_notices(session, ids, at)
    for lead in leads:
        lead.status = status
    await _cancel_deliveries(session, ids)
    await session.execute(
        update(OutboxRow)
        .where(OutboxRow.lead_id.in_(ids), OutboxRow.status.in_((HELD,)))
        .values(status="cancelled", locked_until=None)
    )
    session.add_all(notices)
    for response_id in {lead.response_id for lead in leads}:
        if status == "declined":
            response = await session.get(ResponseRow, response_id)
            if response is not None:
                response.parent_confirmed = False
            for lead in leads:
                if lead.response_id == response_id:
                    session.add(
                        ConsentRow(
                            response_id=response_id,
                            purpose=PARENT,
                            school_id=lead.school_id,
                            granted=False,
                            text_version="",
                            recorded_at=at,
                        )
                    )
        await drop_unused_contact(session, response_id)
    log.info("waiting leads ended", extra={"status": status, "leads": len(leads)})


async def drop_unused_contact(session: AsyncSession, response_id: str) -> None:
    """Delete a response's personal data once no live lead uses it (what is not forwarded is
    not kept)."""
    await session.flush()
    live = await session.scalar(
        select(LeadRow.id).where(LeadRow.response_id == response_id, LeadRow.status.in_(LIVE))
    )
    if live is None:
        contact = await session.get(ContactRow, response_id)
        if contact is not None:
            await session.delete(contact)
