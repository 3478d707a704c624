"""The adapter contract and numbered-choice rendering for text-only channels."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import re
import unicodedata
from collections.abc import Coroutine, Sequence
from typing import Any, Protocol

from aiohttp import web

from bot.core.locks import KeyedLocks
from bot.core.messages import ConversationKey, Reply

MAX_DEPTH = 24  # nesting levels a platform event may have (theirs have fewer than 8)
# An id the platforms hand out (a chat, a user, a message): short and plain, so it is safe as a
# database key and in a log line. Linear: one bounded character class.
PLATFORM_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_KEPT_CONTROLS = frozenset("\n\t")


class Malformed(ValueError):
    """A platform event we cannot read: the reason, for a WARNING log line (never the data)."""


class Channel(Protocol):
    """A chat platform adapter (opsdroid-style): started and stopped by the web app."""

    name: str

    async def connect(self) -> None: ...

    async def disconnect(self) -> None: ...


class BackgroundTasks:
    """Work a webhook handler starts after answering the platform at once; cancelled and
    awaited when the channel stops."""

    def __init__(self) -> None:
        self.running: set[asyncio.Task[None]] = set()
        self._order = KeyedLocks()

    def __bool__(self) -> bool:
        return bool(self.running)

    def spawn(self, coro: Coroutine[Any, Any, None], user: str | None = None) -> None:
        """Run `coro` in the background; tasks for one `user` run one after another, in the
        order they were spawned, so a user's replies go out in the order they wrote."""

        async def in_turn() -> None:
            async with self._order.hold(ConversationKey("", user or "")):
                await coro

        task = asyncio.create_task(in_turn() if user is not None else coro)
        self.running.add(task)  # a reference, so the task is not garbage-collected mid-way
        task.add_done_callback(self.running.discard)

    async def settle(self) -> None:
        """Wait until every task (and any it started) has finished."""
        while self.running:
            await asyncio.gather(*list(self.running), return_exceptions=True)

    async def cancel(self) -> None:
        tasks = list(self.running)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def numbered_text(reply: Reply, hint: str | None = None) -> str:
    """A reply's text with its buttons as a numbered list ("1. Các nghề"), for text-only channels.

    The numbers match what the engine accepts: typing "2" picks the second button.
    """
    if not reply.buttons:
        return reply.text
    lines = [reply.text, ""]
    lines.extend(f"{i}. {b.label}" for i, b in enumerate(reply.buttons, start=1))
    if hint:
        lines.extend(["", hint])
    return "\n".join(lines)


def replies_as_text(replies: Sequence[Reply], hint: str | None = None) -> list[str]:
    """All replies of a turn as plain text messages."""
    return [numbered_text(r, hint) for r in replies]


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut at paragraph breaks, then lines, then spaces."""
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = next(
            (i for i in (window.rfind("\n\n"), window.rfind("\n"), window.rfind(" ")) if i > 0),
            limit,
        )
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return [p for p in pieces if p]


# -- hostile input -------------------------------------------------------------------------------


def header_bytes(request: web.Request, name: str) -> bytes:
    """A request header's raw bytes (b"" when absent): secrets are compared as bytes, so a
    header that is not UTF-8 or not ASCII is simply a wrong secret."""
    wanted = name.lower().encode("ascii")
    for key, value in request.raw_headers:
        if key.lower() == wanted:
            return bytes(value)
    return b""


def same_secret(given: bytes, expected: str) -> bool:
    """Constant-time comparison of a header's bytes with the configured secret."""
    return bool(expected) and hmac.compare_digest(given, expected.encode("utf-8"))


def parse_json(raw: bytes) -> Any:
    """The JSON value of a request body; Malformed when it is not UTF-8, not JSON, has
    NaN/Infinity, numbers of thousands of digits or more than MAX_DEPTH levels."""
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError as exc:
        raise Malformed("body is not UTF-8") from exc
    except RecursionError as exc:
        raise Malformed("body nested too deep") from exc
    except ValueError as exc:  # not JSON, or an integer over Python's digit limit
        raise Malformed("body is not JSON") from exc
    if _depth(value) > MAX_DEPTH:
        raise Malformed("body nested too deep")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(name)


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in a parsed JSON value (without recursion)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if not isinstance(item, dict | list):
            continue
        if children:
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                return level
            stack.extend((child, level + 1) for child in children)
    return deepest


def platform_id(value: Any, what: str) -> str:
    """An id as a string: a JSON string or integer of the PLATFORM_ID form, else Malformed."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise Malformed(f"{what} is not an id")
    text = str(value)
    if not PLATFORM_ID.fullmatch(text):
        raise Malformed(f"{what} is not an id")
    return text


def clean_text(text: str) -> str:
    """Typed text without what no one types and the database refuses: NUL and other control
    characters (newlines and tabs stay), and lone surrogates from "\\ud800"-style escapes."""
    if text.isprintable():
        return text
    return "".join(
        ch for ch in text if ch in _KEPT_CONTROLS or unicodedata.category(ch) not in ("Cc", "Cs")
    )
