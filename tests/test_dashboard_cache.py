"""The dashboard's tables are kept per filter (bot.web.dashboard_cache) and are never stale: a
page or an export under the same filter is not computed again while nothing changed, and after
a new response, an erasure, a retention purge or a survey begun, the next page shows it. On
SQLite and PostgreSQL, through the real app (the `stack` of tests/test_dashboard.py)."""

from __future__ import annotations

import datetime as dt
import logging

import aiohttp
import pytest

from bot.storage.retention import purge
from tests.test_dashboard import Stack, grade9, row, run
from tests.test_dashboard import stack as stack  # the fixture

COMPUTED = "dashboard tables computed"
TOTAL = "Tổng cộng"


def computed(caplog: pytest.LogCaptureFixture) -> int:
    """How many times the dashboard computed its tables so far."""
    return sum(1 for r in caplog.records if r.getMessage() == COMPUTED)


async def page(http: aiohttp.ClientSession, url: str) -> str:
    async with http.get(url) as r:
        assert r.status == 200
        return await r.text()


@pytest.fixture
def caplog(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="bot.web.dashboard_cache")
    return caplog


async def test_a_cached_page_counts_a_newly_submitted_response(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    async with await stack.official() as http:
        html = await page(http, f"{stack.base}/so")
        assert row(html, "theo-lop", TOTAL) == ["13"] and computed(caplog) == 1
        # the same page again and the tables' downloads: nothing computed again
        assert await page(http, f"{stack.base}/so") == html
        for fmt in ("csv", "xlsx"):
            async with http.get(f"{stack.base}/so/xuat?bang=theo-lop&dinh_dang={fmt}") as r:
                assert r.status == 200
                await r.read()
        assert computed(caplog) == 1
        filtered = await page(http, f"{stack.base}/so?khao_sat=lop9")
        assert row(filtered, "theo-lop", TOTAL) == ["7"] and computed(caplog) == 2

        said = await run(stack.server, "lop9-late-0", grade9("hoc thpt", "Lào Cai", False, None))
        assert "Cảm ơn" in said or "đã ghi nhận" in said.lower(), said
        html = await page(http, f"{stack.base}/so")
        assert row(html, "theo-lop", TOTAL) == ["14"]
        assert row(html, "theo-lop", "Lớp 9") == ["8"]
        assert row(html, "pheu", "Đã gửi khảo sát")[0] == "14"
        filtered = await page(http, f"{stack.base}/so?khao_sat=lop9")
        assert row(filtered, "theo-lop", TOTAL) == ["8"] and computed(caplog) == 4


async def test_a_survey_begun_shows_at_once_without_computing_the_tables(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    async with await stack.official() as http:
        html = await page(http, f"{stack.base}/so")
        assert row(html, "pheu", "Bắt đầu khảo sát")[0] == "14"
        await run(stack.server, "lop9-halfway-1", ["khao sat", "1", "trung cap"])
        html = await page(http, f"{stack.base}/so")
        assert row(html, "pheu", "Bắt đầu khảo sát")[0] == "15"
        assert row(html, "pheu", "Đã gửi khảo sát")[0] == "13"
        assert computed(caplog) == 1  # the runs in progress are counted afresh each time


async def test_an_erasure_shows_on_the_next_page(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    async with await stack.official() as http:
        html = await page(http, f"{stack.base}/so")
        assert row(html, "theo-lop", TOTAL) == ["13"]
        assert row(html, "luot-chuyen", "Ở trường: Mới") == ["6"]
        # the student who submitted twice erases their data: their lead is deleted, and their
        # two responses can no longer be linked, so each counts on its own
        assert "Bạn muốn xóa dữ liệu" in await run(
            stack.server, "lop12-student-0", ["xoa du lieu cua toi"]
        )
        said = await run(stack.server, "lop12-student-0", ["ok"])
        assert "Mình đã xóa dữ liệu của bạn" in said, said
        html = await page(http, f"{stack.base}/so")
        assert row(html, "theo-lop", TOTAL) == ["14"]
        assert row(html, "luot-chuyen", "Ở trường: Mới") == ["5"]
        assert row(html, "luot-chuyen", "Dữ liệu đã xóa") == ["<5"]
        assert computed(caplog) == 2


async def test_a_retention_purge_shows_on_the_next_page(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    async with await stack.official() as http:
        html = await page(http, f"{stack.base}/so")
        assert row(html, "theo-huyen-cu", "Bến Lức (Long An)") == ["5", "0", "5"]
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=400)
        done = await purge(stack.db, later, months=12)  # as `huongnghiep data purge` does
        assert done.responses == 14
        html = await page(http, f"{stack.base}/so")
        # the communes were typed freely: they went with the personal data
        assert "Bến Lức (Long An)</th>" not in html.split('id="theo-huyen-cu"', 1)[1]
        assert row(html, "luot-chuyen", "Dữ liệu đã xóa") == ["6"]
        assert row(html, "pheu", "Bắt đầu khảo sát")[0] == "14"  # 14 unlinked, none running
        assert computed(caplog) == 2
