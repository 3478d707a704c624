"""The officials' dashboard (/so) on SQLite and PostgreSQL, after real surveys through the web
chat API: a person counted once per survey, anonymous answers counted, counts under 5 never
shown (page and exports), the funnel counting what a school marked in its portal, targets
next to the shares, role separation, sign-in with `huongnghiep admin invite`."""

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
from html import escape, unescape
from pathlib import Path

import aiohttp
import openpyxl
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.catalog import Catalog
from bot.settings import Settings
from bot.storage.access import AccessStore
from bot.storage.db import make_engine
from bot.storage.lead_status import count_by_status
from bot.storage.models import LeadRow, ResponseRow
from bot.storage.stats import StatsFilter, snapshot
from bot.web.app import AUTH, create_app
from tests.conftest import switch_on
from tests.drivers import GRADE12_SCHOOL, GRADE12_TYPED, WebChat
from tests.test_portal import browser, field, sign_in

SHOWN = re.compile(r"^(0|<5|[5-9]|[1-9]\d*(\.\d{3})*|\d[\d.]*–\d[\d.]*)$")


def grade9(plan: str, province: str, confirm: bool, commune: str | None) -> list[str]:
    """A grade 9 survey without a school (anonymous: no consent asked), as typed."""
    return ["khao sat", "1", plan, "bo qua", "bo qua", province, *(["co"] if confirm else []),
            commune or "bo qua", *(["1"] if commune else []), "1"]  # fmt: skip


@dataclass
class Stack:
    server: TestServer
    db: AsyncEngine
    app_auth: object

    @property
    def base(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    async def invite(self, role: str, school: str | None = None) -> str:
        return await AccessStore(self.db).new_invite(role, school, dt.datetime.now(dt.UTC))

    async def official(self) -> aiohttp.ClientSession:
        http = browser()
        r = await sign_in(http, self.base, await self.invite("official"))
        assert r.status == 303 and r.headers["Location"] == "/so"
        return http


async def run(server: TestServer, session: str, turns: list[str]) -> str:
    chat = WebChat(server, session)
    said = ""
    for text in turns:
        said = await chat.say(text)
    return said


@pytest.fixture
async def stack(catalog: Catalog, database_url: str, tmp_path: Path) -> AsyncIterator[Stack]:
    """Surveys through the web chat: 6 grade 12 students who ask cd_cn_hung_yen to call them
    (one of them submits twice), 5 grade 9 students of Bến Lức (former Long An) who plan
    trung cấp and 2 of Lào Cai who plan THPT, all anonymous, and one survey left half done."""
    await switch_on(database_url, GRADE12_SCHOOL)
    settings = Settings(data_dir=tmp_path, database_url=database_url)
    app = create_app(settings, catalog)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    db = make_engine(database_url)
    grade12 = [text for text, _ in GRADE12_TYPED]
    runs = [(f"lop12-student-{n}", grade12) for n in range(6)]
    runs += [
        (f"lop9-benluc-{n}", grade9("trung cap", "Long An", True, "Bến Lức")) for n in range(5)
    ]
    runs += [(f"lop9-laocai-{n}", grade9("hoc thpt", "Lào Cai", False, None)) for n in range(2)]
    try:
        said = await asyncio.gather(*(run(server, s, turns) for s, turns in runs))
        assert all("đã được chuyển tới" in s for s in said[:6]), said[:6]
        assert all("Cảm ơn" in s or "đã ghi nhận" in s.lower() for s in said[6:]), said[6:]
        await run(server, "lop12-student-0", grade12)  # the same person again
        await run(server, "lop9-halfway-0", ["khao sat", "1", "trung cap"])
        yield Stack(server, db, app[AUTH])
    finally:
        await server.close()
        await db.dispose()


def cells(html: str) -> list[str]:
    return [unescape(c) for c in re.findall(r'<td class="num count[^"]*"[^>]*>([^<]*)</td>', html)]


def row(html: str, table: str, label: str) -> list[str]:
    """The cells of the row `label` in the table section `table`."""
    section = html.split(f'id="{table}"', 1)[1].split("</section>", 1)[0]
    found = re.search(
        rf'<tr[^>]*><th scope="row">{re.escape(escape(label))}(<span class="aside">[^<]*</span>)?'
        r"</th>(.*?)</tr>",
        section,
    )
    assert found, f"no row {label!r} in {table}"
    return [unescape(c) for c in re.findall(r"<td[^>]*>([^<]*)</td>", found.group(2))]


async def test_counts_once_per_person_and_anonymous_answers_too(stack: Stack) -> None:
    async with stack.db.connect() as conn:
        responses = (await conn.execute(select(func.count()).select_from(ResponseRow))).scalar()
        leads = (await conn.execute(select(func.count()).select_from(LeadRow))).scalar()
    assert responses == 14 and leads == 6  # 14 submissions; the resubmission updated its lead
    snap = await snapshot(stack.db, StatsFilter())
    assert len(snap.people) == 13 and snap.in_progress == 1
    assert sum(p.grade == 12 for p in snap.people) == 6
    assert sum(p.lead for p in snap.people) == 6 and sum(p.reached for p in snap.people) == 6
    only9 = await snapshot(stack.db, StatsFilter(survey="lop9", province="tay_ninh"))
    assert len(only9.people) == 5 and only9.in_progress == 0  # the half-done one has no province
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    assert (await snapshot(stack.db, StatsFilter(since=future))).people == []

    async with await stack.official() as http, http.get(f"{stack.base}/so") as r:
        assert r.status == 200
        html = await r.text()
    assert row(html, "theo-lop", "Lớp 9") == ["7"]
    assert row(html, "theo-lop", "Lớp 12") == ["6"]
    assert row(html, "theo-lop", "Tổng cộng") == ["13"]
    # Lào Cai: 2 people, hidden; the grade 9 column's total (7) would give the 2 away, so its
    # 0 of Hưng Yên is hidden with it ("<5" is true of 0), and Hưng Yên's total, which would
    # give that one away, is shown as the range it allows
    assert row(html, "theo-tinh", "Lào Cai") == ["<5", "0", "<5"]
    assert row(html, "theo-tinh", "Hưng Yên") == ["<5", "6", "6–10"]
    assert row(html, "theo-tinh", "Tây Ninh") == ["5", "0", "5"]
    assert row(html, "theo-tinh", "Tổng cộng") == ["7", "6", "13"]
    assert row(html, "theo-tinh-cu", "Long An") == ["5", "0", "5"]
    assert row(html, "theo-huyen-cu", "Bến Lức (Long An)") == ["5", "0", "5"]
    assert row(html, "du-dinh-lop9", "Học trung cấp") == ["5", "—"]  # 5 of 7: 2 others
    assert row(html, "du-dinh-lop12", "Học cao đẳng") == ["6", "100,0 %"]
    assert row(html, "du-dinh-lop9", "Học THPT") == ["<5", "—"]
    # targets: 5 of 5 grade 9 students of former Long An (Bến Lức) plan trung cấp
    assert row(html, "chi-tieu", "Long An, Lớp 9")[:4] == ["5", "5", "100,0 %", "40,12 %"]
    assert row(html, "chi-tieu", "Bến Lức (Long An), Lớp 9")[:4] == ["5", "5", "100,0 %", "40,26 %"]
    assert "Tài liệu gốc 000: Phụ lục, bảng I. Cấp trung học cơ sở, dòng 05 Bến Lức" in html
    assert row(html, "chi-tieu", "Long An, Lớp 12")[:4] == ["0", "0", "—", "45,84 %"]
    funnel = {
        label: row(html, "pheu", label)[0]
        for label in (
            "Bắt đầu khảo sát",
            "Đã gửi khảo sát",
            "Đồng ý để trường liên hệ",
            "Trường đã liên hệ",
        )
    }
    assert funnel == {"Bắt đầu khảo sát": "14", "Đã gửi khảo sát": "13",
                      "Đồng ý để trường liên hệ": "6", "Trường đã liên hệ": "0"}  # fmt: skip
    assert len(cells(html)) > 100
    for shown in cells(html):
        assert SHOWN.match(shown), shown  # never 1, 2, 3 or 4
    assert "<svg" in html and "<title" in html and "<desc" in html


async def mark(http: aiohttp.ClientSession, base: str, lead_id: str, status: str) -> None:
    """What school staff do in the portal: open the lead, pick a status, save."""
    async with http.get(f"{base}/truong/hs/{lead_id}") as r:
        assert r.status == 200
        csrf = field(await r.text(), "csrf")
    form = {"csrf": csrf, "trang_thai": status, "ghi_chu": ""}
    async with http.post(f"{base}/truong/hs/{lead_id}", data=form, allow_redirects=False) as r:
        assert r.status == 303, await r.text()


async def test_the_funnel_counts_what_the_school_marked_in_its_portal(stack: Stack) -> None:
    async with stack.db.connect() as conn:
        lead_ids = sorted((await conn.execute(select(LeadRow.id))).scalars())
    school = browser()
    r = await sign_in(school, stack.base, await stack.invite("school", GRADE12_SCHOOL))
    assert r.status == 303
    official = await stack.official()
    async with school, official:
        await mark(school, stack.base, lead_ids[0], "da_lien_he")
        async with official.get(f"{stack.base}/so") as r:
            html = await r.text()
        assert row(html, "pheu", "Trường đã liên hệ")[0] == "<5"  # 1: never shown as 1
        assert row(html, "luot-chuyen", "Ở trường: Đã liên hệ") == ["<5"]
        for lead_id in lead_ids[1:5]:
            await mark(school, stack.base, lead_id, "da_lien_he")
        await mark(school, stack.base, lead_ids[4], "da_dang_ky")
        async with official.get(f"{stack.base}/so") as r:
            html = await r.text()
    assert row(html, "pheu", "Trường đã liên hệ")[0] == "5"  # đã đăng ký học counts as contacted
    assert row(html, "pheu", "Đã đăng ký học")[0] == "<5"
    counts = await count_by_status(stack.db)
    assert counts["da_lien_he"] == 4 and counts["da_dang_ky"] == 1 and counts["moi"] == 1


async def test_exports_carry_the_same_suppressed_cells(stack: Stack) -> None:
    async with await stack.official() as http:
        for table in ("theo-tinh", "pheu", "chi-tieu", "theo-nghe", "du-dinh-lop9", "theo-xa"):
            async with http.get(f"{stack.base}/so/xuat?bang={table}&dinh_dang=csv") as r:
                assert r.status == 200
                assert r.headers["Content-Disposition"].endswith('.csv"')
                body = (await r.read()).decode("utf-8-sig")
            lines = list(csv.reader(io.StringIO(body)))
            numbers = [c for line in lines[2:] for c in line[1:] if c and c[0].isdigit()]
            assert all(not re.fullmatch(r"[1-4]", c) for c in numbers), (table, lines)
            async with http.get(f"{stack.base}/so/xuat?bang={table}&dinh_dang=xlsx") as r:
                assert r.status == 200
                book = openpyxl.load_workbook(io.BytesIO(await r.read()))
            values = [c.value for line in book.active.iter_rows(min_row=3) for c in line[1:]]
            assert all(not (isinstance(v, int) and 0 < v < 5) for v in values), (table, values)
        async with http.get(f"{stack.base}/so/xuat?bang=theo-tinh&dinh_dang=csv") as r:
            body = (await r.read()).decode("utf-8-sig")
        assert "Lào Cai,<5,0,<5" in body and "Hưng Yên,<5,6,6–10" in body
        async with http.get(f"{stack.base}/so/xuat?bang=theo-tinh&dinh_dang=xlsx") as r:
            sheet = openpyxl.load_workbook(io.BytesIO(await r.read())).active
        rows = {line[0]: list(line[1:]) for line in sheet.iter_rows(min_row=3, values_only=True)}
        assert rows["Hưng Yên"] == ["<5", 6, "6–10"] and rows["Lào Cai"] == ["<5", 0, "<5"]
        async with http.get(f"{stack.base}/so/xuat?bang=nope&dinh_dang=csv") as r:
            assert r.status == 404


async def test_roles_stay_apart(stack: Stack) -> None:
    async with aiohttp.ClientSession() as anyone, anyone.get(f"{stack.base}/so") as r:
        assert r.status == 401
    school = browser()
    assert (await sign_in(school, stack.base, await stack.invite("school", GRADE12_SCHOOL))).status
    async with school:
        for path in ("/so", "/so/xuat?bang=pheu&dinh_dang=csv"):
            async with school.get(f"{stack.base}{path}", allow_redirects=False) as r:
                assert r.status == 403, path
                assert "Số" not in (await r.text()).split("<main", 1)[1][:0]
    async with stack.db.connect() as conn:
        lead_id = (await conn.execute(select(LeadRow.id))).scalars().first()
    async with await stack.official() as official:
        for path in ("/truong", f"/truong/hs/{lead_id}", "/truong/xuat"):
            async with official.get(f"{stack.base}{path}", allow_redirects=False) as r:
                assert r.status == 401, path
        async with official.get(f"{stack.base}/so") as r:
            csrf = field(await r.text(), "csrf")
        form = {"csrf": csrf, "trang_thai": "da_dang_ky", "ghi_chu": ""}
        async with official.post(
            f"{stack.base}/truong/hs/{lead_id}", data=form, allow_redirects=False
        ) as r:
            assert r.status == 401  # an official cannot act as a school
        assert (await count_by_status(stack.db))["da_dang_ky"] == 0
        # signing out needs the CSRF token; afterwards the cookie opens nothing
        async with official.post(f"{stack.base}/dang-xuat", data={}, allow_redirects=False) as r:
            assert r.status == 403
        async with official.post(
            f"{stack.base}/dang-xuat", data={"csrf": csrf}, allow_redirects=False
        ) as r:
            assert r.status == 303
        async with official.get(f"{stack.base}/so") as r:
            assert r.status == 401


async def test_an_idle_session_ends(stack: Stack) -> None:
    from bot.web.auth import Auth

    auth = stack.app_auth
    assert isinstance(auth, Auth)
    async with await stack.official() as official:
        async with official.get(f"{stack.base}/so") as r:
            assert r.status == 200
        later = dt.datetime.now(dt.UTC) + auth.idle + dt.timedelta(minutes=1)
        auth.now = lambda: later
        async with official.get(f"{stack.base}/so") as r:
            assert r.status == 401


async def test_filters(stack: Stack) -> None:
    async with await stack.official() as http:
        async with http.get(f"{stack.base}/so?khao_sat=lop12") as r:
            html = await r.text()
        assert row(html, "theo-lop", "Tổng cộng") == ["6"]
        async with http.get(f"{stack.base}/so?tinh=tay_ninh") as r:
            html = await r.text()
        assert row(html, "theo-lop", "Tổng cộng") == ["5"]
        today = dt.datetime.now(dt.UTC).date()
        async with http.get(f"{stack.base}/so?den={today - dt.timedelta(days=2)}") as r:
            html = await r.text()
        assert "Chưa có câu trả lời nào" in html
        async with http.get(f"{stack.base}/so?nam_hoc=1999-2000&tinh=atlantis&tu=hôm+qua") as r:
            assert r.status == 200
            html = await r.text()
        assert "không hợp lệ" in html and row(html, "theo-lop", "Tổng cộng") == ["13"]


async def test_admin_invite_prints_a_link_that_opens_the_dashboard_once(
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

    code, out, err = await cli("admin", "invite", "--label", "Phòng GDNN, Sở GD&ĐT")
    assert code == 0, err
    link = out.strip()
    assert re.fullmatch(r"https://tuyensinh\.example\.vn/dang-nhap\?ma=[A-Za-z0-9_-]{43}", link)
    assert "24 hours" in err and link not in err
    code, token, err = await cli("admin", "token")  # still works
    assert code == 0 and token.strip().startswith("hna_"), err
    server = TestServer(create_app(Settings(data_dir=tmp_path), catalog), host="127.0.0.1")
    await server.start_server()
    try:
        base = str(server.make_url("")).rstrip("/")
        secret = link.rsplit("=", 1)[1]
        async with browser() as http:
            r = await sign_in(http, base, secret)
            assert r.status == 303 and r.headers["Location"] == "/so"
            cookie = r.headers.getall("Set-Cookie")
            assert any("HttpOnly" in c and "SameSite=Strict" in c for c in cookie)
            async with http.get(f"{base}/so") as page:
                assert page.status == 200
                assert "Bảng số liệu" in await page.text()
        async with browser() as other, other.get(f"{base}/dang-nhap?ma={secret}") as again:
            assert again.status == 410  # used once
    finally:
        await server.close()
