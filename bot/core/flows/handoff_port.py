"""What the handoff flow needs from outside the core: the counsellors' desk (a port)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from bot.core.messages import ConversationKey


@dataclass(frozen=True)
class Intro:
    """How a thread opens: the student's first message and what they agreed to share."""

    question: str
    shared: tuple[str, ...] = field(default_factory=tuple)  # lines, in Vietnamese
    consented: bool = False


@dataclass(frozen=True)
class Opened:
    """A handoff just opened: its id, and when counsellors answer if it is after hours."""

    handoff_id: str
    after_hours: str | None = None  # "07:30 thứ Hai (01/12)" outside office hours
    hours: str = ""  # the office hours, described


class Desk(Protocol):
    """The counsellors' side: a linked group where each handoff is a thread."""

    async def available(self) -> bool:
        """Whether counsellors can be reached (a group is linked)."""
        ...

    async def open(self, key: ConversationKey, intro: Intro) -> Opened | None:
        """Open a thread with the intro; None when the group cannot be reached."""
        ...

    async def forward(self, key: ConversationKey, handoff_id: str, text: str) -> bool:
        """The student's message into the thread; False when the handoff is closed."""
        ...

    async def close(self, key: ConversationKey, handoff_id: str) -> None:
        """The student ended the handoff: the thread is told and closed."""
        ...
