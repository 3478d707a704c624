"""Telegram adapter (PTB 22 inside our server) against a fake Bot API on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.catalog import Catalog
from bot.channels.telegram import SECRET_HEADER, WEBHOOK_PATH, webhook_secret
from bot.core.messages import Reply
from bot.settings import Settings
from bot.web.app import TELEGRAM, create_app
from tests.fakes.telegram_api import FakeTelegramApi, button_update, text_update


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegramApi]:
    api = await FakeTelegramApi().start()
    yield api
    await api.close()


@pytest.fixture
async def settings_tg(tmp_path: Path, fake: FakeTelegramApi, settings: Settings) -> Settings:
    return Settings(
        data_dir=settings.data_dir,
        public_url="https://bot.example.edu.vn",
        telegram_bot_token=fake.token,
        telegram_api_base=fake.base_url,
    )


@pytest.fixture
async def hook(catalog: Catalog, settings_tg: Settings) -> AsyncIterator[TestServer]:
    server = TestServer(create_app(settings_tg, catalog), host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()


async def _post(server: TestServer, body: object, secret: str | None) -> int:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    async with (
        aiohttp.ClientSession() as http,
        http.post(server.make_url(WEBHOOK_PATH), json=body, headers=headers) as r,
    ):
        return r.status


async def test_webhook_and_commands_are_registered(
    hook: TestServer, fake: FakeTelegramApi, settings_tg: Settings
) -> None:
    methods = {m: b for m, b in fake.calls}
    assert methods["setWebhook"]["url"] == f"https://bot.example.edu.vn{WEBHOOK_PATH}"
    assert methods["setWebhook"]["secret_token"] == webhook_secret(settings_tg)
    commands = [c["command"] for c in methods["setMyCommands"]["commands"]]
    assert commands == ["start", "menu", "khaosat", "xoadulieu"]
    async with aiohttp.ClientSession() as http, http.get(hook.make_url("/healthz")) as r:
        assert (await r.json())["channels"]["telegram"] == "webhook"


async def test_wrong_secret_and_replayed_update_change_nothing(
    hook: TestServer, fake: FakeTelegramApi, settings_tg: Settings
) -> None:
    update = text_update(501, 777, "/start")
    assert await _post(hook, update, None) == 403
    assert await _post(hook, update, "wrong-secret") == 403
    await asyncio.sleep(0.3)
    assert fake.messages() == []
    secret = webhook_secret(settings_tg)
    assert await _post(hook, update, secret) == 200
    await fake.wait_messages(1)
    assert await _post(hook, update, secret) == 200  # Telegram sends it again
    await asyncio.sleep(0.5)
    [greeting] = fake.messages(777)
    assert "Chào bạn" in greeting["text"] and greeting["parse_mode"] == "HTML"
    keyboard = greeting["reply_markup"]["inline_keyboard"]
    datas = [row[0]["callback_data"] for row in keyboard]
    assert "menu:trades" in datas and all(len(d.encode()) <= 64 for d in datas)


async def test_a_button_press_and_a_typed_question(
    hook: TestServer, fake: FakeTelegramApi, settings_tg: Settings
) -> None:
    secret = webhook_secret(settings_tg)
    assert await _post(hook, button_update(601, 888, "menu:trades"), secret) == 200
    await fake.wait_messages(1)
    assert "nhóm nghề" in fake.messages(888)[0]["text"]
    assert any(m == "answerCallbackQuery" for m, _ in fake.calls)
    assert (
        await _post(hook, text_update(602, 888, "<b>hoc nghe han</b> co mat phi ko"), secret) == 200
    )
    await fake.wait_messages(2)
    assert "<b>" not in fake.messages(888)[1]["text"]  # user text never becomes markup


async def test_a_10000_character_answer_arrives_in_pieces(
    hook: TestServer, fake: FakeTelegramApi
) -> None:
    channel = hook.app[TELEGRAM]
    long = "\n\n".join(f"Đoạn {i} <&>: " + "chữ " * 200 for i in range(14))
    assert len(long) > 10_000
    await channel.send(999, [Reply(long)])
    texts = [m["text"] for m in fake.messages(999)]
    assert len(texts) >= 3 and all(len(t) <= 4096 for t in texts)
    assert "&lt;&amp;&gt;" in texts[0]


async def test_polling_mode_without_a_public_url(
    catalog: Catalog, fake: FakeTelegramApi, settings: Settings
) -> None:
    """Only the token is set: the bot deletes any webhook and long-polls getUpdates."""
    polling = Settings(
        data_dir=settings.data_dir, telegram_bot_token=fake.token, telegram_api_base=fake.base_url
    )
    server = TestServer(create_app(polling, catalog), host="127.0.0.1")
    await server.start_server()
    try:
        fake.push(text_update(701, 4001, "xin chao"))
        await fake.wait_messages(1, 4001)
        fake.push(text_update(702, 4001, "hoc nghe han co mat phi ko"))
        await fake.wait_messages(2, 4001)
        await asyncio.sleep(0.8)  # more polls: handled updates are not handed out again
        assert len(fake.messages(4001)) == 2
        assert "Chào bạn" in fake.messages(4001)[0]["text"]
        assert fake.count("deleteWebhook") >= 1 and fake.count("setWebhook") == 0
        offsets = [b.get("offset") for m, b in fake.calls if m == "getUpdates"]
        assert 703 in offsets  # PTB confirmed both updates
        async with aiohttp.ClientSession() as http, http.get(server.make_url("/healthz")) as r:
            assert (await r.json())["channels"]["telegram"] == "polling"
    finally:
        await server.close()


async def test_a_429_is_waited_out_and_the_message_still_arrives(
    hook: TestServer, fake: FakeTelegramApi, settings_tg: Settings
) -> None:
    fake.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    assert await _post(hook, text_update(801, 555, "/start"), webhook_secret(settings_tg)) == 200
    await fake.wait_messages(1, 555)
    assert fake.count("sendMessage") == 2  # refused once, sent after waiting
    assert "Chào bạn" in fake.messages(555)[-1]["text"]


async def test_private_commands_with_the_bot_name_a_start_code_and_staff_commands(
    hook: TestServer, fake: FakeTelegramApi, settings_tg: Settings
) -> None:
    secret = webhook_secret(settings_tg)
    chat = 4321
    said = [
        "/start poster-qr-2026",
        "/khaosat@hn_test_bot",
        "/menu@hn_test_bot",
        "/leads",
        "<b>An</b> & co",
    ]
    for index, text in enumerate(said, start=901):
        assert await _post(hook, text_update(index, chat, text), secret) == 200
        await fake.wait_messages(index - 900, chat)
    texts = [m["text"] for m in fake.messages(chat)]
    assert "Chào bạn" in texts[0]  # a deep-link code still greets
    assert "Bạn đang học lớp mấy?" in texts[1]  # /khaosat@bot is /khaosat
    assert "Bạn muốn tìm hiểu gì?" in texts[2]  # /menu@bot is /menu
    assert "dành cho nhóm Telegram của nhà trường" in texts[3]
    assert fake.documents == []
