"""Photos, stickers, voice messages, files, locations… nobody typed (issue 9, part 8): one
friendly answer from content/texts.yaml on every channel, with the menu, or with the waiting
survey question asked again (a photo is no answer and loses nothing); a photo's caption is still
read as text; Zalo Bot's withheld content gets an explanation; a Zalo Bot group gets one note
and nothing is stored; answers go out in order and a replayed event is ignored."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.catalog import Catalog
from bot.catalog.text_keys import T
from bot.channels import zalo_bot, zalo_oa
from bot.channels.telegram import webhook_secret
from bot.core.engine import Engine
from bot.core.messages import WITHHELD, Inbound
from bot.settings import Settings
from bot.storage.db import make_engine
from bot.storage.models import ContactRow, ConversationRow, LeadRow, ResponseRow
from bot.web.app import ZALO_BOT, ZALO_OA, create_app
from tests.conftest import switch_on
from tests.drivers import GRADE12_TYPED, SETTLE, TelegramChat, ZaloOAChat
from tests.fakes.telegram_api import MEDIA, FakeTelegramApi, media_update, text_update
from tests.fakes.zalo_bot_api import FakeZaloBotApi, media_message, unsupported
from tests.fakes.zalo_bot_api import message as zb_text
from tests.fakes.zalo_oa_api import MEDIA_KINDS as OA_MEDIA
from tests.fakes.zalo_oa_api import FakeZaloOA, user_send_media, user_send_text

ZB_SECRET = "zalo-bot-secret_42"
NAME_STEP = 9  # GRADE12_TYPED[:9] ends at "Họ và tên"
QUESTION = "hoc nghe han co mat hoc phi ko"
_ids = itertools.count(50_000)


# -- the core -------------------------------------------------------------------------------------


async def test_the_core_answers_media_with_the_menu_or_the_waiting_question(
    engine: Engine, catalog: Catalog
) -> None:
    [reply] = await engine.handle(Inbound("test", "m1", media="photo"))
    assert reply.text == catalog.text(T.MEDIA)
    assert "menu:trades" in [b.payload for b in reply.buttons]
    assert catalog.text(T.EMPTY) not in reply.text

    [withheld] = await engine.handle(Inbound("test", "m1", media=WITHHELD))
    assert withheld.text == catalog.text(T.MEDIA_WITHHELD)
    assert "menu:trades" in [b.payload for b in withheld.buttons]

    for text, _expected in GRADE12_TYPED[:NAME_STEP]:
        asked = await engine.handle(Inbound("test", "m2", text=text))
    for media in ("sticker", WITHHELD):
        note, *again = await engine.handle(Inbound("test", "m2", media=media))
        assert note.text == catalog.text(
            T.MEDIA_WITHHELD if media == WITHHELD else T.MEDIA_IN_SURVEY
        )
        assert [r.text for r in again] == [asked[-1].text]  # the same question, asked again
    [next_question] = await engine.handle(Inbound("test", "m2", text="Trần Thị Bình"))
    assert "trường THPT nào" in next_question.text  # the name, not the sticker, was the answer

    # a survey left for the menu: the menu offers to continue it
    await engine.handle(Inbound("test", "m2", text="menu"))
    [paused] = await engine.handle(Inbound("test", "m2", media="voice"))
    assert paused.text == catalog.text(T.MEDIA)
    assert paused.buttons[0].payload == "sv:resume"


# -- all three platforms on one server ------------------------------------------------------------


class Platforms:
    def __init__(self) -> None:
        self.telegram = FakeTelegramApi()
        self.zalo_bot = FakeZaloBotApi()
        self.zalo_oa = FakeZaloOA()

    async def start(self) -> Platforms:
        for fake in (self.telegram, self.zalo_bot, self.zalo_oa):
            await fake.start()
        return self

    async def close(self) -> None:
        for fake in (self.telegram, self.zalo_bot, self.zalo_oa):
            await fake.close()


@pytest.fixture
async def platforms() -> AsyncIterator[Platforms]:
    fakes = await Platforms().start()
    yield fakes
    await fakes.close()


@pytest.fixture
async def stack(
    catalog: Catalog, database_url: str, tmp_path: Path, platforms: Platforms
) -> AsyncIterator[tuple[TestServer, AsyncEngine, Settings]]:
    oa = platforms.zalo_oa
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        public_url="https://bot.example.edu.vn",
        telegram_bot_token=platforms.telegram.token,
        telegram_api_base=platforms.telegram.base_url,
        zalo_bot_token=platforms.zalo_bot.token,
        zalo_bot_secret=ZB_SECRET,
        zalo_bot_api_base=platforms.zalo_bot.base_url,
        zalo_oa_app_id=oa.app_id,
        zalo_oa_secret_key=oa.oa_secret_key,
        zalo_app_secret=oa.app_secret,
        zalo_oa_access_token=oa.access_token,
        zalo_oa_refresh_token=oa.refresh_token,
        zalo_oa_api_base=oa.base_url,
        zalo_oauth_base=oa.base_url,
    )
    server = TestServer(create_app(settings, catalog), host="127.0.0.1")
    await server.start_server()
    await switch_on(database_url)  # task directory: the schools an operator switched on
    db = make_engine(database_url)
    yield server, db, settings
    await server.close()
    await db.dispose()


async def _count(db: AsyncEngine, model: Any, **where: str) -> int:
    query = select(func.count()).select_from(model)
    for column, value in where.items():
        query = query.where(getattr(model, column) == value)
    async with async_sessionmaker(db)() as session:
        return int(await session.scalar(query) or 0)


class Student:
    """One person on one platform: `say` types, `send` posts an update we build (a photo…);
    both return everything the bot sent back."""

    async def say(self, text: str) -> str:
        raise NotImplementedError

    async def send(self, update: dict[str, Any]) -> str:
        raise NotImplementedError


class OnTelegram(Student):
    def __init__(self, server: TestServer, fake: FakeTelegramApi, secret: str, chat: int) -> None:
        self.chat = TelegramChat(server, fake, secret, chat)
        self.fake, self.chat_id = fake, chat

    def photo(self, kind: str = "photo", caption: str | None = None) -> dict[str, Any]:
        return media_update(next(_ids), self.chat_id, kind, caption)

    async def say(self, text: str) -> str:
        return await self.chat.say(text)

    async def send(self, update: dict[str, Any]) -> str:
        before = len(self.fake.messages(self.chat_id))
        assert await self.chat.post(update) == 200
        await self.fake.wait_messages(before + 1, self.chat_id)
        await asyncio.sleep(SETTLE)
        return "\n".join(m["text"] for m in self.fake.messages(self.chat_id)[before:])


class OnZaloOA(Student):
    def __init__(self, server: TestServer, fake: FakeZaloOA, user: str) -> None:
        self.chat = ZaloOAChat(server, fake, user, server.app[ZALO_OA])
        self.fake, self.user = fake, user

    def photo(self, kind: str = "image", caption: str | None = None) -> dict[str, Any]:
        return user_send_media(self.user, kind, caption)

    async def say(self, text: str) -> str:
        return await self.chat.say(text)

    async def send(self, update: dict[str, Any]) -> str:
        before = len(self.fake.texts(self.user))
        assert await self.chat.post(*self.fake.event(update)) == 200
        return "\n".join(self.fake.texts(self.user)[before:])


class OnZaloBot(Student):
    def __init__(self, server: TestServer, fake: FakeZaloBotApi, chat: str) -> None:
        self.server, self.fake, self.chat_id = server, fake, chat

    def photo(self, kind: str = "image", caption: str | None = None) -> dict[str, Any]:
        return media_message(self.chat_id, kind, f"zb-{next(_ids)}", caption)

    async def post(self, update: dict[str, Any]) -> int:
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                self.server.make_url(zalo_bot.WEBHOOK_PATH),
                json=update,
                headers={zalo_bot.SECRET_HEADER: ZB_SECRET},
            ) as response,
        ):
            status = response.status
        await self.server.app[ZALO_BOT].tasks.settle()
        return status

    async def say(self, text: str) -> str:
        return await self.send(zb_text(self.chat_id, text, f"zb-{next(_ids)}"))

    async def send(self, update: dict[str, Any]) -> str:
        before = len(self.fake.texts(self.chat_id))
        assert await self.post(update) == 200
        return "\n".join(self.fake.texts(self.chat_id)[before:])


def _students(
    server: TestServer, platforms: Platforms, settings: Settings, suffix: str, chat: int
) -> dict[str, OnTelegram | OnZaloOA | OnZaloBot]:
    return {
        "telegram": OnTelegram(server, platforms.telegram, webhook_secret(settings), chat),
        "zalo_oa": OnZaloOA(server, platforms.zalo_oa, f"oa-{suffix}"),
        "zalo_bot": OnZaloBot(server, platforms.zalo_bot, f"zb-{suffix}"),
    }


async def test_a_photo_gets_the_same_answer_on_every_channel_and_never_loses_the_survey(
    stack: tuple[TestServer, AsyncEngine, Settings], platforms: Platforms, catalog: Catalog
) -> None:
    server, db, settings = stack
    media, in_survey = catalog.text(T.MEDIA), catalog.text(T.MEDIA_IN_SURVEY)
    for channel, student in _students(server, platforms, settings, "photo", 8005).items():
        reply = await student.send(student.photo())
        assert reply.startswith(media), f"{channel}: {reply}"
        assert catalog.text(T.EMPTY) not in reply
        if channel == "telegram":
            keyboard = platforms.telegram.messages(8005)[-1]["reply_markup"]["inline_keyboard"]
            assert "menu:trades" in [row[0]["callback_data"] for row in keyboard]
        else:
            assert "1. Các nghề" in reply  # the menu, as a numbered list

        for text, expected in GRADE12_TYPED[:NAME_STEP]:
            assert expected in await student.say(text), f"{channel}: {text!r}"
        again = await student.send(student.photo())
        assert again.startswith(in_survey) and "Họ và tên" in again, f"{channel}: {again}"
        for text, expected in GRADE12_TYPED[NAME_STEP:]:
            reply = await student.say(text)
            assert expected in reply, f"{channel}: {text!r} -> {reply}"
    assert await _count(db, ResponseRow) == 3 and await _count(db, LeadRow) == 3
    async with async_sessionmaker(db)() as session:
        contacts = [c.data for c in await session.scalars(select(ContactRow))]
    assert len(contacts) == 3 and all("Trần Thị Bình" in str(c) for c in contacts)


async def test_every_kind_of_media_is_answered_and_a_caption_is_read_as_text(
    stack: tuple[TestServer, AsyncEngine, Settings],
    platforms: Platforms,
    catalog: Catalog,
    engine: Engine,
) -> None:
    server, _db, settings = stack
    media = catalog.text(T.MEDIA)
    students = _students(server, platforms, settings, "kinds", 8006)
    tg, oa, zb = students["telegram"], students["zalo_oa"], students["zalo_bot"]
    assert isinstance(tg, OnTelegram) and isinstance(oa, OnZaloOA) and isinstance(zb, OnZaloBot)
    for kind in sorted(MEDIA):
        assert (await tg.send(tg.photo(kind))).startswith(media), kind
    for kind in OA_MEDIA:
        assert (await oa.send(oa.photo(kind))).startswith(media), kind
    zalo_bot_kinds = [
        zb.photo("image"),
        zb.photo("sticker"),
        zb.photo("voice"),
        zb.photo("video"),  # an event name of the same form, not in the documentation we have
        {"message": {**zb.photo()["message"]}},  # no event name: the photo field tells
    ]
    for update in zalo_bot_kinds:
        assert (await zb.send(update)).startswith(media), update

    expected = engine.ask(QUESTION).answer[:40]  # before any "&" Telegram escapes
    for student in students.values():
        reply = await student.send(student.photo(caption=QUESTION))
        assert expected in reply and media not in reply, reply


async def test_zalo_bot_withheld_content_is_explained_with_the_menu_or_the_question(
    stack: tuple[TestServer, AsyncEngine, Settings], platforms: Platforms, catalog: Catalog
) -> None:
    server, _db, _settings = stack
    zb = OnZaloBot(server, platforms.zalo_bot, "zb-minor")
    reply = await zb.send(unsupported("zb-minor", f"zb-{next(_ids)}"))
    assert reply.startswith(catalog.text(T.MEDIA_WITHHELD)) and "1. Các nghề" in reply
    for text, expected in GRADE12_TYPED[:NAME_STEP]:
        assert expected in await zb.say(text)
    again = await zb.send(unsupported("zb-minor", f"zb-{next(_ids)}"))
    assert again.startswith(catalog.text(T.MEDIA_WITHHELD)) and "Họ và tên" in again
    assert "trường THPT nào" in await zb.say("Trần Thị Bình")


async def test_a_zalo_bot_group_gets_one_note_and_nothing_is_stored(
    stack: tuple[TestServer, AsyncEngine, Settings], platforms: Platforms, catalog: Catalog
) -> None:
    server, db, _settings = stack
    zb = OnZaloBot(server, platforms.zalo_bot, "zb-group-1")
    said = [
        zb_text("zb-group-1", "khao sat", "g-1", chat_type="GROUP"),
        zb_text("zb-group-1", "Trần Thị Bình 0912345678", "g-2", chat_type="GROUP"),
        media_message("zb-group-1", "image", "g-3", chat_type="GROUP"),
        unsupported("zb-group-1", "g-4", chat_type="GROUP"),
    ]
    replies = [await zb.send(update) for update in said]
    assert replies == [catalog.text(T.GROUP_PRIVATE_ONLY), "", "", ""]
    assert await _count(db, ConversationRow) == 0 and await _count(db, ResponseRow) == 0
    # in a private chat, the survey starts as usual
    private = OnZaloBot(server, platforms.zalo_bot, "zb-private-1")
    assert "lớp mấy" in await private.say("khao sat")
    assert await _count(db, ConversationRow, user_key="zb-private-1") == 1
    assert await _count(db, ConversationRow) == 1


async def test_answers_keep_the_order_of_the_messages_and_replays_are_ignored(
    stack: tuple[TestServer, AsyncEngine, Settings], platforms: Platforms, catalog: Catalog
) -> None:
    """The first answer is slow to send; the photo's and the thanks' answers still come after
    it, in order; the same photo sent again is ignored."""
    server, _db, settings = stack
    greeting, media, thanks = "Chào bạn", catalog.text(T.MEDIA), catalog.text(T.THANKS)
    students = _students(server, platforms, settings, "order", 8007)
    tg, oa, zb = students["telegram"], students["zalo_oa"], students["zalo_bot"]
    assert isinstance(tg, OnTelegram) and isinstance(oa, OnZaloOA) and isinstance(zb, OnZaloBot)

    platforms.telegram.slow = [0.5]
    photo = tg.photo("sticker")
    updates = [text_update(next(_ids), tg.chat_id, "xin chao"), photo, photo]
    updates.append(text_update(next(_ids), tg.chat_id, "cam on"))
    for update in updates:
        assert await tg.chat.post(update) == 200
    await platforms.telegram.wait_messages(3, tg.chat_id)
    await asyncio.sleep(SETTLE)
    texts = [m["text"] for m in platforms.telegram.messages(tg.chat_id)]
    assert len(texts) == 3 and greeting in texts[0], texts
    assert texts[1].startswith(media) and texts[2].startswith(thanks)

    platforms.zalo_oa.slow = [0.5]
    oa_photo = oa.photo("sticker")
    events = [user_send_text(oa.user, "xin chao"), oa_photo, oa_photo]
    events.append(user_send_text(oa.user, "cam on"))
    for event in events:  # each answered 200 at once, handled in the background
        body, headers = platforms.zalo_oa.event(event)
        async with (
            aiohttp.ClientSession() as http,
            http.post(server.make_url(zalo_oa.WEBHOOK_PATH), data=body, headers=headers) as r,
        ):
            assert r.status == 200
    await server.app[ZALO_OA].tasks.settle()
    texts = platforms.zalo_oa.texts(oa.user)
    assert len(texts) == 3 and greeting in texts[0], texts
    assert texts[1].startswith(media) and texts[2].startswith(thanks)

    platforms.zalo_bot.slow = [0.5]
    zb_photo = zb.photo("sticker")
    zb_updates = [zb_text(zb.chat_id, "xin chao", f"zb-{next(_ids)}"), zb_photo, zb_photo]
    zb_updates.append(zb_text(zb.chat_id, "cam on", f"zb-{next(_ids)}"))
    for update in zb_updates:
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                server.make_url(zalo_bot.WEBHOOK_PATH),
                json=update,
                headers={zalo_bot.SECRET_HEADER: ZB_SECRET},
            ) as response,
        ):
            assert response.status == 200
    await server.app[ZALO_BOT].tasks.settle()
    texts = platforms.zalo_bot.texts(zb.chat_id)
    assert len(texts) == 3 and greeting in texts[0], texts
    assert texts[1].startswith(media) and texts[2].startswith(thanks)


async def test_telegram_groups_and_service_messages_get_no_answer(
    stack: tuple[TestServer, AsyncEngine, Settings], platforms: Platforms
) -> None:
    server, db, settings = stack
    group = TelegramChat(server, platforms.telegram, webhook_secret(settings), -100555, "group")
    assert await group.post(media_update(next(_ids), -100555, "photo", chat_type="group")) == 200
    pinned = text_update(next(_ids), 8100, "")
    del pinned["message"]["text"]
    pinned["message"]["pinned_message"] = text_update(1, 8100, "ghim")["message"]
    assert await group.post(pinned) == 200
    sentinel = OnTelegram(server, platforms.telegram, webhook_secret(settings), 8101)
    assert "Chào bạn" in await sentinel.say("/start")  # handled in order: the two came first
    assert platforms.telegram.messages(-100555) == [] and platforms.telegram.messages(8100) == []
    assert await _count(db, ConversationRow) == 1
