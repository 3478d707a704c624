"""People talking to the bot through a platform, as tests drive them: each `say` sends what a
user types through the platform's real route and returns what the bot sent back."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from bot.channels import zalo_bot, zalo_oa
from bot.channels.telegram import SECRET_HEADER, WEBHOOK_PATH
from tests.fakes.telegram_api import (
    FakeTelegramApi,
    button_update,
    contact_update,
    text_update,
)
from tests.fakes.zalo_bot_api import FakeZaloBotApi
from tests.fakes.zalo_bot_api import message as zalo_message
from tests.fakes.zalo_oa_api import FakeZaloOA, user_send_text

_update_ids = itertools.count(10_000)

# A grade 12 survey typed as a student would (no diacritics, numbers for choices), with what
# each answer must bring back. "truong phu hop" + "hung yen" picks cd_cn_hung_yen.
GRADE12_TYPED = [
    ("khao sat", "lớp mấy"),
    ("2", "Sau khi tốt nghiệp THPT"),
    ("hoc cao dang", "nghề, ngành nào"),
    ("dien cong nghiep", "Đã chọn: Điện công nghiệp"),  # tradestep: ticked, the step stays
    ("xong", "trường nào"),
    ("truong phu hop", "tỉnh, thành phố"),
    ("hung yen", "xã, phường"),
    ("bo qua", "Trường sẽ nhận thông tin"),
    ("dong y", "Họ và tên"),
    ("Trần Thị Bình", "trường THPT nào"),
    ("THPT Mỹ Hào, 12A1", "Số điện thoại"),
    ("0912345678", "Bạn kiểm tra lại"),
    ("1", "đã được chuyển tới"),
]
GRADE12_SCHOOL = "cd_cn_hung_yen"
SETTLE = 0.15  # seconds: a turn may send several messages


class TelegramChat:
    """A Telegram chat (private, or a staff group) posting updates to our webhook."""

    def __init__(
        self,
        server: TestServer,
        fake: FakeTelegramApi,
        secret: str,
        chat_id: int,
        chat_type: str = "private",
    ) -> None:
        self.server, self.fake, self.secret = server, fake, secret
        self.chat_id, self.chat_type = chat_id, chat_type

    async def post(self, update: dict[str, Any]) -> int:
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                self.server.make_url(WEBHOOK_PATH),
                json=update,
                headers={SECRET_HEADER: self.secret},
            ) as response,
        ):
            return response.status

    async def _turn(self, update: dict[str, Any], expect_reply: bool = True) -> str:
        before = len(self.fake.messages(self.chat_id))
        documents = self.fake.documents_to(self.chat_id)
        assert await self.post(update) == 200
        if expect_reply:
            await self.fake.wait_messages(before + documents + 1, self.chat_id)
        await asyncio.sleep(SETTLE)
        return "\n".join(m["text"] for m in self.fake.messages(self.chat_id)[before:])

    async def say(self, text: str, expect_reply: bool = True) -> str:
        update = text_update(next(_update_ids), self.chat_id, text, self.chat_type, user_id=5001)
        return await self._turn(update, expect_reply)

    async def press(self, label: str) -> str:
        """Press a button of the last message with buttons, by its label."""
        for message in reversed(self.fake.messages(self.chat_id)):
            markup = message.get("reply_markup")
            if markup and "inline_keyboard" in markup:  # not a reply keyboard (parentsafe)
                buttons = {
                    b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row
                }
                assert label in buttons, f"no button {label!r} in {list(buttons)}"
                return await self._turn(
                    button_update(next(_update_ids), self.chat_id, buttons[label])
                )
        raise AssertionError("no message with buttons")

    async def share_contact(self, phone: str, own: bool = True) -> str:
        """Share a contact: the user's own (Telegram vouches for it), or someone else's."""
        owner = self.chat_id if own else self.chat_id + 1
        return await self._turn(contact_update(next(_update_ids), self.chat_id, phone, owner))

    def contact_button(self) -> str | None:
        """The label of the last reply keyboard's "share my phone" button, if one was sent."""
        for message in reversed(self.fake.messages(self.chat_id)):
            markup = message.get("reply_markup") or {}
            for row in markup.get("keyboard") or []:
                for button in row:
                    if isinstance(button, dict) and button.get("request_contact"):
                        return str(button["text"])
        return None


class WebChat:
    """The web chat's JSON contract: POST /api/chat with a session."""

    def __init__(self, server: TestServer, session: str) -> None:
        self.server, self.session = server, session

    async def say(self, text: str) -> str:
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                self.server.make_url("/api/chat"), json={"session": self.session, "text": text}
            ) as response,
        ):
            assert response.status == 200, await response.text()
            replies = (await response.json())["replies"]
        return "\n".join(r["text"] for r in replies)


class ZaloBotChat:
    """A Zalo Bot Platform user: messages posted to our webhook with the secret token."""

    def __init__(self, server: TestServer, fake: FakeZaloBotApi, secret: str, chat_id: str) -> None:
        self.server, self.fake, self.secret, self.chat_id = server, fake, secret, chat_id

    async def say(self, text: str) -> str:
        before = len(self.fake.texts(self.chat_id))
        update = zalo_message(self.chat_id, text, f"zb-{next(_update_ids)}")
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                self.server.make_url(zalo_bot.WEBHOOK_PATH),
                json=update,
                headers={zalo_bot.SECRET_HEADER: self.secret},
            ) as response,
        ):
            assert response.status == 200
        async with asyncio.timeout(10):
            while len(self.fake.texts(self.chat_id)) <= before:
                self.fake.sent.clear()
                await self.fake.sent.wait()
        await asyncio.sleep(SETTLE)
        return "\n".join(self.fake.texts(self.chat_id)[before:])


class ZaloOAChat:
    """A Zalo OA follower: events signed as Zalo signs them, posted to our webhook."""

    def __init__(
        self, server: TestServer, fake: FakeZaloOA, user: str, channel: zalo_oa.ZaloOAChannel
    ) -> None:
        self.server, self.fake, self.user, self.channel = server, fake, user, channel

    async def post(self, body: bytes, headers: dict[str, str]) -> int:
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                self.server.make_url(zalo_oa.WEBHOOK_PATH), data=body, headers=headers
            ) as response,
        ):
            status = response.status
        await self.channel.tasks.settle()  # the event is answered at once and handled after
        return status

    async def say(self, text: str) -> str:
        before = len(self.fake.texts(self.user))
        assert await self.post(*self.fake.event(user_send_text(self.user, text))) == 200
        return "\n".join(self.fake.texts(self.user)[before:])
