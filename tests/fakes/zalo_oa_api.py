"""A fake Zalo OA platform on 127.0.0.1: the send API (openapi.zalo.me/v3.0/oa/message/cs) and
the OAuth token endpoint (oauth.zaloapp.com/v4/oa/access_token) on one server.

Records every call. Only the current access token is accepted (else -216). A refresh issues a
new pair and spends the refresh token it used: reusing one fails, and is counted. `inject()`
makes the next send calls fail with an error code or hold them ("timeout") until close; `slow`
delays the next send calls.
`event()` builds webhook bodies signed the way Zalo signs them; `user_send_text`,
`user_send_media`, `follow`, `user_submit_info` build the events themselves.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.channels.zalo_oa import REFRESH_PATH, SEND_PATH, SIGNATURE_HEADER
from tests.fakes import base_url, serve_posts

TIMEOUT = "timeout"
_msg_ids = itertools.count(1)


@dataclass
class Send:
    """One call to the send API, as received."""

    token: str
    body: dict[str, Any]
    error: int | str  # what the fake answered (0: delivered)

    @property
    def user(self) -> str:
        return str(self.body["recipient"]["user_id"])

    @property
    def text(self) -> str:
        return str(self.body["message"]["text"])

    @property
    def buttons(self) -> list[dict[str, Any]]:
        attachment = self.body["message"].get("attachment")
        return list(attachment["payload"]["buttons"]) if attachment else []


@dataclass
class FakeZaloOA:
    app_id: str = "1234567890123456789"
    oa_secret_key: str = "oa-secret-key-for-tests"
    app_secret: str = "app-secret-for-tests"
    access_token: str = "oa-access-1"
    refresh_token: str = "oa-refresh-1"
    expires_in: str = "90000"  # seconds, as a string (Zalo sends one)
    sends: list[Send] = field(default_factory=list)
    refreshes: list[dict[str, str]] = field(default_factory=list)  # form of every refresh call
    spent: set[str] = field(default_factory=set)  # refresh tokens already used
    reused: int = 0  # refresh calls with a spent token (must stay 0)
    injected: list[int | str] = field(default_factory=list)
    slow: list[float] = field(default_factory=list)  # seconds to hold the next send calls
    server: TestServer | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)
    _issued: itertools.count[int] = field(default_factory=lambda: itertools.count(2))

    @property
    def base_url(self) -> str:
        return base_url(self.server)

    def inject(self, *errors: int | str) -> None:
        """The next len(errors) send calls answer these instead (an int code, or TIMEOUT)."""
        self.injected.extend(errors)

    def delivered(self, user: str | None = None) -> list[Send]:
        return [s for s in self.sends if s.error == 0 and (user is None or s.user == user)]

    def texts(self, user: str | None = None) -> list[str]:
        return [s.text for s in self.delivered(user)]

    async def send_api(self, request: web.Request) -> web.Response:
        token = request.headers.get("access_token", "")
        body = await request.json()
        if self.slow:
            await asyncio.sleep(self.slow.pop(0))  # a slow network: recorded when it arrives
        error: int | str = 0
        if self.injected:
            error = self.injected.pop(0)
        elif token != self.access_token:
            error = -216
        self.sends.append(Send(token, body, error))
        self.changed.set()
        if error == TIMEOUT:
            await self.released.wait()
            return web.json_response({"error": -1, "message": "released"})
        if error:
            return web.json_response({"error": error, "message": "injected or invalid token"})
        return web.json_response({"error": 0, "message": "Success", "data": {"msg_id": "x"}})

    async def oauth(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.refreshes.append(form)
        self.changed.set()
        given = form.get("refresh_token", "")
        if given in self.spent:
            self.reused += 1
        if (
            request.headers.get("secret_key") != self.app_secret
            or form.get("app_id") != self.app_id
            or form.get("grant_type") != "refresh_token"
            or given != self.refresh_token
        ):
            return web.json_response({"error": -14014, "error_name": "Invalid refresh token"})
        self.spent.add(given)
        n = next(self._issued)
        self.access_token, self.refresh_token = f"oa-access-{n}", f"oa-refresh-{n}"
        return web.json_response(
            {
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "expires_in": self.expires_in,
            }
        )

    async def start(self) -> FakeZaloOA:
        self.server = await serve_posts({SEND_PATH: self.send_api, REFRESH_PATH: self.oauth})
        return self

    async def close(self) -> None:
        self.released.set()
        if self.server is not None:
            await self.server.close()

    # -- webhook events, signed as Zalo signs them -----------------------------------------------

    def event(
        self,
        event: dict[str, Any],
        *,
        app_id: str | None = None,
        secret: str | None = None,
        age: float = 0.0,
    ) -> tuple[bytes, dict[str, str]]:
        """(body, headers) of a webhook POST: `event` with app_id and a timestamp `age` seconds
        old, signed mac = sha256(app_id + body + timestamp + OA secret key)."""
        app = app_id or self.app_id
        stamp = str(int((time.time() - age) * 1000))
        document = {"app_id": app, **event, "timestamp": stamp}
        try:
            body = json.dumps(document, ensure_ascii=False).encode()
        except UnicodeEncodeError:  # a lone surrogate travels as its JSON escape, "\ud800"
            body = json.dumps(document).encode()
        key = self.oa_secret_key if secret is None else secret
        mac = hashlib.sha256(app.encode() + body + stamp.encode() + key.encode()).hexdigest()
        return body, {SIGNATURE_HEADER: f"mac={mac}", "Content-Type": "application/json"}


def user_send_text(user: str, text: str, msg_id: str | None = None) -> dict[str, Any]:
    """A user's text message (or a pressed button's hidden query)."""
    return {
        "event_name": "user_send_text",
        "sender": {"id": user},
        "recipient": {"id": "oa-1"},
        "message": {"text": text, "msg_id": msg_id or f"zmsg-{next(_msg_ids)}"},
    }


_ATTACHMENTS: dict[str, dict[str, Any]] = {
    "image": {"url": "https://photo-stal-1.zadn.vn/abc.jpg", "thumbnail": "https://t.zadn.vn/a"},
    "gif": {"url": "https://photo-stal-1.zadn.vn/abc.gif", "thumbnail": "https://t.zadn.vn/g"},
    "sticker": {"id": "d063f44dc80821567819", "url": "https://zalo-api.zadn.vn/sticker"},
    "audio": {"url": "https://voice-stal-1.zadn.vn/abc.aac"},
    "video": {"url": "https://video.zadn.vn/abc.mp4", "thumbnail": "https://t.zadn.vn/v"},
    "file": {"url": "https://f.zadn.vn/hoc-ba.pdf", "name": "hoc-ba.pdf", "size": "48213"},
    "location": {"coordinates": {"latitude": "10.762622", "longitude": "106.660172"}},
    "link": {"url": "https://example.edu.vn", "title": "Trang trường", "description": ""},
    "business_card": {"qr_code_url": "https://qr.zadn.vn/abc", "name": "Bình"},
}
MEDIA_KINDS = tuple(_ATTACHMENTS)


def user_send_media(
    user: str, kind: str, text: str | None = None, msg_id: str | None = None
) -> dict[str, Any]:
    """A `user_send_<kind>` event: an image, sticker, GIF, audio, video, file, location, link
    or business card, as `message.attachments` (with `text` when the user added a caption)."""
    attachment = {"type": kind, "payload": _ATTACHMENTS[kind]}
    message: dict[str, Any] = {
        "msg_id": msg_id or f"zmsg-{next(_msg_ids)}",
        "attachments": [attachment],
    }
    if text is not None:
        message["text"] = text
    return {
        "event_name": f"user_send_{kind}",
        "sender": {"id": user},
        "recipient": {"id": "oa-1"},
        "user_id_by_app": f"app-{user}",
        "message": message,
    }


def oa_send_text(user: str, text: str) -> dict[str, Any]:
    """Our own message, echoed back by the platform."""
    return {
        "event_name": "oa_send_text",
        "sender": {"id": "oa-1"},
        "recipient": {"id": user},
        "message": {"text": text, "msg_id": f"zmsg-{next(_msg_ids)}"},
    }


def follow(user: str) -> dict[str, Any]:
    return {"event_name": "follow", "oa_id": "oa-1", "follower": {"id": user}, "source": "oa"}


def user_submit_info(user: str, **info: str) -> dict[str, Any]:
    """Details the user shared through an OA form: name, phone, address, city, district, ward."""
    return {
        "event_name": "user_submit_info",
        "sender": {"id": user},
        "recipient": {"id": "oa-1"},
        "info": info,
    }
