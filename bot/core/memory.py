"""In-memory ConversationStore (one process; tests and `huongnghiep chat`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bot.core.locks import KeyedLocks
from bot.core.messages import ConversationKey
from bot.core.ports import ConversationState


class MemoryConversationStore:
    """Keeps state as plain dicts, so nothing a caller holds can alias what is stored."""

    def __init__(self) -> None:
        self._states: dict[ConversationKey, dict[str, Any]] = {}
        self._locks = KeyedLocks()

    @asynccontextmanager
    async def open(self, key: ConversationKey) -> AsyncIterator[ConversationState]:
        async with self._locks.hold(key):
            raw = self._states.get(key)
            state = ConversationState.from_dict(raw) if raw is not None else ConversationState()
            yield state
            if state.erased:
                self._states.pop(key, None)
            else:
                self._states[key] = state.to_dict()

    async def load(self, key: ConversationKey) -> ConversationState:
        """A copy of the stored state (for tests and tools)."""
        raw = self._states.get(key)
        return ConversationState.from_dict(raw) if raw is not None else ConversationState()
