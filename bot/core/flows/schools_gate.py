"""Which schools receive leads: a snapshot of the operator's switches, shared by the flows."""

from __future__ import annotations

from bot.core.ports import LeadSink


class Participation:
    """The schools an operator switched on to receive leads, as last read from the lead sink.

    No sink: nothing gates (a test's or tool's own engine): a survey offers every school, and no
    card says a school receives requests. A sink whose `participating()` is None does not gate
    either. Until the switches of a connected sink were read (`refresh`), nothing is offered and
    no card says a school receives requests (schoolfix: a card must never promise before)."""

    def __init__(self) -> None:
        self.leads: LeadSink | None = None
        self.ids: frozenset[str] | None = None
        self.read = False  # schoolfix: whether `ids` comes from the connected sink

    def connect(self, leads: LeadSink | None) -> None:
        """Read switches from this sink from now on."""
        self.leads = leads
        self.ids, self.read = None, False

    async def refresh(self) -> None:
        """Read the switches again (the sink caches them briefly)."""
        if self.leads is not None:
            self.ids = await self.leads.participating()
            self.read = True

    def offered(self, school_id: str) -> bool:
        """Whether a survey may offer this school."""
        if self.leads is None:
            return True
        return self.read and (self.ids is None or school_id in self.ids)

    def receives(self, school_id: str) -> bool:
        """Whether this school receives requests through the bot (what its card says)."""
        return self.leads is not None and self.offered(school_id)
