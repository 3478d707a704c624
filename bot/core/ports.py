"""Ports the core needs from the outside: conversation storage and a clock."""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.core.messages import Button, ConversationKey


@dataclass
class ConversationState:
    """What the core remembers about one conversation between two messages."""

    screens: list[str] = field(default_factory=list)  # navigation stack of payloads
    buttons: list[Button] = field(default_factory=list)  # last offered, for "2" or a label
    data: dict[str, Any] = field(default_factory=dict)  # flow state (surveys)
    updated_at: dt.datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe form for storage."""
        return {
            "screens": list(self.screens),
            "buttons": [[b.label, b.payload] for b in self.buttons],
            "data": self.data,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ConversationState:
        """Inverse of to_dict."""
        updated = raw.get("updated_at")
        return cls(
            screens=[str(s) for s in raw.get("screens", [])],
            buttons=[Button(str(label), str(payload)) for label, payload in raw.get("buttons", [])],
            data=dict(raw.get("data", {})),
            updated_at=dt.datetime.fromisoformat(updated) if updated else None,
        )


class ConversationStore(Protocol):
    """Conversation state by key.

    `open(key)` yields the state and saves it when the block ends without an exception. While a
    block is open no other block for the same key runs, in this process or (for a database store)
    in any other process sharing the database.
    """

    def open(self, key: ConversationKey) -> AbstractAsyncContextManager[ConversationState]: ...


class Clock(Protocol):
    """Current time (injectable for tests and for judging policy validity)."""

    def now(self) -> dt.datetime: ...


class SystemClock:
    """The real clock, in UTC."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)
