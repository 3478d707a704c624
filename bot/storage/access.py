"""Sign-in for the web pages (school portal, officials' dashboard): one-time invite links and
the sessions they open. Only SHA-256 hashes of links and session cookies are stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.storage.models import InviteRow, PortalSessionRow
from bot.storage.participation import switch_on

ROLES = ("school", "official")
INVITE_TTL = dt.timedelta(hours=24)
SESSION_MAX = dt.timedelta(hours=12)  # signed in at most this long, however active
SEEN_RECORDED_EVERY = dt.timedelta(seconds=30)  # a busy page does not write on every request
MAX_SECRET = 100  # our links and cookies are far shorter
LABEL_MAX = 100


def secret_hash(secret: str) -> str:
    """SHA-256 of a random secret (long and random: no salt or slow hash needed)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def shaped(secret: str) -> bool:
    """Whether a secret could be one of ours (URL-safe base64 of a sensible length)."""
    return (
        0 < len(secret) <= MAX_SECRET
        and secret.isascii()
        and all(c.isalnum() or c in "-_" for c in secret)
    )


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two texts."""
    return hmac.compare_digest(a.encode("utf-8", "replace"), b.encode("utf-8", "replace"))


@dataclass(frozen=True)
class Invite:
    """An unused, unexpired invite (what the sign-in page may show before it is spent)."""

    id: int
    role: str
    school_id: str | None
    expires_at: dt.datetime


@dataclass(frozen=True)
class Session:
    """A signed-in browser: who (role, school, the invite it came from and its label) and the
    CSRF token every form it posts must carry."""

    invite_id: int
    role: str
    school_id: str | None
    label: str | None
    csrf: str
    created_at: dt.datetime


class AccessStore:
    """Invites and sessions in the database."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def new_invite(
        self, role: str, school_id: str | None, now: dt.datetime, label: str | None = None
    ) -> str:
        """A new one-time link secret for `role` (a school's with its id), valid 24 hours;
        only its hash is stored, so it is shown once. A school given portal access receives
        leads from then on, as with a token (unless an operator switched it off)."""
        if role not in ROLES or (role == "school") != (school_id is not None):
            raise ValueError(f"role {role!r} with school {school_id!r}")
        secret = secrets.token_urlsafe(32)
        async with self._sessions() as session, session.begin():
            session.add(
                InviteRow(
                    token_hash=secret_hash(secret),
                    role=role,
                    school_id=school_id,
                    label=(label or "").strip()[:LABEL_MAX] or None,
                    created_at=now,
                    expires_at=now + INVITE_TTL,
                )
            )
            if school_id is not None:
                await switch_on(session, school_id, "invite", now)
        return secret

    async def invite(self, secret: str, now: dt.datetime) -> Invite | None:
        """The invite `secret` opens if it is unused and unexpired (it is not spent here)."""
        if not shaped(secret):
            return None
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(InviteRow).where(InviteRow.token_hash == secret_hash(secret))
                )
            ).scalar_one_or_none()
        if row is None or row.used_at is not None or row.expires_at <= now:
            return None
        return Invite(row.id, row.role, row.school_id, row.expires_at)

    async def redeem(self, secret: str, now: dt.datetime) -> tuple[str, Session] | None:
        """Spend the invite and open a session: the cookie secret and the session, or None
        when the link is unknown, used or expired. Two browsers racing: one wins."""
        if not shaped(secret):
            return None
        async with self._sessions() as session, session.begin():
            row = (
                await session.execute(
                    select(InviteRow).where(InviteRow.token_hash == secret_hash(secret))
                )
            ).scalar_one_or_none()
            if row is None or row.used_at is not None or row.expires_at <= now:
                return None
            spent = await session.execute(
                update(InviteRow)
                .where(InviteRow.id == row.id, InviteRow.used_at.is_(None))
                .values(used_at=now)
            )
            if getattr(spent, "rowcount", 0) != 1:
                return None
            cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
            session.add(
                PortalSessionRow(
                    token_hash=secret_hash(cookie),
                    invite_id=row.id,
                    role=row.role,
                    school_id=row.school_id,
                    csrf=csrf,
                    created_at=now,
                    last_seen_at=now,
                )
            )
            return cookie, Session(row.id, row.role, row.school_id, row.label, csrf, now)

    async def session(self, cookie: str, now: dt.datetime, idle: dt.timedelta) -> Session | None:
        """The live session of a cookie, its last activity moved to now; None when unknown,
        signed out, idle longer than `idle` or older than SESSION_MAX."""
        if not shaped(cookie):
            return None
        async with self._sessions() as session:
            found = (
                await session.execute(
                    select(PortalSessionRow, InviteRow.label)
                    .join(InviteRow, InviteRow.id == PortalSessionRow.invite_id)
                    .where(PortalSessionRow.token_hash == secret_hash(cookie))
                )
            ).one_or_none()
        if found is None:
            return None
        row, label = found
        if (
            row.ended_at is not None
            or row.last_seen_at + idle <= now
            or row.created_at + SESSION_MAX <= now
        ):
            return None
        if row.last_seen_at <= now - SEEN_RECORDED_EVERY:
            async with self._sessions() as session, session.begin():
                await session.execute(
                    update(PortalSessionRow)
                    .where(PortalSessionRow.token_hash == row.token_hash)
                    .values(last_seen_at=now)
                )
        return Session(row.invite_id, row.role, row.school_id, label, row.csrf, row.created_at)

    async def end(self, cookie: str, now: dt.datetime) -> None:
        """Sign out: the cookie opens nothing any more."""
        if not shaped(cookie):
            return
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(PortalSessionRow)
                .where(
                    PortalSessionRow.token_hash == secret_hash(cookie),
                    PortalSessionRow.ended_at.is_(None),
                )
                .values(ended_at=now)
            )
