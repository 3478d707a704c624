"""The school portal in a real headless Chromium (Debian's) at 360 px and 1280 px: sign in with
the link, the list, filters, marking a lead "Đã liên hệ" with a note, the audit log, sign out.

Screenshots go to var/screenshots/ (look at them); axe-core (see tests/test_browser.py) must
find no serious or critical violation on any page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from bot.catalog import Catalog
from bot.settings import Settings
from bot.storage.access import AccessStore
from bot.storage.db import make_engine
from bot.storage.lead_status import count_by_status
from bot.web.app import create_app
from tests.conftest import chromium_path
from tests.test_browser import ARGS, AXE, HAVE_AXE, SHOTS, axe_serious
from tests.test_portal import NAME_A, NAME_B, make_leads

pytestmark = pytest.mark.browser


@pytest.fixture
async def portal(catalog: Catalog, settings: Settings) -> AsyncIterator[tuple[str, str, Any]]:
    """The app with leads for two schools, a sign-in link of the first, and its database."""
    server = TestServer(create_app(settings, catalog), host="127.0.0.1")
    await server.start_server()
    db = make_engine(settings.db_url)
    try:
        await make_leads(db)
        secret = await AccessStore(db).new_invite(
            "school", "cd_long_an", dt.datetime.now(dt.UTC), "Cô Lan, tuyển sinh"
        )
        base = str(server.make_url("")).rstrip("/")
        yield base, f"{base}/dang-nhap?ma={secret}", db
    finally:
        await server.close()
        await db.dispose()


@pytest.fixture(params=[360, 1280])
async def page(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    path = chromium_path()
    if path is None:
        pytest.skip("Debian chromium not installed (make test installs it)")
    from playwright.async_api import async_playwright

    width: int = request.param
    phone = width < 600
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=path, args=ARGS)
        context = await browser.new_context(
            viewport={"width": width, "height": 740 if phone else 900},
            is_mobile=phone,
            has_touch=phone,
            locale="vi-VN",
        )
        if HAVE_AXE:
            await context.add_init_script(path=str(AXE))
        pg = await context.new_page()
        pg.width = width
        yield pg
        await browser.close()


async def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}-{page.width}.png"), full_page=True)


async def check_page(page: Any, name: str) -> None:
    """No sideways scroll, tap targets of 44 px, no serious axe violation; a screenshot."""
    width: int = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.width, name
    small: list[str] = await page.evaluate(
        """() => Array.from(document.querySelectorAll('button, select, input, summary, .button'))
             .filter(el => el.offsetParent !== null && el.getBoundingClientRect().height < 44)
             .map(el => el.textContent || el.name)"""
    )
    assert small == [], name
    assert await axe_serious(page) == [], name
    await shot(page, name)


async def test_sign_in_mark_contacted_see_the_audit_and_sign_out(
    portal: tuple[str, str, Any], page: Any
) -> None:
    from playwright.async_api import expect

    base, link, db = portal
    await page.goto(link)
    await expect(page.locator("main")).to_contain_text("Trường Cao đẳng Long An")
    await check_page(page, "portal-sign-in")
    await page.get_by_role("button", name="Đăng nhập").click()
    await expect(page).to_have_url(f"{base}/truong")
    await expect(page.locator(".count")).to_have_text("3 học sinh")
    await expect(page.locator(".cards")).to_contain_text(NAME_A)
    await expect(page.locator(".cards")).not_to_contain_text(NAME_B)
    await expect(page.locator(".card.withdrawn")).to_contain_text("Đã rút lại đồng ý")
    assert await page.evaluate("document.cookie") == ""  # HttpOnly: no script can read it
    await check_page(page, "portal-list")

    await page.locator("summary", has_text="Lọc danh sách").click()
    await page.select_option("#f-lop", "9")
    await check_page(page, "portal-filters")
    await page.get_by_role("button", name="Lọc", exact=True).click()
    await expect(page.locator(".count")).to_have_text("2 học sinh")  # one withdrew

    await page.get_by_role("link", name=f"Xem và cập nhật ({NAME_A})").click()
    await expect(page.locator("h2").first).to_have_text(NAME_A)
    await page.select_option("#status", label="Đã liên hệ")
    await page.fill("#note", "Đã gọi phụ huynh, hẹn đến trường thứ Bảy.")
    await page.get_by_role("button", name="Lưu").click()
    await expect(page.locator(".ok")).to_have_text("Đã lưu thay đổi.")
    await expect(page.locator("table.audit")).to_contain_text("Mới → Đã liên hệ")
    await expect(page.locator("table.audit")).to_contain_text("Cô Lan, tuyển sinh")
    await check_page(page, "portal-lead")
    assert (await count_by_status(db, "cd_long_an"))["da_lien_he"] == 1

    await page.get_by_role("link", name="← Về danh sách").click()
    await expect(page.locator(".badge.s-da_lien_he")).to_have_count(1)
    await page.get_by_role("button", name="Đăng xuất").click()
    await expect(page.locator("main")).to_contain_text("Bạn đã đăng xuất")
    await check_page(page, "portal-signed-out")
    await page.goto(f"{base}/truong")
    await expect(page.locator("main")).to_contain_text("liên kết đăng nhập mới")
    await page.goto(link)  # the link was used: it opens nothing now
    await expect(page.locator("main")).to_contain_text("đã được dùng")


async def test_a_parents_answer_by_phone_in_the_browser(
    portal: tuple[str, str, Any], page: Any
) -> None:
    """portal2: a lead waiting for its parent, and the school recording the answer it got on
    the phone (the list, the lead's page before and after; axe, tap targets, screenshots)."""
    from playwright.async_api import expect

    from tests.test_portal_parent import WAITING, waiting_leads

    base, link, db = portal
    await waiting_leads(db)
    await page.goto(link)
    await page.get_by_role("button", name="Đăng nhập").click()
    await expect(page).to_have_url(f"{base}/truong")
    await expect(page.locator(".card.waiting")).to_have_count(2)
    await expect(page.locator(".card.waiting").first).to_contain_text("Chờ phụ huynh xác nhận")
    await check_page(page, "portal-list-waiting")
    await page.get_by_role("link", name=f"Xem và cập nhật ({WAITING})").click()
    await expect(page.locator("main")).to_contain_text("Phụ huynh xác nhận qua điện thoại")
    await expect(page.locator("main")).not_to_contain_text("0915 000 444")
    await check_page(page, "portal-lead-waiting")
    await page.get_by_role("button", name="Phụ huynh đã xác nhận qua điện thoại").click()
    await expect(page.locator(".ok")).to_contain_text("phụ huynh đồng ý qua điện thoại")
    await expect(page.locator("main")).to_contain_text("0915 000 444")
    await expect(page.locator("table.audit")).to_contain_text("Cô Lan, tuyển sinh")
    await expect(page.locator("table.audit")).to_contain_text("đồng ý")
    await check_page(page, "portal-lead-confirmed-by-phone")
