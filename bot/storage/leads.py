"""LeadSink in the database: responses, consents, leads and their outbox rows, written together."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import replace

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
from bot.storage import lead_updates, parent_codes, unanswered
from bot.storage.db import checkpoint
from bot.storage.erasure import (
    _cancel_deliveries,
    _drop_schools,
    _forget_portal_notes,
    _withdrawal_notices,
    erase_and_tell,
    forget_user_traces,
)
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
LEAD_CREATED = "lead.created"  # outbox event: a school gets a lead (see erasure)


def delivery_key(lead_id: str, kind: str = "webhook") -> str:
    """The idempotency key of a lead's delivery of one kind: the same on every retry."""
    return f"lead-{lead_id}-{kind}"


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


def _surveys(responses: list[ResponseRow]) -> int:
    """How many surveys the person sent, as they count them (datarights, review3 C4): a
    correction, or the same survey sent again, replaces the earlier answers (one lead per
    school) and is not a second survey."""
    return len({r.survey_id for r in responses})


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
            if await parent_codes.parent_phone(session, response_id) is None:
                return None  # parentsafe: no parent's number yet ("sửa số phụ huynh" first)
            return await parent_codes.new_code(session, response_id, key, now)

    async def parent_request(
        self, code: str, key: ConversationKey, now: dt.datetime
    ) -> ParentRequest | str:
        async with transaction(self._sessions) as session:
            found = await parent_codes.find(session, code, key, now)
            if isinstance(found, str):
                return found
            return await parent_codes.request(session, *found)

    async def parent_retry_at(self, key: ConversationKey, now: dt.datetime) -> dt.datetime:
        async with transaction(self._sessions) as session:
            return await parent_codes.retry_at(session, key, now)

    async def parent_decide(
        self,
        code: str,
        key: ConversationKey,
        agreed: bool,
        now: dt.datetime,
        phone: str | None = None,
    ) -> ParentRequest | str:
        async with transaction(self._sessions) as session:
            found = await parent_codes.find(session, code, key, now)
            if isinstance(found, str):
                return found
            asked = await parent_codes.request(session, *found)
            # parentsafe: verified only when the platform vouched for the phone and it is the
            # parent's number the student gave
            given = await parent_codes.parent_phone(session, found[0].response_id)
            verified = agreed and phone is not None and phone == given
            await parent_codes.decide(session, *found, agreed, now, verified=verified)
            return replace(asked, verified=verified if agreed else None)

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
                if lead.parent_how == lead_updates.BOT_VERIFIED and (
                    sub.personal.get(parent_codes.PARENT_PHONE)
                    != await parent_codes.parent_phone(session, old_response)
                ):
                    # parentsafe: the parent's number changed: the number verified is not it
                    lead.parent_how = lead_updates.BOT
                lead.response_id, lead.status = response.id, status
                lead.revision += 1
                lead.updated_at = sub.submitted_at
                await lead_updates.drop_unused_contact(session, old_response)
            if status == lead_updates.AWAITING:
                await lead_updates.hold(session, lead, kinds[school_id], sub.submitted_at)
            else:
                await lead_updates.release(session, lead, kinds[school_id], sub.submitted_at)
        code = None
        if waiting and sub.personal.get(parent_codes.PARENT_PHONE):
            # parentsafe: no code without a parent's number: the school could not reach the
            # parent ("Bỏ qua, để sau" keeps the answers; "sửa số phụ huynh" adds the number)
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
            questions, question_count = await unanswered.of_user(session, key)
            return MyData(
                _surveys(responses),
                personal,
                views,
                survey_id=latest.survey_id if latest is not None else "",
                answers=dict(latest.answers) if latest is not None else {},
                questions=tuple(questions),
                question_count=question_count,
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
            gone = await erase_and_tell(session, [r.id for r in responses], at)
            gone = replace(gone, surveys=_surveys(responses))
        if not in_turn:
            await checkpoint(self._engine)
        return gone
