"""The web chat in a real headless Chromium (Debian's), at phone size."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from tests.conftest import ROOT, chromium_path

pytestmark = pytest.mark.browser

ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
async def page(server: TestServer) -> AsyncIterator[object]:
    path = chromium_path()
    if path is None:
        pytest.skip("Debian chromium not installed (make test installs it)")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=path, args=ARGS)
        context = await browser.new_context(
            viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="vi-VN"
        )
        pg = await context.new_page()
        await pg.goto(str(server.make_url("/")))
        yield pg
        await browser.close()


async def test_page_renders_at_phone_size_with_greeting_and_chips(page: object) -> None:
    from playwright.async_api import Page, expect

    assert isinstance(page, Page)
    await expect(page.locator(".msg.bot").first).to_contain_text("Chào bạn")
    chips = page.locator(".chip")
    await expect(chips.first).to_be_visible()
    assert await chips.count() >= 6
    box = await chips.first.bounding_box()
    assert box is not None and box["height"] >= 40  # tappable
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360  # no sideways scrolling on a phone
    assert await page.get_attribute("#log", "role") == "log"
    assert await page.locator("label[for=q]").count() == 1
    shots = ROOT / "var" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(Path(shots) / "webchat-360.png"))


async def test_typed_question_gets_the_right_answer(page: object) -> None:
    from playwright.async_api import Page, expect

    assert isinstance(page, Page)
    await expect(page.locator(".msg.bot").first).to_contain_text("Chào bạn")
    await page.fill("#q", "hoc xong lop 9 hoc trung cap co mat hoc phi ko")
    await page.keyboard.press("Enter")
    answer = page.locator(".msg.bot").nth(1)
    await expect(answer).to_contain_text("238/2025/NĐ-CP")
    await expect(page.locator(".msg.me")).to_have_text(
        ["hoc xong lop 9 hoc trung cap co mat hoc phi ko"]
    )
    assert await page.evaluate("document.activeElement.id") == "q"


async def test_button_press_opens_the_menu_it_names(page: object) -> None:
    from playwright.async_api import Page, expect

    assert isinstance(page, Page)
    await page.get_by_role("button", name="Các nghề").click()
    await expect(page.locator(".msg.bot").nth(1)).to_contain_text("nhóm nghề")
    await page.get_by_role("button", name="Nông nghiệp công nghệ cao").click()
    await expect(page.locator(".msg.bot").nth(2)).to_contain_text("Nông nghiệp công nghệ cao")


async def test_html_typed_by_user_is_shown_as_text(page: object) -> None:
    from playwright.async_api import Page, expect

    assert isinstance(page, Page)
    await page.fill("#q", "<img src=x onerror=alert(1)>")
    await page.click("#send")
    await expect(page.locator(".msg.me")).to_have_text(["<img src=x onerror=alert(1)>"])
    assert await page.locator(".msg.me img").count() == 0
