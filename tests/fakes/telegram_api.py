"""A fake Telegram Bot API (api.telegram.org/bot<TOKEN>/<method>) on 127.0.0.1.

Answers what python-telegram-bot calls (form-encoded, multipart or JSON parameters) and records
every call. `updates` is what getUpdates hands out (by offset, as Telegram does); `fail(method,
...)` makes the next calls of a method answer with an error, e.g. 429 with retry_after; `slow`
holds the next sendMessage calls that many seconds. `text_update`, `button_update` and
`media_update` build updates as the Bot API documents them (Update, Message, CallbackQuery and
the PhotoSize, Sticker, Voice, … objects).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web
from aiohttp.test_utils import TestServer

from tests.fakes import base_url, serve_post

FORUM_MISSING = "Bad Request: the chat is not a forum"
BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Hướng nghiệp", "username": "hn_test_bot"}


@dataclass
class FakeTelegramApi:
    token: str = "4242:fake-telegram-token"
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    sent: asyncio.Event = field(default_factory=asyncio.Event)
    server: TestServer | None = None
    updates: list[dict[str, Any]] = field(default_factory=list)
    errors: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    documents: list[tuple[int, str, bytes]] = field(default_factory=list)  # chat, filename, data
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    refused: set[int] = field(default_factory=set)  # indexes in `calls` answered with an error
    slow: list[float] = field(default_factory=list)  # seconds to hold the next sendMessage calls
    # handoff (issue 12): supergroups with topics on (createForumTopic works there only)
    forums: set[int] = field(default_factory=set)
    topics: int = 0

    def fail(
        self,
        method: str,
        code: int,
        description: str,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` calls of `method` fail as the Bot API reports errors."""
        error: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if retry_after is not None:
            error["parameters"] = {"retry_after": retry_after}
        self.errors.setdefault(method, []).extend([error] * times)

    def push(self, update: dict[str, Any]) -> None:
        """An update for getUpdates (polling mode)."""
        self.updates.append(update)
        self.arrived.set()

    def count(self, method: str) -> int:
        return sum(1 for m, _ in self.calls if m == method)

    @property
    def base_url(self) -> str:
        return base_url(self.server)

    def messages(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Messages sent (not those refused with an error), to one chat or all."""
        return [
            body
            for index, (method, body) in enumerate(self.calls)
            if method == "sendMessage"
            and index not in self.refused
            and (chat_id is None or int(body["chat_id"]) == chat_id)
        ]

    async def handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}
            )
        method = request.match_info["method"]
        body = await _parameters(request)
        if method == "sendMessage" and self.slow:
            await asyncio.sleep(self.slow.pop(0))  # a slow network: recorded when it arrives
        self.calls.append((method, body))
        if self.errors.get(method):
            error = self.errors[method].pop(0)
            self.refused.add(len(self.calls) - 1)
            return web.json_response(error, status=error["error_code"])  # as Telegram does
        result: Any = True
        if method == "getMe":
            result = BOT_USER
        elif method == "sendMessage":
            chat_id = int(body["chat_id"])
            result = {
                "message_id": len(self.calls),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                "text": body.get("text", ""),
            }
            if body.get("message_thread_id") and chat_id in self.forums:
                result["message_thread_id"] = int(body["message_thread_id"])
                result["is_topic_message"] = True
            self.sent.set()
        elif method == "createForumTopic":  # handoff (issue 12): a ForumTopic, as documented
            if int(body["chat_id"]) not in self.forums:
                self.refused.add(len(self.calls) - 1)
                error = {"ok": False, "error_code": 400, "description": FORUM_MISSING}
                return web.json_response(error, status=400)
            self.topics += 1
            result = {"message_thread_id": 1000 + self.topics, "name": body["name"]}
            result["icon_color"] = 7322096
        elif method == "sendDocument":
            document = body.pop("document")
            self.documents.append((int(body["chat_id"]), document[0], document[1]))
            result = {
                "message_id": len(self.calls),
                "date": int(time.time()),
                "chat": {"id": int(body["chat_id"]), "type": "group"},
                "document": {"file_id": "f1", "file_unique_id": "u1", "file_name": document[0]},
            }
            self.sent.set()
        elif method == "getUpdates":
            result = await self._updates(int(body.get("offset") or 0))
        return web.json_response({"ok": True, "result": result})

    async def _updates(self, offset: int) -> list[dict[str, Any]]:
        """Updates from `offset` on, waiting a little for new ones (long polling)."""
        for _ in range(2):
            pending = [u for u in self.updates if u["update_id"] >= offset]
            if pending:
                return pending
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), 0.3)
        return []

    async def start(self) -> FakeTelegramApi:
        self.server = await serve_post("/bot{token}/{method}", self.handle)
        return self

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()

    async def wait_messages(
        self,
        count: int,
        chat_id: int | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> None:
        """Until `count` messages (to that chat) were sent, documents included."""
        async with asyncio.timeout(timeout):
            while len(self.messages(chat_id)) + self.documents_to(chat_id) < count:
                self.sent.clear()
                await self.sent.wait()

    def documents_to(self, chat_id: int | None) -> int:
        return sum(1 for chat, _, _ in self.documents if chat_id is None or chat == chat_id)


async def _parameters(request: web.Request) -> dict[str, Any]:
    """A method's parameters: JSON, form fields (JSON-decoded where they are JSON) or multipart,
    where an uploaded file becomes (filename, bytes)."""
    if request.content_type == "application/json":
        data: dict[str, Any] = await request.json()
        return data
    body: dict[str, Any] = {}
    if request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            assert isinstance(part, BodyPartReader)
            raw = await part.read()
            if part.filename:
                body[str(part.name)] = (part.filename, bytes(raw))
            else:
                body[str(part.name)] = _decoded(raw.decode("utf-8"))
        return body
    for key, value in (await request.post()).items():
        body[key] = _decoded(str(value))
    return body


def _decoded(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def text_update(
    update_id: int, chat_id: int, text: str, chat_type: str = "private", user_id: int | None = None
) -> dict[str, Any]:
    user = {"id": user_id or chat_id, "is_bot": False, "first_name": "An"}
    chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
    if chat_type != "private":
        chat["title"] = "Tuyển sinh"
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": chat,
            "from": user,
            "text": text,
        },
    }


def contact_update(
    update_id: int, chat_id: int, phone: str, contact_user_id: int | None
) -> dict[str, Any]:
    """A private chat's user shares a contact (their own when contact_user_id is chat_id, as
    Telegram's "share my phone number" button sends it; parentsafe)."""
    update = text_update(update_id, chat_id, "", user_id=chat_id)
    del update["message"]["text"]
    contact: dict[str, Any] = {"phone_number": phone, "first_name": "Hoa"}
    if contact_user_id is not None:
        contact["user_id"] = contact_user_id
    update["message"]["contact"] = contact
    return update


def button_update(update_id: int, chat_id: int, data: str) -> dict[str, Any]:
    user = {"id": chat_id, "is_bot": False, "first_name": "An"}
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cb{update_id}",
            "from": user,
            "chat_instance": "ci",
            "data": data,
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT_USER,
                "text": "…",
            },
        },
    }


_FILE = {"file_id": "AgACAgUAAxkBAAI", "file_unique_id": "AQADx7ox", "file_size": 48213}
# One documented example of each kind of message a user can send instead of text.
MEDIA: dict[str, Any] = {
    "photo": [
        {**_FILE, "width": 90, "height": 67},
        {**_FILE, "file_unique_id": "AQADx7oy", "width": 1280, "height": 960},
    ],
    "sticker": {
        **_FILE,
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": "👍",
        "set_name": "HotCherry",
    },
    "voice": {**_FILE, "duration": 3, "mime_type": "audio/ogg"},
    "audio": {**_FILE, "duration": 184, "mime_type": "audio/mpeg", "title": "Bài hát"},
    "video": {**_FILE, "width": 720, "height": 1280, "duration": 12, "mime_type": "video/mp4"},
    "video_note": {**_FILE, "length": 240, "duration": 5},
    "animation": {**_FILE, "width": 320, "height": 240, "duration": 2, "file_name": "a.gif.mp4"},
    "document": {**_FILE, "file_name": "hoc-ba.pdf", "mime_type": "application/pdf"},
    "location": {"latitude": 10.762622, "longitude": 106.660172},
    "venue": {
        "location": {"latitude": 10.762622, "longitude": 106.660172},
        "title": "Trường",
        "address": "Quận 5",
    },
    "contact": {"phone_number": "+84901234567", "first_name": "Bình", "user_id": 5001},
    "dice": {"emoji": "🎲", "value": 4},
}


def media_update(
    update_id: int,
    chat_id: int,
    kind: str,
    caption: str | None = None,
    chat_type: str = "private",
) -> dict[str, Any]:
    """A message with a photo, sticker, voice message, … (MEDIA[kind]) and no text. Telegram
    sends an animation with its `document` too."""
    update = text_update(update_id, chat_id, "", chat_type)
    message = update["message"]
    del message["text"]
    message[kind] = MEDIA[kind]
    if kind == "animation":
        message["document"] = MEDIA["document"]
    if caption is not None:
        message["caption"] = caption
    return update


def group_update(
    update_id: int,
    chat_id: int,
    text: str,
    thread_id: int | None = None,
    reply_to: int | None = None,
    user_id: int = 7001,
) -> dict[str, Any]:
    """A counsellor's message in a supergroup: inside a forum topic (`thread_id`: it carries
    message_thread_id and is_topic_message, and answers the topic's first message unless it
    answers another), and/or a reply to one of the bot's messages (`reply_to`)."""
    update = text_update(update_id, chat_id, text, "supergroup", user_id=user_id)
    message = update["message"]
    message["from"]["first_name"] = "Cô Lan"
    replied = reply_to if reply_to is not None else thread_id
    if thread_id is not None:
        message["message_thread_id"] = thread_id
        message["is_topic_message"] = True
        message["chat"]["is_forum"] = True
    if replied is not None:
        message["reply_to_message"] = {
            "message_id": replied,
            "date": int(time.time()),
            "chat": dict(message["chat"]),
            "from": BOT_USER,
            "text": "…",
        }
    return update
