"""The issue's acceptance path over HTTP: a grade 9 survey through POST /api/chat, the signed
webhook at the school's fake CRM, and GET /api/leads for that school and no other."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import openpyxl
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.catalog import Catalog
from bot.leads.signing import SIGNATURE_HEADER
from bot.settings import Settings
from bot.storage.db import make_engine
from bot.storage.schools import SchoolStore
from bot.web.app import create_app
from tests.fakes.school_webhook import FakeSchool

NOW = dt.datetime.now(dt.UTC)


class WebUser:
    """A student on the web chat: sends text, presses buttons by label."""

    def __init__(self, http: aiohttp.ClientSession, base: str, session: str) -> None:
        self.http, self.base, self.session = http, base, session
        self.last: list[dict[str, Any]] = []

    async def send(self, text: str | None = None, payload: str | None = None) -> str:
        body = (
            {"session": self.session, "text": text}
            if text is not None
            else {
                "session": self.session,
                "payload": payload,
            }
        )
        async with self.http.post(f"{self.base}/api/chat", json=body) as response:
            assert response.status == 200, await response.text()
            self.last = (await response.json())["replies"]
        return "\n".join(r["text"] for r in self.last)

    async def press(self, label: str) -> str:
        buttons = {b["label"]: b["payload"] for r in self.last for b in r["buttons"]}
        assert label in buttons, f"no button {label!r} in {list(buttons)}"
        return await self.send(payload=buttons[label])


GRADE9 = [
    ("payload", "survey:start"),
    ("press", "Khảo sát nguyện vọng sau lớp 9"),
    ("press", "Học trung cấp"),
    ("text", "điện công nghiệp"),
    ("text", "xong"),  # tradestep: a typed trade is ticked; "xong" ends the step
    ("press", "Trường Cao đẳng Long An"),
    ("press", "✔ Xong"),
    ("text", "Long An"),
    ("press", "Đúng"),
    ("press", "Bỏ qua"),
    ("press", "Đồng ý"),
    ("text", "Nguyễn Văn An"),  # a name is letters only: the formula goes in the school
    ("text", '=HYPERLINK("http://evil.example","THCS Lê Lợi, 9A")'),
    ("text", "0912345678"),
    ("text", "0987654321"),
    ("press", "Đúng"),  # the parent's number; the parent confirms on their own phone
]


async def play(user: WebUser, steps: list[tuple[str, str]]) -> None:
    """Send each step: a payload, a button pressed by label, or typed text."""
    for kind, value in steps:
        if kind == "payload":
            await user.send(payload=value)
        elif kind == "press":
            await user.press(value)
        else:
            await user.send(text=value)


async def submit_and_confirm(user: WebUser) -> str:
    """ "✅ Gửi", then a parent confirms with the code in another web chat session (parent,
    issue 12); what the student and then the parent read."""
    sent = await user.press("✅ Gửi")
    code = re.search(r"PH-[A-Z0-9]{4}-[A-Z0-9]{4}", sent)
    assert code is not None, sent
    parent = WebUser(user.http, user.base, user.session + "-parent")
    await parent.send(text=code.group(0))
    return sent + "\n" + await parent.press("✅ Tôi đồng ý")


async def complete_grade9(user: WebUser) -> str:
    await play(user, GRADE9)
    return await submit_and_confirm(user)


@pytest.fixture
async def stack(
    catalog: Catalog, database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[TestServer, AsyncEngine]]:
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        outbox_poll=0.1,
        retry_base=0.05,
        webhook_timeout=2.0,
    )
    server = TestServer(create_app(settings, catalog), host="127.0.0.1")
    await server.start_server()
    db = make_engine(database_url)
    try:
        yield server, db
    finally:
        await server.close()
        await db.dispose()


async def test_grade9_survey_to_signed_webhook_and_csv_for_that_school_only(
    stack: tuple[TestServer, AsyncEngine],
) -> None:
    server, db = stack
    school = await FakeSchool().start()
    try:
        schools = SchoolStore(db)
        secret = await schools.set_webhook("cd_long_an", school.url, NOW)
        token_a = await schools.new_token("school", "cd_long_an", NOW)
        token_b = await schools.new_token("school", "cd_lao_cai", NOW)
        base = str(server.make_url("")).rstrip("/")
        async with aiohttp.ClientSession() as http:
            done = await complete_grade9(WebUser(http, base, "student-grade9-01"))
            assert "đã được chuyển tới: Trường Cao đẳng Long An" in done
            await school.wait_for(1, timeout=10)  # "within seconds"
            [hook] = school.received
            assert hook.signed_with(secret)
            assert hook.headers[SIGNATURE_HEADER].startswith("sha256=")
            lead = hook.json["lead"]
            assert lead["school_id"] == "cd_long_an"
            assert lead["student"]["phone"] == "+84912345678"
            assert lead["parent"] == {"phone": "+84987654321", "confirmed": True}
            assert lead["province"]["id"] == "tay_ninh"

            headers = {"Authorization": f"Bearer {token_a}"}
            async with http.get(f"{base}/api/leads?format=csv", headers=headers) as r:
                assert r.status == 200
                assert r.headers["Content-Type"].startswith("text/csv")
                raw = await r.read()
            assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
            rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
            assert rows[0][:5] == ["Mã", "Thời gian", "Khảo sát", "Lớp", "Họ tên"]
            assert len(rows) == 2 and rows[1][0] == lead["lead_id"]
            assert rows[1][4] == "Nguyễn Văn An"
            school_class = rows[1][5]
            assert school_class.startswith("'=HYPERLINK(")  # neutralized: a spreadsheet shows text
            assert rows[1][6] == "'+84912345678"

            other = {"Authorization": f"Bearer {token_b}"}
            async with http.get(f"{base}/api/leads?format=json", headers=other) as r:
                assert r.status == 200
                assert (await r.json())["leads"] == []
            async with http.get(f"{base}/api/leads?format=csv", headers=other) as r:
                text = (await r.read()).decode("utf-8-sig")
            assert lead["lead_id"] not in text and "0912345678" not in text

            async with http.get(f"{base}/api/leads?format=xlsx", headers=headers) as r:
                assert r.status == 200
                book = openpyxl.load_workbook(io.BytesIO(await r.read()))
            sheet = book.active
            assert sheet is not None
            cell = sheet.cell(row=2, column=6)
            # a text cell (never a formula), shown as typed: no apostrophe in XLSX
            assert cell.data_type == "s"
            assert cell.value == '=HYPERLINK("http://evil.example","THCS Lê Lợi, 9A")'

            exports = await schools.exports("cd_long_an")
            assert [(e.format, e.rows) for e in exports] == [("csv", 1), ("xlsx", 1)]
            assert [(e.format, e.rows) for e in await schools.exports("cd_lao_cai")] == [
                ("json", 0),
                ("csv", 0),
            ]
    finally:
        await school.close()


async def test_leads_api_refuses_without_a_valid_token(
    stack: tuple[TestServer, AsyncEngine],
) -> None:
    server, db = stack
    admin = await SchoolStore(db).new_token("admin", None, NOW)
    base = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http:
        for headers in (
            {},
            {"Authorization": "Bearer "},
            {"Authorization": "Bearer hns_forged"},
            {"Authorization": "Basic dXNlcjpwYXNz"},
            {"Authorization": f"Bearer {admin}"},  # an officials' token is not a school's
        ):
            async with http.get(f"{base}/api/leads?format=csv", headers=headers) as r:
                assert r.status == 401
                assert "WWW-Authenticate" in r.headers
                assert "error" in await r.json()


async def test_leads_api_format_and_since(stack: tuple[TestServer, AsyncEngine]) -> None:
    server, db = stack
    token = await SchoolStore(db).new_token("school", "cd_long_an", NOW)
    base = str(server.make_url("")).rstrip("/")
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as http:
        await complete_grade9(WebUser(http, base, "student-since-01"))
        async with http.get(f"{base}/api/leads?format=pdf", headers=headers) as r:
            assert r.status == 400
        async with http.get(f"{base}/api/leads?since=hôm-qua", headers=headers) as r:
            assert r.status == 400
        async with http.get(f"{base}/api/leads?since=2000-01-01", headers=headers) as r:
            assert len((await r.json())["leads"]) == 1
        tomorrow = (NOW + dt.timedelta(days=2)).date().isoformat()
        async with http.get(f"{base}/api/leads?since={tomorrow}", headers=headers) as r:
            assert (await r.json())["leads"] == []
