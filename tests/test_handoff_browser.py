"""Done when (issue 12, deliver 1), in a real headless Chromium: a student asks for a counsellor
in the web chat, the fake Telegram group receives the thread, a counsellor's reply appears in the
page without a reload (server-sent events, across a reconnection), and "/xong" returns the
student to the bot. Screenshots at 360 and 1280 px in var/screenshots/; axe-core finds no
serious or critical violation."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from bot.catalog import Catalog
from bot.channels.handoff_desk import COUNSELLORS
from bot.channels.telegram import webhook_secret
from bot.settings import Settings
from bot.storage.db import make_engine
from bot.storage.migrate import upgrade
from bot.storage.schools import SchoolStore
from bot.web.app import create_app
from tests.drivers import TelegramChat
from tests.fakes.telegram_api import FakeTelegramApi, group_update
from tests.test_browser import ARGS, AXE, HAVE_AXE, SHOTS, axe_serious, chromium_path

pytestmark = pytest.mark.browser
GROUP = -1009777


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegramApi]:
    api = await FakeTelegramApi().start()
    api.forums.add(GROUP)
    yield api
    await api.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'browser.db'}"
    upgrade(url)
    return url


@pytest.fixture
async def stack(
    catalog: Catalog, tmp_path: Path, sqlite_url: str, fake: FakeTelegramApi
) -> AsyncIterator[tuple[TestServer, str]]:
    """What `serve` runs, with Telegram and a linked counsellors' group; an event stream lasts
    one second, so the page reconnects while it waits."""
    url = sqlite_url
    settings = Settings(
        data_dir=tmp_path,
        database_url=url,
        public_url="https://bot.example.edu.vn",
        telegram_bot_token=fake.token,
        telegram_api_base=fake.base_url,
        handoff_hours="always",
        events_stream_seconds=1.0,
        events_poll=0.2,
    )
    server = TestServer(create_app(settings, catalog), host="127.0.0.1")
    await server.start_server()
    db = make_engine(url)
    code = await SchoolStore(db).new_link_code(COUNSELLORS, dt.datetime.now(dt.UTC))
    await db.dispose()
    secret = webhook_secret(settings)
    assert "nhóm người tư vấn" in await TelegramChat(server, fake, secret, GROUP, "supergroup").say(
        f"/link {code}"
    )
    yield server, secret
    await server.close()


@pytest.fixture(params=[360, 1280])
async def page(request: pytest.FixtureRequest, stack: tuple[TestServer, str]) -> AsyncIterator[Any]:
    path = chromium_path()
    if path is None:
        pytest.skip("Debian chromium not installed (make test installs it)")
    from playwright.async_api import async_playwright

    width = request.param
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=path, args=ARGS)
        context = await browser.new_context(
            viewport={"width": width, "height": 740 if width < 800 else 820},
            is_mobile=width < 800,
            has_touch=width < 800,
            locale="vi-VN",
        )
        if HAVE_AXE:
            await context.add_init_script(path=str(AXE))
        pg = await context.new_page()
        pg.width = width
        await pg.goto(str(stack[0].make_url("/")))
        yield pg
        await browser.close()


async def type_in(page: Any, text: str) -> None:
    await page.fill("#q", text)
    await page.keyboard.press("Enter")


async def counsellor_says(stack: tuple[TestServer, str], text: str, thread: int) -> None:
    server, secret = stack
    chat = TelegramChat(server, FakeTelegramApi(), secret, GROUP, "supergroup")
    assert await chat.post(group_update(_next_id(), GROUP, text, thread)) == 200


_counter = iter(range(70_000, 80_000))


def _next_id() -> int:
    return next(_counter)


async def test_a_counsellor_answers_in_the_page_and_xong_returns_to_the_bot(
    page: Any, stack: tuple[TestServer, str], fake: FakeTelegramApi
) -> None:
    from playwright.async_api import expect

    bot = page.locator(".msg.bot")
    await expect(bot.first).to_contain_text("Chào bạn")
    await page.get_by_role("button", name="Gặp người tư vấn").click()
    await expect(bot.last).to_contain_text("Bạn muốn hỏi người tư vấn điều gì")
    await type_in(page, "Em muốn học điện công nghiệp thì nên học trường nào ạ?")
    await expect(bot.last).to_contain_text("Đã chuyển câu hỏi của bạn tới người tư vấn")

    await fake.wait_messages(2, GROUP)  # "linked", then the thread's first message
    first = fake.messages(GROUP)[1]
    assert "điện công nghiệp" in first["text"]
    thread = int(first["message_thread_id"])

    await asyncio.sleep(1.5)  # the page's stream ended once and reconnected meanwhile
    await counsellor_says(stack, "Chào em! Em ở tỉnh nào để cô gợi ý trường gần nhà?", thread)
    answer = page.locator(".msg.bot", has_text="Người tư vấn: Chào em!")
    await expect(answer).to_have_count(1)  # without a reload

    await type_in(page, "Dạ em ở Long An ạ")
    await fake.wait_messages(3, GROUP)
    assert "Dạ em ở Long An ạ" in fake.messages(GROUP)[2]["text"]
    await page.screenshot(path=str(SHOTS / f"handoff-open-{page.width}.png"))
    assert await axe_serious(page) == []

    await counsellor_says(stack, "/xong", thread)
    await expect(bot.last).to_contain_text("Người tư vấn đã kết thúc cuộc trò chuyện")
    await expect(bot.last.locator(".chip").first).to_be_visible()  # the menu is back
    await asyncio.sleep(1.5)
    await expect(answer).to_have_count(1)  # reconnections showed nothing twice

    await type_in(page, "học trung cấp có mất học phí không")
    await expect(bot.last).to_contain_text("học phí")
    assert len(fake.messages(GROUP)) == 4  # "Đã kết thúc…": the bot's question stayed here
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"handoff-closed-{page.width}.png"))
    assert await axe_serious(page) == []
