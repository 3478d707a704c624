"""Parent confirmation codes (issue 12): issued to a student, redeemed once by a parent in
another conversation; only hashes are stored; wrong codes are rate limited."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.flows.parent_words import LENGTH, shown
from bot.core.messages import ConversationKey
from bot.core.ports import ParentCode, ParentRequest
from bot.storage import lead_updates
from bot.storage.models import (
    ConsentRow,
    ContactRow,
    LeadRow,
    ParentAttemptRow,
    ParentCodeRow,
    ResponseRow,
)

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: read aloud and typed
TTL = dt.timedelta(days=7)
WINDOW = dt.timedelta(hours=1)
MAX_WRONG_PER_USER = 5  # wrong codes per conversation per hour
MAX_WRONG_LOCKED = 2 * MAX_WRONG_PER_USER  # datarights (D2): at most, with new codes since
MAX_WRONG_ALL = 300  # wrong codes per hour from everyone together (guessing from many sessions)
PARENT_PHONE = "parent_consent"  # the personal answer holding the parent's number (E.164)
_TRIPLE = re.compile(r"(.)\1\1")  # the text folder shortens "AAA": never in a code


def hash_code(body: str) -> str:
    return hashlib.sha256(f"parent:{body.upper()}".encode()).hexdigest()


def _body() -> str:
    while True:
        body = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        # "PH" + "HH…" would fold to "ph…" ("hhh" is shortened): no H first
        if (
            not _TRIPLE.search(body)
            and not body.isdigit()
            and not body.isalpha()
            and not body.startswith("H")
        ):
            return body


def _who(key: ConversationKey) -> str:
    return hashlib.sha256(f"{key.channel}:{key.user_key}".encode()).hexdigest()


async def new_code(
    session: AsyncSession, response_id: str, key: ConversationKey, now: dt.datetime
) -> ParentCode:
    """A new code for the waiting leads of this response; earlier unused codes of it stop
    (their reminder, if sent, counts for the new one)."""
    reminded = await session.scalar(
        select(func.max(ParentCodeRow.reminded_at)).where(ParentCodeRow.response_id == response_id)
    )
    await session.execute(
        update(ParentCodeRow)
        .where(ParentCodeRow.response_id == response_id, ParentCodeRow.used_at.is_(None))
        .values(used_at=now)
    )
    body = _body()
    session.add(
        ParentCodeRow(
            code_hash=hash_code(body),
            response_id=response_id,
            channel=key.channel,
            user_key=key.user_key,
            created_at=now,
            expires_at=now + TTL,
            reminded_at=reminded,
        )
    )
    return ParentCode(shown(body), now + TTL)


async def latest_waiting(session: AsyncSession, key: ConversationKey) -> str | None:
    """The newest response of this person with leads waiting for a parent."""
    return await session.scalar(
        select(ResponseRow.id)
        .join(LeadRow, LeadRow.response_id == ResponseRow.id)
        .where(
            ResponseRow.channel == key.channel,
            ResponseRow.user_key == key.user_key,
            LeadRow.status == lead_updates.AWAITING,
        )
        .order_by(ResponseRow.created_at.desc())
        .limit(1)
    )


async def _wrong(session: AsyncSession, who: str | None, now: dt.datetime) -> list[dt.datetime]:
    """When the wrong codes of the window were typed, oldest first: one conversation's, or
    (None) everyone's."""
    query = select(ParentAttemptRow.at).where(ParentAttemptRow.at > now - WINDOW)
    if who is not None:
        query = query.where(ParentAttemptRow.who == who)
    return sorted(await session.scalars(query))


def _lifted(times: list[dt.datetime], limit: int) -> dt.datetime | None:
    """When fewer than `limit` of these wrong codes are left in the window (None: already)."""
    return times[len(times) - limit] + WINDOW if len(times) >= limit else None


async def _everyone(session: AsyncSession, now: dt.datetime) -> int:
    """How many wrong codes everyone together typed in the window."""
    count = await session.scalar(
        select(func.count()).select_from(ParentAttemptRow).where(ParentAttemptRow.at > now - WINDOW)
    )
    return count or 0


async def retry_at(session: AsyncSession, key: ConversationKey, now: dt.datetime) -> dt.datetime:
    """datarights (review3 D2): when this conversation may type any code again."""
    mine = _lifted(await _wrong(session, _who(key), now), MAX_WRONG_PER_USER)
    if await _everyone(session, now) >= MAX_WRONG_ALL:
        mine = max(mine or now, _lifted(await _wrong(session, None, now), MAX_WRONG_ALL) or now)
    return mine or now


async def parent_phone(session: AsyncSession, response_id: str) -> str | None:
    """The parent's number (E.164) the student gave with this response, if any."""
    contact = await session.get(ContactRow, response_id)
    phone = contact.data.get(PARENT_PHONE) if contact is not None else None
    return str(phone) if phone else None


async def find(
    session: AsyncSession, body: str, key: ConversationKey, now: dt.datetime
) -> tuple[ParentCodeRow, list[LeadRow]] | str:
    """The code's row and its waiting leads (locked), or why not: busy | limited | unknown |
    expired | own | done | nophone (parentsafe: no parent's number to reach; a code given
    before that rule). A wrong code counts against the rate limit."""
    who = _who(key)
    if await _everyone(session, now) >= MAX_WRONG_ALL:
        return "busy"  # guessing from many sessions: every conversation waits
    mine = await _wrong(session, who, now)
    # datarights (review3 D2): after MAX_WRONG_PER_USER wrong codes the conversation is
    # refused, except for a code issued since (the student asked for a new one, "gửi lại mã"),
    # so the real parent is not stuck for an hour; its wrong codes still count, and after
    # MAX_WRONG_LOCKED nothing is read until the window has passed
    locked = mine[MAX_WRONG_PER_USER - 1] if len(mine) >= MAX_WRONG_PER_USER else None
    if locked is not None and len(mine) >= MAX_WRONG_LOCKED:
        return "limited"
    row = await session.get(ParentCodeRow, hash_code(body), with_for_update=True)
    if row is None or row.used_at is not None:
        session.add(ParentAttemptRow(who=who, at=now))
        return "limited" if locked is not None else "unknown"
    if locked is not None and row.created_at < locked:
        return "limited"  # a code given before the lock waits like any other
    if (row.channel, row.user_key) == (key.channel, key.user_key):
        return "own"  # the student's own conversation never confirms for a parent
    if row.expires_at <= now:
        return "expired"
    leads = list(
        await session.scalars(
            select(LeadRow)
            .where(LeadRow.response_id == row.response_id, LeadRow.status == lead_updates.AWAITING)
            .order_by(LeadRow.created_at)
            .with_for_update()
        )
    )
    if not leads:
        return "done"
    if await parent_phone(session, row.response_id) is None:
        return "nophone"
    if locked is not None:  # the new code the student asked for: the count starts again
        await session.execute(delete(ParentAttemptRow).where(ParentAttemptRow.who == who))
    return row, leads


async def request(session: AsyncSession, row: ParentCodeRow, leads: list[LeadRow]) -> ParentRequest:
    """What the parent reads: the student's answers, contact and the schools that wait."""
    response = await session.get(ResponseRow, row.response_id)
    contact = await session.get(ContactRow, row.response_id)
    version = await session.scalar(
        select(ConsentRow.text_version).where(
            ConsentRow.response_id == row.response_id,
            ConsentRow.purpose == lead_updates.FORWARD,
        )
    )
    return ParentRequest(
        survey_id=response.survey_id if response is not None else "",
        answers=dict(response.answers) if response is not None else {},
        personal=dict(contact.data) if contact is not None else {},
        schools=tuple(lead.school_id for lead in leads),
        consent_version=version,
        expires_at=row.expires_at,
    )


async def decide(
    session: AsyncSession,
    row: ParentCodeRow,
    leads: list[LeadRow],
    agreed: bool,
    now: dt.datetime,
    verified: bool = False,
) -> None:
    """Spend the code: the waiting leads go to their schools (with whether the parent's number
    was verified, parentsafe), or never do."""
    row.used_at = now
    if agreed:
        how = lead_updates.BOT_VERIFIED if verified else lead_updates.BOT
        for lead in leads:
            await lead_updates.confirm(session, lead, how, now)
    else:
        await lead_updates.end_waiting(session, leads, "declined", now)


async def forget(session: AsyncSession, response_ids: list[str]) -> None:
    """Codes of these responses go with the personal data (they name the student's chat)."""
    if response_ids:
        await session.execute(
            delete(ParentCodeRow).where(ParentCodeRow.response_id.in_(response_ids))
        )


async def prune_attempts(session: AsyncSession, now: dt.datetime) -> None:
    """Wrong-code records older than a day are of no use to the rate limit."""
    await session.execute(
        delete(ParentAttemptRow).where(ParentAttemptRow.at < now - dt.timedelta(days=1))
    )
