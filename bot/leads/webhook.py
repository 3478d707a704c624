"""The `webhook` delivery: one signed POST of an event to the school's URL.

Redirects are never followed: a 3xx would turn the POST into a GET, count as delivered, and
send the signature to another host; it is a failed attempt, retried like any other. At most
MAX_BODY bytes of any answer are read: a 2xx with a huge body is still a quick success.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from bot.catalog import Catalog
from bot.leads.cells import vietnam_time
from bot.leads.delivery import LEAD_CREATED, LEAD_UPDATED, Delivery
from bot.leads.records import lead_dict
from bot.leads.signing import (
    ATTEMPT_HEADER,
    EVENT_HEADER,
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    sign,
)

MAX_BODY = 64 * 1024  # bytes of an answer read at most; the rest is dropped with the connection
MAX_LOCATION = 120  # characters of a redirect's Location kept in the error


def payload(delivery: Delivery, catalog: Catalog) -> dict[str, Any]:
    """What the school is sent: the lead for lead.created and lead.updated (the same lead id,
    as it is now); for lead.withdrawn only which lead, when and why (no personal data)."""
    if delivery.event in (LEAD_CREATED, LEAD_UPDATED):
        assert delivery.record is not None
        return {
            "event": delivery.event,
            "idempotency_key": delivery.idempotency_key,
            "lead": lead_dict(delivery.record, catalog),
        }
    return {
        "event": delivery.event,
        "idempotency_key": delivery.idempotency_key,
        "lead_id": delivery.lead_id,
        "school_id": delivery.school_id,
        "withdrawn_at": vietnam_time(delivery.at),
        "reason": delivery.reason,
    }


async def _read_some(response: aiohttp.ClientResponse, limit: int = MAX_BODY) -> None:
    """Read at most `limit` bytes of the body: enough for any answer a CRM means to give."""
    left = limit
    while left > 0:
        chunk = await response.content.read(left)
        if not chunk:
            return
        left -= len(chunk)


async def post(
    http: aiohttp.ClientSession, url: str, secret: str, delivery: Delivery, catalog: Catalog
) -> str | None:
    """POST the signed event; None on a 2xx, else what went wrong (for last_error)."""
    body = json.dumps(payload(delivery, catalog), ensure_ascii=False, sort_keys=True)
    data = body.encode("utf-8")
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        SIGNATURE_HEADER: sign(secret, data),
        IDEMPOTENCY_HEADER: delivery.idempotency_key,
        EVENT_HEADER: delivery.event,
        ATTEMPT_HEADER: str(delivery.attempt),
        "User-Agent": "huongnghiep-bot",
    }
    try:
        async with http.post(url, data=data, headers=headers, allow_redirects=False) as response:
            await _read_some(response)
            status = response.status
            if 200 <= status < 300:
                return None
            if 300 <= status < 400:
                location = response.headers.get("Location", "")[:MAX_LOCATION]
                return f"HTTP {status} → {location}" if location else f"HTTP {status}"
            return f"HTTP {status}"
    except TimeoutError:
        return "timeout"
    except aiohttp.ClientError as exc:
        return f"connection error: {type(exc).__name__}"
