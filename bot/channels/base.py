"""The adapter contract and numbered-choice rendering for text-only channels."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine, Sequence
from typing import Any, Protocol

from bot.core.locks import KeyedLocks
from bot.core.messages import ConversationKey, Reply


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
