"""What a deliverer is handed: one event (lead.created or lead.withdrawn) for one school."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.storage.erasure import LEAD_WITHDRAWN as LEAD_WITHDRAWN
from bot.storage.leads import LEAD_CREATED as LEAD_CREATED
from bot.storage.schools import LeadRecord

# why a lead was withdrawn, from its status when the event is delivered (parent, issue 12: a
# parent declined, or never confirmed, a lead a school had in an earlier version)
REASONS = {
    "withdrawn": "consent_withdrawn",
    "deleted": "data_erased",
    "declined": "parent_declined",
    "expired": "parent_not_confirmed",
}
LEAD_UPDATED = "lead.updated"  # parent (issue 12): the lead again, as it is now


class Gone(Exception):
    """The delivery can never succeed (no webhook or group any more): cancel it."""


@dataclass(frozen=True)
class Delivery:
    """One outbox row's event. `record` is the lead (lead.created and lead.updated: a
    withdrawn lead has nothing to send); `at` is when the event happened; `reason` says why a
    lead was withdrawn (consent_withdrawn, data_erased, parent_declined…)."""

    event: str
    school_id: str
    lead_id: str
    idempotency_key: str
    attempt: int
    at: dt.datetime
    record: LeadRecord | None = None
    reason: str | None = None


# A channel's delivery of one event to one school: returns None when done, an error to retry
# later, or raises Gone.
Deliverer = Callable[[Delivery], Awaitable[str | None]]
