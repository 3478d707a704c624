"""The whole app with Telegram (a fake Bot API on 127.0.0.1): a grade 9 student's lead reaches
the school's staff group only after a parent opens the t.me link (or the web chat) and confirms;
a correction is posted to the group as an update (issue 12, parent)."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

from aiohttp.test_utils import TestServer
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.schools import SchoolStore
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
