"""A school that phones the parent records the answer in the portal (issue 12, part 2's last
sentence): the real app and database (SQLite and PostgreSQL), a fake school webhook and the
real outbox worker. A waiting lead shows what the school needs to call the parent; "Phụ huynh
đã xác nhận qua điện thoại" releases it as a confirmation in the bot does, once; a decline ends
it; the audit log names who and when; another school's lead cannot be reached."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.catalog import Catalog
from bot.leads import parent
from bot.leads.outbox import OutboxWorker
from bot.settings import Settings
from bot.storage.db import make_engine
from bot.storage.leads import SqlLeadSink
from bot.storage.models import AuditRow, ConsentRow, ContactRow, LeadRow
from bot.storage.schools import SchoolStore
from bot.web.app import create_app
from tests.fakes.school_webhook import FakeSchool
from tests.test_leads import FAST, drain, submission
from tests.test_portal import A, B, browser, csv_names, field, get, person, sign_in

NOW = dt.datetime.now(dt.UTC)
WAITING, OTHER, THEIRS = "Phạm Thị Chờ", "Đỗ Văn Hai", "Vũ Thị Ba"
STUDENT_PHONE, PARENT_PHONE = "+84915000444", "+84987000555"


@dataclass
class PhoneStack:
    """The app, its database, school A's webhook, the outbox worker, the lead ids."""

    server: TestServer
    db: AsyncEngine
    school: FakeSchool
    worker: OutboxWorker
    http: aiohttp.ClientSession
    leads: dict[str, str]  # student name -> lead id

    @property
    def base(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    async def signed_in(self, school: str = A) -> aiohttp.ClientSession:
        from bot.storage.access import AccessStore

        secret = await AccessStore(self.db).new_invite(
            "school", school, dt.datetime.now(dt.UTC), "Thầy Minh, tuyển sinh"
        )
        client = browser()
        r = await sign_in(client, self.base, secret)
        assert r.status == 303
        return client

    async def deliver(self) -> None:
        await drain(self.worker, self.http, rounds=3)

    async def state(self, name: str) -> str:
        async with self.db.connect() as conn:
            found = await conn.scalar(select(LeadRow.status).where(LeadRow.id == self.leads[name]))
        return str(found)

    async def count(self, model: type, *where: object) -> int:
        async with self.db.connect() as conn:
            query = select(func.count()).select_from(model)
            for clause in where:
                query = query.where(clause)  # type: ignore[arg-type]
            return int(await conn.scalar(query) or 0)


async def waiting_leads(db: AsyncEngine) -> dict[str, str]:
    """Two leads of school A and one of school B, each waiting for its parent."""
    sink = SqlLeadSink(db)
    names: dict[str, str] = {}
    for user, school, name, phone in (
        ("w1", A, WAITING, STUDENT_PHONE),
        ("w2", A, OTHER, "+84915000666"),
        ("w3", B, THEIRS, "+84915000777"),
    ):
        receipt = await sink.submit(
            submission(
                user,
                (school,),
                personal=person(name, phone) | {"parent_consent": PARENT_PHONE},
                parent_confirmed=None,
                parent_pending=True,
            )
        )
        assert receipt.parent_code is not None
        async with db.connect() as conn:
            names[name] = str(
                await conn.scalar(
                    select(LeadRow.id).where(LeadRow.response_id == receipt.response_id)
                )
            )
    return names


@pytest.fixture
async def phone(catalog: Catalog, database_url: str, tmp_path: Path) -> AsyncIterator[PhoneStack]:
    settings = Settings(data_dir=tmp_path, database_url=database_url)
    server = TestServer(create_app(settings, catalog), host="127.0.0.1")
    await server.start_server()
    db = make_engine(database_url)
    school = await FakeSchool().start()
    await SchoolStore(db).set_webhook(A, school.url, NOW)
    worker = OutboxWorker(db, catalog, FAST, now=lambda: dt.datetime.now(dt.UTC))
    try:
        leads = await waiting_leads(db)
        async with aiohttp.ClientSession() as http:
            yield PhoneStack(server, db, school, worker, http, leads)
    finally:
        await school.close()
        await server.close()
        await db.dispose()


async def answer(
    client: aiohttp.ClientSession, stack: PhoneStack, lead: str, value: str
) -> tuple[int, str]:
    """Open the lead's page and press the button with this value; status and Location."""
    _, html = await get(client, f"{stack.base}/truong/hs/{lead}")
    form = {"csrf": field(html, "csrf"), "y_kien": value}
    async with client.post(
        f"{stack.base}/truong/hs/{lead}/phu-huynh", data=form, allow_redirects=False
    ) as r:
        return r.status, r.headers.get("Location", "")


async def test_a_waiting_lead_shows_what_the_school_needs_to_phone_the_parent(
    phone: PhoneStack,
) -> None:
    async with await phone.signed_in(A) as client:
        status, html = await get(client, f"{phone.base}/truong")
        assert status == 200 and WAITING in html and OTHER in html and THEIRS not in html
        assert "Chờ phụ huynh xác nhận" in html
        assert 'href="tel:+84987000555">0987 000 555</a>' in html  # the parent's, to call
        assert "0915 000 444" not in html and STUDENT_PHONE not in html  # never the student's
        assert "card withdrawn" not in html  # waiting is not withdrawn
        status, html = await get(client, f"{phone.base}/truong?trang_thai=cho_phu_huynh")
        assert status == 200 and "2 học sinh" in html
        status, html = await get(client, f"{phone.base}/truong?trang_thai=moi")
        assert WAITING not in html  # only leads the school has take a portal status
        status, page = await get(client, f"{phone.base}/truong/hs/{phone.leads[WAITING]}")
        assert status == 200 and "Phụ huynh xác nhận qua điện thoại" in page
        assert 'value="dong_y"' in page and 'value="khong_dong_y"' in page
        assert 'name="trang_thai"' not in page  # no status before the school has the lead
        assert STUDENT_PHONE not in page and "0915 000 444" not in page
        async with client.get(f"{phone.base}/truong/xuat?dinh_dang=csv") as r:
            assert csv_names(await r.read()) == []  # never exported while waiting
    await phone.deliver()
    assert phone.school.received == []


async def test_a_confirmation_by_phone_releases_the_lead_once_and_is_audited(
    phone: PhoneStack,
) -> None:
    lead = phone.leads[WAITING]
    async with await phone.signed_in(A) as client:
        assert await answer(client, phone, lead, "dong_y") == (
            303,
            f"/truong/hs/{lead}?ph=confirmed",
        )
        _, page = await get(client, f"{phone.base}/truong/hs/{lead}?ph=confirmed")
        assert "Đã ghi nhận: phụ huynh đồng ý qua điện thoại" in page
        assert "phụ huynh đã đồng ý qua điện thoại với trường lúc" in page  # how, and when
        assert "0915 000 444" in page  # the school has the lead now
        assert "Phụ huynh xác nhận qua điện thoại: đồng ý" in page  # the audit log …
        assert "Thầy Minh, tuyển sinh" in page  # … names who
        assert 'name="trang_thai"' in page  # and the lead takes statuses
        # released as a confirmation in the bot releases it: lead.created, how = school_phone
        await phone.deliver()
        [created] = phone.school.events("lead.created")
        assert created.json["lead"]["lead_id"] == lead
        assert created.json["lead"]["parent_confirmation"]["how"] == "school_phone"
        assert created.json["lead"]["parent"]["confirmed"] is True
        # a second press (a double click, a colleague) and a late "no" change nothing
        assert await answer(client, phone, lead, "dong_y") == (
            303,
            f"/truong/hs/{lead}?ph=already_confirmed",
        )
        _, page = await get(client, f"{phone.base}/truong/hs/{lead}?ph=already_confirmed")
        assert "Phụ huynh đã xác nhận từ trước" in page
        async with client.post(
            f"{phone.base}/truong/hs/{lead}/phu-huynh",
            data={"csrf": field(page, "csrf"), "y_kien": "khong_dong_y"},
            allow_redirects=False,
        ) as r:
            assert r.headers["Location"].endswith("?ph=already_confirmed")
    await phone.deliver()
    assert len(phone.school.received) == 1
    assert await phone.state(WAITING) == "active"
    assert await phone.count(AuditRow, AuditRow.action == "parent") == 1
    assert await phone.count(ConsentRow, ConsentRow.purpose == "parent_consent") == 1
    assert await phone.state(OTHER) == "awaiting_parent"  # the other student still waits


async def test_a_decline_by_phone_ends_the_lead_and_drops_the_contact(phone: PhoneStack) -> None:
    lead = phone.leads[OTHER]
    async with await phone.signed_in(A) as client:
        assert (await answer(client, phone, lead, "khong_dong_y"))[1].endswith("?ph=declined")
        status, page = await get(client, f"{phone.base}/truong/hs/{lead}?ph=declined")
        assert status == 200 and "Đã ghi nhận: phụ huynh không đồng ý" in page
        assert OTHER not in page and "0987 000 555" not in page
        assert "Phụ huynh trả lời qua điện thoại: không đồng ý" in page
        assert "Thầy Minh, tuyển sinh" in page
        _, html = await get(client, f"{phone.base}/truong")
        assert OTHER not in html and "Phụ huynh không đồng ý" in html
        # declined stays declined: a later "yes" changes nothing
        assert (await answer(client, phone, lead, "dong_y"))[1].endswith("?ph=ended")
    assert await phone.state(OTHER) == "declined"
    await phone.deliver()
    assert phone.school.received == []
    async with phone.db.connect() as conn:
        response = await conn.scalar(select(LeadRow.response_id).where(LeadRow.id == lead))
        assert await conn.scalar(
            select(func.count()).select_from(ContactRow).where(ContactRow.response_id == response)
        ) == 0  # fmt: skip


async def test_another_schools_lead_and_bad_forms_change_nothing(phone: PhoneStack) -> None:
    theirs, mine = phone.leads[THEIRS], phone.leads[WAITING]
    async with await phone.signed_in(A) as client:
        _, html = await get(client, f"{phone.base}/truong/hs/{mine}")
        csrf = field(html, "csrf")
        for lead in (theirs, "0" * 32, "x" * 33, "%00", "..%2F" + theirs):
            async with client.post(
                f"{phone.base}/truong/hs/{lead}/phu-huynh",
                data={"csrf": csrf, "y_kien": "dong_y", "school_id": B},
            ) as r:
                assert r.status == 404, lead
                assert THEIRS not in await r.text()
        for form in (
            {"y_kien": "dong_y"},
            {"y_kien": "dong_y", "csrf": ""},
            {"y_kien": "dong_y", "csrf": csrf + "x"},
        ):
            async with client.post(f"{phone.base}/truong/hs/{mine}/phu-huynh", data=form) as r:
                assert r.status == 403
        for value in ("", "yes", "dong_y ", "ĐỒNG Ý"):
            async with client.post(
                f"{phone.base}/truong/hs/{mine}/phu-huynh", data={"csrf": csrf, "y_kien": value}
            ) as r:
                assert r.status == 400 and "Lựa chọn không hợp lệ" in await r.text()
    async with (
        browser() as anonymous,
        anonymous.post(f"{phone.base}/truong/hs/{mine}/phu-huynh", data={"y_kien": "dong_y"}) as r,
    ):
        assert r.status == 401
    assert await phone.state(THEIRS) == "awaiting_parent"
    assert await phone.state(WAITING) == "awaiting_parent"
    assert await phone.count(AuditRow) == 0


async def test_two_answers_at_once_release_the_lead_once(phone: PhoneStack) -> None:
    lead = phone.leads[WAITING]
    outcomes = await asyncio.gather(
        *(parent.record_parent_answer(phone.db, lead, A, True, 7) for _ in range(4)),
        parent.record_parent_answer(phone.db, lead, A, False, 8),
    )
    assert outcomes.count(parent.CONFIRMED) + outcomes.count(parent.DECLINED) == 1
    assert await phone.count(AuditRow, AuditRow.action == "parent") == 1
    await phone.deliver()
    final = await phone.state(WAITING)
    assert len(phone.school.events("lead.created")) == (1 if final == "active" else 0)
    assert await parent.record_parent_answer(phone.db, lead, B, True, 7) is None  # not B's


async def test_the_school_sees_a_confirmation_made_in_the_bot(phone: PhoneStack) -> None:
    lead = phone.leads[WAITING]
    assert await parent.record_parent_confirmation(phone.db, lead, A, how="bot")
    async with await phone.signed_in(A) as client:
        _, page = await get(client, f"{phone.base}/truong/hs/{lead}")
        assert "phụ huynh đã đồng ý trong bot lúc" in page
        assert "qua điện thoại với trường" not in page
        # parentsafe: who typed the code is not known: the school phones the parent first
        assert "Chưa xác minh được người đồng ý: trường cần gọi số phụ huynh" in page
        async with phone.db.begin() as conn:  # as a parent's own Telegram phone verifies it
            await conn.execute(
                update(LeadRow).where(LeadRow.id == lead).values(parent_how="bot_verified")
            )
        _, page = await get(client, f"{phone.base}/truong/hs/{lead}")
        assert "phụ huynh đã đồng ý trong bot lúc" in page
        assert "Số phụ huynh đã được xác minh qua Telegram" in page
        assert "Chưa xác minh" not in page
    assert await phone.count(AuditRow) == 0  # the parent did it, not the school's staff


async def test_the_command_line_confirmation_is_audited_as_such(phone: PhoneStack) -> None:
    lead = phone.leads[WAITING]
    assert await parent.record_parent_confirmation(phone.db, lead, A)
    async with await phone.signed_in(A) as client:
        _, page = await get(client, f"{phone.base}/truong/hs/{lead}")
    assert "lệnh huongnghiep parent confirm" in page
    assert "phụ huynh đã đồng ý qua điện thoại với trường lúc" in page


def table(rows: list[list[str]]) -> dict[str, dict[str, str]]:
    """Rows of an export by the student's name: header -> cell."""
    head, *body = rows
    name = head.index("Họ tên")
    return {row[name]: dict(zip(head, row, strict=True)) for row in body}


async def test_exports_hold_status_note_and_how_the_parent_confirmed(phone: PhoneStack) -> None:
    import csv
    import io

    import openpyxl

    by_phone, by_bot = phone.leads[WAITING], phone.leads[OTHER]
    assert await parent.record_parent_confirmation(phone.db, by_bot, A, how="bot")
    note = '=HYPERLINK("http://x","bấm")'
    async with await phone.signed_in(A) as client:
        assert (await answer(client, phone, by_phone, "dong_y"))[1].endswith("?ph=confirmed")
        _, html = await get(client, f"{phone.base}/truong/hs/{by_phone}")
        form = {"csrf": field(html, "csrf"), "trang_thai": "da_lien_he", "ghi_chu": note}
        async with client.post(f"{phone.base}/truong/hs/{by_phone}", data=form) as r:
            assert r.status == 200
        _, html = await get(client, f"{phone.base}/truong/hs/{by_bot}")
        form = {"csrf": field(html, "csrf"), "trang_thai": "da_dang_ky", "ghi_chu": "+84 gọi lại"}
        async with client.post(f"{phone.base}/truong/hs/{by_bot}", data=form) as r:
            assert r.status == 200
        async with client.get(f"{phone.base}/truong/xuat?dinh_dang=csv") as r:
            raw = (await r.read()).decode("utf-8-sig")
        async with client.get(f"{phone.base}/truong/xuat?dinh_dang=xlsx") as r:
            book = openpyxl.load_workbook(io.BytesIO(await r.read()))
    rows = table(list(csv.reader(io.StringIO(raw, newline=""))))
    assert set(rows) == {WAITING, OTHER}  # B's waiting lead is not A's
    mine, other = rows[WAITING], rows[OTHER]
    assert (mine["Trạng thái"], mine["Ghi chú"]) == ("Đã liên hệ", "'" + note)  # neutralised
    assert mine["Phụ huynh xác nhận qua"] == "Trường gọi điện"
    assert mine["Thời điểm phụ huynh xác nhận"] != "" and mine["Phụ huynh đồng ý"] == "Có"
    assert (other["Trạng thái"], other["Ghi chú"]) == ("Đã đăng ký học", "'+84 gọi lại")
    assert other["Phụ huynh xác nhận qua"] == "Bot (chưa xác minh: gọi phụ huynh trước)"
    sheet = book.active
    assert sheet is not None
    cells = [list(row) for row in sheet.iter_rows()]
    head = [c.value for c in cells[0]]
    assert head[-2:] == ["Trạng thái", "Ghi chú"]
    by_name = {str(row[head.index("Họ tên")].value): row for row in cells[1:]}
    noted = by_name[WAITING][head.index("Ghi chú")]
    assert noted.value == note and noted.data_type == "s"  # the text as typed, never a formula
    assert by_name[WAITING][head.index("Trạng thái")].value == "Đã liên hệ"
    how = by_name[OTHER][head.index("Phụ huynh xác nhận qua")].value
    assert how == "Bot (chưa xác minh: gọi phụ huynh trước)"  # parentsafe: a typed code
