"""Leads that stay right (issue 12): a second submission updates the lead (one lead per person
and school), corrections after submitting reach the school's webhook as lead.updated, and a
changed school is withdrawn at the old one and new at the new one."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.core.messages import ConversationKey
from bot.storage.leads import SqlLeadSink
from bot.storage.models import LeadRow, OutboxRow, ParentCodeRow
from bot.storage.participation import ParticipationStore
from bot.storage.schools import SchoolStore
from tests.drivers import GRADE12_SCHOOL, GRADE12_TYPED
from tests.test_leads import submission
from tests.test_parent import World, grade9, text
from tests.test_parent import world as world

OTHER = "cd_nghe_thai_binh"  # another school of Hưng Yên, switched on


async def grade12(world: World, user: str = "student", name: str = "Trần Thị Bình") -> str:
    """The grade 12 survey typed through; the text of the submission's replies."""
    replies = []
    for typed, _expected in GRADE12_TYPED:
        replies = await world.say(user, name if typed == "Trần Thị Bình" else typed)
    return text(replies)


async def hooks(world: World, *schools: str) -> None:
    for school in schools:
        await SchoolStore(world.db).set_webhook(school, world.school.url, world.clock.at)


async def test_submitting_twice_leaves_one_lead_and_sends_lead_updated(world: World) -> None:
    await hooks(world, GRADE12_SCHOOL)
    first = await grade12(world)
    assert "đã được chuyển tới" in first
    await world.deliver()
    [created] = world.school.events("lead.created")
    lead_id = created.json["lead"]["lead_id"]

    world.clock.at += dt.timedelta(minutes=5)
    second = await grade12(world, name="Trần Thị Bình An")
    assert "vẫn là một hồ sơ" in second
    await world.deliver()
    leads = await world.leads()
    assert [(x.id, x.status, x.revision) for x in leads] == [(lead_id, "active", 1)]
    [updated] = world.school.events("lead.updated")
    assert updated.json["event"] == "lead.updated"
    assert updated.json["lead"]["lead_id"] == lead_id  # the same lead, as it is now
    assert updated.json["lead"]["student"]["name"] == "Trần Thị Bình An"
    assert updated.key != created.key  # another event, another idempotency key
    assert len(world.school.events("lead.created")) == 1


async def test_a_phone_correction_reaches_the_school_as_lead_updated(world: World) -> None:
    await hooks(world, GRADE12_SCHOOL)
    await grade12(world)
    await world.deliver()
    [lead_id] = [x.id for x in await world.leads()]

    asked = await world.say("student", "sửa số điện thoại")
    assert "Số điện thoại" in text(asked)
    summary = await world.say("student", "0987000111")
    assert "0987 000 111" in text(summary)
    sent = await world.say("student", "1")  # "✅ Gửi"
    assert "bản đã sửa" in text(sent)
    await world.deliver()
    [updated] = world.school.events("lead.updated")
    assert updated.json["lead"]["lead_id"] == lead_id
    assert updated.json["lead"]["student"]["phone"] == "+84987000111"
    assert len(await world.leads()) == 1
    mine = await world.say("student", "xem dữ liệu của tôi")
    assert "0987 000 111" in text(mine) and "0912 345 678" not in text(mine)


async def test_a_changed_school_is_withdrawn_at_the_old_and_new_at_the_new(world: World) -> None:
    await hooks(world, GRADE12_SCHOOL)
    await grade12(world)
    await world.deliver()
    [old] = await world.leads()
    # another school of the province joins (its webhook, switched on); the student changes to it
    await hooks(world, OTHER)
    await ParticipationStore(world.db).switch(OTHER, True, "participate", world.clock.at)

    menu = await world.say("student", "đổi trường")
    labels = [b.label for r in menu for b in r.buttons]
    assert any(label.startswith("✓") for label in labels)  # the school chosen before, ticked
    after = await world.press("student", next(x for x in labels if x.startswith("✓")))  # untick
    other = world.engine.catalog.school_name(OTHER)
    assert other in [b.label for r in after for b in r.buttons]
    await world.press("student", other)
    consent = await world.press("student", "✔ Xong")
    assert other in text(consent)  # the consent names the new school
    await world.say("student", "dong y")
    await world.say("student", "1")  # "✅ Gửi"
    await world.deliver()
    statuses = {x.school_id: x.status for x in await world.leads()}
    assert statuses == {GRADE12_SCHOOL: "withdrawn", OTHER: "active"}
    [withdrawn] = world.school.events("lead.withdrawn")
    assert withdrawn.json["lead_id"] == old.id
    assert withdrawn.json["school_id"] == GRADE12_SCHOOL
    created = [r.json["lead"]["school_id"] for r in world.school.events("lead.created")]
    assert sorted(created) == sorted([GRADE12_SCHOOL, OTHER])


async def test_nothing_to_correct_before_submitting(world: World) -> None:
    said = await world.say("newcomer", "sửa số điện thoại")
    assert "chưa có thông tin nào bạn đã gửi" in text(said)


async def test_a_grade9_resubmission_keeps_the_parents_confirmation(world: World) -> None:
    await hooks(world, GRADE12_SCHOOL)
    sink = SqlLeadSink(world.db)
    key = ConversationKey("web", "u9")
    first = submission("u9", (OTHER,), parent_confirmed=None, parent_pending=True)
    receipt = await sink.submit(first)
    assert receipt.parent_code is not None
    asked = await sink.parent_decide(
        # the body without the prefix: replace("PH-", "") also ate a body ending in "PH" (CI
        # failed once on such a random code)
        receipt.parent_code.code.removeprefix("PH-").replace("-", ""),
        ConversationKey("telegram", "mum"),
        True,
        world.clock.at,
    )
    assert not isinstance(asked, str)
    # the same child sends the survey again: the confirmed school's lead is updated, not held
    again = dataclasses.replace(
        first, run_id="again", submitted_at=first.submitted_at + dt.timedelta(hours=1)
    )
    receipt = await sink.submit(again)
    assert receipt.parent_code is None and receipt.updated == (OTHER,)
    [lead] = await world.leads()
    assert (lead.status, lead.parent_how, lead.revision) == ("active", "bot", 1)
    # a new school in a later submission waits for the parent again, with a new code
    third = dataclasses.replace(
        first,
        run_id="third",
        schools=(OTHER, GRADE12_SCHOOL),
        submitted_at=first.submitted_at + dt.timedelta(hours=2),
    )
    receipt = await sink.submit(third)
    assert receipt.parent_code is not None
    statuses = {x.school_id: x.status for x in await world.leads()}
    assert statuses == {OTHER: "active", GRADE12_SCHOOL: "awaiting_parent"}
    async with async_sessionmaker(world.db)() as session:
        codes = list(await session.scalars(select(ParentCodeRow.user_key)))
        held = list(
            await session.scalars(
                select(OutboxRow.status).where(OutboxRow.target == GRADE12_SCHOOL)
            )
        )
    assert set(codes) == {key.user_key}
    assert held == ["held"]  # the new school's delivery waits for the parent


async def test_grade9_lead_waits_and_correction_needs_no_second_lead(world: World) -> None:
    await hooks(world, "cd_cn_hung_yen")
    await grade9(world)
    asked = await world.say("student", "sửa lớp")
    assert "trường THCS nào, lớp mấy" in text(asked)
    await world.say("student", "THCS Mỹ Hào, 9C")
    sent = await world.say("student", "1")
    assert "đang chờ phụ huynh xác nhận" in text(sent)
    leads = await world.leads()
    assert [x.status for x in leads] == ["awaiting_parent"]  # still one lead, still waiting
    await world.deliver()
    assert world.school.received == []
    rows = await world.count(LeadRow)
    assert rows == 1
