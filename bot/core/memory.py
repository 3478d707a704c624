"""In-memory ConversationStore (single process; the database store replaces it later)."""

from __future__ import annotations

from bot.core.messages import ConversationKey
from bot.core.ports import ConversationState


class MemoryConversationStore:
    """Keeps state in a dict; copies on the way in and out so callers cannot alias it."""

    def __init__(self) -> None:
        self._states: dict[ConversationKey, dict[str, object]] = {}

    async def load(self, key: ConversationKey) -> ConversationState:
        raw = self._states.get(key)
        return ConversationState.from_dict(raw) if raw is not None else ConversationState()

    async def save(self, key: ConversationKey, state: ConversationState) -> None:
        self._states[key] = state.to_dict()
