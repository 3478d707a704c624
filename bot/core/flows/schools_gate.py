"""Which schools receive leads: a snapshot of the operator's switches, shared by the flows."""

from __future__ import annotations

from bot.core.ports import LeadSink


class Participation:
    """The schools an operator switched on to receive leads, as last read from the lead sink.

    `ids` None: the sink does not gate (a test's or tool's own sink): every school receives.
    With no sink at all nothing can be sent, so no school receives."""

    def __init__(self) -> None:
        self.leads: LeadSink | None = None
        self.ids: frozenset[str] | None = frozenset()

    def connect(self, leads: LeadSink | None) -> None:
        """Read switches from this sink from now on."""
        self.leads = leads
        self.ids = frozenset() if leads is None else None

    async def refresh(self) -> None:
        """Read the switches again (the sink caches them briefly)."""
        if self.leads is not None:
            self.ids = await self.leads.participating()

    def receives(self, school_id: str) -> bool:
        """Whether this school receives requests through the bot."""
        return self.ids is None or school_id in self.ids
