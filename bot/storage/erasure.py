"""Leads withdrawn and personal data erased: the schools told to delete (lead.withdrawn), the
deliveries cancelled, the contacts and the traces that name a person deleted."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import ConversationKey
from bot.core.ports import Forgotten, Submission
from bot.storage import events, handoffs, lead_updates, parent_codes, unanswered, unreachable
from bot.storage.lead_updates import LEAD_CREATED
from bot.storage.models import ConsentRow, ContactRow, LeadRow, OutboxRow, ResponseRow

log = logging.getLogger("bot.storage.leads")  # the lead sink's log, as before the split

FREE_TEXT = ("commune",)  # non-personal answers typed freely: deleted with the personal data
# outbox event: a school is told to delete a lead it got (consent withdrawn, data erased)
LEAD_WITHDRAWN = "lead.withdrawn"


def withdrawal_key(lead_id: str, kind: str = "webhook") -> str:
    """The idempotency key of a lead's withdrawal notice of one kind (another event, so
    another key than the lead's own delivery)."""
    return f"lead-{lead_id}-{kind}-withdrawn"


async def _withdrawal_notices(
    session: AsyncSession, lead_ids: list[str], at: dt.datetime
) -> list[OutboxRow]:
    """lead.withdrawn rows (not yet added) for every way these leads reached a school, or may
    have: a delivered lead.created row, or one tried at least once (in flight now, or timed
    out after the school had it). A lead never tried needs none. Read before the pending rows
    are cancelled; a notice waits for its lead's delivery in flight (its lease) to end first."""
    if not lead_ids:
        return []
    # every delivery row of these leads, locked (PostgreSQL): a worker claiming one right now
    # commits first and its claim (attempts, lease) is what is read. Filtered here, not in SQL,
    # as a row filtered out on its old version would be neither locked nor seen claimed.
    # (SQLite serializes writers anyway.)
    rows = await session.execute(
        select(
            OutboxRow.lead_id,
            OutboxRow.kind,
            OutboxRow.target,
            OutboxRow.locked_until,
            OutboxRow.status,
            OutboxRow.attempts,
        )
        .where(OutboxRow.lead_id.in_(lead_ids), OutboxRow.event == LEAD_CREATED)
        .with_for_update()
    )
    due: dict[tuple[str, str, str], dt.datetime] = {}
    for lead_id, kind, target, locked_until, status, attempts in rows:
        reached = status == "delivered" or (attempts > 0 and status in ("pending", "dead"))
        if lead_id is None or not reached:
            continue
        when = max(at, locked_until) if locked_until is not None else at
        due[(lead_id, kind, target)] = max(when, due.get((lead_id, kind, target), when))
    known = set(
        await session.scalars(
            select(OutboxRow.idempotency_key).where(
                OutboxRow.lead_id.in_(lead_ids), OutboxRow.event == LEAD_WITHDRAWN
            )
        )
    )
    return [
        OutboxRow(
            kind=kind,
            event=LEAD_WITHDRAWN,
            lead_id=lead_id,
            target=target,
            idempotency_key=withdrawal_key(lead_id, kind),
            status="pending",
            attempts=0,
            next_attempt_at=when,
            created_at=at,
        )
        for (lead_id, kind, target), when in due.items()
        if withdrawal_key(lead_id, kind) not in known
    ]


async def _cancel_deliveries(session: AsyncSession, lead_ids: list[str]) -> None:
    """Pending (or dead-lettered) deliveries of these leads will not be made."""
    await session.execute(
        update(OutboxRow)
        .where(
            OutboxRow.lead_id.in_(lead_ids),
            OutboxRow.event == LEAD_CREATED,
            OutboxRow.status.in_(("pending", "dead")),
        )
        .values(status="cancelled", locked_until=None)
    )
    # parent (issue 12): deliveries held for a parent, and updates not yet sent, go too
    await session.execute(
        update(OutboxRow)
        .where(
            OutboxRow.lead_id.in_(lead_ids),
            (OutboxRow.status == lead_updates.HELD)
            | ((OutboxRow.event == lead_updates.LEAD_UPDATED) & (OutboxRow.status == "pending")),
        )
        .values(status="cancelled", locked_until=None)
    )


async def _drop_schools(session: AsyncSession, sub: Submission, response_id: str) -> None:
    """A correction (issue 12, parent): the person's live leads with schools the corrected
    answers no longer name are withdrawn (the school is told, as for "rút lại đồng ý")."""
    kept = sub.schools if sub.forward else ()
    leads = list(
        await session.scalars(
            select(LeadRow)
            .join(ResponseRow, ResponseRow.id == LeadRow.response_id)
            .where(
                ResponseRow.channel == sub.key.channel,
                ResponseRow.user_key == sub.key.user_key,
                ResponseRow.id != response_id,
                LeadRow.status.in_(lead_updates.LIVE),
                LeadRow.school_id.not_in(kept),
            )
        )
    )
    if not leads:
        return
    ids = [lead.id for lead in leads]
    notices = await _withdrawal_notices(session, ids, sub.submitted_at)
    await session.execute(update(LeadRow).where(LeadRow.id.in_(ids)).values(status="withdrawn"))
    await _cancel_deliveries(session, ids)
    session.add_all(notices)
    for lead in leads:
        await session.execute(
            update(ConsentRow)
            .where(
                ConsentRow.response_id == lead.response_id,
                ConsentRow.school_id == lead.school_id,
                ConsentRow.withdrawn_at.is_(None),
            )
            .values(withdrawn_at=sub.submitted_at)
        )
    for old in {lead.response_id for lead in leads}:
        await lead_updates.drop_unused_contact(session, old)
    log.info("correction withdrew leads", extra={"leads": len(ids)})


async def forget_user_traces(session: AsyncSession, key: ConversationKey) -> None:
    """Delete the rows that name the user outside their surveys: the unreachable mark and the
    platform events whose ids embed the user id. (The conversation row is the store's: the
    turn erases it.)"""
    await session.execute(unreachable.forget(key.channel, key.user_key))
    await session.execute(events.forget_user(key.channel, key.user_key))
    await handoffs.forget_user(session, key)  # portal2: handoffs and web pushes
    await unanswered.forget_user(session, key)  # questions the bot could not answer


async def erase_and_tell(session: AsyncSession, ids: list[str], at: dt.datetime) -> Forgotten:
    """Delete the personal data of these responses (a person's); the schools that have (or
    may have) one of the live leads are told to delete it: by a lead.withdrawn through the
    outbox where their webhook or staff group had the lead (`told`), else only in the portal
    (`listed`: datarights, review3 C4)."""
    live = list(
        await session.execute(
            select(LeadRow.id, LeadRow.school_id).where(
                LeadRow.response_id.in_(ids), LeadRow.status.in_(lead_updates.LIVE)
            )
        )
    )
    notices = await _withdrawal_notices(session, [lead_id for lead_id, _ in live], at)
    gone = await forget_responses(session, ids, at)
    session.add_all(notices)
    told = tuple(dict.fromkeys(n.target for n in notices))
    listed = tuple(dict.fromkeys(school for _, school in live if school not in told))
    return replace(gone, told=told, listed=listed)


async def forget_responses(session: AsyncSession, ids: list[str], at: dt.datetime) -> Forgotten:
    """Delete the personal data of these responses; their anonymous answers stay."""
    if not ids:
        return Forgotten(0, 0, 0)
    contacts = list(
        await session.scalars(select(ContactRow).where(ContactRow.response_id.in_(ids)))
    )
    for contact in contacts:
        await session.delete(contact)
    lead_ids = list(
        await session.scalars(
            select(LeadRow.id).where(
                LeadRow.response_id.in_(ids), LeadRow.status.in_(lead_updates.LIVE)
            )
        )
    )
    await parent_codes.forget(session, ids)  # parent (issue 12): codes name the student
    await session.execute(
        update(LeadRow).where(LeadRow.response_id.in_(ids)).values(status="deleted")
    )
    await _cancel_deliveries(session, lead_ids)
    await _forget_portal_notes(  # portal
        session, list(await session.scalars(select(LeadRow.id).where(LeadRow.response_id.in_(ids))))
    )
    consents = await session.execute(
        update(ConsentRow)
        .where(ConsentRow.response_id.in_(ids), ConsentRow.withdrawn_at.is_(None))
        .values(withdrawn_at=at)
    )
    await session.execute(
        update(ResponseRow)
        .where(ResponseRow.id.in_(ids))
        .values(user_key=None, personal_deleted_at=at)
    )
    for response in await session.scalars(select(ResponseRow).where(ResponseRow.id.in_(ids))):
        # the commune is typed freely and can point at a household: it goes with the rest
        response.answers = {k: v for k, v in response.answers.items() if k not in FREE_TEXT}
    log.info("personal data deleted", extra={"responses": len(ids)})
    return Forgotten(len(contacts), len(lead_ids), int(getattr(consents, "rowcount", 0) or 0))


# -- portal (issue 12, deliver 4) --
async def _forget_portal_notes(session: AsyncSession, lead_ids: list[str]) -> None:
    """What school staff wrote about these leads in the portal goes with the consent."""
    from bot.storage.lead_status import forget_notes  # it imports leads, which imports this

    await forget_notes(session, lead_ids)
