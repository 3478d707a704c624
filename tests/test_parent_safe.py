"""parentsafe (review3 U1): the parent's confirmation is only as strong as what the bot can
know. No code without a parent's number; a confirmation is verified only by a phone the
platform vouches for (Telegram's own contact) equal to the parent's number given."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.catalog.text_keys import T
from bot.core.messages import VERIFIED_PHONE, Inbound, Reply
from bot.core.ports import ConversationKey
from bot.storage import parent_codes
from bot.storage.models import ParentAttemptRow, ParentCodeRow, ResponseRow
from tests.test_parent import GRADE9_TYPED, World, code_in, grade9, text
from tests.test_parent import world as world

MUM_PHONE = "+84987654321"


async def share(world: World, user: str, phone: str, channel: str = "telegram") -> list[Reply]:
    """A phone the platform vouches is the user's own (as the Telegram adapter sends it)."""
    return await world.engine.handle(Inbound(channel, user, shared=((VERIFIED_PHONE, phone),)))


async def test_later_gives_no_code_and_an_old_code_without_a_number_is_refused(
    world: World,
) -> None:
    for typed in GRADE9_TYPED[:-2]:  # up to the parent's number
        await world.say("student", typed)
    await world.press("student", "Bỏ qua, để sau")
    sent = text(await world.say("student", "1"))
    assert "sửa số phụ huynh" in sent and "PH-" not in sent
    assert await world.count(ParentCodeRow) == 0
    assert [lead.status for lead in await world.leads()] == ["awaiting_parent"]
    asked = text(await world.say("student", "mã phụ huynh"))
    assert world.engine.catalog.text(T.PARENT_NEED_PHONE) in asked
    assert await world.count(ParentCodeRow) == 0

    # a code given before this rule, for answers with no parent's number: refused, and not
    # counted as a wrong code
    sessions = async_sessionmaker(world.db, expire_on_commit=False)
    async with sessions() as session, session.begin():
        response_id = await session.scalar(select(ResponseRow.id))
        assert response_id is not None
        old = await parent_codes.new_code(
            session, response_id, ConversationKey("test", "student"), world.clock.at
        )
    refused = text(await world.say("mum", old.code, channel="web"))
    assert world.engine.catalog.text(T.PARENT_CODE_NO_PHONE) in refused
    assert "Học sinh:" not in refused
    assert await world.count(ParentAttemptRow) == 0
    assert [lead.status for lead in await world.leads()] == ["awaiting_parent"]


async def test_a_verified_confirmation_needs_the_platforms_phone_and_the_same_number(
    world: World,
) -> None:
    code = code_in(await grade9(world))
    await world.say("mum", code, channel="web")
    # the web chat cannot vouch for a phone: a "shared" phone there confirms nothing
    await share(world, "mum", MUM_PHONE, channel="web")
    assert [lead.parent_how for lead in await world.leads()] == [None]
    # typing the number is not sharing it
    assert "Cảm ơn" not in text(await world.say("mum", "0987654321", channel="web"))
    assert [lead.parent_how for lead in await world.leads()] == [None]

    await world.say("dad", code, channel="telegram")
    done = text(await share(world, "dad", "84987654321", channel="telegram"))
    assert "đúng là số con đã nhập" in done
    assert [lead.parent_how for lead in await world.leads()] == ["bot_verified"]
    await world.deliver()
    lead = world.school.events("lead.created")[0].json["lead"]
    assert lead["parent_confirmation"]["how"] == "bot"
    assert lead["parent_confirmation"]["verified"] is True

    # the student changes the parent's number: the number verified is no longer it
    await world.say("student", "sửa số phụ huynh")
    await world.say("student", "0977888999")
    await world.say("student", "đúng")
    await world.say("student", "1")
    assert [lead.parent_how for lead in await world.leads()] == ["bot"]
    await world.deliver()
    updated = world.school.events("lead.updated")[-1].json["lead"]
    assert updated["parent_confirmation"]["verified"] is False
