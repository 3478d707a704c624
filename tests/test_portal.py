"""The school portal over HTTP on SQLite and PostgreSQL: one-time sign-in links, the cookie,
CSRF, a school's own leads and nothing else (pages, URL tampering, forged forms, exports),
statuses with a note and their audit log, filters, withdrawn leads, sign-out."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import os
import re
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import openpyxl
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.catalog import Catalog
from bot.core.messages import ConversationKey
from bot.settings import Settings
from bot.storage.access import AccessStore
from bot.storage.db import make_engine
from bot.storage.lead_status import count_by_status
from bot.storage.leads import SqlLeadSink
from bot.storage.models import AuditRow, LeadRow, LeadStatusRow
from bot.web.app import create_app
from tests.test_leads import submission

NOW = dt.datetime.now(dt.UTC)
A, B = "cd_long_an", "cd_lao_cai"
NAME_A, NAME_A2, NAME_B = "Nguyễn Văn An", "Trần Thị Hoa", "Lê Văn Bình"


def person(name: str, phone: str) -> dict[str, str]:
    return {"name": name, "school_class": "THCS Lê Lợi 9A", "phone": phone,
            "parent_consent": "+84987654321"}  # fmt: skip


@dataclass
class Stack:
    """The app, its database, and the ids of the leads made for the test."""

    server: TestServer
    db: AsyncEngine
    settings: Settings
    leads: dict[str, str]  # student name -> lead id

    @property
    def base(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    async def invite(self, school: str | None = A, label: str | None = None) -> str:
        role = "school" if school else "official"
        return await AccessStore(self.db).new_invite(role, school, dt.datetime.now(dt.UTC), label)


async def make_leads(db: AsyncEngine) -> dict[str, str]:
    """Two leads for school A (grade 9 and grade 12, different trades), one for school B, and
    one for A that the student then withdraws."""
    sink = SqlLeadSink(db)
    await sink.submit(submission("a1", (A,), personal=person(NAME_A, "+84912345678")))
    await sink.submit(
        submission(
            "a2",
            (A,),
            survey_id="lop12",
            grade=12,
            answers={"plan": "cao_dang", "trades": ["dien_cong_nghiep"], "province": "tay_ninh"},
            personal=person(NAME_A2, "+84912000111") | {"name": "=cmd|' /C calc'!A0"},
            parent_confirmed=None,
            submitted_at=NOW - dt.timedelta(days=3),
        )
    )
    await sink.submit(submission("b1", (B,), personal=person(NAME_B, "+84913000222")))
    await sink.submit(submission("gone", (A,), personal=person("Người Rút", "+84914000333")))
    await sink.withdraw(ConversationKey("web", "gone"), A, NOW)
    async with db.connect() as conn:
        rows = await conn.execute(select(LeadRow.id, LeadRow.school_id, LeadRow.response_id))
        ids = list(rows)
    from bot.storage.models import ContactRow

    names: dict[str, str] = {}
    async with db.connect() as conn:
        for lead_id, _school, response in ids:
            data = (
                await conn.execute(
                    select(ContactRow.data).where(ContactRow.response_id == response)
                )
            ).scalar_one()
            names[data["name"]] = lead_id
    names[NAME_A2] = names.pop("=cmd|' /C calc'!A0")
    return names


@pytest.fixture
async def stack(catalog: Catalog, database_url: str, tmp_path: Path) -> AsyncIterator[Stack]:
    settings = Settings(data_dir=tmp_path, database_url=database_url)
    server = TestServer(create_app(settings, catalog), host="127.0.0.1")
    await server.start_server()
    db = make_engine(database_url)
    try:
        yield Stack(server, db, settings, await make_leads(db))
    finally:
        await server.close()
        await db.dispose()


def browser() -> aiohttp.ClientSession:
    """A client that keeps cookies, as a browser does (127.0.0.1 is an IP: `unsafe`)."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


def field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no field {name}"
    return found.group(1)


async def sign_in(http: aiohttp.ClientSession, base: str, secret: str) -> aiohttp.ClientResponse:
    """Open the link, press the button; the POST's response (a 303 when it worked)."""
    async with http.get(f"{base}/dang-nhap?ma={secret}") as r:
        assert r.status == 200, await r.text()
        html = await r.text()
    form = {"ma": field(html, "ma"), "pre": field(html, "pre")}
    async with http.post(f"{base}/dang-nhap", data=form, allow_redirects=False) as r:
        await r.read()
        return r


async def signed_in(stack: Stack, school: str = A) -> aiohttp.ClientSession:
    http = browser()
    r = await sign_in(http, stack.base, await stack.invite(school, "Cô Lan, tuyển sinh"))
    assert r.status == 303 and r.headers["Location"] == "/truong"
    return http


async def get(http: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with http.get(url, allow_redirects=False) as r:
        return r.status, await r.text()


async def test_a_link_signs_in_once_with_a_strict_httponly_cookie(stack: Stack) -> None:
    secret = await stack.invite(A)
    async with browser() as http:
        # opening the link (or a link preview fetching it) spends nothing
        for _ in range(2):
            status, html = await get(http, f"{stack.base}/dang-nhap?ma={secret}")
            assert status == 200 and "Trường Cao đẳng Long An" in html
        http.cookie_jar.clear()
        r = await sign_in(http, stack.base, secret)
        assert r.status == 303 and r.headers["Location"] == "/truong"
        cookie = next(v for k, v in r.headers.items() if k == "Set-Cookie" and "hn_phien=" in v)
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
        assert "Secure" not in cookie  # plain http here: a Secure cookie would never come back
        status, html = await get(http, f"{stack.base}/truong")
        assert status == 200 and NAME_A in html
        assert r.headers["Cache-Control"] == "no-store"
    async with browser() as other:
        status, html = await get(other, f"{stack.base}/dang-nhap?ma={secret}")
        assert status == 410 and "đã được dùng" in html  # single use
        assert (await get(other, f"{stack.base}/truong"))[0] == 401


async def test_a_link_expires_after_a_day_and_a_made_up_one_opens_nothing(stack: Stack) -> None:
    old = await AccessStore(stack.db).new_invite(
        "school", A, NOW - dt.timedelta(hours=24, seconds=1)
    )
    async with browser() as http:
        for secret in (old, "x" * 43, "", "../../etc", "a" * 5000):
            status, _ = await get(http, f"{stack.base}/dang-nhap?ma={secret}")
            assert status in (410, 414), secret[:10]
        # posting a valid-looking form without the page's cookie is refused too
        fresh = await stack.invite(A)
        async with http.post(
            f"{stack.base}/dang-nhap", data={"ma": fresh, "pre": "x"}, allow_redirects=False
        ) as r:
            assert r.status == 403
        assert (await sign_in(http, stack.base, fresh)).status == 303  # still unspent


async def test_the_cookie_is_secure_behind_an_https_public_url(
    catalog: Catalog, database_url: str, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path, database_url=database_url, public_url="https://tuyensinh.example.vn"
    )
    server = TestServer(create_app(settings, catalog), host="127.0.0.1")
    await server.start_server()
    db = make_engine(database_url)
    try:
        secret = await AccessStore(db).new_invite("school", A, dt.datetime.now(dt.UTC))
        base = str(server.make_url("")).rstrip("/")
        async with aiohttp.ClientSession() as http:
            # the proxy in front speaks https; a Secure cookie is not sent back over this
            # plain-http hop by a client, so the test sends it by hand
            async with http.get(f"{base}/dang-nhap?ma={secret}") as r:
                html = await r.text()
                pre = r.headers["Set-Cookie"]
            assert "hn_vao=" in pre and "Secure" in pre and "HttpOnly" in pre
            form = {"ma": secret, "pre": field(html, "pre")}
            async with http.post(
                f"{base}/dang-nhap",
                data=form,
                headers={"Cookie": f"hn_vao={field(html, 'pre')}"},
                allow_redirects=False,
            ) as r:
                cookies = [
                    v for k, v in r.headers.items() if k == "Set-Cookie" and "hn_phien=" in v
                ]
                assert r.status == 303 and "Secure" in cookies[0]
                assert "SameSite=Strict" in cookies[0]
    finally:
        await server.close()
        await db.dispose()


async def test_a_school_sees_its_own_leads_and_withdrawn_ones_without_their_data(
    stack: Stack,
) -> None:
    async with await signed_in(stack, A) as http:
        status, html = await get(http, f"{stack.base}/truong")
    assert status == 200
    assert NAME_A in html and "=cmd|&#x27; /C calc&#x27;!A0" in html  # escaped, not run
    assert 'href="tel:+84912345678">0912 345 678</a>' in html  # tap to call
    assert NAME_B not in html and "+84913000222" not in html and "0913 000 222" not in html
    assert "Người Rút" not in html and "+84914000333" not in html  # withdrawn: no data
    assert "0914 000 333" not in html
    assert "Đã rút lại đồng ý" in html
    assert "3 học sinh" in html
    async with await signed_in(stack, B) as http:
        status, html = await get(http, f"{stack.base}/truong")
    assert NAME_B in html and NAME_A not in html and "1 học sinh" in html


async def test_mark_contacted_with_a_note_is_audited_and_counted(stack: Stack) -> None:
    lead = stack.leads[NAME_A]
    assert (await count_by_status(stack.db, A))["da_lien_he"] == 0
    async with await signed_in(stack, A) as http:
        status, html = await get(http, f"{stack.base}/truong/hs/{lead}")
        assert status == 200 and "Lịch sử thay đổi" in html and "Chưa có thay đổi nào" in html
        form = {"csrf": field(html, "csrf"), "trang_thai": "da_lien_he", "ghi_chu": "Gọi lúc 9h"}
        async with http.post(
            f"{stack.base}/truong/hs/{lead}", data=form, allow_redirects=False
        ) as r:
            assert r.status == 303 and r.headers["Location"] == f"/truong/hs/{lead}?luu=1"
        status, html = await get(http, f"{stack.base}/truong/hs/{lead}?luu=1")
        assert "Đã lưu thay đổi." in html
        assert "Trạng thái: Mới → Đã liên hệ" in html
        assert "Ghi chú: (trống) → Gọi lúc 9h" in html
        assert "Cô Lan, tuyển sinh" in html  # who changed it
        # the same again changes nothing and writes no audit row
        async with http.post(
            f"{stack.base}/truong/hs/{lead}", data=form, allow_redirects=False
        ) as r:
            assert r.headers["Location"].endswith("?luu=0")
        status, html = await get(http, f"{stack.base}/truong?trang_thai=da_lien_he")
        assert NAME_A in html and "1 học sinh" in html and NAME_A2 not in html
    counts = await count_by_status(stack.db)
    assert counts["da_lien_he"] == 1 and counts["moi"] == 2  # A's other lead and B's lead
    assert (await count_by_status(stack.db, B)) == {**dict.fromkeys(counts, 0), "moi": 1}
    async with stack.db.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(AuditRow))).scalar() == 2


async def test_another_schools_lead_cannot_be_seen_or_changed_by_url_or_form(
    stack: Stack,
) -> None:
    theirs, mine = stack.leads[NAME_B], stack.leads[NAME_A]
    async with await signed_in(stack, A) as http:
        status, html = await get(http, f"{stack.base}/truong/hs/{theirs}")
        assert status == 404 and NAME_B not in html
        status, html = await get(http, f"{stack.base}/truong/hs/{mine}")
        csrf = field(html, "csrf")
        forged = {"csrf": csrf, "trang_thai": "khong_quan_tam", "ghi_chu": "x", "school_id": B}
        async with http.post(f"{stack.base}/truong/hs/{theirs}", data=forged) as r:
            assert r.status == 404 and NAME_B not in await r.text()
        # a school id in the form means nothing: the session's school is the only one
        async with http.post(
            f"{stack.base}/truong/hs/{mine}",
            data={**forged, "lead_id": theirs},
            allow_redirects=False,
        ) as r:
            assert r.status == 303
        for query in (f"?school_id={B}", f"?truong={B}", f"?khao_sat=lop9&school={B}"):
            status, html = await get(http, f"{stack.base}/truong{query}")
            assert status == 200 and NAME_B not in html
    async with stack.db.connect() as conn:
        rows = dict((await conn.execute(select(LeadStatusRow.lead_id, LeadStatusRow.status))).all())
    assert rows == {mine: "khong_quan_tam"}
    # and a withdrawn lead takes no status
    async with await signed_in(stack, A) as http:
        status, html = await get(http, f"{stack.base}/truong/hs/{mine}")
        gone = stack.leads["Người Rút"]
        status, page = await get(http, f"{stack.base}/truong/hs/{gone}")
        assert status == 200 and "Người Rút" not in page and "Đã rút lại đồng ý" in page
        async with http.post(
            f"{stack.base}/truong/hs/{gone}",
            data={"csrf": field(html, "csrf"), "trang_thai": "da_lien_he"},
        ) as r:
            assert r.status == 404


async def test_posts_need_the_sessions_csrf_token(stack: Stack) -> None:
    lead = stack.leads[NAME_A]
    other = await signed_in(stack, A)
    _, other_html = await get(other, f"{stack.base}/truong/hs/{lead}")
    await other.close()
    async with await signed_in(stack, A) as http:
        for form in (
            {"trang_thai": "da_lien_he"},
            {"trang_thai": "da_lien_he", "csrf": ""},
            {"trang_thai": "da_lien_he", "csrf": field(other_html, "csrf")},  # another session's
        ):
            async with http.post(f"{stack.base}/truong/hs/{lead}", data=form) as r:
                assert r.status == 403
        async with http.post(f"{stack.base}/dang-xuat", data={}, allow_redirects=False) as r:
            assert r.status == 403  # signing out is a form too
        _, html = await get(http, f"{stack.base}/truong/hs/{lead}")
        async with http.post(
            f"{stack.base}/truong/hs/{lead}", data={"csrf": field(html, "csrf"), "trang_thai": "x"}
        ) as r:
            assert r.status == 400 and "Trạng thái không hợp lệ" in await r.text()
    assert (await count_by_status(stack.db, A))["moi"] == 2


def csv_names(raw: bytes) -> list[str]:
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    name = rows[0].index("Họ tên")
    return [r[name] for r in rows[1:]]


async def test_exports_hold_the_filtered_list_of_this_school_only(stack: Stack) -> None:
    async with await signed_in(stack, A) as http:
        async with http.get(f"{stack.base}/truong/xuat?dinh_dang=csv") as r:
            assert r.status == 200 and r.headers["Content-Type"].startswith("text/csv")
            assert "attachment" in r.headers["Content-Disposition"]
            names = csv_names(await r.read())
        # formula-like text neutralised; no other school, no withdrawn student
        assert sorted(names) == sorted([NAME_A, "'=cmd|' /C calc'!A0"])
        async with http.get(f"{stack.base}/truong/xuat?dinh_dang=csv&lop=12") as r:
            assert csv_names(await r.read()) == ["'=cmd|' /C calc'!A0"]
        async with http.get(f"{stack.base}/truong/xuat?dinh_dang=xlsx&nghe=han") as r:
            assert r.status == 200
            book = openpyxl.load_workbook(io.BytesIO(await r.read()))
        sheet = book.active
        assert sheet is not None
        values = [[c.value for c in row] for row in sheet.iter_rows()]
        name = values[0].index("Họ tên")
        assert [v[name] for v in values[1:]] == [NAME_A]
        assert all(NAME_B not in str(v) for v in values)
        async with http.get(f"{stack.base}/truong/xuat?dinh_dang=xlsx&lop=12") as r:
            book = openpyxl.load_workbook(io.BytesIO(await r.read()))
        cell = book.active["E2"] if book.active is not None else None
        assert cell is not None and cell.data_type == "s"  # text, never a formula
    async with await signed_in(stack, B) as http, http.get(f"{stack.base}/truong/xuat") as r:
        assert csv_names(await r.read()) == [NAME_B]
    async with browser() as anonymous:
        assert (await get(anonymous, f"{stack.base}/truong/xuat?dinh_dang=csv"))[0] == 401
    async with stack.db.connect() as conn:
        logged = (await conn.execute(select(AuditRow.school_id, AuditRow.new).where(
            AuditRow.action == "export"))).all()  # fmt: skip
    assert (A, "csv:2") in logged and (B, "csv:1") in logged


async def test_filters_narrow_the_list(stack: Stack) -> None:
    today = NOW.astimezone(dt.timezone(dt.timedelta(hours=7))).date()
    cases = {
        "?lop=9": [NAME_A],
        "?lop=12": [NAME_A2],
        "?khao_sat=lop12": [NAME_A2],
        "?nghe=dien_cong_nghiep": [NAME_A2],
        f"?tu={today:%Y-%m-%d}": [NAME_A],
        f"?den={today - dt.timedelta(days=1):%Y-%m-%d}": [NAME_A2],
        "?trang_thai=moi": [NAME_A, NAME_A2],
        "?trang_thai=rut_lai": [],
    }
    async with await signed_in(stack, A) as http:
        for query, names in cases.items():
            status, html = await get(http, f"{stack.base}/truong{query}")
            assert status == 200, query
            shown = [n for n in (NAME_A, NAME_A2) if n in html or (n == NAME_A2 and "calc" in html)]
            assert shown == names, query
        status, html = await get(http, f"{stack.base}/truong?trang_thai=rut_lai")
        assert "Đã rút lại đồng ý" in html and "1 học sinh" in html
        status, html = await get(http, f"{stack.base}/truong?lop=abc&tu=2026-13-45&trang=-1")
        assert status == 200 and "không hợp lệ nên đã được bỏ qua" in html and "3 học sinh" in html


async def test_sign_out_ends_the_session_for_good(stack: Stack) -> None:
    async with await signed_in(stack, A) as http:
        _, html = await get(http, f"{stack.base}/truong")
        cookie = next(c.value for c in http.cookie_jar if c.key == "hn_phien")
        async with http.post(
            f"{stack.base}/dang-xuat", data={"csrf": field(html, "csrf")}, allow_redirects=False
        ) as r:
            assert r.status == 303 and r.headers["Location"] == "/dang-xuat"
        status, html = await get(http, f"{stack.base}/dang-xuat")
        assert status == 200 and "Bạn đã đăng xuất" in html
    async with (
        aiohttp.ClientSession() as replay,  # the old cookie, sent by hand
        replay.get(f"{stack.base}/truong", headers={"Cookie": f"hn_phien={cookie}"}) as r,
    ):
        assert r.status == 401 and "liên kết đăng nhập mới" in await r.text()


async def test_idle_and_old_sessions_end_and_roles_do_not_mix(database_url: str) -> None:
    db = make_engine(database_url)
    try:
        access = AccessStore(db)
        start = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
        idle = dt.timedelta(minutes=30)
        secret = await access.new_invite("school", A, start)
        opened = await access.redeem(secret, start)
        assert opened is not None and await access.redeem(secret, start) is None
        cookie, session = opened
        assert session.school_id == A and session.role == "school"
        later = start + dt.timedelta(minutes=29)
        assert await access.session(cookie, later, idle) is not None  # activity moves it on
        assert await access.session(cookie, later + dt.timedelta(minutes=29), idle) is not None
        assert await access.session(cookie, later + dt.timedelta(minutes=90), idle) is None
        # active all day, still signed out after 12 hours
        secret = await access.new_invite("school", A, start)
        opened = await access.redeem(secret, start)
        assert opened is not None
        moment = start
        while moment < start + dt.timedelta(hours=11, minutes=30):
            moment += dt.timedelta(minutes=20)
            assert await access.session(opened[0], moment, idle) is not None
        assert await access.session(opened[0], start + dt.timedelta(hours=12), idle) is None
        with pytest.raises(ValueError):
            await access.new_invite("official", A, start)
        with pytest.raises(ValueError):
            await access.new_invite("school", None, start)
    finally:
        await db.dispose()


async def test_an_officials_session_does_not_open_the_school_portal(stack: Stack) -> None:
    async with browser() as http:
        r = await sign_in(http, stack.base, await stack.invite(None))
        assert r.status == 303 and r.headers["Location"] == "/so"
        status, html = await get(http, f"{stack.base}/truong")
        assert status == 401 and NAME_A not in html


async def test_staff_notes_go_when_the_student_withdraws_or_erases_their_data(
    stack: Stack,
) -> None:
    from bot.storage.lead_status import LeadStatusStore

    store, sink = LeadStatusStore(stack.db), SqlLeadSink(stack.db)
    first, second = stack.leads[NAME_A], stack.leads[NAME_B]
    for school, lead in ((A, first), (B, second)):
        assert await store.set_status(school, lead, "da_lien_he", "Mẹ em hẹn gọi lại", 1, NOW)
    await sink.withdraw(ConversationKey("web", "a1"), A, NOW)
    await sink.forget(ConversationKey("web", "b1"), NOW)
    async with stack.db.connect() as conn:
        notes = (await conn.execute(select(LeadStatusRow.note))).scalars().all()
        audit = (await conn.execute(select(AuditRow.action, AuditRow.new))).all()
    assert notes == [None, None]
    assert sorted(audit) == [("status", "da_lien_he"), ("status", "da_lien_he")]
    assert await store.lead(A, first) is not None
    assert (await store.lead(A, first)).withdrawn  # type: ignore[union-attr]


async def test_school_invite_prints_a_link_that_opens_the_portal_once(
    catalog: Catalog, tmp_path: Path
) -> None:
    env = {"HUONGNGHIEP_DATA_DIR": str(tmp_path), "HUONGNGHIEP_LOG_LEVEL": "WARNING",
           "HUONGNGHIEP_PUBLIC_URL": "https://tuyensinh.example.vn/"}  # fmt: skip

    async def cli(*args: str) -> tuple[int, str, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", *args, env={**os.environ, **env},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await proc.communicate()
        return proc.returncode or 0, out.decode(), err.decode()

    code, out, err = await cli("school", "invite", "cd_long_an", "--label", "Thầy Minh")
    assert code == 0, err
    link = out.strip()
    assert re.fullmatch(r"https://tuyensinh\.example\.vn/dang-nhap\?ma=[A-Za-z0-9_-]{43}", link)
    assert "24 hours" in err and link not in err
    assert "cd_long_an receives leads" in err  # portal access switches the school on
    code, _, err = await cli("school", "invite", "no_such_school")
    assert code == 2 and "unknown school id" in err
    settings = Settings(data_dir=tmp_path)  # the command migrated its database
    server = TestServer(create_app(settings, catalog), host="127.0.0.1")
    await server.start_server()
    try:
        base = str(server.make_url("")).rstrip("/")
        secret = link.rsplit("=", 1)[1]
        async with browser() as http:
            assert (await sign_in(http, base, secret)).status == 303
            status, _ = await get(http, f"{base}/truong")
            assert status == 200
            assert (await get(http, f"{base}/dang-nhap?ma={secret}"))[0] == 410
    finally:
        await server.close()
