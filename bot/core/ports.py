"""Ports the core needs from the outside: conversation storage, survey records and a clock."""

from __future__ import annotations

import copy
import datetime as dt
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from bot.core.messages import Button, ConversationKey


@dataclass
class ConversationState:
    """What the core remembers about one conversation between two messages."""

    screens: list[str] = field(default_factory=list)  # navigation stack of payloads
    buttons: list[Button] = field(default_factory=list)  # last offered, for "2" or a label
    data: dict[str, Any] = field(default_factory=dict)  # flow state (surveys)
    updated_at: dt.datetime | None = None
    # set by erase(): the store deletes the conversation at the end of the block (never stored)
    erased: bool = field(default=False, compare=False)

    def erase(self) -> None:
        """Forget this conversation: cleared now, and deleted (not saved) when the block ends."""
        self.screens.clear()
        self.buttons.clear()
        self.data.clear()
        self.erased = True

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe form for storage."""
        return {
            "screens": list(self.screens),
            "buttons": [[b.label, b.payload] for b in self.buttons],
            "data": self.data,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ConversationState:
        """Inverse of to_dict."""
        updated = raw.get("updated_at")
        return cls(
            screens=[str(s) for s in raw.get("screens", [])],
            buttons=[Button(str(label), str(payload)) for label, payload in raw.get("buttons", [])],
            # a deep copy: the caller's dict (a database row's JSON) must not change in place,
            # or the store could not tell that the state changed
            data=copy.deepcopy(dict(raw.get("data", {}))),
            updated_at=dt.datetime.fromisoformat(updated) if updated else None,
        )


class ConversationStore(Protocol):
    """Conversation state by key.

    `open(key)` yields the state and saves it when the block ends without an exception, or
    deletes the conversation instead when `state.erase()` was called. While a block is open no
    other block for the same key runs, in this process or (for a database store) in any other
    process sharing the database; a block that waited for an erased conversation starts afresh.
    """

    def open(self, key: ConversationKey) -> AbstractAsyncContextManager[ConversationState]: ...


class Clock(Protocol):
    """Current time (injectable for tests and for judging policy validity)."""

    def now(self) -> dt.datetime: ...


class SystemClock:
    """The real clock, in UTC."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Submission:
    """A finished survey, as the core hands it to the LeadSink.

    `answers` holds the non-personal answers (counted in statistics); `personal` holds the
    answers of personal steps, empty when the user declined consent. `schools` are the receiving
    schools the user consented to; a lead is created for each only when `forward` is true.
    """

    key: ConversationKey
    run_id: str  # one per survey run: submitting the same run twice stores it once
    survey_id: str
    grade: int
    answers: dict[str, Any]
    personal: dict[str, Any]
    schools: tuple[str, ...]
    consent_version: str
    consent_given: bool
    consent_at: dt.datetime | None
    parent_confirmed: bool | None  # None when the survey needs no parent (or it waits)
    submitted_at: dt.datetime
    # -- parent (issue 12) --
    # a parent confirms later on their own phone: the leads wait (awaiting_parent)
    parent_pending: bool = False
    # a correction of the person's last submission ("sửa số điện thoại"): schools no longer
    # chosen are withdrawn
    amends: bool = False

    @property
    def forward(self) -> bool:
        """Whether leads go to the schools: consent given, and a parent's too where needed."""
        return self.consent_given and bool(self.schools) and self.parent_confirmed is not False


@dataclass(frozen=True)
class Receipt:
    """What was stored for a submission: the response and the schools that got a lead."""

    response_id: str
    schools: tuple[str, ...]
    # -- parent (issue 12): the code a parent confirms with, when leads wait for one --
    parent_code: ParentCode | None = None
    updated: tuple[str, ...] = ()  # schools whose earlier lead was updated, not created


@dataclass(frozen=True)
class LeadView:
    """One lead as its student sees it (for "xem dữ liệu của tôi")."""

    school_id: str
    status: str  # active | withdrawn
    delivered: bool


@dataclass(frozen=True)
class MyData:
    """Everything stored about one conversation's surveys, for the user to see."""

    surveys: int
    personal: dict[str, Any]  # the latest survey's personal answers
    leads: tuple[LeadView, ...]
    survey_id: str = ""  # the latest survey's id ("" when none)
    answers: dict[str, Any] = field(default_factory=dict)  # its non-personal answers
    # questions the bot could not answer, kept (bot/core/unanswered.py): the newest, how many
    questions: tuple[str, ...] = ()
    question_count: int = 0


@dataclass(frozen=True)
class Forgotten:
    """What `LeadSink.forget` deleted."""

    surveys: int  # surveys whose personal answers were deleted
    leads: int  # leads withdrawn from schools
    consents: int  # consent records detached from the user
    # datarights (review3 C4): the schools that had (or may have had) the data, by how they
    # hear of the deletion: `told` get a lead.withdrawn through the outbox (their webhook or
    # staff group had the lead); `listed` only see it in the school portal, where the lead
    # now shows as deleted
    told: tuple[str, ...] = ()
    listed: tuple[str, ...] = ()


class LeadSink(Protocol):
    """Where finished surveys go: responses, consents, leads and their delivery (outbox)."""

    async def submit(self, submission: Submission) -> Receipt:
        """Store a submission with its consents and leads, and queue deliveries, atomically."""
        ...

    async def my_data(self, key: ConversationKey) -> MyData:
        """What is stored about this conversation's user."""
        ...

    async def withdraw(self, key: ConversationKey, school_id: str, at: dt.datetime) -> bool:
        """Withdraw consent for one school: its leads stop (pending deliveries cancelled)."""
        ...

    async def forget(self, key: ConversationKey, at: dt.datetime) -> Forgotten:
        """Delete the user's personal data; anonymous answers stay in statistics."""
        ...

    async def participating(self) -> frozenset[str] | None:
        """The schools an operator switched on to receive leads (task directory); None when
        this sink does not gate (a test's or tool's own sink)."""
        ...


# -- parent (issue 12): a parent confirms the leads of a student under 16 on their own phone --


@dataclass(frozen=True)
class ParentCode:
    """A code for a parent, shown once ("PH-ABCD-2345"), and when it stops working."""

    code: str
    expires_at: dt.datetime


@dataclass
class ParentLinks:
    """Where a parent opens the bot with a code: the web chat's address, the Telegram bot's
    username (known once the channel runs). Filled by the application; None: not offered."""

    web: str | None = None
    telegram: str | None = None


@dataclass(frozen=True)
class ParentRequest:
    """What a parent reads before deciding: what the student chose and agreed to."""

    survey_id: str
    answers: dict[str, Any]
    personal: dict[str, Any]
    schools: tuple[str, ...]  # schools whose leads wait for this parent
    consent_version: str | None
    expires_at: dt.datetime | None = None  # when the code stops working (flowfix)
    # parentsafe: after a decision, whether the parent's number was verified (a phone the
    # platform vouches for, equal to the number the student gave); None before or on a no
    verified: bool | None = None


@runtime_checkable
class ParentDesk(Protocol):
    """Parent confirmation codes (implemented by the database LeadSink)."""

    links: ParentLinks

    async def parent_code(self, key: ConversationKey, now: dt.datetime) -> ParentCode | None:
        """A new code for this student's waiting leads (earlier codes stop); None: none wait."""
        ...

    async def parent_request(
        self, code: str, key: ConversationKey, now: dt.datetime
    ) -> ParentRequest | str:
        """What a code asks a parent to confirm, or why not: unknown | expired | own |
        limited | done | nophone (no parent's number given, parentsafe)."""
        ...

    async def parent_retry_at(self, key: ConversationKey, now: dt.datetime) -> dt.datetime:
        """datarights (review3 D2): when this conversation, refused for too many wrong codes,
        may type codes again (a code the student asked for since is taken before that)."""
        ...

    async def parent_decide(
        self,
        code: str,
        key: ConversationKey,
        agreed: bool,
        now: dt.datetime,
        phone: str | None = None,
    ) -> ParentRequest | str:
        """The parent's decision, once per code; the request decided, or why not. `phone`
        (E.164, parentsafe): a number the platform vouches is the decider's own (Telegram's
        shared contact); equal to the parent's number given, the confirmation is verified."""
        ...
