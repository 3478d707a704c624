"""Data rights as the student and the parent live them (datarights, review3 C3, C4, D2): the
real engine and database, a fake school webhook (CRM) on 127.0.0.1, the real outbox worker
and the school portal over HTTP."""

from __future__ import annotations

import datetime as dt

from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.core.flows.data_words import DELETE, WORDS, command, wish
from bot.core.flows.parent_words import parent_helping
from bot.core.messages import ConversationKey
from bot.matching.normalize import fold
from bot.storage import parent_codes
from bot.storage.leads import SqlLeadSink
from bot.storage.models import ParentAttemptRow
from bot.storage.participation import ParticipationStore
from tests.drivers import GRADE12_SCHOOL
from tests.test_leads_update import OTHER, grade12, hooks
from tests.test_parent import World, code_in, grade9, text
from tests.test_parent import world as world
from tests.test_portal import NAME_B, Stack, get, signed_in
from tests.test_portal import stack as stack

B = "cd_lao_cai"  # tests.test_portal's school B


async def test_the_deletion_names_each_school_and_says_how_it_hears_of_it(world: World) -> None:
    await hooks(world, GRADE12_SCHOOL)  # the CRM of one school gets leads by webhook
    await ParticipationStore(world.db).switch(OTHER, True, "participate", world.clock.at)
    sent = await grade12(world)
    told, listed = (world.engine.catalog.school_name(s) for s in (GRADE12_SCHOOL, OTHER))
    assert told in sent and listed in sent  # "trường phù hợp": both receive the lead
    await world.deliver()
    [created] = world.school.events("lead.created")
    assert created.json["lead"]["school_id"] == GRADE12_SCHOOL

    mine = text(await world.say("student", "xem dữ liệu của tôi"))
    assert "Bạn đã gửi 1 khảo sát" in mine
    asked = await world.say("student", "em muốn xóa hết thông tin của em ạ")
    assert "Bạn muốn xóa dữ liệu của mình?" in text(asked)
    done = text(await world.press("student", "🗑 Xóa dữ liệu"))
    assert "Đã xóa thông tin cá nhân trong 1 khảo sát" in done
    # the school whose CRM had the lead is told, by the outbox; the other only sees it in
    # the portal, and the student gets its contact (or is told there is none)
    assert f"Mình đã gửi yêu cầu xóa thông tin của bạn tới {told}," in done
    assert f"{listed} có thể đã xem thông tin của bạn trên trang dành cho trường" in done
    assert f"• {listed}: " in done and f"• {told}:" not in done
    assert "có thể vẫn còn giữ" not in done

    await world.deliver()
    [notice] = world.school.events("lead.withdrawn")
    assert notice.json["reason"] == "data_erased"
    assert notice.json["lead_id"] == created.json["lead"]["lead_id"]
    assert "Trần Thị Bình" not in notice.body.decode()


async def test_a_deletion_before_any_delivery_tells_no_crm_and_says_so(world: World) -> None:
    await hooks(world, GRADE12_SCHOOL)
    await grade12(world)  # not delivered yet: the CRM never had it
    await world.say("student", "xoa du lieu cua toi")
    done = text(await world.press("student", "🗑 Xóa dữ liệu"))
    assert "Mình đã gửi yêu cầu xóa" not in done  # nothing is claimed that did not happen
    name = world.engine.catalog.school_name(GRADE12_SCHOOL)
    assert f"{name} có thể đã xem thông tin của bạn trên trang dành cho trường" in done
    await world.deliver()
    assert world.school.received == []  # the lead was never sent, and no notice either


async def test_the_portal_says_a_student_erased_their_data(stack: Stack) -> None:
    gone = await SqlLeadSink(stack.db).forget(ConversationKey("web", "b1"), dt.datetime.now(dt.UTC))
    assert gone.listed == (B,) and gone.told == ()  # school B has no webhook nor group
    async with await signed_in(stack, B) as http:
        status, html = await get(http, f"{stack.base}/truong")
        assert status == 200
        assert "Học sinh đã yêu cầu xóa dữ liệu" in html and "trường cần xóa mọi bản đã lưu" in html
        assert NAME_B not in html and "0913 000 222" not in html
        status, page = await get(http, f"{stack.base}/truong/hs/{stack.leads[NAME_B]}")
    assert status == 200 and "Học sinh đã yêu cầu xóa dữ liệu" in page and NAME_B not in page


async def attempts(world: World) -> int:
    async with world.db.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(ParentAttemptRow)) or 0)


async def test_a_locked_out_parent_is_told_until_when_and_a_new_code_works_at_once(
    world: World,
) -> None:
    old = code_in(await grade9(world))
    world.clock.at += dt.timedelta(minutes=1)
    for attempt in range(parent_codes.MAX_WRONG_PER_USER):
        assert "không đúng" in text(await world.say("mum", f"PH-WXYZ-{attempt + 2:04d}"))
    world.clock.at += dt.timedelta(minutes=10)
    refused = text(await world.say("mum", old))  # a code given before the lock still waits
    # the first wrong code was at 16:01 in Vietnam: the lock lifts an hour after it
    assert "quá nhiều lần" in refused and "đến 17:01" in refused and "gửi lại mã" in refused
    assert "Nội dung đồng ý" not in refused

    new = code_in(await world.say("student", "gửi lại mã"))  # the child asks for a new code
    assert new != old
    asked = text(await world.say("mum", new))
    assert "Nội dung đồng ý:" in asked and "Lê Thị Cúc" in asked
    assert await attempts(world) == 0  # the count starts again
    done = await world.press("mum", "✅ Tôi đồng ý")
    assert "đã được chuyển tới" in text(done)


async def test_a_locked_conversation_cannot_go_on_guessing(world: World) -> None:
    await grade9(world)
    for attempt in range(parent_codes.MAX_WRONG_LOCKED):  # the last five while locked
        said = text(await world.say("guesser", f"PH-WXYZ-{attempt + 2:04d}"))
        locked = attempt >= parent_codes.MAX_WRONG_PER_USER
        assert ("quá nhiều lần" in said) == locked and ("không đúng" in said) != locked
    assert await attempts(world) == parent_codes.MAX_WRONG_LOCKED  # every guess counts
    fresh = code_in(await world.say("student", "gửi lại mã"))
    refused = text(await world.say("guesser", fresh))  # even a new code, after ten wrong
    assert "quá nhiều lần" in refused and "Nội dung đồng ý" not in refused
    world.clock.at += parent_codes.WINDOW + dt.timedelta(seconds=1)
    assert "Nội dung đồng ý:" in text(await world.say("guesser", fresh))


async def test_when_everyone_is_refused_the_parent_is_told_until_when(world: World) -> None:
    code = code_in(await grade9(world))
    async with world.db.begin() as conn:  # guessing from many sessions
        await conn.execute(
            ParentAttemptRow.__table__.insert(),
            [{"who": f"bot{i}", "at": world.clock.at} for i in range(parent_codes.MAX_WRONG_ALL)],
        )
    world.clock.at += dt.timedelta(minutes=30)
    said = text(await world.say("mum", code))
    assert "tạm dừng nhận mã đến 17:00" in said and "Nội dung đồng ý" not in said


def test_requests_in_a_sentence_are_the_short_commands() -> None:
    for typed, payload in [
        ("e muon xoa het thong tin cua e", DELETE),
        ("Em muốn xóa hết thông tin của em ạ", DELETE),
        ("cho mình xoá dữ liệu cá nhân với", DELETE),
        ("bot ơi xóa toàn bộ dữ liệu của tớ đi", DELETE),
        ("mình muốn xem dữ liệu của mình", "data:view"),
        ("em muốn rút lại đồng ý", "data:withdraw"),
    ]:
        assert command(fold(typed), WORDS) == payload, typed
    for typed in ("xoa", "thong tin truong cao dang", "em muon xem thong tin nghe han", "du lieu"):
        assert command(fold(typed), WORDS) is None, typed


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
@example("XOADULIEU")  # Telegram's /xoadulieu typed as a word: CI's hypothesis once found it
def test_hostile_text_is_never_read_as_a_deletion_or_a_parent_without_saying_so(raw: str) -> None:
    folded = fold(raw)
    if command(folded, WORDS) == DELETE:
        # "xóa" said as a word, or the bot's own Telegram command (bot/channels/telegram.py)
        assert "xoa" in wish(folded).split() or wish(folded) == "xoadulieu"
    if parent_helping(folded):
        assert any(w in folded.split() for w in ("chau", "con", "be"))


def test_a_parent_asking_a_question_is_not_filling_in_the_survey() -> None:
    """A parent's question about fees is answered as a question (it got the "fill in for the
    child" help before the survey was mentioned at all)."""
    asking = "Tôi là phụ huynh của cháu Minh. Cháu vào trung cấp có mất học phí không ạ?"
    assert not parent_helping(fold(asking))
    assert parent_helping(fold("Tôi là mẹ của cháu, tôi làm khảo sát giúp cháu được không ạ?"))
    assert parent_helping(fold("mình là phụ huynh, điền hộ con được không"))
