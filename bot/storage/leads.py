"""LeadSink in the database: responses, consents, leads and their outbox rows, written together."""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.core.messages import ConversationKey
from bot.core.ports import (
    Forgotten,
    LeadView,
    MyData,
    ParentCode,
    ParentLinks,
    ParentRequest,
    Receipt,
    Submission,
)
from bot.storage import events, handoffs, lead_updates, parent_codes, unreachable
from bot.storage.db import checkpoint
from bot.storage.models import (
    ConsentRow,
    ContactRow,
    LeadRow,
    OutboxRow,
    ParticipationRow,
    ResponseRow,
    SchoolChatRow,
    WebhookRow,
)
from bot.storage.participation import ParticipationStore
from bot.storage.session import CURRENT, transaction

log = logging.getLogger(__name__)

FORWARD = "forward_to_school"  # consent purpose: send my details to this school
PARENT = "parent_consent"  # consent purpose: a parent agrees, for a student under 16
FREE_TEXT = ("commune",)  # non-personal answers typed freely: deleted with the personal data
LEAD_CREATED = "lead.created"  # outbox events: a school gets a lead ...
LEAD_WITHDRAWN = "lead.withdrawn"  # ... and is told to delete it (consent withdrawn, data erased)


def delivery_key(lead_id: str, kind: str = "webhook") -> str:
    """The idempotency key of a lead's delivery of one kind: the same on every retry."""
    return f"lead-{lead_id}-{kind}"


def withdrawal_key(lead_id: str, kind: str = "webhook") -> str:
    """The idempotency key of a lead's withdrawal notice of one kind (another event, so
    another key than the lead's own delivery)."""
    return f"lead-{lead_id}-{kind}-withdrawn"


def consent_decisions(sub: Submission) -> list[tuple[str, str | None, bool, dt.datetime]]:
    """The consent rows a submission records: (purpose, school, granted, when), one per
    purpose and receiving school (one row without a school when none was chosen)."""
    recorded = sub.consent_at or sub.submitted_at
    decisions: list[tuple[str, str | None, bool, dt.datetime]] = [
        (FORWARD, school, sub.consent_given, recorded) for school in sub.schools
    ]
    if not sub.schools:
        decisions.append((FORWARD, None, sub.consent_given, recorded))
    if sub.parent_confirmed is not None:
        decisions += [(PARENT, s, sub.parent_confirmed, sub.submitted_at) for s in sub.schools]
    return decisions


class SqlLeadSink:
    """Implements core.ports.LeadSink. Inside a conversation turn it writes in the turn's
    transaction, so the submission and the cleared survey are saved together."""

    def __init__(
        self,
        engine: AsyncEngine,
        participation: ParticipationStore | None = None,
        links: ParentLinks | None = None,
    ) -> None:
        self._engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        # task directory: which schools receive leads; None: this sink does not gate (tests)
        self._participation = participation
        self.links = links or ParentLinks()  # parent (issue 12): where a parent opens the bot

    async def participating(self) -> frozenset[str] | None:
        if self._participation is None:
            return None
        turn = CURRENT.get()
        if turn is not None and turn.wrote:
            # parent (issue 12): a turn that already read or wrote leads (a correction reads
            # the last submission first) holds SQLite's lock: read the switches in its own
            # transaction, not in a second one that would wait for it
            rows = await turn.get().scalars(
                select(ParticipationRow.school_id).where(ParticipationRow.participates)
            )
            return frozenset(rows)
        return await self._participation.participating()

    # -- parent (issue 12): core.ports.ParentDesk ------------------------------------------------

    async def parent_code(self, key: ConversationKey, now: dt.datetime) -> ParentCode | None:
        async with transaction(self._sessions) as session:
            response_id = await parent_codes.latest_waiting(session, key)
            if response_id is None:
                return None
            return await parent_codes.new_code(session, response_id, key, now)

    async def parent_request(
        self, code: str, key: ConversationKey, now: dt.datetime
    ) -> ParentRequest | str:
        async with transaction(self._sessions) as session:
            found = await parent_codes.find(session, code, key, now)
            if isinstance(found, str):
                return found
            return await parent_codes.request(session, *found)

    async def parent_decide(
        self, code: str, key: ConversationKey, agreed: bool, now: dt.datetime
    ) -> ParentRequest | str:
        async with transaction(self._sessions) as session:
            found = await parent_codes.find(session, code, key, now)
            if isinstance(found, str):
                return found
            asked = await parent_codes.request(session, *found)
            await parent_codes.decide(session, *found, agreed, now)
            return asked

    async def submit(self, submission: Submission) -> Receipt:
        async with transaction(self._sessions) as session:
            existing = (
                await session.execute(
                    select(ResponseRow).where(ResponseRow.run_id == submission.run_id)
                )
            ).scalar_one_or_none()
            if existing is not None:  # the same run submitted again (a retried turn)
                schools = await session.scalars(
                    select(LeadRow.school_id).where(LeadRow.response_id == existing.id)
                )
                return Receipt(existing.id, tuple(schools))
            return await self._store(session, submission)

    async def _store(self, session: AsyncSession, sub: Submission) -> Receipt:
        forward = sub.forward
        response = ResponseRow(
            id=uuid.uuid4().hex,
            run_id=sub.run_id,
            survey_id=sub.survey_id,
            grade=sub.grade,
            channel=sub.key.channel,
            # only a forwarded response is linked to its user; the rest is anonymous
            user_key=sub.key.user_key if forward else None,
            answers=sub.answers,
            consent_given=sub.consent_given,
            parent_confirmed=sub.parent_confirmed,
            created_at=sub.submitted_at,
        )
        session.add(response)
        await session.flush()
        for purpose, school_id, granted, at in consent_decisions(sub):
            session.add(
                ConsentRow(
                    response_id=response.id,
                    purpose=purpose,
                    school_id=school_id,
                    granted=granted,
                    text_version=sub.consent_version,
                    recorded_at=at,
                )
            )
        if sub.amends:  # parent (issue 12): a correction drops the schools no longer chosen
            await _drop_schools(session, sub, response.id)
        if not forward:
            log.info("survey stored anonymously", extra={"survey": sub.survey_id})
            return Receipt(response.id, ())
        session.add(
            ContactRow(
                response_id=response.id,
                data=sub.personal,
                created_at=sub.consent_at or sub.submitted_at,
            )
        )
        # where each school takes its leads: a webhook, a linked staff group, or both
        kinds: dict[str, list[str]] = {school: [] for school in sub.schools}
        for school in await session.scalars(
            select(WebhookRow.school_id).where(WebhookRow.school_id.in_(sub.schools))
        ):
            kinds[school].append("webhook")
        for school, platform in await session.execute(
            select(SchoolChatRow.school_id, SchoolChatRow.platform).where(
                SchoolChatRow.school_id.in_(sub.schools)
            )
        ):
            kinds[school].append(platform)
        # -- parent (issue 12): one lead per person and school, waiting for a parent --
        before = await lead_updates.previous_leads(session, sub.key, sub.schools)
        waiting: list[str] = []
        for school_id in sub.schools:
            lead = before.get(school_id)
            confirmed = lead is not None and lead.parent_how is not None
            status = lead_updates.AWAITING if sub.parent_pending and not confirmed else "active"
            if status == lead_updates.AWAITING:
                waiting.append(school_id)
            if lead is None:
                lead = LeadRow(
                    id=uuid.uuid4().hex,
                    response_id=response.id,
                    school_id=school_id,
                    status=status,
                    created_at=sub.submitted_at,
                )
                session.add(lead)
                await session.flush()
            else:
                old_response = lead.response_id
                lead.response_id, lead.status = response.id, status
                lead.revision += 1
                lead.updated_at = sub.submitted_at
                await lead_updates.drop_unused_contact(session, old_response)
            if status == lead_updates.AWAITING:
                await lead_updates.hold(session, lead, kinds[school_id], sub.submitted_at)
            else:
                await lead_updates.release(session, lead, kinds[school_id], sub.submitted_at)
        code = None
        if waiting:
            code = await parent_codes.new_code(session, response.id, sub.key, sub.submitted_at)
        updated = tuple(s for s in sub.schools if s in before)
        log.info(
            "survey stored with leads", extra={"survey": sub.survey_id, "leads": len(sub.schools)}
        )
        return Receipt(response.id, sub.schools, parent_code=code, updated=updated)

    async def _responses(self, session: AsyncSession, key: ConversationKey) -> list[ResponseRow]:
        rows = await session.scalars(
            select(ResponseRow)
            .where(ResponseRow.channel == key.channel, ResponseRow.user_key == key.user_key)
            .order_by(ResponseRow.created_at)
        )
        return list(rows)

    async def my_data(self, key: ConversationKey) -> MyData:
        async with transaction(self._sessions) as session:
            responses = await self._responses(session, key)
            ids = [r.id for r in responses]
            personal: dict[str, object] = {}
            if ids:
                contact = await session.get(ContactRow, ids[-1])
                personal = dict(contact.data) if contact is not None else {}
            leads = list(
                await session.scalars(
                    select(LeadRow)
                    .where(LeadRow.response_id.in_(ids), LeadRow.status != "deleted")
                    .order_by(LeadRow.created_at)
                )
            )
            delivered = set(
                await session.scalars(
                    select(OutboxRow.lead_id).where(
                        OutboxRow.lead_id.in_([lead.id for lead in leads]),
                        OutboxRow.status == "delivered",
                    )
                )
            )
            views = tuple(LeadView(x.school_id, x.status, x.id in delivered) for x in leads)
            latest = responses[-1] if responses else None
            return MyData(
                len(responses),
                personal,
                views,
                survey_id=latest.survey_id if latest is not None else "",
                answers=dict(latest.answers) if latest is not None else {},
            )

    async def withdraw(self, key: ConversationKey, school_id: str, at: dt.datetime) -> bool:
        async with transaction(self._sessions) as session:
            ids = [r.id for r in await self._responses(session, key)]
            lead_ids = list(
                await session.scalars(
                    select(LeadRow.id).where(
                        LeadRow.response_id.in_(ids),
                        LeadRow.school_id == school_id,
                        LeadRow.status.in_(lead_updates.LIVE),
                    )
                )
            )
            if not lead_ids:
                return False
            notices = await _withdrawal_notices(session, lead_ids, at)
            await session.execute(
                update(LeadRow).where(LeadRow.id.in_(lead_ids)).values(status="withdrawn")
            )
            await _cancel_deliveries(session, lead_ids)
            await _forget_portal_notes(session, lead_ids)  # portal
            session.add_all(notices)
            await session.execute(
                update(ConsentRow)
                .where(
                    ConsentRow.response_id.in_(ids),
                    ConsentRow.school_id == school_id,
                    ConsentRow.withdrawn_at.is_(None),
                )
                .values(withdrawn_at=at)
            )
            log.info("consent withdrawn", extra={"school": school_id, "leads": len(lead_ids)})
            return True

    async def forget(self, key: ConversationKey, at: dt.datetime) -> Forgotten:
        in_turn = CURRENT.get() is not None  # then the turn commits, and checkpoints on erase
        async with transaction(self._sessions) as session:
            responses = await self._responses(session, key)
            await forget_user_traces(session, key)
            # schools that have (or may have) one of the active leads are told to delete it
            active = await session.scalars(
                select(LeadRow.id).where(
                    LeadRow.response_id.in_([r.id for r in responses]),
                    LeadRow.status.in_(lead_updates.LIVE),
                )
            )
            notices = await _withdrawal_notices(session, list(active), at)
            gone = await forget_responses(session, [r.id for r in responses], at)
            session.add_all(notices)
        if not in_turn:
            await checkpoint(self._engine)
        return gone


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
    from bot.storage.lead_status import forget_notes  # it imports this module

    await forget_notes(session, lead_ids)
