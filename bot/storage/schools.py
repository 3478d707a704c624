"""What schools and officials use: API tokens (stored hashed), webhooks, lead lists, export log."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Select, String, delete, or_, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.db import READ_ONLY
from bot.storage.leads import FORWARD
from bot.storage.models import (
    ConsentRow,
    ContactRow,
    ExportRow,
    LeadRow,
    LinkCodeRow,
    ResponseRow,
    SchoolChatRow,
    TokenRow,
    WebhookRow,
)
from bot.storage.participation import switch_on

TOKEN_PREFIX = {"school": "hns_", "admin": "hna_"}
LINK_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: codes are read and typed
LINK_CODE_LENGTH = 8
LINK_CODE_TTL = dt.timedelta(hours=24)
EXPORT_BATCH = 2000  # leads per fetch from the cursor of an export
LINK_CODE_PATTERN = re.compile(rf"\bHN-?([A-Z0-9]{{{LINK_CODE_LENGTH}}})\b", re.IGNORECASE)
USE_RECORDED_EVERY = dt.timedelta(minutes=1)  # a busy client does not write on every request


def token_hash(token: str) -> str:
    """SHA-256 of a token: tokens are long and random, so no salt or slow hash is needed."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Linked:
    """A redeemed link code: the school now linked, the school this chat served before (if
    another), and the chat the school's link moved from (if any)."""

    school_id: str
    replaced_school: str | None
    previous_chat: str | None


@dataclass(frozen=True)
class Principal:
    """Who a valid token belongs to."""

    token_id: int
    kind: str  # school | admin
    school_id: str | None


@dataclass(frozen=True)
class TokenInfo:
    """What may be shown about a token (never the token: only its hash is stored)."""

    id: int
    kind: str
    school_id: str | None
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


@dataclass(frozen=True)
class Revoked:
    """The outcome of a revocation: `found` false for an unknown id (or another kind's token);
    `revoked_at` is when it was revoked, now or before (`already`)."""

    found: bool
    already: bool = False
    revoked_at: dt.datetime | None = None


class LeadRecord(NamedTuple):
    """One lead with what its school may see: the response, the contact and the consent.
    (A named tuple: an export makes 100,000 of them.)"""

    lead_id: str
    school_id: str
    created_at: dt.datetime
    survey_id: str
    grade: int
    channel: str
    answers: dict[str, Any]
    personal: dict[str, Any]
    parent_confirmed: bool | None
    consent_version: str | None
    consent_at: dt.datetime | None
    # -- parent (issue 12): how a parent confirmed (bot | school_phone) and when --
    parent_how: str | None = None
    parent_at: dt.datetime | None = None
    # -- portal2 (issue 12): the school's own status and note (the portal's export) --
    portal_status: str | None = None
    portal_note: str | None = None


class SchoolStore:
    """Tokens, webhooks and lead lists in the database."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def new_token(
        self,
        kind: str,
        school_id: str | None,
        now: dt.datetime,
        expires_at: dt.datetime | None = None,
    ) -> str:
        """A new random token, valid until `expires_at` if given; only its hash is stored, so
        it is shown once."""
        token = TOKEN_PREFIX[kind] + secrets.token_urlsafe(32)
        async with self._sessions() as session, session.begin():
            session.add(
                TokenRow(
                    kind=kind,
                    school_id=school_id,
                    token_hash=token_hash(token),
                    created_at=now,
                    expires_at=expires_at,
                )
            )
            if school_id is not None:
                await switch_on(session, school_id, "token", now)
        return token

    async def authenticate(self, token: str, now: dt.datetime | None = None) -> Principal | None:
        """The token's owner, or None for an unknown, revoked or expired token. Its last use is
        recorded, at most once a minute."""
        if not token or len(token) > 200:
            return None
        now = now or dt.datetime.now(dt.UTC)
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(TokenRow).where(TokenRow.token_hash == token_hash(token))
                )
            ).scalar_one_or_none()
        if row is None or row.revoked_at is not None:
            return None
        if row.expires_at is not None and row.expires_at <= now:
            return None
        if row.last_used_at is None or row.last_used_at <= now - USE_RECORDED_EVERY:
            await self._record_use(row.id, now)
        return Principal(row.id, row.kind, row.school_id)

    async def _record_use(self, token_id: int, now: dt.datetime) -> None:
        # conditional, so processes that read the same old time write it once
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(TokenRow)
                .where(
                    TokenRow.id == token_id,
                    or_(
                        TokenRow.last_used_at.is_(None),
                        TokenRow.last_used_at <= now - USE_RECORDED_EVERY,
                    ),
                )
                .values(last_used_at=now)
            )

    async def tokens(self, kind: str, school_id: str | None = None) -> list[TokenInfo]:
        """The tokens of one kind (of one school for `school`), oldest first."""
        query = select(TokenRow).where(TokenRow.kind == kind).order_by(TokenRow.id)
        if school_id is not None:
            query = query.where(TokenRow.school_id == school_id)
        async with self._sessions() as session:
            rows = await session.scalars(query)
            return [
                TokenInfo(
                    r.id,
                    r.kind,
                    r.school_id,
                    r.created_at,
                    r.last_used_at,
                    r.expires_at,
                    r.revoked_at,
                )
                for r in rows
            ]

    async def revoke(self, token_id: int, kind: str, now: dt.datetime) -> Revoked:
        """Revoke a token of this kind by id; revoking it again changes nothing."""
        if not 0 < token_id < 2**31:  # not an id the database could hold
            return Revoked(found=False)
        async with self._sessions() as session, session.begin():
            row = await session.get(TokenRow, token_id, with_for_update=True)
            if row is None or row.kind != kind:
                return Revoked(found=False)
            if row.revoked_at is not None:
                return Revoked(found=True, already=True, revoked_at=row.revoked_at)
            row.revoked_at = now
            return Revoked(found=True, revoked_at=now)

    async def set_webhook(self, school_id: str, url: str, now: dt.datetime) -> str:
        """Point a school's leads at a URL; returns the new signing secret."""
        secret = secrets.token_hex(32)
        async with self._sessions() as session, session.begin():
            row = await session.get(WebhookRow, school_id)
            if row is None:
                session.add(WebhookRow(school_id=school_id, url=url, secret=secret, updated_at=now))
            else:
                row.url, row.secret, row.updated_at = url, secret, now
            await switch_on(session, school_id, "webhook", now)
        return secret

    async def remove_webhook(self, school_id: str) -> bool:
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                delete(WebhookRow).where(WebhookRow.school_id == school_id)
            )
            return bool(getattr(result, "rowcount", 0))

    async def new_link_code(self, school_id: str, now: dt.datetime) -> str:
        """A one-time code (valid 24 hours) that links a staff group to the school; only its
        hash is stored."""
        body = "".join(secrets.choice(LINK_ALPHABET) for _ in range(LINK_CODE_LENGTH))
        async with self._sessions() as session, session.begin():
            session.add(
                LinkCodeRow(
                    code_hash=token_hash(body),
                    school_id=school_id,
                    created_at=now,
                    expires_at=now + LINK_CODE_TTL,
                )
            )
        return f"HN-{body}"

    async def redeem_link_code(
        self, text: str, platform: str, chat_id: str, now: dt.datetime
    ) -> Linked | None:
        """Link the chat to the school whose unused, unexpired code `text` contains; the school
        id, or None. The code is spent; the school's previous group on the platform is
        unlinked, and so is any other school this chat was linked to."""
        match = LINK_CODE_PATTERN.search(text)
        if match is None:
            return None
        async with self._sessions() as session, session.begin():
            code = await session.get(LinkCodeRow, token_hash(match.group(1).upper()))
            if code is None or code.used_at is not None or code.expires_at <= now:
                return None
            code.used_at = now
            before = await session.get(SchoolChatRow, (code.school_id, platform))
            served = await _school_of_chat(session, platform, chat_id)
            previous_chat = before.chat_id if before is not None else None
            await session.execute(
                delete(SchoolChatRow).where(
                    (SchoolChatRow.platform == platform)
                    & (
                        (SchoolChatRow.chat_id == chat_id)
                        | (SchoolChatRow.school_id == code.school_id)
                    )
                )
            )
            await session.flush()
            session.add(
                SchoolChatRow(
                    school_id=code.school_id, platform=platform, chat_id=chat_id, linked_at=now
                )
            )
            await switch_on(session, code.school_id, "link", now)
            replaced = served if served != code.school_id else None
            return Linked(code.school_id, replaced, previous_chat)

    async def school_for_chat(self, platform: str, chat_id: str) -> str | None:
        async with self._sessions() as session:
            return await _school_of_chat(session, platform, chat_id)

    async def chat_for_school(self, school_id: str, platform: str) -> str | None:
        async with self._sessions() as session:
            row = await session.get(SchoolChatRow, (school_id, platform))
            return row.chat_id if row is not None else None

    async def move_chat(self, platform: str, old_chat_id: str, new_chat_id: str) -> None:
        """A Telegram group became a supergroup and got a new id: the link follows it."""
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(SchoolChatRow)
                .where(SchoolChatRow.platform == platform, SchoolChatRow.chat_id == old_chat_id)
                .values(chat_id=new_chat_id)
            )

    async def unlink_chat(self, school_id: str, platform: str) -> bool:
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                delete(SchoolChatRow).where(
                    SchoolChatRow.school_id == school_id, SchoolChatRow.platform == platform
                )
            )
            return bool(getattr(result, "rowcount", 0))

    async def leads(
        self, school_id: str, since: dt.datetime | None = None, lead_ids: list[str] | None = None
    ) -> list[LeadRecord]:
        """A school's active leads, oldest first (all of them, or only `lead_ids`)."""
        async with self._sessions() as session:
            return await lead_records(session, school_id, since, lead_ids)

    async def lead_batches(
        self, school_id: str, since: dt.datetime | None = None, size: int = EXPORT_BATCH
    ) -> AsyncGenerator[list[LeadRecord], None]:
        """A school's active leads, oldest first, `size` at a time from a server-side cursor,
        so an export of any length holds one batch in memory. Close it (contextlib.aclosing)
        to give its connection back early."""
        async with self._engine.connect() as conn:
            # on SQLite a plain (deferred) BEGIN: the read sees a snapshot and blocks no writer
            await conn.execution_options(**{READ_ONLY: True})
            query = _lead_query(school_id, since, None).execution_options(yield_per=size)
            result = await conn.stream(query)
            async for rows in result.partitions():
                yield [_record(row) for row in rows]

    async def log_export(
        self, who: Principal, fmt: str, rows: int, since: dt.datetime | None, now: dt.datetime
    ) -> None:
        async with self._sessions() as session, session.begin():
            session.add(
                ExportRow(
                    school_id=who.school_id or "",
                    token_id=who.token_id,
                    format=fmt,
                    rows=rows,
                    since=since,
                    created_at=now,
                )
            )

    async def exports(self, school_id: str) -> list[ExportRow]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(ExportRow).where(ExportRow.school_id == school_id).order_by(ExportRow.id)
            )
            return list(rows)


async def _school_of_chat(session: AsyncSession, platform: str, chat_id: str) -> str | None:
    """The school a chat is linked to, if any."""
    return (
        await session.execute(
            select(SchoolChatRow.school_id).where(
                SchoolChatRow.platform == platform, SchoolChatRow.chat_id == chat_id
            )
        )
    ).scalar_one_or_none()


# a lead's columns as LeadRecord's first fields read them (also the portal's list), and the
# consent to forward to that very school
LEAD_COLUMNS = (
    LeadRow.id,
    LeadRow.school_id,
    type_coerce(LeadRow.created_at, String),
    ResponseRow.survey_id,
    ResponseRow.grade,
    ResponseRow.channel,
    type_coerce(ResponseRow.answers, String),
    type_coerce(ContactRow.data, String),
    ResponseRow.parent_confirmed,
    ConsentRow.text_version,
    type_coerce(ConsentRow.recorded_at, String),
)
LEAD_CONSENT = (
    (ConsentRow.response_id == ResponseRow.id)
    & (ConsentRow.school_id == LeadRow.school_id)
    & (ConsentRow.purpose == FORWARD)
)


def _lead_query(
    school_id: str,
    since: dt.datetime | None,
    lead_ids: list[str] | None,
    statuses: tuple[str, ...] = ("active",),
) -> Select[*tuple[Any, ...]]:
    """Active leads of one school with their response, contact and consent, in the order of
    LeadRecord's fields (Core columns, no ORM objects: an export reads 100,000 of them). The
    JSON and time columns come raw, for `_record` to decode (faster than the types do)."""
    query = (
        select(
            *LEAD_COLUMNS,
            LeadRow.parent_how,
            type_coerce(LeadRow.parent_at, String),
        )
        .join(ResponseRow, ResponseRow.id == LeadRow.response_id)
        .join(ContactRow, ContactRow.response_id == ResponseRow.id)
        .outerjoin(ConsentRow, LEAD_CONSENT)
        .where(LeadRow.school_id == school_id, LeadRow.status.in_(statuses))
        .order_by(LeadRow.created_at, LeadRow.id)
    )
    if since is not None:
        query = query.where(LeadRow.created_at >= since)
    if lead_ids is not None:
        query = query.where(LeadRow.id.in_(lead_ids))
    return query


def _utc(value: str | dt.datetime) -> dt.datetime:
    """A stored time as an aware UTC datetime: SQLite gives text without a zone (UTC, see
    models.UtcDateTime), PostgreSQL an aware datetime."""
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value + "+00:00")
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _json(value: str | dict[str, Any]) -> dict[str, Any]:
    """A JSON column as text (as both drivers give it under a String type) or already decoded."""
    return json.loads(value) if isinstance(value, str) else value


def _record(row: Any) -> LeadRecord:
    (lead_id, school_id, created, survey, grade, channel, answers, personal, parent, version,
     consent_at, parent_how, parent_at) = row  # fmt: skip
    return LeadRecord(
        lead_id,
        school_id,
        _utc(created),
        survey,
        grade,
        channel,
        _json(answers),
        _json(personal),
        parent,
        version,
        _utc(consent_at) if consent_at is not None else None,
        parent_how,
        _utc(parent_at) if parent_at is not None else None,
    )


async def lead_records(
    session: AsyncSession,
    school_id: str,
    since: dt.datetime | None = None,
    lead_ids: list[str] | None = None,
    statuses: tuple[str, ...] = ("active",),
) -> list[LeadRecord]:
    """Active leads of one school with their response, contact and consent (parent, issue 12:
    `statuses=("awaiting_parent",)` lists those waiting for a parent, for a school that phones
    the parent; they are never delivered or exported until confirmed)."""
    result = await session.execute(_lead_query(school_id, since, lead_ids, statuses))
    return [_record(row) for row in result]
