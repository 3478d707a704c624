"""The officials' dashboard in a real headless Chromium (Debian's) at 360 px and 1280 px: sign
in with the link, the tables and their SVG charts, a filter, a CSV download, sign out.

Screenshots go to var/screenshots/ (look at them); axe-core (see tests/test_browser.py) must
find no serious or critical violation on any page.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from bot.catalog import Catalog
from bot.settings import Settings
from bot.storage.access import AccessStore
from bot.storage.db import make_engine
from bot.web.app import create_app
from tests.conftest import switch_on
from tests.drivers import GRADE12_SCHOOL, GRADE12_TYPED
from tests.test_browser_portal import check_page, page  # noqa: F401 (the page fixture)
from tests.test_dashboard import grade9, run

pytestmark = pytest.mark.browser


@pytest.fixture
async def dashboard(catalog: Catalog, settings: Settings) -> AsyncIterator[tuple[str, str]]:
    """The app after surveys through the web chat, and an official's sign-in link."""
    await switch_on(settings.db_url, GRADE12_SCHOOL)
    server = TestServer(create_app(settings, catalog), host="127.0.0.1")
    await server.start_server()
    db = make_engine(settings.db_url)
    grade12 = [text for text, _ in GRADE12_TYPED]
    runs = [(f"lop12-student-{n}", grade12) for n in range(6)]
    runs += [
        (f"lop9-benluc-{n}", grade9("trung cap", "Long An", True, "Bến Lức")) for n in range(5)
    ]
    runs += [(f"lop9-laocai-{n}", grade9("hoc thpt", "Lào Cai", False, None)) for n in range(2)]
    try:
        await asyncio.gather(*(run(server, s, turns) for s, turns in runs))
        secret = await AccessStore(db).new_invite(
            "official", None, dt.datetime.now(dt.UTC), "Phòng GDNN"
        )
        base = str(server.make_url("")).rstrip("/")
        yield base, f"{base}/dang-nhap?ma={secret}"
    finally:
        await server.close()
        await db.dispose()


async def test_an_official_reads_the_tables_filters_and_downloads(
    dashboard: tuple[str, str],
    page: Any,  # noqa: F811
) -> None:
    from playwright.async_api import expect

    base, link = dashboard
    await page.goto(link)
    await expect(page.locator("main")).to_contain_text("Sở Giáo dục và Đào tạo")
    await check_page(page, "dashboard-sign-in")
    await page.get_by_role("button", name="Đăng nhập").click()
    await expect(page).to_have_url(f"{base}/so")
    await expect(page.locator("h1")).to_have_text("Bảng số liệu tuyển sinh, hướng nghiệp")
    assert await page.evaluate("document.cookie") == ""  # HttpOnly
    funnel = page.locator("#pheu")
    await expect(funnel.locator("svg title")).to_have_text(
        "Biểu đồ cột: Từ khảo sát đến đăng ký học"
    )
    await expect(funnel.locator("tbody tr").first).to_contain_text("13")
    province = page.locator("#theo-tinh")
    await expect(province.locator("tr", has_text="Lào Cai")).to_contain_text("<5")
    # a "<5" bar is a stub of fixed length, whatever the count
    small = await province.locator("svg text.val").evaluate_all(
        "els => els.filter(e => e.textContent === '<5')"
        ".map(e => e.previousElementSibling.getAttribute('width'))"
    )
    assert small == ["6"]  # Lào Cai
    await check_page(page, "dashboard")
    await page.locator("#chi-tieu").scroll_into_view_if_needed()
    await page.screenshot(path=str(shots() / f"dashboard-targets-{page.width}.png"))

    await page.select_option("#f-khao_sat", "lop9")
    await page.get_by_role("button", name="Xem số liệu").click()
    await expect(page).to_have_url(re.compile(r"/so\?khao_sat=lop9&"))
    await expect(page.locator("#theo-lop tr.total")).to_contain_text("7")
    await check_page(page, "dashboard-lop9")

    async with page.expect_download() as info:
        await page.locator("#theo-tinh").get_by_role("link", name="Tải CSV (Theo tỉnh").click()
    download = await info.value
    path = await download.path()
    text = path.read_text(encoding="utf-8-sig")
    assert "Lào Cai,<5,0,<5" in text and "Khảo sát nguyện vọng sau lớp 9" in text

    await page.get_by_role("button", name="Đăng xuất").click()
    await expect(page.locator("main")).to_contain_text("Bạn đã đăng xuất")
    await page.goto(f"{base}/so")
    await expect(page.locator("main")).to_contain_text("liên kết đăng nhập mới")


def shots() -> Any:
    from tests.test_browser import SHOTS

    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS
