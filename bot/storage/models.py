"""Database tables (the Alembic migrations in db/ create them; never metadata.create_all)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints stably."""

    metadata = MetaData(naming_convention=NAMING)


class ConversationRow(Base):
    """One conversation's state (menus, survey progress) between two messages."""

    __tablename__ = "conversations"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every engine (SQLite keeps no zone; we add it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class ResponseRow(Base):
    """One submitted survey. Non-personal answers stay (anonymous statistics) after the
    personal data is deleted; `user_key` is cleared then too."""

    __tablename__ = "responses"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    run_id: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    survey_id: Mapped[str] = mapped_column(String(32), nullable=False)
    grade: Mapped[int] = mapped_column(Integer, nullable=False)
    channel: Mapped[str] = mapped_column(String(32), nullable=False)
    user_key: Mapped[str | None] = mapped_column(String(128), nullable=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    consent_given: Mapped[bool] = mapped_column(Boolean, nullable=False)
    parent_confirmed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    personal_deleted_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)

    __table_args__ = (Index("ix_responses_user", "channel", "user_key"),)


class ContactRow(Base):
    """The personal answers of a response (name, school, phones). Deleted on request or when
    the retention period ends."""

    __tablename__ = "contacts"

    response_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)


class ConsentRow(Base):
    """One consent decision: per purpose and per receiving school, with the text's version."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    response_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("responses.id", ondelete="CASCADE"), nullable=False, index=True
    )
    purpose: Mapped[str] = mapped_column(String(32), nullable=False)
    school_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    granted: Mapped[bool] = mapped_column(Boolean, nullable=False)
    text_version: Mapped[str] = mapped_column(String(32), nullable=False)
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)


class LeadRow(Base):
    """One response forwarded to one school."""

    __tablename__ = "leads"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    response_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("responses.id", ondelete="CASCADE"), nullable=False
    )
    school_id: Mapped[str] = mapped_column(String(64), nullable=False)
    # active | withdrawn | deleted, and (issue 12, parent) awaiting_parent | declined | expired
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    # -- parent (issue 12): how a parent confirmed (bot | school_phone) and when; revisions --
    parent_how: Mapped[str | None] = mapped_column(String(16), nullable=True)
    parent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    revision: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    updated_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)

    __table_args__ = (
        UniqueConstraint("response_id", "school_id", name="uq_leads_response_school"),
        Index("ix_leads_school_created", "school_id", "created_at"),
    )


class OutboxRow(Base):
    """A delivery to make (webhook now, Telegram later), written with the lead it carries."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # webhook | telegram
    # what the school is told: lead.created, or lead.withdrawn (consent withdrawn, data erased)
    event: Mapped[str] = mapped_column(
        String(32), nullable=False, default="lead.created", server_default="lead.created"
    )
    lead_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("leads.id", ondelete="CASCADE"), nullable=True
    )
    target: Mapped[str] = mapped_column(String(64), nullable=False)  # school id
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    status: Mapped[str] = mapped_column(
        String(16), nullable=False
    )  # pending|delivered|dead|cancelled, or held (waiting for a parent, issue 12)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)

    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)


class WebhookRow(Base):
    """A school's webhook: where its leads are POSTed and the secret they are signed with."""

    __tablename__ = "school_webhooks"

    school_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(String(500), nullable=False)
    secret: Mapped[str] = mapped_column(String(128), nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)


class ParticipationRow(Base):
    """Whether a school receives leads (task directory): switched on by an operator, directly or
    by giving the school a token, webhook or Telegram group; off until then."""

    __tablename__ = "school_participation"

    school_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    participates: Mapped[bool] = mapped_column(Boolean, nullable=False)
    reason: Mapped[str] = mapped_column(
        String(32), nullable=False
    )  # participate|token|webhook|link
    changed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)


class TokenRow(Base):
    """An API token: only its SHA-256 is stored. kind is school (with school_id) or admin."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    school_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ExportRow(Base):
    """Every export of a lead list: which school, when, which format, how many rows."""

    __tablename__ = "export_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    school_id: Mapped[str] = mapped_column(String(64), nullable=False)
    token_id: Mapped[int] = mapped_column(Integer, nullable=False)
    format: Mapped[str] = mapped_column(String(8), nullable=False)
    rows: Mapped[int] = mapped_column(Integer, nullable=False)
    since: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)


class SeenEventRow(Base):
    """A platform event already handled (Telegram update_id, Zalo msg_id): repeats are dropped."""

    __tablename__ = "seen_events"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    seen_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)


class SchoolChatRow(Base):
    """A school's staff group on a chat platform: new leads are posted there, `/leads` works
    there and nowhere else. One group per school and platform; linking another moves it."""

    __tablename__ = "school_chats"

    school_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform: Mapped[str] = mapped_column(String(16), primary_key=True)  # telegram
    chat_id: Mapped[str] = mapped_column(String(64), nullable=False)
    linked_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)

    __table_args__ = (UniqueConstraint("platform", "chat_id", name="uq_school_chats_chat"),)


class LinkCodeRow(Base):
    """A one-time code (`huongnghiep school link`) that links a staff group to a school."""

    __tablename__ = "link_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    used_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ChannelCredentialRow(Base):
    """A platform's rotating credentials (Zalo OA: the access token and the single-use refresh
    token), kept here so every process and every restart uses the newest pair."""

    __tablename__ = "channel_credentials"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    access_token: Mapped[str | None] = mapped_column(Text, nullable=True)
    refresh_token: Mapped[str | None] = mapped_column(Text, nullable=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)


class UnreachableRow(Base):
    """A user the platform will not let us message now (Zalo OA -230: no interaction for 7
    days). Cleared when the user writes again; deleted with the user's data."""

    __tablename__ = "unreachable_users"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    reason: Mapped[str] = mapped_column(String(64), nullable=False)
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)


# -- handoff (issue 12, deliver 1): conversations handed to counsellors ----------------------


class HandoffRow(Base):
    """A conversation handed to the counsellors' Telegram group: its thread there (a forum
    topic, or a reply chain under a first message) and whether it is still open."""

    __tablename__ = "handoffs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), nullable=False)
    user_key: Mapped[str] = mapped_column(String(128), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # open | closed
    chat_id: Mapped[str] = mapped_column(String(64), nullable=False)  # the counsellors' group
    thread_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # forum topic
    root_message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    after_hours: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    opened_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    last_activity_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(16), nullable=True)

    __table_args__ = (
        Index("ix_handoffs_user", "channel", "user_key", "status"),
        Index("ix_handoffs_thread", "chat_id", "thread_id"),
    )


class HandoffPostRow(Base):
    """A message in the counsellors' group that belongs to a handoff: a reply to it (in a
    group without topics) is a reply to that student."""

    __tablename__ = "handoff_posts"

    chat_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    message_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    handoff_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("handoffs.id", ondelete="CASCADE"), nullable=False
    )


class WebPushRow(Base):
    """Messages for a web chat page that arrived after its last request (a counsellor's
    reply): the page's event stream reads them in id order."""

    __tablename__ = "web_pushes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_key: Mapped[str] = mapped_column(String(128), nullable=False, index=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)


# -- portal (issue 12, deliver 4): sign-in invites and sessions, lead statuses, audit log --


class InviteRow(Base):
    """A one-time sign-in link (`huongnghiep school invite`): only its SHA-256 is stored; it
    works once, until `expires_at`. role is school (with school_id) or official."""

    __tablename__ = "portal_invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    school_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    label: Mapped[str | None] = mapped_column(String(100), nullable=True)  # who it was for
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    used_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)


class PortalSessionRow(Base):
    """A signed-in browser: the cookie's SHA-256, who it is (from its invite), its CSRF token."""

    __tablename__ = "portal_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    invite_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("portal_invites.id", ondelete="CASCADE"), nullable=False
    )
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    school_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    csrf: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)


class LeadStatusRow(Base):
    """What a school did with a lead (mới, đã liên hệ, …) and its note; no row means mới."""

    __tablename__ = "lead_statuses"

    lead_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)

    __table_args__ = (Index("ix_lead_statuses_status", "status"),)


class AuditRow(Base):
    """Who (the invite a session came from) changed what in the portal: a lead's status or
    note, or an export of the list (lead_id empty)."""

    __tablename__ = "portal_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    school_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lead_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("leads.id", ondelete="CASCADE"), nullable=True
    )
    invite_id: Mapped[int] = mapped_column(Integer, nullable=False)
    action: Mapped[str] = mapped_column(String(16), nullable=False)  # status | note | export
    old: Mapped[str | None] = mapped_column(Text, nullable=True)
    new: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)

    __table_args__ = (Index("ix_portal_audit_lead", "lead_id", "id"),)


# -- parent (issue 12): codes a parent confirms with, and failed attempts (rate limit) --


class ParentCodeRow(Base):
    """A code a student hands to a parent, who confirms (or declines) the student's leads on
    their own phone. Only its hash is stored; single use; it expires."""

    __tablename__ = "parent_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    response_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("responses.id", ondelete="CASCADE"), nullable=False
    )
    # the student's conversation: it may not confirm its own leads; it gets the reminder
    channel: Mapped[str] = mapped_column(String(32), nullable=False)
    user_key: Mapped[str] = mapped_column(String(128), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    used_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)

    __table_args__ = (Index("ix_parent_codes_response", "response_id"),)


class ParentAttemptRow(Base):
    """A wrong parent code typed (who: a hash of the conversation), for the rate limit."""

    __tablename__ = "parent_code_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    who: Mapped[str] = mapped_column(String(64), nullable=False)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)

    __table_args__ = (Index("ix_parent_code_attempts_at", "at"),)


# -- questions the bot could not answer (issue 10; bot/core/unanswered.py) ------------------


class UnansweredRow(Base):
    """A typed question the bot asked back about or could not answer, with phone numbers and
    long digit runs masked; and the option the student then pressed. Deleted with the user's
    data and by retention."""

    __tablename__ = "unanswered"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), nullable=False)
    user_key: Mapped[str] = mapped_column(String(128), nullable=False)
    asked_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # asked | declined
    offered: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    chosen: Mapped[str | None] = mapped_column(String(128), nullable=True)
    chosen_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)

    __table_args__ = (
        Index("ix_unanswered_user", "channel", "user_key"),
        Index("ix_unanswered_asked_at", "asked_at"),
    )
