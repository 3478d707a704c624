"""A parent opens the web chat's link with a code (/?ma=PH…) in a real headless Chromium, at
360 px and 1280 px: the request shows at once, the code leaves the address bar, the parent
confirms with the button; screenshots in var/screenshots/, no serious axe-core violation."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.catalog import Catalog
from bot.core.engine import Engine
from bot.core.history import RecordingEngine
from bot.core.messages import Inbound
from bot.matching.matcher import Matcher
from bot.settings import Settings
from bot.storage.conversations import SqlConversationStore
from bot.storage.db import make_engine
from bot.storage.leads import SqlLeadSink
from tests.conftest import FixedClock, chromium_path
from tests.test_browser import ARGS, AXE, HAVE_AXE, SHOTS, axe_serious
from tests.test_parent import GRADE9_TYPED

pytestmark = pytest.mark.browser


@pytest.fixture
async def engine(catalog: Catalog, matcher: Matcher, settings: Settings) -> AsyncIterator[Engine]:
    """What `serve` runs, on the migrated SQLite database of `settings` (the server's too).
    Its clock is today's: the app's reminder worker expires codes by the real clock."""
    db = make_engine(settings.db_url)
    store = SqlConversationStore(db)
    clock = FixedClock(dt.datetime.now(dt.UTC))
    yield RecordingEngine(catalog, matcher, store, clock, leads=SqlLeadSink(db), channels=("web",))
    await db.dispose()


async def student_code(engine: Engine, user: str) -> str:
    """A grade 9 survey sent by a student on Zalo; the code (compact, as in the link)."""
    for typed in [*GRADE9_TYPED, "1"]:
        replies = await engine.handle(Inbound("zalo_bot", user, text=typed))
    found = re.search(r"PH-([A-Z0-9]{4})-([A-Z0-9]{4})", "\n".join(r.text for r in replies))
    assert found is not None
    return "PH" + found.group(1) + found.group(2)


@pytest.mark.parametrize("width", [360, 1280])
async def test_a_parent_confirms_from_the_web_link(server: Any, engine: Engine, width: int) -> None:
    path = chromium_path()
    if path is None:
        pytest.skip("Debian chromium not installed (make test installs it)")
    from playwright.async_api import async_playwright

    code = await student_code(engine, f"student-{width}")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=path, args=ARGS)
        context = await browser.new_context(
            viewport={"width": width, "height": 800}, is_mobile=width < 600, locale="vi-VN"
        )
        if HAVE_AXE:
            await context.add_init_script(path=str(AXE))
        page = await context.new_page()
        await page.goto(str(server.make_url(f"/?ma={code}")))
        await page.get_by_text("Nội dung đồng ý:").wait_for(timeout=10_000)
        assert "ma=" not in page.url  # the code left the address bar
        assert await page.get_by_text("Học sinh: Lê Thị Cúc").count() == 1
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SHOTS / f"parent-request-{width}.png"))
        if HAVE_AXE:
            assert await axe_serious(page) == []
        width_used: int = await page.evaluate("document.documentElement.scrollWidth")
        assert width_used <= width
        await page.get_by_role("button", name="✅ Tôi đồng ý").click()
        await page.get_by_text("Cảm ơn anh/chị").wait_for(timeout=10_000)
        await page.screenshot(path=str(SHOTS / f"parent-confirmed-{width}.png"))
        # a reload shows the conversation again, without the code or the child's details
        await page.reload()
        await page.get_by_text("Cảm ơn anh/chị").wait_for(timeout=10_000)
        assert await page.get_by_text("Lê Thị Cúc").count() == 0
        await browser.close()
