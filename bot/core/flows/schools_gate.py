"""Which schools receive leads: a snapshot of the operator's switches, shared by the flows."""

from __future__ import annotations

from bot.core.ports import LeadSink


class Participation:
    """The schools an operator switched on to receive leads, as last read from the lead sink.

    `ids` None: nothing gates (a test's or tool's own sink, or none): a survey offers every
    school. A card says a school receives requests only when a sink would send them."""

    def __init__(self) -> None:
        self.leads: LeadSink | None = None
        self.ids: frozenset[str] | None = None

    def connect(self, leads: LeadSink | None) -> None:
        """Read switches from this sink from now on."""
        self.leads = leads

    async def refresh(self) -> None:
        """Read the switches again (the sink caches them briefly)."""
        if self.leads is not None:
            self.ids = await self.leads.participating()

    def offered(self, school_id: str) -> bool:
        """Whether a survey may offer this school."""
        return self.ids is None or school_id in self.ids

    def receives(self, school_id: str) -> bool:
        """Whether this school receives requests through the bot (what its card says)."""
        return self.leads is not None and self.offered(school_id)
