"""Zalo Official Account (OA API v3): the signed webhook, the OA send client, token refresh.

An event is accepted only with a valid X-ZEvent-Signature, our app id and a timestamp within
REPLAY_WINDOW (the signature covers the app id and timestamp found in the body, so the body is
parsed first, but nothing in it is used before it is verified: anything unverifiable gets 403).
A verified event is answered 200 at once and handled in a background task, each msg_id once;
one we cannot read also gets 200 (and a WARNING line): Zalo asks for 200 and would only send it
again. Images (a caption is read as text), stickers, GIFs, voice, video, files, locations, links
and business cards reach the core as media.
Replies are split under MAX_TEXT characters; 1-5 buttons go out as a template of hidden queries
whose payload comes back as text starting with PAYLOAD_PREFIX, more become a numbered list.
The access token and the single-use refresh token live in the database
(bot.storage.credentials), refreshed ahead of expiry and when the API says the token is bad.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import logging
import re
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.catalog.text_keys import T
from bot.channels.base import (
    BackgroundTasks,
    Malformed,
    clean_text,
    header_bytes,
    numbered_text,
    parse_json,
    platform_id,
    split_text,
)
from bot.core.engine import Engine
from bot.core.messages import Button, Inbound, Reply
from bot.settings import Settings
from bot.storage.credentials import Credentials, CredentialStore
from bot.storage.events import SeenEvents
from bot.storage.unreachable import UnreachableUsers

log = logging.getLogger(__name__)

CHANNEL = "zalo_oa"
WEBHOOK_PATH = "/webhooks/zalo-oa"
SIGNATURE_HEADER = "X-ZEvent-Signature"
SEND_PATH = "/v3.0/oa/message/cs"
REFRESH_PATH = "/v4/oa/access_token"
MAX_TEXT = 2000  # UNVERIFIED: the documented limit of a consultation text message
MAX_BUTTONS = 5  # more than this and the choices go out as a numbered list
MAX_BUTTON_TITLE = 100  # UNVERIFIED: third-party docs give 100 characters per button title
PAYLOAD_PREFIX = "#hn:"  # a pressed button's hidden query (UNVERIFIED: it arrives as text)
REPLAY_WINDOW = dt.timedelta(minutes=15)  # older (or further ahead) events are refused
REFRESH_AHEAD = dt.timedelta(hours=1)  # tokens last about 25 h; renew before they lapse
TOKEN_ERRORS = frozenset({-216, -220})  # invalid, expired: refresh and retry once
UNREACHABLE = -230  # the user has not interacted for 7 days: no message can reach them
RATE_LIMITED = -32
RATE_LIMIT_RETRIES = 3
SHARED_FIELDS = ("name", "phone")  # of user_submit_info; address, city, ... are dropped here
MAX_SHARED = 120
_TIMESTAMP = re.compile(r"[0-9]{1,16}")  # milliseconds; ASCII digits only, linear
# user_send_* events that carry no typed text: the core answers them as media
MEDIA_EVENTS = {
    f"user_send_{kind}": kind
    for kind in ("image", "sticker", "gif", "audio", "video", "file", "location", "link")
} | {"user_send_business_card": "business_card"}
CAPTIONED = frozenset({"user_send_image"})  # a photo's caption is read as text, as on Telegram


class ZaloOAError(Exception):
    """The OA API or the OAuth server answered something we cannot use (never a token)."""


class ZaloOAChannel:
    """The adapter: the webhook route feeds the engine; send() talks to the OA API."""

    name = CHANNEL

    def __init__(
        self, settings: Settings, engine: Engine, seen: SeenEvents, db_engine: AsyncEngine
    ) -> None:
        assert settings.zalo_oa_enabled
        self.settings = settings
        self.engine = engine
        self.seen = seen
        self.credentials = CredentialStore(db_engine)
        self.unreachable = UnreachableUsers(db_engine)
        self.hint = engine.catalog.text(T.NUMBER_HINT)
        self.retry_base = settings.zalo_oa_retry_base
        self.http: aiohttp.ClientSession | None = None
        self.tasks = BackgroundTasks()
        self.token: Credentials | None = None
        self.refreshing = asyncio.Lock()  # one refresh at a time in this process
        self.state = "stopped"

    async def connect(self) -> None:
        """Seed the tokens from settings if the database has none; refresh if needed."""
        self.http = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.settings.zalo_oa_timeout)
        )
        first = Credentials(self.settings.zalo_oa_access_token, self.settings.zalo_oa_refresh_token)
        await self.credentials.seed(CHANNEL, first)
        self.token = await self.credentials.get(CHANNEL)
        self.state = "webhook"
        if self.token is None or self.token.expiring(_now(), REFRESH_AHEAD):
            await self._refresh(self.token.access_token if self.token else None)

    async def disconnect(self) -> None:
        await self.tasks.cancel()
        if self.http is not None:
            await self.http.close()
        self.state = "stopped"

    # -- inbound --------------------------------------------------------------------------------

    async def webhook(self, request: web.Request) -> web.Response:
        """POST /webhooks/zalo-oa: verified, deduplicated, answered at once, handled after."""
        raw = await request.read()
        try:
            event = parse_json(raw)
        except Malformed as exc:
            event = exc  # unverifiable: refused below, like a bad signature
        refused = self._refusal(raw, event, header_bytes(request, SIGNATURE_HEADER))
        if refused is not None:
            log.warning("zalo oa: webhook refused: %s", refused)
            return web.json_response({"error": "forbidden"}, status=403)
        assert isinstance(event, dict)
        try:
            found = _inbound(event)
        except Malformed as exc:
            log.warning("zalo oa: ignored a signed event we cannot read: %s", exc)
            found = None
        if found is not None:
            event_id, inbound = found
            if await self.seen.first(CHANNEL, event_id):
                self.tasks.spawn(self._answer(inbound), user=inbound.user_key)
        return web.json_response({"error": 0})

    def _refusal(self, raw: bytes, event: Any, header: bytes) -> str | None:
        """Why an event must be refused (unverifiable, signature, app id, timestamp), or None."""
        if not isinstance(event, dict):
            return str(event) if isinstance(event, Malformed) else "body is not an object"
        app_id, timestamp = event.get("app_id"), event.get("timestamp")
        if not isinstance(app_id, str | int) or isinstance(app_id, bool) or not str(app_id):
            return "no app id"
        if not isinstance(timestamp, str | int) or isinstance(timestamp, bool):
            return "no timestamp"
        stamp = str(timestamp)
        if not _TIMESTAMP.fullmatch(stamp):
            return "timestamp is not milliseconds"
        secret = (self.settings.zalo_oa_secret_key or "").encode()
        expected = hashlib.sha256(
            str(app_id).encode("utf-8", "replace") + raw + stamp.encode() + secret
        ).hexdigest()
        header = header.strip()
        given = header.removeprefix(b"mac=").strip().lower()
        if not header.startswith(b"mac=") or not hmac.compare_digest(given, expected.encode()):
            return "bad signature"
        if str(app_id) != self.settings.zalo_oa_app_id:
            return "another app id"
        age_ms = abs(_now_ms() - int(stamp))  # integers: no date overflow for any 16 digits
        if age_ms > REPLAY_WINDOW // dt.timedelta(milliseconds=1):
            return "timestamp outside the replay window"
        return None

    async def _answer(self, inbound: Inbound) -> None:
        try:
            await self.unreachable.clear(CHANNEL, inbound.user_key)  # they wrote: reachable
            replies = await self.engine.handle(inbound)
            await self.send(inbound.user_key, replies)
        except Exception as exc:
            # the type only: database errors carry parameters, which may be personal
            log.error("zalo oa: handling an event failed: %s", type(exc).__name__)

    # -- outbound -------------------------------------------------------------------------------

    def messages(self, replies: list[Reply]) -> list[dict[str, Any]]:
        """The OA `message` objects for a turn's replies, in order."""
        out: list[dict[str, Any]] = []
        for reply in replies:
            if 0 < len(reply.buttons) <= MAX_BUTTONS:
                pieces = split_text(reply.text, MAX_TEXT)
                out.extend({"text": p} for p in pieces[:-1])
                out.append({"text": pieces[-1], "attachment": _template(reply.buttons)})
            else:
                text = numbered_text(reply, self.hint if reply.buttons else None)
                out.extend({"text": p} for p in split_text(text, MAX_TEXT) if p)
        return out

    async def send(self, user_id: str, replies: list[Reply]) -> None:
        """Send a turn's replies; stop at the first message that cannot be delivered."""
        for message in self.messages(replies):
            if not await self._deliver(user_id, message):
                return

    async def _deliver(self, user_id: str, message: dict[str, Any]) -> bool:
        body = {"recipient": {"user_id": user_id}, "message": message}
        refreshed = False
        waits = 0
        while True:
            token = await self._access_token()
            if token is None:
                log.error("zalo oa: no access token; message not sent")
                return False
            try:
                code = await self._post(token, body)
            except (ZaloOAError, aiohttp.ClientError, TimeoutError) as exc:
                log.warning("zalo oa: send failed: %s", _describe(exc))
                return False
            if code == 0:
                return True
            if code in TOKEN_ERRORS and not refreshed:
                refreshed = True
                if await self._refresh(token) is None:
                    return False
                continue
            if code == UNREACHABLE:
                await self.unreachable.record(CHANNEL, user_id, "no interaction in 7 days")
                log.info("zalo oa: a user cannot be messaged (-230); recorded as unreachable")
                return False
            if code == RATE_LIMITED and waits < RATE_LIMIT_RETRIES:
                await asyncio.sleep(self.retry_base * 2**waits)
                waits += 1
                continue
            log.warning("zalo oa: send failed: error %s", code)
            return False

    async def _post(self, token: str, body: dict[str, Any]) -> int:
        """One send call; Zalo's error code (0 is success)."""
        assert self.http is not None
        url = f"{self.settings.zalo_oa_api_base}{SEND_PATH}"
        async with self.http.post(url, json=body, headers={"access_token": token}) as response:
            try:
                data = await response.json(content_type=None)
            except ValueError as exc:
                raise ZaloOAError(f"HTTP {response.status}, not JSON") from exc
        if not isinstance(data, dict):
            raise ZaloOAError(f"HTTP {response.status}, not an object")
        try:
            code = int(data.get("error", 0))
        except (TypeError, ValueError) as exc:
            raise ZaloOAError(f"HTTP {response.status}, unreadable error code") from exc
        if code == 0 and response.status >= 400:
            raise ZaloOAError(f"HTTP {response.status}")
        return code

    # -- tokens ---------------------------------------------------------------------------------

    async def _access_token(self) -> str | None:
        """The access token to use, renewed first when it expires within REFRESH_AHEAD."""
        token = self.token
        if token is None or token.expiring(_now(), REFRESH_AHEAD):
            token = await self._refresh(token.access_token if token else None) or token
        return token.access_token if token is not None else None

    async def _refresh(self, stale: str | None) -> Credentials | None:
        """Replace the `stale` access token: with a newer one already in the database if there
        is one, else by spending the stored refresh token. None (state "error") on failure."""
        async with self.refreshing:
            try:
                renewed = await self.credentials.rotate(
                    CHANNEL, lambda current: self._renew(current, stale)
                )
            except (ZaloOAError, aiohttp.ClientError, TimeoutError) as exc:
                log.error("zalo oa: token refresh failed: %s", _describe(exc))
                self.state = "error"
                return None
            if renewed is None or not renewed.access_token:
                log.error("zalo oa: no stored credentials to refresh")
                self.state = "error"
                return None
            self.token = renewed
            self.state = "webhook"
            return renewed

    async def _renew(self, current: Credentials, stale: str | None) -> Credentials | None:
        """Runs with the credentials row locked: None keeps the stored pair, which another
        process (or task) has already renewed; otherwise the new pair, to be stored."""
        now = _now()
        if current.access_token != stale and not current.expiring(now, REFRESH_AHEAD):
            return None
        if not current.refresh_token:
            raise ZaloOAError("no refresh token stored")
        if not self.settings.zalo_app_secret:
            raise ZaloOAError("ZALO_APP_SECRET is not set")
        assert self.http is not None
        form = {
            "refresh_token": current.refresh_token,
            "app_id": self.settings.zalo_oa_app_id or "",
            "grant_type": "refresh_token",
        }
        url = f"{self.settings.zalo_oauth_base}{REFRESH_PATH}"
        headers = {"secret_key": self.settings.zalo_app_secret}
        async with self.http.post(url, data=form, headers=headers) as response:
            try:
                data = await response.json(content_type=None)
            except ValueError as exc:
                raise ZaloOAError(f"HTTP {response.status}, not JSON") from exc
        if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
            code = data.get("error") if isinstance(data, dict) else None
            raise ZaloOAError(f"HTTP {response.status}, error {code}")
        refresh = data.get("refresh_token")
        if not isinstance(refresh, str) or not refresh:
            # the old one is spent either way; the next refresh will fail loudly
            log.error("zalo oa: the token refresh returned no new refresh token")
            refresh = None
        seconds = _seconds(data.get("expires_in"))
        expires = now + dt.timedelta(seconds=seconds) if seconds else None
        log.info("zalo oa: access token refreshed")
        return Credentials(data["access_token"], refresh, expires)


def _inbound(event: dict[str, Any]) -> tuple[str, Inbound] | None:
    """(event id for deduplication, the user's action), or None for events we ignore: our own
    messages echoed back (oa_send_*) and events we do not handle. Malformed when an event we
    handle has a field we read of the wrong type."""
    name = event.get("event_name")
    if not isinstance(name, str):
        raise Malformed("event_name is not a string")
    stamp = str(event.get("timestamp"))
    if name == "user_send_text" or name in MEDIA_EVENTS:
        user = _id(event.get("sender"), "sender")
        message = event.get("message")
        if not isinstance(message, dict):
            raise Malformed("message is not an object")
        msg_id = platform_id(message.get("msg_id"), "msg_id")
        text = message.get("text")
        if text is not None and not isinstance(text, str):
            raise Malformed("message.text is not a string")
        text = clean_text(text or "")
        if name in MEDIA_EVENTS and not (name in CAPTIONED and text.strip()):
            return msg_id, Inbound(CHANNEL, user, media=MEDIA_EVENTS[name])
        if text.startswith(PAYLOAD_PREFIX):
            return msg_id, Inbound(CHANNEL, user, payload=text.removeprefix(PAYLOAD_PREFIX))
        return msg_id, Inbound(CHANNEL, user, text=text)
    if name == "follow":
        user = _id(event.get("follower"), "follower")
        return f"follow:{user}:{stamp}", Inbound(CHANNEL, user, payload="start")
    if name == "user_submit_info":
        user, info = _id(event.get("sender"), "sender"), event.get("info")
        if not isinstance(info, dict):
            raise Malformed("info is not an object")
        shared = tuple(
            (field, clean_text(value).strip()[:MAX_SHARED])
            for field in SHARED_FIELDS
            if isinstance(value := info.get(field), str) and clean_text(value).strip()
        )
        if not shared:
            return None
        form = event.get("message")
        form_id = form.get("msg_id") if isinstance(form, dict) else None
        event_id = platform_id(form_id, "msg_id") if form_id else f"info:{user}:{stamp}"
        return event_id, Inbound(CHANNEL, user, shared=shared)
    return None


def _id(party: Any, what: str) -> str:
    """The `id` of a sender or follower object."""
    if not isinstance(party, dict):
        raise Malformed(f"{what} is not an object")
    return platform_id(party.get("id"), f"{what}.id")


def _template(buttons: tuple[Button, ...]) -> dict[str, Any]:
    """Buttons as hidden queries: pressing one sends PAYLOAD_PREFIX + payload, not shown."""
    return {
        "type": "template",
        "payload": {
            "buttons": [
                {
                    "title": _title(b.label),
                    "type": "oa.query.hide",
                    "payload": PAYLOAD_PREFIX + b.payload,
                }
                for b in buttons
            ]
        },
    }


def _title(label: str) -> str:
    return label if len(label) <= MAX_BUTTON_TITLE else label[: MAX_BUTTON_TITLE - 1] + "…"


def _seconds(value: Any) -> int | None:
    """expires_in, a number or a string of digits."""
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        return None
    return seconds if seconds > 0 else None


def _describe(exc: BaseException) -> str:
    """An error for the log: our own messages carry no secrets; others only their type."""
    return str(exc) if isinstance(exc, ZaloOAError) else type(exc).__name__


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _now_ms() -> int:
    return int(_now().timestamp() * 1000)
