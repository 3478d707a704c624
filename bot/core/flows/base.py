"""The flow interface: how a conversation flow (survey, data rights, …) plugs into the engine.

A flow owns some button payloads (by prefix, like "sv:", or exactly, like "delete_data"), may
wait for typed text in some conversation states, and may own typed words that act like its
buttons. The engine routes to flows through this interface only (see `FlowRegistry`):

- a pressed button goes to the flow that owns its payload; every other flow is paused first;
- typed text is checked for care first, then read by the active flow (the first registered
  flow waiting for text in this state), after the words of the flows that are always reachable
  (data rights); a flow may hand the text back (None), and then the engine's own path runs:
  commands (the engine's words, then the flows' in registration order), numbered or named
  buttons, the matcher's answer;
- a message that cannot answer anything (a photo, an empty or overlong one) gets a note and the
  waiting flow's question again (`reask`), or the menu.

A flow keeps its state under its own key of ConversationState.data.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.catalog import Catalog
from bot.core.flows.render import Renderer
from bot.core.messages import Button, ConversationKey, Reply
from bot.core.ports import Clock, ConversationState, LeadSink
from bot.matching.entities import ProvinceIndex
from bot.matching.matcher import Matcher
from bot.matching.normalize import fold

F = TypeVar("F", bound="Flow")


@dataclass(frozen=True)
class Tools:
    """What the engine shares with every flow it builds."""

    catalog: Catalog
    renderer: Renderer
    matcher: Matcher
    provinces: ProvinceIndex
    leads: LeadSink | None
    clock: Clock


@dataclass
class Turn:
    """One inbound message being handled: the conversation, and a way to press a button.

    `press(payload)` routes a payload through the engine as if its button had been pressed
    (to any flow, or to the menus), so a flow can turn typed words into any button.
    """

    state: ConversationState
    key: ConversationKey
    now: dt.datetime
    press: Callable[[str], Awaitable[list[Reply]]]


class Flow(ABC):
    """A conversation flow. Subclasses set the payloads they own and override what they need."""

    prefixes: tuple[str, ...] = ()  # payloads starting with one of these are this flow's
    payloads: frozenset[str] = frozenset()  # and these exact payloads
    # whether this flow's typed words also act while another flow waits for text
    always_reachable: bool = False

    def owns(self, payload: str) -> bool:
        """Whether a pressed button with this payload is this flow's."""
        return payload in self.payloads or payload.startswith(self.prefixes)

    @abstractmethod
    async def payload(self, payload: str, turn: Turn) -> list[Reply]:
        """A pressed button this flow owns."""

    def waiting(self, state: ConversationState) -> bool:
        """Whether typed text in this state is this flow's to read first."""
        return False

    async def text(self, text: str, turn: Turn) -> list[Reply] | None:
        """Typed text while `waiting` (stripped, readable, not a care message); None hands it
        back to the engine (commands, buttons by number or name, the matcher)."""
        return None

    def command(self, folded: str, state: ConversationState) -> str | None:
        """The payload a typed word (folded) stands for, outside any flow's question."""
        return None

    def raw_command(self, text: str, state: ConversationState) -> str | None:
        """Like `command`, read from the text as typed, where fold() would lose what matters
        (a parent code: fold() shortens "aaab" to "ab"); asked first, with the same reach."""
        return None

    async def reask(self, turn: Turn) -> list[Reply] | None:
        """The waiting question again, after a note that the message could not answer it
        (a photo, an empty or overlong message); None: the engine shows the menu instead."""
        return None

    def shared_answer(self, state: ConversationState, shared: Mapping[str, str]) -> str | None:
        """Details shared through the platform that answer the waiting question, as text."""
        return None

    async def shared_turn(self, shared: Mapping[str, str], turn: Turn) -> list[Reply] | None:
        """Details shared through the platform that this flow acts on itself (not as typed
        text: a phone the platform vouches for, parentsafe); None: read them as shared_answer."""
        return None

    def pause(self, state: ConversationState) -> None:
        """The user went elsewhere (another flow, the menus, a care answer): stop reading
        typed text, keeping whatever was answered."""
        return None

    def resume_button(self, state: ConversationState) -> Button | None:
        """A button that resumes this flow where it was paused, while it waits."""
        return None


def choice(folded: str, buttons: list[Button], is_number: bool) -> Button | None:
    """A button picked by its number ("2") or by typing its label."""
    if not buttons:
        return None
    if is_number:
        index = int(folded)
        return buttons[index - 1] if 1 <= index <= len(buttons) else None
    for button in buttons:
        if fold(button.label) == folded:
            return button
    return None


class RunFlow(Flow):
    """A flow whose run is a dict under `run_key` of ConversationState.data, with an "active"
    flag: pausing clears it and keeps the answers."""

    run_key: str = ""

    def run(self, state: ConversationState) -> dict[str, Any] | None:
        """The stored run, or None when there is none (or it is not a dict)."""
        raw = state.data.get(self.run_key)
        return raw if isinstance(raw, dict) else None

    def pause(self, state: ConversationState) -> None:
        run = self.run(state)
        if run is not None:
            run["active"] = False


class FlowRegistry:
    """The flows an engine runs, in the order they read typed text."""

    def __init__(self, flows: Iterable[Flow] = ()) -> None:
        self._flows: list[Flow] = list(flows)

    def __iter__(self) -> Iterator[Flow]:
        return iter(self._flows)

    def add(self, flow: Flow) -> None:
        """Register one more flow (after the others: it reads typed text last)."""
        self._flows.append(flow)

    def find(self, kind: type[F]) -> F:
        """The registered flow of this class."""
        return next(f for f in self._flows if isinstance(f, kind))

    def owner(self, payload: str) -> Flow | None:
        """The flow a pressed payload belongs to, if any."""
        return next((f for f in self._flows if f.owns(payload)), None)

    def active(self, state: ConversationState) -> Flow | None:
        """The flow waiting for typed text in this state, if any."""
        return next((f for f in self._flows if f.waiting(state)), None)

    def pause(self, state: ConversationState, keep: Flow | None = None) -> None:
        """Pause every flow but `keep`."""
        for flow in self._flows:
            if flow is not keep:
                flow.pause(state)

    def resume_button(self, state: ConversationState) -> Button | None:
        """The first paused flow's "continue" button, if one waits."""
        return next((b for f in self._flows if (b := f.resume_button(state)) is not None), None)

    def command(
        self, folded: str, state: ConversationState, inside: Flow | None = None, text: str = ""
    ) -> str | None:
        """The payload a typed word stands for in some flow (read from the `text` as typed,
        then folded); `inside` a flow's question, only the words of the other flows that are
        always reachable count."""
        for flow in self._flows:
            if inside is not None and (flow is inside or not flow.always_reachable):
                continue
            payload = flow.raw_command(text, state) or flow.command(folded, state)
            if payload is not None:
                return payload
        return None
