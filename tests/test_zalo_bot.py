"""Zalo Bot Platform adapter against a fake Bot API on 127.0.0.1: webhook and polling."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.catalog import Catalog
from bot.channels.zalo_bot import WEBHOOK_PATH
from bot.settings import Settings
from bot.storage.db import make_engine
from bot.storage.models import LeadRow, ResponseRow
from bot.web.app import create_app
from tests.conftest import switch_on
from tests.drivers import GRADE12_SCHOOL, GRADE12_TYPED
from tests.fakes.zalo_bot_api import FakeZaloBotApi, message

SECRET = "zalo-webhook-secret_123"
_ids = itertools.count(1000)


@pytest.fixture
async def fake() -> AsyncIterator[FakeZaloBotApi]:
    api = await FakeZaloBotApi().start()
    yield api
    await api.close()


def _settings(tmp_path: Path, database_url: str, fake: FakeZaloBotApi, webhook: bool) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        public_url="https://bot.example.edu.vn" if webhook else None,
        zalo_bot_token=fake.token,
        zalo_bot_secret=SECRET if webhook else None,
        zalo_bot_api_base=fake.base_url,
    )


@pytest.fixture
async def hook(
    catalog: Catalog, database_url: str, tmp_path: Path, fake: FakeZaloBotApi
) -> AsyncIterator[TestServer]:
    server = TestServer(create_app(_settings(tmp_path, database_url, fake, True), catalog))
    await server.start_server()
    await switch_on(database_url)  # task directory: the schools an operator switched on
    yield server
    await server.close()


async def _post(server: TestServer, body: object, secret: str | None = SECRET) -> int:
    headers = {"X-Bot-Api-Secret-Token": secret} if secret is not None else {}
    async with (
        aiohttp.ClientSession() as http,
        http.post(server.make_url(WEBHOOK_PATH), json=body, headers=headers) as r,
    ):
        return r.status


async def _say(server: TestServer, fake: FakeZaloBotApi, chat: str, text: str) -> str:
    before = len(fake.texts())
    assert await _post(server, message(chat, text, f"msg-{next(_ids)}")) == 200
    await fake.wait_texts(before + 1)
    await asyncio.sleep(0.05)  # a turn may send several messages
    return "\n".join(fake.texts()[before:])


async def test_webhook_is_set_with_the_secret(hook: TestServer, fake: FakeZaloBotApi) -> None:
    [(_, body)] = [c for c in fake.calls if c[0] == "setWebhook"]
    assert body == {"url": f"https://bot.example.edu.vn{WEBHOOK_PATH}", "secret_token": SECRET}
    async with aiohttp.ClientSession() as http, http.get(hook.make_url("/healthz")) as r:
        assert (await r.json())["channels"]["zalo_bot"] == "webhook"


async def test_forged_secret_and_replayed_message_change_nothing(
    hook: TestServer, fake: FakeZaloBotApi
) -> None:
    update = message("u-forged", "xin chào", "msg-replayed-1")
    assert await _post(hook, update, secret=None) == 403
    assert await _post(hook, update, secret="wrong") == 403
    await asyncio.sleep(0.2)
    assert fake.texts() == []
    assert await _post(hook, update) == 200
    await fake.wait_texts(1)
    assert await _post(hook, update) == 200  # the same message_id again: ignored
    assert await _post(hook, {"result": update}) == 200  # the same, in a result wrapper
    await asyncio.sleep(0.3)
    assert len(fake.texts()) == 1
    assert "1. " in fake.texts()[0]  # choices as a numbered list


async def test_numbers_and_labels_drive_the_menus(hook: TestServer, fake: FakeZaloBotApi) -> None:
    greeting = await _say(hook, fake, "u-menu", "hi")
    assert "1. Các nghề" in greeting
    trades = await _say(hook, fake, "u-menu", "1")
    assert "Bạn quan tâm nhóm nghề nào?" in trades
    answer = await _say(hook, fake, "u-menu", "hoc nghe han co mat hoc phi ko")
    assert answer.strip()


async def test_grade12_survey_on_zalo_bot_stores_the_lead(
    hook: TestServer, fake: FakeZaloBotApi, database_url: str
) -> None:
    chat = "u-survey-12"
    for text, expected in GRADE12_TYPED:
        reply = await _say(hook, fake, chat, text)
        assert expected in reply, f"{text!r} -> {reply}"
    db = make_engine(database_url)
    try:
        async with async_sessionmaker(db)() as session:
            [response] = list(await session.scalars(select(ResponseRow)))
            [lead] = list(await session.scalars(select(LeadRow)))
        assert (response.channel, response.grade, lead.school_id) == (
            "zalo_bot",
            12,
            GRADE12_SCHOOL,
        )
    finally:
        await db.dispose()


async def test_long_replies_are_split_under_2000(
    catalog: Catalog, fake: FakeZaloBotApi, hook: TestServer
) -> None:
    app_channel = hook.app  # the same app: send a long reply through the adapter
    from bot.core.messages import Reply
    from bot.web.app import ZALO_BOT

    channel = app_channel[ZALO_BOT]
    paragraphs = "\n\n".join(f"Đoạn {i}: " + "chữ " * 120 for i in range(20))
    await channel.send("u-long", [Reply(paragraphs)])
    texts = fake.texts("u-long")
    assert len(texts) > 1 and all(len(t) <= 2000 for t in texts)
    assert "".join(texts).replace("\n", "").replace(" ", "") == paragraphs.replace(
        "\n", ""
    ).replace(" ", "")


async def test_polling_mode_answers_queued_messages(
    catalog: Catalog, database_url: str, tmp_path: Path, fake: FakeZaloBotApi
) -> None:
    settings = replace(_settings(tmp_path, database_url, fake, False))
    server = TestServer(create_app(settings, catalog))
    await server.start_server()
    try:
        await fake.updates.put(message("u-poll", "xin chào", "poll-1"))
        await fake.updates.put(message("u-poll", "xin chào", "poll-1"))  # delivered twice
        await fake.wait_texts(1)
        await asyncio.sleep(1.2)
        assert len(fake.texts("u-poll")) == 1
        assert not [c for c in fake.calls if c[0] == "setWebhook"]
    finally:
        await server.close()


async def test_replies_go_out_in_the_order_the_user_wrote(
    hook: TestServer, fake: FakeZaloBotApi
) -> None:
    """The first reply is slow to send; the second message's reply still comes after it."""
    fake.slow = [0.5]
    chat = "u-order"
    for index, text in enumerate(["xin chao", "hoc nghe han o dau", "cam on"]):
        assert await _post(hook, message(chat, text, f"order-{index}")) == 200
    await fake.wait_texts(3)
    await asyncio.sleep(0.2)
    texts = fake.texts(chat)
    assert "Chào bạn" in texts[0]
    assert "nghề hàn" in texts[1].lower() and "Chào bạn" not in texts[1]
    assert len(texts) == 3
