"""A parent confirms on the parent's own phone (issue 12): the real engine and database, a
fake school webhook on 127.0.0.1 and the real outbox worker. A grade 9 lead reaches the school
only after a parent confirms from another conversation."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.catalog import Catalog
from bot.catalog.text_keys import T
from bot.core.engine import Engine
from bot.core.flows.parent_words import parent_code
from bot.core.messages import Inbound, Reply
from bot.core.ports import ParentLinks
from bot.leads.outbox import OutboxWorker
from bot.leads.parent import ParentReminders, record_parent_confirmation
from bot.matching.matcher import Matcher
from bot.storage import parent_codes
from bot.storage.conversations import SqlConversationStore
from bot.storage.db import make_engine
from bot.storage.leads import SqlLeadSink
from bot.storage.migrate import upgrade
from bot.storage.models import ContactRow, LeadRow, OutboxRow, ParentCodeRow
from bot.storage.participation import ParticipationStore
from bot.storage.schools import SchoolStore, lead_records
from tests.conftest import TODAY
from tests.fakes.school_webhook import FakeSchool
from tests.test_leads import FAST, drain

CODE = re.compile(r"PH-[A-Z0-9]{4}-[A-Z0-9]{4}")
SCHOOL = "cd_cn_hung_yen"  # "trường phù hợp" in Hưng Yên
# A grade 9 survey typed as a student would, up to the parent's number checked ("đúng")
GRADE9_TYPED = [
    "khao sat",
    "1",
    "trung cap",
    "dien cong nghiep",
    "xong",  # tradestep: a typed trade is ticked; "xong" ends the step
    "truong phu hop",
    "hung yen",
    "bo qua",
    "dong y",
    "Lê Thị Cúc",
    "THCS Mỹ Hào, 9B",
    "0912345678",
    "0987654321",
    "dung",
]


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.at = TODAY

    def now(self) -> dt.datetime:
        return self.at


@dataclass
class World:
    """The bot as it runs: engine, database, a school's webhook, the outbox worker."""

    db: AsyncEngine
    engine: Engine
    clock: Clock
    school: FakeSchool
    worker: OutboxWorker
    http: aiohttp.ClientSession
    sink: SqlLeadSink
    store: SqlConversationStore

    async def say(self, user: str, text: str, channel: str = "test") -> list[Reply]:
        replies = await self.engine.handle(Inbound(channel, user, text=text))
        assert replies
        return replies

    async def press(self, user: str, label: str, channel: str = "test") -> list[Reply]:
        state = await self.store.load(Inbound(channel, user).key)
        payload = next(b.payload for b in state.buttons if b.label == label)
        return await self.engine.handle(Inbound(channel, user, payload=payload))

    async def deliver(self) -> None:
        await drain(self.worker, self.http, rounds=3)

    async def leads(self) -> list[LeadRow]:
        async with async_sessionmaker(self.db, expire_on_commit=False)() as session:
            return list(await session.scalars(select(LeadRow).order_by(LeadRow.created_at)))

    async def count(self, model: type) -> int:
        async with self.db.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(model)) or 0)


def text(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


def code_in(replies: list[Reply]) -> str:
    found = CODE.search(text(replies))
    assert found is not None, text(replies)
    return found.group(0)


@pytest.fixture
async def world(database_url: str, catalog: Catalog, matcher: Matcher) -> AsyncIterator[World]:
    db = make_engine(database_url)
    clock = Clock()
    links = ParentLinks(web="https://bot.example.vn", telegram="huongnghiep_bot")
    # task directory: only schools an operator switched on receive leads (and are picked)
    switches = ParticipationStore(db, cache_seconds=0)
    for school_id in (SCHOOL, "cd_long_an"):
        await switches.switch(school_id, True, "participate", TODAY)
    sink = SqlLeadSink(db, switches, links=links)
    store = SqlConversationStore(db)
    engine = Engine(catalog, matcher, store, clock, leads=sink)
    school = await FakeSchool().start()
    await SchoolStore(db).set_webhook(SCHOOL, school.url, TODAY)
    worker = OutboxWorker(db, catalog, FAST, now=lambda: clock.at + dt.timedelta(hours=1))
    async with aiohttp.ClientSession() as http:
        yield World(db, engine, clock, school, worker, http, sink, store)
    await school.close()
    await db.dispose()


async def grade9(world: World, user: str = "student", channel: str = "test") -> list[Reply]:
    """The survey typed through to "✅ Gửi"; the replies of the submission."""
    for typed in GRADE9_TYPED:
        await world.say(user, typed, channel)
    return await world.say(user, "1", channel)  # "✅ Gửi" is the summary's first button


async def test_a_grade9_lead_reaches_the_school_only_after_the_parent_confirms(
    world: World,
) -> None:
    sent = await grade9(world)
    shown = text(sent)
    assert "chờ phụ huynh xác nhận" in shown and "đã được chuyển tới" not in shown
    code = code_in(sent)
    body = code.replace("-", "")  # PHABCD2345
    assert f"https://bot.example.vn/?ma={body}" in shown
    assert f"https://t.me/huongnghiep_bot?start={body}" in shown
    assert sent[-1].private  # the code is never kept in the web chat's history
    await world.deliver()
    assert world.school.received == []  # held: nothing reaches the school
    assert [lead.status for lead in await world.leads()] == ["awaiting_parent"]

    # the student's own conversation cannot confirm, on any channel name of its own
    own = await world.say("student", code)
    assert "không phải trong cuộc trò chuyện của bạn" in text(own)
    assert not any(b.payload == "pc:yes" for r in own for b in r.buttons)

    # the parent, in another conversation, reads what the child chose
    asked = await world.say("mum", code, channel="telegram")
    read = text(asked)
    for part in ("Lê Thị Cúc", "Trường Cao đẳng Công nghiệp Hưng Yên", "Nội dung đồng ý:"):
        assert part in read
    assert "0987 654 321" in read
    await world.deliver()
    assert world.school.received == []  # reading is not confirming

    done = await world.press("mum", "✅ Tôi đồng ý", channel="telegram")
    assert "đã được chuyển tới" in text(done)
    await world.deliver()
    created = world.school.events("lead.created")
    assert len(created) == 1
    lead = created[0].json["lead"]
    assert lead["student"]["name"] == "Lê Thị Cúc"
    assert lead["parent_confirmation"]["how"] == "bot"
    assert lead["parent_confirmation"]["at"].endswith("+07:00")
    assert lead["parent"] == {"phone": "+84987654321", "confirmed": True}

    # single use: the same code again does nothing more
    again = await world.say("dad", code, channel="zalo_bot")
    assert "không đúng hoặc đã được dùng" in text(again)
    await world.deliver()
    assert len(world.school.received) == 1


async def test_a_parent_who_declines_leaves_nothing_to_deliver(world: World) -> None:
    code = code_in(await grade9(world))
    await world.say("mum", code, channel="zalo_oa")
    said = await world.press("mum", "Không đồng ý", channel="zalo_oa")
    assert "chắc chắn không đồng ý" in text(said)  # asked once before anything is deleted
    assert await world.count(ContactRow) == 1
    said = await world.press("mum", "Đúng, tôi không đồng ý", channel="zalo_oa")
    assert "không đồng ý" in text(said)
    await world.deliver()
    assert world.school.received == []
    assert [lead.status for lead in await world.leads()] == ["declined"]
    assert await world.count(ContactRow) == 0  # what is not forwarded is not kept
    async with world.db.connect() as conn:
        held = await conn.scalar(
            select(func.count()).select_from(OutboxRow).where(OutboxRow.status == "held")
        )
    assert held == 0


async def test_wrong_codes_are_rate_limited(world: World) -> None:
    code = code_in(await grade9(world))
    # datarights (D2): a code issued since the refusal began is read (the child's "gửi lại
    # mã"); this one was given a minute before the wrong ones
    world.clock.at += dt.timedelta(minutes=1)
    for attempt in range(parent_codes.MAX_WRONG_PER_USER):
        wrong = await world.say("guesser", f"PH-WXYZ-{attempt + 2:04d}")
        assert "không đúng" in text(wrong)
    # now even the right code is refused to this conversation, for an hour
    refused = await world.say("guesser", code)
    assert "quá nhiều lần" in text(refused)
    # another conversation (the real parent) is not blocked
    asked = await world.say("mum", code)
    assert "Nội dung đồng ý:" in text(asked)


async def test_a_code_with_three_identical_letters_is_read_as_typed(world: World) -> None:
    """tradestep: the text folder shortens "AAAB" to "AB"; codes are read from the raw text.
    (New codes never hold three identical letters; one issued before that rule, or a code
    read aloud and typed, may.)"""
    code = code_in(await grade9(world))
    async with world.db.begin() as conn:  # the student's code, as if it had been AAAB23CD
        await conn.execute(
            update(ParentCodeRow)
            .where(ParentCodeRow.code_hash == parent_codes.hash_code(code[3:].replace("-", "")))
            .values(code_hash=parent_codes.hash_code("AAAB23CD"))
        )
    for typed, who in (("aaab23cd", "mum"), ("PH-AAAB-23CD", "dad"), ("mã là AAAB 23CD ạ", "gran")):
        asked = await world.say(who, typed)
        assert "Nội dung đồng ý:" in text(asked), (typed, text(asked))
        assert "Lê Thị Cúc" in text(asked)


async def test_codes_expire_and_waiting_leads_expire_with_them(world: World) -> None:
    code = code_in(await grade9(world))
    world.clock.at = TODAY + parent_codes.TTL + dt.timedelta(minutes=1)
    late = await world.say("mum", code)
    assert "đã hết hạn" in text(late)
    reminders = ParentReminders(world.db, world.engine.catalog, now=lambda: world.clock.at)
    done = await reminders.run_once()
    assert done.expired == 1
    assert [lead.status for lead in await world.leads()] == ["expired"]
    assert await world.count(ContactRow) == 0
    await world.deliver()
    assert world.school.received == []


async def test_one_reminder_after_a_day_then_a_new_code(world: World) -> None:
    first = code_in(await grade9(world))
    sent: list[tuple[str, str]] = []

    async def to_student(user: str, replies: list[Reply]) -> str | None:
        sent.append((user, text(replies)))
        return None

    reminders = ParentReminders(world.db, world.engine.catalog, now=lambda: world.clock.at)
    reminders.senders["test"] = to_student
    world.clock.at = TODAY + dt.timedelta(hours=20)
    assert (await reminders.run_once()).reminded == 0
    world.clock.at = TODAY + dt.timedelta(days=1, minutes=1)
    assert (await reminders.run_once()).reminded == 1
    assert (await reminders.run_once()).reminded == 0  # one reminder, not one per pass
    assert sent[0][0] == "student"
    assert "chờ phụ huynh xác nhận" in sent[0][1]
    assert "0912" not in sent[0][1]  # no personal data in a reminder

    # "mã phụ huynh": a new code; the old one stops; no second reminder for the new one
    fresh = code_in(await world.say("student", "mã phụ huynh"))
    assert fresh != first
    assert "không đúng" in text(await world.say("mum", first))
    world.clock.at = TODAY + dt.timedelta(days=3)
    assert (await reminders.run_once()).reminded == 0
    assert "Nội dung đồng ý:" in text(await world.say("mum", fresh))


async def test_a_school_records_a_confirmation_it_got_by_phone(world: World) -> None:
    await grade9(world)
    [lead] = await world.leads()
    async with async_sessionmaker(world.db)() as session:
        assert await lead_records(session, SCHOOL) == []  # not in any list or export yet
        [waiting] = await lead_records(session, SCHOOL, statuses=("awaiting_parent",))
    assert waiting.personal["parent_consent"] == "+84987654321"  # the number the school calls
    assert not await record_parent_confirmation(world.db, lead.id, "cd_long_an")  # not its lead
    assert await record_parent_confirmation(world.db, lead.id, SCHOOL, now=world.clock.at)
    assert await record_parent_confirmation(world.db, lead.id, SCHOOL)  # already: still true
    await world.deliver()
    [created] = world.school.events("lead.created")
    assert created.json["lead"]["parent_confirmation"]["how"] == "school_phone"
    assert created.json["lead"]["lead_id"] == lead.id


async def test_nothing_waits_without_a_survey(world: World) -> None:
    said = await world.say("someone", "mã phụ huynh")
    assert "không có thông tin nào của bạn đang chờ" in text(said)
    assert await world.count(ParentCodeRow) == 0


def test_codes_are_read_however_they_are_typed() -> None:
    assert parent_code("PH-ABCD-2345") == "ABCD2345"
    assert parent_code("ph abcd 2345") == "ABCD2345"
    assert parent_code("/start PHABCD2345") == "ABCD2345"
    assert parent_code("start phabcd 2345") == "ABCD2345"  # folded text
    for not_a_code in ("ABCD2345", "0912345678", "PH-ABCD-234", "mã là PH-ABCD-2345 nhé", ""):
        assert parent_code(not_a_code) is None


@given(st.text(max_size=60))
def test_any_text_is_a_code_or_not_never_an_error(typed: str) -> None:
    body = parent_code(typed)
    assert body is None or re.fullmatch(r"[A-Z0-9]{8}", body)


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('hostile') / 'bot.db'}"
    upgrade(url)
    return url


ACTIONS = st.one_of(
    st.text(max_size=40).map(lambda s: ("text", s)),
    st.text(max_size=40).map(lambda s: ("text", "PH-" + s)),
    st.text(max_size=40).map(lambda s: ("payload", "pc:" + s)),
    st.sampled_from(["pc:yes", "pc:no", "pc:code", "pc:open:", "pc:open:ABCD2345", "fix:x"]).map(
        lambda s: ("payload", s)
    ),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(actions=st.lists(ACTIONS, min_size=1, max_size=4))
def test_hostile_parent_input_gets_an_answer(
    catalog: Catalog, matcher: Matcher, hostile_db: str, actions: list[tuple[str, str]]
) -> None:
    async def play() -> None:
        db = make_engine(hostile_db)
        try:
            engine = Engine(
                catalog, matcher, SqlConversationStore(db), Clock(), leads=SqlLeadSink(db)
            )
            for kind, value in actions:
                inbound = Inbound("test", "hostile", **{kind: value})  # type: ignore[arg-type]
                replies = await engine.handle(inbound)
                assert replies and replies[0].text != catalog.text(T.ERROR)
        finally:
            await db.dispose()

    asyncio.run(play())


def test_lead_payload_names_how_the_parent_confirmed(catalog: Catalog) -> None:
    from bot.leads.records import lead_dict
    from bot.storage.schools import LeadRecord

    record = LeadRecord(
        "l1", SCHOOL, TODAY, "lop9", 9, "test", {}, {"parent_consent": "+84987654321"},
        True, "v1", TODAY, "school_phone", TODAY,
    )  # fmt: skip
    lead = lead_dict(record, catalog)
    at = "2026-11-22T16:00:00+07:00"
    # parentsafe: the school phoned the parent: verified
    assert lead["parent_confirmation"] == {"how": "school_phone", "at": at, "verified": True}
    assert lead["parent"] == {"phone": "+84987654321", "confirmed": True}
    # parentsafe: a code typed in the bot proves nothing about who typed it; a phone Telegram
    # vouched for, equal to the parent's number, does (the lead still says "bot")
    for stored, verified in (("bot", False), ("bot_verified", True)):
        lead = lead_dict(record._replace(parent_how=stored), catalog)
        assert lead["parent_confirmation"] == {"how": "bot", "at": at, "verified": verified}
