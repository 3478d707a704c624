"""Lead storage and delivery: the outbox against a fake school webhook on 127.0.0.1."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
import uuid
from collections.abc import AsyncIterator

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.catalog import Catalog
from bot.core.messages import ConversationKey
from bot.core.ports import Submission
from bot.leads.outbox import OutboxWorker, RetryPolicy, retry_dead
from bot.storage.db import make_engine
from bot.storage.leads import SqlLeadSink
from bot.storage.models import ConsentRow, LeadRow, OutboxRow, ResponseRow
from bot.storage.retention import purge
from bot.storage.schools import SchoolStore
from tests.fakes.school_webhook import FakeSchool

NOW = dt.datetime.now(dt.UTC)
FAST = RetryPolicy(max_attempts=3, base_seconds=0.01, cap_seconds=0.05, timeout_seconds=0.5)


def submission(
    user: str = "u1", schools: tuple[str, ...] = ("cd_long_an",), **over: object
) -> Submission:
    values: dict[str, object] = {
        "key": ConversationKey("web", user),
        "run_id": uuid.uuid4().hex,
        "survey_id": "lop9",
        "grade": 9,
        "answers": {"plan": "trung_cap", "trades": ["han"], "province": "tay_ninh"},
        "personal": {
            "name": '=HYPERLINK("http://x")',
            "school_class": "THCS Lê Lợi 9A",
            "phone": "+84912345678",
            "parent_consent": "+84987654321",
        },
        "schools": schools,
        "consent_version": "2026-11-v1",
        "consent_given": True,
        "consent_at": NOW,
        "parent_confirmed": True,
        "submitted_at": NOW,
    }
    values.update(over)
    return Submission(**values)  # type: ignore[arg-type]


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def school() -> AsyncIterator[FakeSchool]:
    fake = await FakeSchool().start()
    yield fake
    await fake.close()


async def drain(worker: OutboxWorker, http: aiohttp.ClientSession, rounds: int = 50) -> None:
    """Run outbox passes until nothing is due any more (retries are milliseconds apart here)."""
    for _ in range(rounds):
        await worker.run_once(http)
        await asyncio.sleep(0.06)


async def outbox(db: AsyncEngine) -> list[OutboxRow]:
    async with async_sessionmaker(db)() as session:
        return list(await session.scalars(select(OutboxRow).order_by(OutboxRow.id)))


async def test_fail_then_timeout_then_success_delivers_once_with_one_key(
    db: AsyncEngine, school: FakeSchool, catalog: Catalog
) -> None:
    school.behaviours = ["fail", "timeout", "ok"]
    secret = await SchoolStore(db).set_webhook("cd_long_an", school.url, NOW)
    receipt = await SqlLeadSink(db).submit(submission())
    assert receipt.schools == ("cd_long_an",)
    worker = OutboxWorker(db, catalog, FAST)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.5)) as http:
        await drain(worker, http)
    assert len(school.received) == 3
    assert len({r.key for r in school.received}) == 1  # the same idempotency key every time
    assert all(r.signed_with(secret) for r in school.received)
    assert not school.received[0].signed_with("another secret")
    lead = school.received[-1].json["lead"]
    assert lead["student"]["phone"] == "+84912345678"
    assert lead["parent"] == {"phone": "+84987654321", "confirmed": True}
    assert lead["trades"] == [{"id": "han", "name": catalog.trades["han"].name}]
    [row] = await outbox(db)
    assert (row.status, row.attempts, row.last_error) == ("delivered", 3, None)


async def test_dead_letter_after_the_last_try_and_retry_command(
    db: AsyncEngine, school: FakeSchool, catalog: Catalog
) -> None:
    school.behaviours = ["fail", "fail", "fail", "ok"]
    await SchoolStore(db).set_webhook("cd_long_an", school.url, NOW)
    await SqlLeadSink(db).submit(submission())
    worker = OutboxWorker(db, catalog, FAST)
    async with aiohttp.ClientSession() as http:
        await drain(worker, http, rounds=20)
        [row] = await outbox(db)
        assert (row.status, row.attempts, row.last_error) == ("dead", 3, "HTTP 500")
        assert len(school.received) == 3
        assert await retry_dead(db) == 1
        await drain(worker, http, rounds=5)
    [row] = await outbox(db)
    assert row.status == "delivered"
    assert len({r.key for r in school.received}) == 1


async def test_school_without_webhook_gets_a_lead_but_no_delivery(db: AsyncEngine) -> None:
    receipt = await SqlLeadSink(db).submit(submission(schools=("cd_lao_cai",)))
    assert receipt.schools == ("cd_lao_cai",)
    assert await outbox(db) == []
    assert len(await SchoolStore(db).leads("cd_lao_cai")) == 1


async def test_withdrawn_consent_cancels_delivery(
    db: AsyncEngine, school: FakeSchool, catalog: Catalog
) -> None:
    await SchoolStore(db).set_webhook("cd_long_an", school.url, NOW)
    sink = SqlLeadSink(db)
    await sink.submit(submission(schools=("cd_long_an", "cd_lao_cai")))
    key = ConversationKey("web", "u1")
    assert await sink.withdraw(key, "cd_long_an", NOW)
    assert not await sink.withdraw(key, "cd_long_an", NOW)  # nothing left to withdraw
    async with aiohttp.ClientSession() as http:
        await drain(OutboxWorker(db, catalog, FAST), http, rounds=3)
    assert school.received == []
    [row] = await outbox(db)
    assert row.status == "cancelled"
    schools = SchoolStore(db)
    assert await schools.leads("cd_long_an") == []
    assert len(await schools.leads("cd_lao_cai")) == 1  # the other school still has it
    async with db.connect() as conn:
        withdrawn = await conn.scalar(
            select(func.count()).select_from(ConsentRow).where(ConsentRow.withdrawn_at.is_not(None))
        )
    assert withdrawn == 2  # forward and parent consent for that school


async def test_same_run_submitted_twice_is_stored_once(db: AsyncEngine) -> None:
    sink = SqlLeadSink(db)
    first = submission()
    one = await sink.submit(first)
    two = await sink.submit(first)
    assert one == two
    async with db.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(LeadRow)) == 1


async def test_consent_recorded_per_purpose_and_school(db: AsyncEngine) -> None:
    await SqlLeadSink(db).submit(submission(schools=("cd_long_an", "cd_lao_cai")))
    async with db.connect() as conn:
        rows = (
            await conn.execute(
                select(
                    ConsentRow.purpose,
                    ConsentRow.school_id,
                    ConsentRow.granted,
                    ConsentRow.text_version,
                )
            )
        ).all()
    assert sorted(rows) == sorted(
        [
            ("forward_to_school", "cd_long_an", True, "2026-11-v1"),
            ("forward_to_school", "cd_lao_cai", True, "2026-11-v1"),
            ("parent_consent", "cd_long_an", True, "2026-11-v1"),
            ("parent_consent", "cd_lao_cai", True, "2026-11-v1"),
        ]
    )


async def test_declined_or_unconfirmed_is_anonymous(db: AsyncEngine) -> None:
    sink = SqlLeadSink(db)
    declined = await sink.submit(submission(user="a", consent_given=False, schools=(), personal={}))
    no_parent = await sink.submit(submission(user="b", parent_confirmed=False))
    assert declined.schools == () and no_parent.schools == ()
    async with db.connect() as conn:
        users = list(await conn.scalars(select(ResponseRow.user_key)))
        leads = await conn.scalar(select(func.count()).select_from(LeadRow))
    assert users == [None, None] and leads == 0


async def test_retention_purges_personal_data_and_keeps_counts(db: AsyncEngine) -> None:
    sink = SqlLeadSink(db)
    old = NOW - dt.timedelta(days=400)
    await sink.submit(submission(user="old", submitted_at=old, consent_at=old))
    await sink.submit(submission(user="new"))
    done = await purge(db, NOW, months=12)
    assert done.responses == 1
    schools = SchoolStore(db)
    remaining = await schools.leads("cd_long_an")
    assert [r.created_at.date() for r in remaining] == [NOW.date()]
    async with db.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(ResponseRow)) == 2
    assert (await sink.my_data(ConversationKey("web", "old"))).surveys == 0
    assert (await purge(db, NOW, months=12)).responses == 0  # nothing more to do


def test_backoff_grows_with_jitter_and_a_cap() -> None:
    policy = RetryPolicy(base_seconds=30, cap_seconds=3600)
    low = [policy.delay(n, rand=lambda a, b: a) for n in range(1, 10)]
    high = [policy.delay(n, rand=lambda a, b: b) for n in range(1, 10)]
    assert high[:4] == [30, 60, 120, 240]
    assert low[:2] == [15, 30]
    assert max(high) == 3600
    assert all(15 <= policy.delay(3) <= 120 for _ in range(100))


@pytest.mark.parametrize("status", [301, 302, 303, 307])
async def test_a_redirect_is_a_failed_attempt_never_followed(
    db: AsyncEngine, school: FakeSchool, catalog: Catalog, status: int
) -> None:
    school.behaviours = [f"redirect:{status}"]
    secret = await SchoolStore(db).set_webhook("cd_long_an", school.url, NOW)
    await SqlLeadSink(db).submit(submission())
    worker = OutboxWorker(db, catalog, FAST)
    async with aiohttp.ClientSession() as http:
        await worker.run_once(http)
        [row] = await outbox(db)
        # not delivered: retried later, with where the school pointed us in the error
        assert (row.status, row.attempts) == ("pending", 1)
        assert row.last_error == f"HTTP {status} → {school.elsewhere_url}"
        await drain(worker, http, rounds=20)
    [row] = await outbox(db)
    assert (row.status, row.attempts) == ("dead", 3)  # dead-lettered like any failure
    assert len(school.received) == 3 and all(r.signed_with(secret) for r in school.received)
    assert school.elsewhere == []  # no GET, no POST, no signature sent to the new location


async def test_a_huge_answer_is_read_in_part_and_a_2xx_still_succeeds(
    db: AsyncEngine, school: FakeSchool, catalog: Catalog
) -> None:
    school.behaviours = ["huge"]
    await SchoolStore(db).set_webhook("cd_long_an", school.url, NOW)
    await SqlLeadSink(db).submit(submission())
    worker = OutboxWorker(db, catalog, FAST)
    # the client gives up after 2 s: reading 4 GiB would time out and be retried
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
        assert await worker.run_once(http) == 1
    [row] = await outbox(db)
    assert (row.status, row.attempts, row.last_error) == ("delivered", 1, None)
    for _ in range(100):  # the fake notices the closed connection on its next write
        if school.streamed:
            break
        await asyncio.sleep(0.02)
    assert school.streamed and school.streamed[0] < 2**30  # far from all of it was sent


PERSONAL = ("HYPERLINK", "+84912345678", "912345678", "+84987654321", "Lê Lợi", "9A")


async def _delivered(db: AsyncEngine, school: FakeSchool, catalog: Catalog) -> OutboxWorker:
    await SqlLeadSink(db).submit(submission(schools=("cd_long_an", "cd_lao_cai")))
    worker = OutboxWorker(db, catalog, FAST)
    async with aiohttp.ClientSession() as http:
        await drain(worker, http, rounds=3)
    assert [r.event for r in school.received] == ["lead.created"]
    return worker


@pytest.mark.parametrize("how", ["withdraw", "erase"])
async def test_a_school_that_got_the_lead_is_told_it_was_withdrawn(
    db: AsyncEngine, school: FakeSchool, catalog: Catalog, how: str
) -> None:
    secret = await SchoolStore(db).set_webhook("cd_long_an", school.url, NOW)
    worker = await _delivered(db, school, catalog)
    created = school.received[0]
    sink, key, at = SqlLeadSink(db), ConversationKey("web", "u1"), dt.datetime.now(dt.UTC)
    if how == "withdraw":
        assert await sink.withdraw(key, "cd_long_an", at)
    else:
        assert (await sink.forget(key, at)).leads == 2
    async with aiohttp.ClientSession() as http:
        await drain(worker, http, rounds=3)
    [notice] = school.events("lead.withdrawn")
    assert len(school.received) == 2  # cd_lao_cai has no webhook: nothing to tell there
    assert notice.signed_with(secret) and notice.headers["X-Huongnghiep-Attempt"] == "1"
    assert notice.key == notice.json["idempotency_key"] != created.key  # a key of its own
    lead_id = created.json["lead"]["lead_id"]
    assert notice.json == {
        "event": "lead.withdrawn",
        "idempotency_key": notice.key,
        "lead_id": lead_id,
        "school_id": "cd_long_an",
        "withdrawn_at": at.astimezone(dt.timezone(dt.timedelta(hours=7))).isoformat("T", "seconds"),
        "reason": "consent_withdrawn" if how == "withdraw" else "data_erased",
    }
    text = notice.body.decode()
    assert not any(p in text for p in PERSONAL)  # nothing personal in the notice
    rows = await outbox(db)
    assert [(r.event, r.status) for r in rows] == [
        ("lead.created", "delivered"),
        ("lead.withdrawn", "delivered"),
    ]
    # withdrawing or erasing again tells nobody anything new
    assert not await sink.withdraw(key, "cd_long_an", at)
    await sink.forget(key, at)
    assert len(await outbox(db)) == 2
    # an operator sees which event each delivery carried
    listed = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "outbox",
        "list",
        env={**os.environ, "DATABASE_URL": db.url.render_as_string(hide_password=False)},
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await listed.communicate()
    lines = out.decode().splitlines()
    assert [line.split("\t")[1:5] for line in lines[:2]] == [
        ["webhook", "lead.withdrawn", "cd_long_an", "delivered"],
        ["webhook", "lead.created", "cd_long_an", "delivered"],
    ]


async def test_a_delivery_in_flight_is_followed_by_its_withdrawal(
    db: AsyncEngine, school: FakeSchool, catalog: Catalog
) -> None:
    school.behaviours = ["hang", "ok"]
    await SchoolStore(db).set_webhook("cd_long_an", school.url, NOW)
    sink = SqlLeadSink(db)
    await sink.submit(submission())
    offset = dt.timedelta()
    worker = OutboxWorker(db, catalog, FAST, now=lambda: dt.datetime.now(dt.UTC) + offset)
    async with aiohttp.ClientSession() as http:
        claimed = dt.datetime.now(dt.UTC)
        sending = asyncio.create_task(worker.run_once(http))
        await school.wait_for(1)  # the school is reading the lead right now
        assert await sink.withdraw(ConversationKey("web", "u1"), "cd_long_an", NOW)
        created, notice = await outbox(db)
        assert (created.status, notice.event, notice.status) == (
            "cancelled",
            "lead.withdrawn",
            "pending",
        )
        # due when the lease of the delivery in flight ends, not before
        assert notice.next_attempt_at >= claimed + dt.timedelta(seconds=FAST.lease_seconds)
        school.released.set()
        await sending
        assert await worker.run_once(http) == 0  # the notice waits for the lease to end
        offset = dt.timedelta(seconds=FAST.lease_seconds + 1)
        assert await worker.run_once(http) == 1
    assert [r.event for r in school.received] == ["lead.created", "lead.withdrawn"]
    assert [r.status for r in await outbox(db)] == ["cancelled", "delivered"]


async def test_a_lead_tried_and_failed_is_withdrawn_too_one_never_tried_is_not(
    db: AsyncEngine, school: FakeSchool, catalog: Catalog
) -> None:
    school.behaviours = ["timeout", "ok"]  # the school may have kept what timed out
    await SchoolStore(db).set_webhook("cd_long_an", school.url, NOW)
    sink = SqlLeadSink(db)
    await sink.submit(submission(user="tried"))
    worker = OutboxWorker(db, catalog, FAST)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.3)) as http:
        await worker.run_once(http)
        await sink.submit(submission(user="never"))
        assert await sink.withdraw(ConversationKey("web", "never"), "cd_long_an", NOW)
        assert await sink.withdraw(ConversationKey("web", "tried"), "cd_long_an", NOW)
        await drain(worker, http, rounds=5)
    assert [r.event for r in school.received] == ["lead.created", "lead.withdrawn"]
    assert [(r.event, r.status) for r in await outbox(db)] == [
        ("lead.created", "cancelled"),
        ("lead.created", "cancelled"),
        ("lead.withdrawn", "delivered"),
    ]
