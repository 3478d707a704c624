"""The web chat in a real headless Chromium (Debian's), at phone size (360 px).

Every test saves a screenshot in var/screenshots/ (look at them). axe-core comes from the npm
registry (`make axe` puts it in .cache/npm; AXE_CORE_JS may name another copy) and is injected
by Playwright; no serious or critical violation may remain.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from bot.catalog import Catalog
from bot.core.engine import Engine
from bot.core.history import RecordingEngine
from bot.core.memory import MemoryConversationStore
from bot.matching.matcher import Matcher
from tests.conftest import ROOT, FixedClock, chromium_path

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
WIDTH = 360
SHOTS = ROOT / "var" / "screenshots"
AXE = Path(os.environ.get("AXE_CORE_JS", ROOT / ".cache/npm/node_modules/axe-core/axe.min.js"))
HAVE_AXE = AXE.is_file()
TUITION = "hoc xong lop 9 hoc trung cap co mat hoc phi ko"


@pytest.fixture
def engine(catalog: Catalog, matcher: Matcher) -> Engine:
    """What `serve` runs: an engine that keeps the web chat's turns."""
    return RecordingEngine(
        catalog, matcher, MemoryConversationStore(), FixedClock(), channels=("web",)
    )


@pytest.fixture
async def page(server: TestServer) -> AsyncIterator[Any]:
    path = chromium_path()
    if path is None:
        pytest.skip("Debian chromium not installed (make test installs it)")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=path, args=ARGS)
        context = await browser.new_context(
            viewport={"width": WIDTH, "height": 740},
            is_mobile=True,
            has_touch=True,
            locale="vi-VN",
        )
        if HAVE_AXE:  # an init script is not an inline <script>: the page's CSP stays on
            await context.add_init_script(path=str(AXE))
        pg = await context.new_page()
        await pg.goto(str(server.make_url("/")))
        yield pg
        await browser.close()


async def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}-{WIDTH}.png"), full_page=False)


async def axe_serious(page: Any) -> list[str]:
    """The serious and critical axe-core violations on the page as it is now."""
    if not HAVE_AXE:
        if os.environ.get("CI"):
            pytest.fail(f"axe-core is missing at {AXE}: `make axe` installs it")
        pytest.skip("axe-core not installed (make axe)")
    result = await page.evaluate("async () => await axe.run(document)")
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


async def tap_targets_too_small(page: Any) -> list[str]:
    """Buttons and the input lower than 44 px."""
    small: list[str] = await page.evaluate(
        """() => Array.from(document.querySelectorAll('button, #q, summary'))
             .filter(el => el.offsetParent !== null && el.getBoundingClientRect().height < 44)
             .map(el => el.textContent || el.id)"""
    )
    return small


async def no_sideways_scroll(page: Any) -> bool:
    width: int = await page.evaluate("document.documentElement.scrollWidth")
    return width <= WIDTH


async def texts_without_chips(page: Any) -> list[str]:
    """Each message's text, without its buttons."""
    texts: list[str] = await page.evaluate(
        """() => Array.from(document.querySelectorAll('.msg')).map(m => {
             const copy = m.cloneNode(true);
             copy.querySelectorAll('.chips').forEach(c => c.remove());
             return copy.textContent; })"""
    )
    return texts


async def say(page: Any, text: str) -> None:
    from playwright.async_api import expect

    count = await page.locator(".msg.bot").count()
    await page.fill("#q", text)
    await page.keyboard.press("Enter")
    await expect(page.locator(".msg.bot")).not_to_have_count(count)
    await expect(page.locator(".typing")).to_have_count(0)


async def test_page_renders_at_phone_size_with_greeting_and_chips(page: Any) -> None:
    from playwright.async_api import expect

    await expect(page.locator(".msg.bot").first).to_contain_text("Chào bạn")
    chips = page.locator(".chip")
    await expect(chips.first).to_be_visible()
    assert await chips.count() >= 6
    assert await tap_targets_too_small(page) == []
    assert await no_sideways_scroll(page)
    assert await page.get_attribute("#log", "role") == "log"
    assert await page.locator("label[for=q]").count() == 1
    assert await axe_serious(page) == []
    await shot(page, "webchat-greeting")


async def test_typed_question_gets_a_card_with_its_source_folded(page: Any) -> None:
    from playwright.async_api import expect

    await expect(page.locator(".msg.bot").first).to_contain_text("Chào bạn")
    await say(page, TUITION)
    card = page.locator(".msg.card").last
    await expect(card.locator("h2.card-title")).to_contain_text("?")
    details = card.locator("details.source")
    await expect(details.locator("summary")).to_have_text("Căn cứ")
    assert await details.get_attribute("open") is None  # folded
    await expect(card.locator(".source-text")).to_be_hidden()
    await expect(page.locator(".msg.me")).to_have_text([TUITION])
    assert await page.evaluate("document.activeElement.id") == "q"  # typing goes on
    # document numbers and dates are no links; nothing but http(s) and tel ever is one
    assert await card.locator("a").count() == 0
    await shot(page, "webchat-card")
    await details.locator("summary").click()
    await expect(card.locator(".source-text")).to_contain_text("238/2025/NĐ-CP")
    assert await tap_targets_too_small(page) == []
    assert await no_sideways_scroll(page)
    assert await axe_serious(page) == []
    await shot(page, "webchat-card-source-open")


async def test_button_press_opens_the_menu_it_names(page: Any) -> None:
    from playwright.async_api import expect

    await page.get_by_role("button", name="Các nghề").click()
    await expect(page.locator(".msg.bot").nth(1)).to_contain_text("nhóm nghề")
    await page.get_by_role("button", name="Nông nghiệp công nghệ cao").click()
    await expect(page.locator(".msg.bot").nth(2)).to_contain_text("Nông nghiệp công nghệ cao")
    # a tap does not pop the phone's keyboard up
    assert await page.evaluate("document.activeElement.id") != "q"


async def test_conversation_survives_a_reload(page: Any) -> None:
    from playwright.async_api import expect

    await expect(page.locator(".msg.bot").first).to_contain_text("Chào bạn")
    await say(page, TUITION)
    await page.get_by_role("button", name="Trang chủ").last.click()
    await expect(page.locator(".msg.me")).to_have_count(2)
    await expect(page.locator(".typing")).to_have_count(0)
    before = await texts_without_chips(page)
    await page.reload()
    await expect(page.locator(".msg")).to_have_count(len(before))
    after = await texts_without_chips(page)
    assert after == before  # the same turns, no second greeting
    await expect(page.locator(".msg.card")).to_have_count(1)
    # only the last reply offers buttons again, and they work
    assert await page.locator(".msg").last.locator(".chip").count() >= 6
    assert await page.locator(".msg").nth(0).locator(".chip").count() == 0
    await page.get_by_role("button", name="Các nghề").click()
    await expect(page.locator(".msg.bot").last).to_contain_text("nhóm nghề")
    await shot(page, "webchat-after-reload")


async def test_survey_counter_summary_and_roles(page: Any) -> None:
    from playwright.async_api import expect

    await expect(page.locator(".msg.bot").first).to_contain_text("Chào bạn")
    for text in ["khao sat", "1", "trung cap", "bo qua", "bo qua", "Tây Ninh", "bo qua"]:
        await say(page, text)
    texts = " ".join(await page.locator(".msg.bot").all_inner_texts())
    counters = re.findall(r"Câu (\d+)/(\d+)", texts)
    assert counters == [(str(n), "5") for n in range(1, 6)]  # never "3/9" then "4/5"
    summary = page.locator(".msg.bot").last
    await expect(summary).to_contain_text("Bạn kiểm tra lại")
    chips = summary.locator(".chip")
    await expect(chips).to_have_text(["✅ Gửi", "✏ Sửa", "✖ Hủy khảo sát"])
    assert "primary" in (await chips.nth(0).get_attribute("class") or "")
    assert "destructive" in (await chips.nth(2).get_attribute("class") or "")
    colours = await chips.evaluate_all(
        "els => els.map(e => getComputedStyle(e).backgroundColor + '|' + getComputedStyle(e).color)"
    )
    assert len(set(colours)) == 3  # the main action, a plain one and the destructive one differ
    assert await tap_targets_too_small(page) == []
    assert await no_sideways_scroll(page)
    assert await axe_serious(page) == []
    await shot(page, "webchat-survey-summary")
    await chips.nth(1).click()
    await expect(page.locator(".msg.bot").last).to_contain_text("Bạn muốn sửa câu nào?")
    await expect(page.get_by_role("button", name="✏ Sửa: Dự định")).to_be_visible()
    await shot(page, "webchat-survey-edit-list")


async def test_typing_indicator_shows_while_the_bot_answers(page: Any) -> None:
    from playwright.async_api import expect

    await expect(page.locator(".msg.bot").first).to_contain_text("Chào bạn")
    release = asyncio.Event()

    async def hold(route: Any) -> None:
        await release.wait()
        await route.continue_()

    await page.route("**/api/chat", hold)
    await page.fill("#q", TUITION)
    await page.keyboard.press("Enter")
    await expect(page.locator(".typing")).to_be_visible()
    await expect(page.locator("#status")).to_have_text("Đang trả lời…")
    await shot(page, "webchat-typing")
    release.set()
    await expect(page.locator(".msg.card")).to_have_count(1)
    await expect(page.locator(".typing")).to_have_count(0)
    await expect(page.locator("#status")).to_have_text("")


async def test_links_and_phone_numbers_are_tappable_and_html_is_text(page: Any) -> None:
    from playwright.async_api import expect

    await expect(page.locator(".msg.bot").first).to_contain_text("Chào bạn")
    typed = (
        '<img src=x onerror=alert(1)> <a href="javascript:alert(2)">x</a> '
        "xem https://moet.gov.vn/tuyen-sinh, www.example.vn hoặc gọi 0912 345 678. "
        "Năm 03/9/2025, 4.000.000 đ, 238/2025/NĐ-CP"
    )
    await say(page, typed)
    mine = page.locator(".msg.me").last
    await expect(mine).to_have_text(typed)
    assert await page.locator(".msg img, .msg script").count() == 0
    hrefs = await mine.locator("a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert hrefs == ["https://moet.gov.vn/tuyen-sinh", "https://www.example.vn", "tel:0912345678"]
    await mine.evaluate("el => el.scrollIntoView({block: 'center'})")
    await shot(page, "webchat-links")


async def test_emoji_render_in_colour(page: Any) -> None:
    """The buttons' emoji (✅, ✏, 📄) are drawn by a colour font, not as empty boxes."""
    coloured = await page.evaluate(
        """() => {
          const c = document.createElement('canvas'); c.width = 64; c.height = 64;
          const g = c.getContext('2d');
          g.font = '48px "Noto Color Emoji", sans-serif'; g.textBaseline = 'top';
          g.fillText('✅', 4, 4);
          const d = g.getImageData(0, 0, 64, 64).data;
          let n = 0;
          for (let i = 0; i < d.length; i += 4) {
            const [r, gr, b, a] = [d[i], d[i + 1], d[i + 2], d[i + 3]];
            if (a > 0 && (Math.abs(r - gr) > 40 || Math.abs(gr - b) > 40)) n++;
          }
          return n;
        }"""
    )
    assert coloured > 100, "no colour emoji font (apt-get install fonts-noto-color-emoji)"


async def test_the_page_can_be_added_to_the_home_screen(page: Any) -> None:
    manifest = await page.evaluate(
        """async () => {
          const link = document.querySelector('link[rel=manifest]');
          const res = await fetch(link.href);
          return {type: res.headers.get('content-type'), body: await res.json()};
        }"""
    )
    assert manifest["type"].startswith("application/manifest+json")
    body = manifest["body"]
    assert body["display"] == "standalone" and body["start_url"] == "/" and body["lang"] == "vi"
    sizes = await page.evaluate(
        """async (icons) => Promise.all(icons.map(i => new Promise(ok => {
             const img = new Image();
             img.onload = () => ok(img.naturalWidth + 'x' + img.naturalHeight);
             img.onerror = () => ok('broken'); img.src = i.src; })))""",
        body["icons"],
    )
    assert sizes == [i["sizes"] for i in body["icons"]]
    assert {"192x192", "512x512"} <= set(sizes)
    assert any(i.get("purpose") == "maskable" for i in body["icons"])
