"""A school's work on its leads in the portal: each lead's status and note, the audit log of
who changed what, filtered lead lists, and counts by status (the officials' funnel)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, String, delete, func, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage import lead_updates
from bot.storage.db import READ_ONLY
from bot.storage.models import (
    AuditRow,
    ConsentRow,
    ContactRow,
    InviteRow,
    LeadRow,
    LeadStatusRow,
    ResponseRow,
)
from bot.storage.schools import EXPORT_BATCH, LEAD_COLUMNS, LEAD_CONSENT, LeadRecord, _json, _utc

NEW = "moi"
STATUSES = (NEW, "da_lien_he", "da_dang_ky", "khong_lien_lac_duoc", "khong_quan_tam")
WITHDRAWN = "rut_lai"  # a filter value: leads whose student withdrew consent (or was erased)
NOTE_MAX = 1000
# portal2 (issue 12): a filter value, leads waiting for a parent's confirmation; and the
# personal data a school sees of such a lead (to phone the parent: never the student's phone)
WAITING = "cho_phu_huynh"
WAITING_FIELDS = ("name", "school_class", "parent_consent")
PARENT_ACTION = "parent"  # audit action: a parent's answer the school recorded


@dataclass(frozen=True)
class LeadFilter:
    """What the portal's list is narrowed to; None means any. Times are UTC bounds
    (`until` exclusive); `status` is one of STATUSES or WITHDRAWN."""

    survey: str | None = None
    grade: int | None = None
    trade: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    status: str | None = None


@dataclass(frozen=True)
class PortalLead:
    """One lead as the portal lists it. A withdrawn lead carries no personal data; a lead
    waiting for a parent (`waiting`) only what the school needs to phone the parent."""

    record: LeadRecord
    withdrawn: bool
    status: str
    note: str | None
    status_at: dt.datetime | None
    # portal2: the lead's own state (active, awaiting_parent, withdrawn, declined, expired…)
    state: str = lead_updates.ACTIVE

    @property
    def waiting(self) -> bool:
        return self.state == lead_updates.AWAITING


@dataclass(frozen=True)
class AuditEntry:
    """One change: when, by whom (the invite's label, or its number), what, from and to."""

    at: dt.datetime
    invite_id: int
    label: str | None
    action: str
    old: str | None
    new: str | None


def _query(school_id: str, where: LeadFilter, active_only: bool) -> Select[*tuple[Any, ...]]:
    """Leads of one school (never another's: the school is in every query), newest first."""
    status = func.coalesce(LeadStatusRow.status, NEW)
    query: Select[*tuple[Any, ...]] = (
        select(
            *LEAD_COLUMNS,
            LeadRow.status,
            status,
            LeadStatusRow.note,
            type_coerce(LeadStatusRow.updated_at, String),
            LeadRow.parent_how,
            type_coerce(LeadRow.parent_at, String),
        )
        .join(ResponseRow, ResponseRow.id == LeadRow.response_id)
        .outerjoin(ContactRow, ContactRow.response_id == ResponseRow.id)
        .outerjoin(ConsentRow, LEAD_CONSENT)
        .outerjoin(LeadStatusRow, LeadStatusRow.lead_id == LeadRow.id)
        .where(LeadRow.school_id == school_id)
        .order_by(LeadRow.created_at.desc(), LeadRow.id.desc())
    )
    if active_only or where.status in STATUSES:
        query = query.where(LeadRow.status == lead_updates.ACTIVE)
    elif where.status == WAITING:
        query = query.where(LeadRow.status == lead_updates.AWAITING)
    elif where.status == WITHDRAWN:
        query = query.where(LeadRow.status.not_in(lead_updates.LIVE))
    if where.status in STATUSES:
        query = query.where(status == where.status)
    if where.survey is not None:
        query = query.where(ResponseRow.survey_id == where.survey)
    if where.grade is not None:
        query = query.where(ResponseRow.grade == where.grade)
    if where.since is not None:
        query = query.where(LeadRow.created_at >= where.since)
    if where.until is not None:
        query = query.where(LeadRow.created_at < where.until)
    return query


def _lead(row: Any) -> PortalLead:
    (lead_id, school_id, created, survey, grade, channel, answers, personal, parent, version,
     consent_at, lead_status, status, note, status_at, parent_how, parent_at) = row  # fmt: skip
    withdrawn = lead_status not in lead_updates.LIVE
    waiting = lead_status == lead_updates.AWAITING
    data: dict[str, Any] = {} if withdrawn or personal is None else _json(personal)
    if waiting:
        data = {k: v for k, v in data.items() if k in WAITING_FIELDS}
    record = LeadRecord(
        lead_id,
        school_id,
        _utc(created),
        survey,
        grade,
        channel,
        _json(answers),
        data,
        None if withdrawn else parent,
        version,
        _utc(consent_at) if consent_at is not None else None,
        parent_how,
        _utc(parent_at) if parent_at is not None else None,
        None if withdrawn or waiting else status,
        None if withdrawn else note,
    )
    return PortalLead(
        record,
        withdrawn,
        status,
        None if withdrawn else note,
        _utc(status_at) if status_at is not None else None,
        lead_status,
    )


def _trade_matches(lead: PortalLead | LeadRecord, trade: str | None) -> bool:
    record = lead.record if isinstance(lead, PortalLead) else lead
    return trade is None or trade in (record.answers.get("trades") or [])


class LeadStatusStore:
    """Statuses, notes, the audit log and filtered lead lists of the portal."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self.engine = engine  # portal2: bot.leads.parent records a parent's answer in it
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def leads(self, school_id: str, where: LeadFilter) -> list[PortalLead]:
        """The school's leads that match, newest first (withdrawn ones too, without data)."""
        async with self._sessions() as session:
            rows = await session.execute(_query(school_id, where, active_only=False))
            found = [_lead(row) for row in rows]
        return [lead for lead in found if _trade_matches(lead, where.trade)]

    async def lead(self, school_id: str, lead_id: str) -> PortalLead | None:
        """One lead of this school (None for another school's or an unknown id)."""
        if not 0 < len(lead_id) <= 32:
            return None
        async with self._sessions() as session:
            row = (
                await session.execute(
                    _query(school_id, LeadFilter(), active_only=False).where(LeadRow.id == lead_id)
                )
            ).one_or_none()
        return _lead(row) if row is not None else None

    async def export_batches(
        self, school_id: str, where: LeadFilter, size: int = EXPORT_BATCH
    ) -> AsyncGenerator[list[LeadRecord], None]:
        """The school's active leads that match as records, `size` at a time (for
        bot.leads.stream.LeadExport). Withdrawn leads are never exported."""
        async with self._engine.connect() as conn:
            await conn.execution_options(**{READ_ONLY: True})
            query = _query(school_id, where, active_only=True).execution_options(yield_per=size)
            result = await conn.stream(query)
            async for rows in result.partitions():
                batch = [_lead(row).record for row in rows]
                yield [r for r in batch if _trade_matches(r, where.trade)]

    async def set_status(
        self,
        school_id: str,
        lead_id: str,
        status: str,
        note: str | None,
        invite_id: int,
        now: dt.datetime,
    ) -> bool | None:
        """Record a lead's status and note, and each change in the audit log. None when the
        lead is not this school's active lead; else whether anything changed."""
        if status not in STATUSES:
            raise ValueError(status)
        note = (note or "").strip()[:NOTE_MAX] or None
        async with self._sessions() as session, session.begin():
            lead = (
                await session.execute(
                    select(LeadRow.id).where(
                        LeadRow.id == lead_id,
                        LeadRow.school_id == school_id,
                        LeadRow.status == "active",
                    )
                )
            ).scalar_one_or_none()
            if lead is None:
                return None
            row = await session.get(LeadStatusRow, lead_id, with_for_update=True)
            old_status, old_note = (row.status, row.note) if row else (NEW, None)
            changes = [
                (action, old, new)
                for action, old, new in (
                    ("status", old_status, status),
                    ("note", old_note, note),
                )
                if old != new
            ]
            if not changes:
                return False
            if row is None:
                session.add(
                    LeadStatusRow(lead_id=lead_id, status=status, note=note, updated_at=now)
                )
            else:
                row.status, row.note, row.updated_at = status, note, now
            for action, old, new in changes:
                session.add(
                    AuditRow(
                        school_id=school_id,
                        lead_id=lead_id,
                        invite_id=invite_id,
                        action=action,
                        old=old,
                        new=new,
                        at=now,
                    )
                )
            return True

    async def log_export(
        self, school_id: str, invite_id: int, fmt: str, rows: int, now: dt.datetime
    ) -> None:
        """An export of the list, in the audit log (no lead)."""
        async with self._sessions() as session, session.begin():
            session.add(
                AuditRow(
                    school_id=school_id,
                    lead_id=None,
                    invite_id=invite_id,
                    action="export",
                    old=None,
                    new=f"{fmt}:{rows}",
                    at=now,
                )
            )

    async def audit(self, school_id: str, lead_id: str | None) -> list[AuditEntry]:
        """The changes to one lead (or the school's exports, lead_id None), oldest first."""
        query = (
            select(AuditRow, InviteRow.label)
            .outerjoin(InviteRow, InviteRow.id == AuditRow.invite_id)
            .where(AuditRow.school_id == school_id)
            .order_by(AuditRow.id)
        )
        query = query.where(
            AuditRow.lead_id == lead_id if lead_id is not None else AuditRow.lead_id.is_(None)
        )
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
        return [AuditEntry(a.at, a.invite_id, label, a.action, a.old, a.new) for a, label in rows]


async def count_by_status(engine: AsyncEngine, school_id: str | None = None) -> dict[str, int]:
    """Active leads by portal status (every status present, 0 when none), of one school or of
    all schools: the officials' funnel reads it."""
    status = func.coalesce(LeadStatusRow.status, NEW)
    query = (
        select(status, func.count())
        .select_from(LeadRow)
        .outerjoin(LeadStatusRow, LeadStatusRow.lead_id == LeadRow.id)
        .where(LeadRow.status == "active")
        .group_by(status)
    )
    if school_id is not None:
        query = query.where(LeadRow.school_id == school_id)
    counts = dict.fromkeys(STATUSES, 0)
    async with engine.connect() as conn:
        for name, count in await conn.execute(query):
            counts[str(name)] = int(count)
    return counts


async def forget_notes(session: AsyncSession, lead_ids: Sequence[str]) -> None:
    """Erase what staff wrote about these leads (the student's data is being deleted): the
    notes and their audit text; the status changes stay, as counts."""
    if not lead_ids:
        return
    await session.execute(
        update(LeadStatusRow).where(LeadStatusRow.lead_id.in_(lead_ids)).values(note=None)
    )
    await session.execute(
        delete(AuditRow).where(AuditRow.lead_id.in_(lead_ids), AuditRow.action == "note")
    )


# -- portal2 (issue 12): a parent's answer the school got on the phone, in the audit log --
CLI_INVITE = 0  # the "invite" of a confirmation recorded with `huongnghiep parent confirm`


def audit_parent(
    session: AsyncSession,
    school_id: str,
    lead_id: str,
    invite_id: int,
    agreed: bool,
    at: dt.datetime,
) -> None:
    """Log that staff recorded a parent's answer to a waiting lead (who: the invite)."""
    session.add(
        AuditRow(
            school_id=school_id,
            lead_id=lead_id,
            invite_id=invite_id,
            action=PARENT_ACTION,
            old=lead_updates.AWAITING,
            new="school_phone" if agreed else "declined",
            at=at,
        )
    )
