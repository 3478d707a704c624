"""A counsellors' desk for whole-conversation tests: it records each thread's messages (the real
desk, over the fake Telegram server, is tested in tests/test_handoff*.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.flows.handoff_port import Intro, Opened
from bot.core.messages import ConversationKey


@dataclass
class ThreadRecorder:
    """Implements the core's Desk port in memory."""

    threads: dict[str, list[str]] = field(default_factory=dict)
    open_ids: set[str] = field(default_factory=set)

    async def available(self) -> bool:
        return True

    async def open(self, key: ConversationKey, intro: Intro) -> Opened | None:
        handoff_id = f"h{len(self.threads) + 1}"
        self.threads[handoff_id] = [*intro.shared, intro.question]
        self.open_ids.add(handoff_id)
        return Opened(handoff_id)

    async def forward(self, key: ConversationKey, handoff_id: str, text: str) -> bool:
        if handoff_id not in self.open_ids:
            return False
        self.threads[handoff_id].append(text)
        return True

    async def close(self, key: ConversationKey, handoff_id: str) -> None:
        self.open_ids.discard(handoff_id)
        self.threads[handoff_id].append("(closed by the student)")

    def text(self) -> str:
        return "\n".join(line for lines in self.threads.values() for line in lines)
