"""The whole app with Telegram (a fake Bot API on 127.0.0.1): a grade 9 student's lead reaches
the school's staff group only after a parent opens the t.me link (or the web chat) and confirms;
a correction is posted to the group as an update (issue 12, parent)."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

from aiohttp.test_utils import TestServer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.catalog import load_catalog
from bot.leads.records import lead_dict
from bot.storage.models import LeadRow
from bot.storage.schools import SchoolStore
from tests.conftest import CONTENT
from tests.drivers import TelegramChat, WebChat
from tests.fakes.telegram_api import FakeTelegramApi
from tests.test_telegram_schools import _wait_for
from tests.test_telegram_schools import fake as fake
from tests.test_telegram_schools import stack as stack

STAFF_GROUP = -1002222
STUDENT = 7001
MUM = 7002
SCHOOL = "cd_cn_hung_yen"
GRADE9 = [
    "khao sat lop 9",
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


async def test_the_group_gets_the_lead_after_the_parent_confirms_and_then_its_update(
    stack: tuple[TestServer, AsyncEngine, str],
    fake: FakeTelegramApi,
) -> None:
    server, db, secret = stack
    code = await SchoolStore(db).new_link_code(SCHOOL, dt.datetime.now(dt.UTC))
    staff = TelegramChat(server, fake, secret, STAFF_GROUP, "supergroup")
    assert "Đã liên kết" in await staff.say(f"/link {code}")

    student = TelegramChat(server, fake, secret, STUDENT)
    for typed in GRADE9:
        await student.say(typed)
    sent = await student.say("1")  # "✅ Gửi"
    assert "đang chờ phụ huynh xác nhận" in sent
    link = re.search(r"https://t\.me/(\w+)\?start=(PH[A-Z0-9]{8})", sent)
    assert link is not None, sent
    assert "https://bot.example.edu.vn/?ma=" + link.group(2) in sent
    await asyncio.sleep(0.5)  # the outbox polls every 0.1 s: nothing is due
    assert not any("Học sinh mới" in m["text"] for m in fake.messages(STAFF_GROUP))

    # the parent opens the t.me link on the parent's own Telegram: /start PHABCD2345
    mum = TelegramChat(server, fake, secret, MUM)
    asked = await mum.say(f"/start {link.group(2)}")
    assert "Học sinh: Lê Thị Cúc" in asked and "Nội dung đồng ý:" in asked
    # the web chat reads the same code (another session), before anyone decides
    web = WebChat(server, "parent-web-session")
    assert "Học sinh: Lê Thị Cúc" in await web.say(link.group(2)[:2] + "-" + link.group(2)[2:])
    assert "Cảm ơn anh/chị" in await mum.press("✅ Tôi đồng ý")
    posted = await _wait_for(fake, STAFF_GROUP, "Học sinh mới đồng ý")
    assert "Họ tên: Lê Thị Cúc" in posted
    # decided: the web chat's copy of the request is spent too
    assert "đã được dùng" in await web.say("đồng ý")

    # a correction reaches the group as an update of the same lead
    assert "Số điện thoại" in await student.say("sửa số điện thoại")
    await student.say("0912000111")
    assert "bản đã sửa" in await student.say("1")
    updated = await _wait_for(fake, STAFF_GROUP, "đã sửa thông tin")
    assert "+84912000111" in updated


# -- parentsafe: a parent on Telegram can verify the confirmation with their own phone --


async def _parent_request(
    server: TestServer, fake: FakeTelegramApi, secret: str, student_id: int, mum_id: int
) -> TelegramChat:
    """A grade 9 student submits on Telegram; mum opens the t.me link on her own Telegram."""
    student = TelegramChat(server, fake, secret, student_id)
    for typed in GRADE9:
        await student.say(typed)
    sent = await student.say("1")  # "✅ Gửi"
    link = re.search(r"\?start=(PH[A-Z0-9]{8})", sent)
    assert link is not None, sent
    mum = TelegramChat(server, fake, secret, mum_id)
    asked = await mum.say(f"/start {link.group(1)}")
    assert "Học sinh: Lê Thị Cúc" in asked and "xác minh số điện thoại" in asked
    return mum


async def _link(server: TestServer, fake: FakeTelegramApi, secret: str, db: AsyncEngine) -> None:
    """The school's staff group is linked: the school takes leads."""
    code = await SchoolStore(db).new_link_code(SCHOOL, dt.datetime.now(dt.UTC))
    staff = TelegramChat(server, fake, secret, STAFF_GROUP, "supergroup")
    assert "Đã liên kết" in await staff.say(f"/link {code}")


async def _how(db: AsyncEngine) -> list[str | None]:
    async with db.connect() as conn:
        return list(await conn.scalars(select(LeadRow.parent_how).order_by(LeadRow.created_at)))


async def test_a_parent_who_shares_her_own_telegram_phone_confirms_verified(
    stack: tuple[TestServer, AsyncEngine, str],
    fake: FakeTelegramApi,
) -> None:
    server, db, secret = stack
    await _link(server, fake, secret, db)
    mum = await _parent_request(server, fake, secret, STUDENT, MUM)
    # Telegram's "share my phone number" button: a reply keyboard, not an inline button
    assert mum.contact_button() == "📱 Đồng ý và xác minh số điện thoại"
    # the child's phone holding mum's contact card: not mum's own, so no answer to the request
    assert "Cảm ơn" not in await mum.share_contact("84987654321", own=False)
    assert await _how(db) == [None]
    said = await mum.share_contact("84987654321")  # Telegram sends it without "+"
    assert "Cảm ơn anh/chị" in said and "đúng là số con đã nhập" in said
    assert await _how(db) == ["bot_verified"]
    record = (await SchoolStore(db).leads(SCHOOL))[0]
    assert lead_dict(record, load_catalog(CONTENT))["parent_confirmation"]["verified"] is True


async def test_a_phone_that_is_not_the_parents_number_confirms_unverified(
    stack: tuple[TestServer, AsyncEngine, str],
    fake: FakeTelegramApi,
) -> None:
    server, db, secret = stack
    await _link(server, fake, secret, db)
    mum = await _parent_request(server, fake, secret, STUDENT + 10, MUM + 10)
    said = await mum.share_contact("+84911222333")  # someone's own phone, not the one given
    assert "Cảm ơn anh/chị" in said and "không phải số con đã nhập (0987 654 321)" in said
    assert await _how(db) == ["bot"]
    # the button without a phone is the same as ever, and says the school phones first
    other = await _parent_request(server, fake, secret, STUDENT + 20, MUM + 20)
    said = await other.press("✅ Tôi đồng ý")
    assert "Bot không kiểm tra được ai đã nhập mã" in said and "gọi số 0987 654 321" in said
    assert await _how(db) == ["bot", "bot"]
