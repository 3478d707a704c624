"""The outbox worker: delivers pending rows, retries with backoff, dead-letters.

Kinds: `webhook` (a signed POST to the school's URL) and, when the Telegram channel runs,
`telegram` (a message in the school's linked staff group), registered in `deliverers`.
Events: `lead.created` (only while the lead is active: a lead withdrawn before delivery is
never sent) and `lead.withdrawn` (delivered whatever the lead's status: that is its point).

A row is claimed with a lease (`locked_until`) in a short transaction, delivered outside any
transaction, then marked. A process killed mid-delivery leaves a lease that expires, and the
row is delivered again with the same idempotency key. On PostgreSQL several processes share
the work (FOR UPDATE SKIP LOCKED); on SQLite writers are serialized anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.catalog import Catalog
from bot.leads import webhook
from bot.leads.delivery import LEAD_CREATED as LEAD_CREATED
from bot.leads.delivery import LEAD_UPDATED, LEAD_WITHDRAWN, REASONS, Deliverer, Delivery
from bot.leads.delivery import Gone as Gone
from bot.storage.models import LeadRow, OutboxRow, WebhookRow
from bot.storage.schools import lead_records

log = logging.getLogger(__name__)

BATCH = 20


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a delivery is tried."""

    max_attempts: int = 8
    base_seconds: float = 30.0
    cap_seconds: float = 3600.0
    timeout_seconds: float = 10.0

    def delay(self, attempts: int, rand: Callable[[float, float], float] = random.uniform) -> float:
        """Exponential backoff with jitter: between half and all of base·2^(n-1), capped."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** max(0, attempts - 1))
        return rand(ceiling / 2, ceiling)

    @property
    def lease_seconds(self) -> float:
        """How long a claimed row stays with its worker: longer than any delivery can take."""
        return self.timeout_seconds * 1.5 + 2


@dataclass(frozen=True)
class Claimed:
    id: int
    kind: str
    event: str
    lead_id: str | None
    target: str
    idempotency_key: str
    attempts: int
    created_at: dt.datetime


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class OutboxWorker:
    """Delivers what the outbox holds. `run` loops until cancelled; `run_once` does one pass."""

    def __init__(
        self,
        engine: AsyncEngine,
        catalog: Catalog,
        policy: RetryPolicy,
        poll_seconds: float = 1.0,
        now: Callable[[], dt.datetime] = _now,
    ) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._postgres = engine.dialect.name == "postgresql"
        self.catalog = catalog
        self.policy = policy
        self.poll_seconds = poll_seconds
        self.now = now
        self.wake = asyncio.Event()
        self.state = "idle"  # for /healthz: idle | running | error
        self.deliverers: dict[str, Deliverer] = {}

    async def run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self.policy.timeout_seconds)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            while True:
                try:
                    done = await self.run_once(http)
                    self.state = "running"
                except Exception:
                    log.exception("outbox pass failed")
                    self.state = "error"
                    done = 0
                if done:
                    continue
                self.wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), self.poll_seconds)

    async def run_once(self, http: aiohttp.ClientSession) -> int:
        """Claim due rows and deliver them; the number of rows handled."""
        claimed = await self._claim()
        if claimed:
            await asyncio.gather(*(self._deliver(http, item) for item in claimed))
        return len(claimed)

    async def _claim(self) -> list[Claimed]:
        now = self.now()
        lease = now + dt.timedelta(seconds=self.policy.lease_seconds)
        async with self._sessions() as session, session.begin():
            query = (
                select(OutboxRow)
                .where(
                    OutboxRow.status == "pending",
                    OutboxRow.next_attempt_at <= now,
                    or_(OutboxRow.locked_until.is_(None), OutboxRow.locked_until <= now),
                )
                .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
                .limit(BATCH)
            )
            if self._postgres:
                query = query.with_for_update(skip_locked=True)
            rows = list(await session.scalars(query))
            for row in rows:
                row.attempts += 1
                row.locked_until = lease
            return [
                Claimed(
                    r.id,
                    r.kind,
                    r.event,
                    r.lead_id,
                    r.target,
                    r.idempotency_key,
                    r.attempts,
                    r.created_at,
                )
                for r in rows
            ]

    async def _deliver(self, http: aiohttp.ClientSession, item: Claimed) -> None:
        if item.lead_id is None:
            await self._finish(item, "cancelled", "no lead")
            return
        deliver = self._webhook(http) if item.kind == "webhook" else self.deliverers.get(item.kind)
        if deliver is None:
            # the channel is not running in this process (yet): keep the row for later
            await self._finish(item, "pending", f"no deliverer for {item.kind}", retry=True)
            return
        delivery = await self._delivery(item, item.lead_id)
        if isinstance(delivery, str):
            await self._finish(item, "cancelled", delivery)
            return
        try:
            error = await deliver(delivery)
        except Gone as exc:
            await self._finish(item, "cancelled", str(exc)[:200])
            return
        where = {"school": item.target, "kind": item.kind, "event": item.event}
        if error is None:
            await self._finish(item, "delivered", None)
            log.info("event delivered", extra={**where, "attempt": item.attempts})
        else:
            log.warning("delivery failed: %s", error, extra={**where, "attempt": item.attempts})
            await self._finish(item, "pending", error[:200], retry=True)

    async def _delivery(self, item: Claimed, lead_id: str) -> Delivery | str:
        """What the row delivers, or why it is cancelled."""
        base = Delivery(
            event=item.event,
            school_id=item.target,
            lead_id=lead_id,
            idempotency_key=item.idempotency_key,
            attempt=item.attempts,
            at=item.created_at,
        )
        async with self._sessions() as session:
            if item.event in (LEAD_CREATED, LEAD_UPDATED):
                # only an active lead has a record: withdrawn or deleted ones come back empty
                records = await lead_records(session, item.target, lead_ids=[lead_id])
                if not records:
                    return "lead withdrawn or deleted"
                return dataclasses.replace(base, record=records[0])
            if item.event == LEAD_WITHDRAWN:
                status = await session.scalar(select(LeadRow.status).where(LeadRow.id == lead_id))
                if status not in REASONS:
                    return "lead active again or gone"
                return dataclasses.replace(base, reason=REASONS[status])
        return f"unknown event {item.event}"[:200]

    def _webhook(self, http: aiohttp.ClientSession) -> Deliverer:
        """The signed POST of one event to the school's webhook."""

        async def deliver(delivery: Delivery) -> str | None:
            async with self._sessions() as session:
                hook = await session.get(WebhookRow, delivery.school_id)
            if hook is None:
                raise Gone("webhook removed")
            return await webhook.post(http, hook.url, hook.secret, delivery, self.catalog)

        return deliver

    async def _finish(
        self, item: Claimed, status: str, error: str | None, retry: bool = False
    ) -> None:
        now = self.now()
        values: dict[str, object] = {"status": status, "locked_until": None, "last_error": error}
        if status == "delivered":
            values["delivered_at"] = now
        if retry:
            if item.attempts >= self.policy.max_attempts:
                values["status"] = "dead"
                log.error(
                    "delivery dead-lettered", extra={"school": item.target, "event": item.event}
                )
            else:
                delay = self.policy.delay(item.attempts)
                values["next_attempt_at"] = now + dt.timedelta(seconds=delay)
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == item.id, OutboxRow.status == "pending")
                .values(**values)
            )


async def retry_dead(engine: AsyncEngine, ids: list[int] | None = None) -> int:
    """Put dead-lettered rows (all, or those ids) back in the queue, due now."""
    sessions = async_sessionmaker(engine)
    async with sessions() as session, session.begin():
        query = update(OutboxRow).where(OutboxRow.status == "dead")
        if ids:
            query = query.where(OutboxRow.id.in_(ids))
        result = await session.execute(
            query.values(status="pending", attempts=0, next_attempt_at=_now(), locked_until=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)


async def outbox_rows(engine: AsyncEngine, status: str | None = None) -> list[OutboxRow]:
    """Outbox rows, newest first (for `huongnghiep outbox list`)."""
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions() as session:
        query = select(OutboxRow).order_by(OutboxRow.id.desc())
        if status:
            query = query.where(OutboxRow.status == status)
        return list(await session.scalars(query))
