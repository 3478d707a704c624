"""Recent turns of a conversation, kept in its state so a reloaded web chat shows them again.

Only what the page needs is kept: the last turns' texts (cards with their title and source) and
buttons (the page shows the last reply's; a few older ones name a pressed chip), within MAX_ENTRIES
and MAX_CHARS. Personal details never enter it: what a student typed at a personal survey
question and any reply that shows a personal answer (the survey summary, a parent's
confirmation, "xem dữ liệu của tôi") are kept as a short placeholder, and a phone number typed
elsewhere keeps its last two digits (as in the logs). It lives in ConversationState.data, so it
is deleted with the conversation ("xóa dữ liệu của tôi", retention) and needs no table.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from bot.catalog import Catalog
from bot.catalog.text_keys import T
from bot.core.engine import Engine
from bot.core.messages import Button, Inbound, Reply
from bot.core.ports import ConversationState
from bot.logs import mask_phones

HISTORY_KEY = "web_turns"  # in ConversationState.data
MAX_ENTRIES = 24  # a user's message or one reply each
MAX_CHARS = 4000  # text kept in all (the state is read and written every turn)
LABELLED = 6  # the newest entries keep their buttons (to name a pressed chip); older ones not
MAX_ENTRY = 1500  # characters of one entry's text
_PERSONAL_TYPES = ("phone", "parent_consent")
_SURVEY = "survey"


def personal_values(catalog: Catalog, state: ConversationState) -> set[str]:
    """The personal answers a survey run holds (names, classes, phone numbers), as typed."""
    run = state.data.get(_SURVEY)
    if not isinstance(run, dict) or run.get("id") not in catalog.surveys:
        return set()
    found: set[str] = set()
    survey = catalog.surveys[run["id"]]
    answers = run.get("answers") or {}
    for step in survey.steps:
        if step.personal or step.type in _PERSONAL_TYPES:
            _collect(answers.get(step.id), found)
            if run.get("current") == step.id:  # typed, waiting for "đúng không?"
                _collect(run.get("pending"), found)
    return {v for v in found if len(v) >= 3}


def _collect(value: Any, into: set[str]) -> None:
    if isinstance(value, str):
        into.add(value)
        digits = "".join(filter(str.isdecimal, value))
        if len(digits) >= 9:  # a phone is shown grouped ("0912 345 678")
            into.add(f"{digits[:4]} {digits[4:7]} {digits[7:]}")
    elif isinstance(value, dict):
        for key in ("phone", "value"):
            _collect(value.get(key), into)


def at_personal_question(catalog: Catalog, state: ConversationState) -> bool:
    """Whether the survey is waiting for a personal answer (typed text there is personal)."""
    run = state.data.get(_SURVEY)
    if not isinstance(run, dict) or not run.get("active") or run.get("id") not in catalog.surveys:
        return False
    step = next((s for s in catalog.surveys[run["id"]].steps if s.id == run.get("current")), None)
    return step is not None and (step.personal or step.type in _PERSONAL_TYPES)


def turns(state: ConversationState) -> list[dict[str, Any]]:
    """The kept entries, oldest first (a copy)."""
    raw = state.data.get(HISTORY_KEY)
    return [dict(e) for e in raw if isinstance(e, dict)] if isinstance(raw, list) else []


class History:
    """Records turns into a conversation's state."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def record(
        self,
        state: ConversationState,
        inbound: Inbound,
        shown: Iterable[Button],
        replies: list[Reply],
        personal_input: bool,
        earlier: Iterable[str] = (),
    ) -> None:
        """Add one turn: what the user sent (as the page echoed it) and the replies.
        `earlier`: the personal values the run held before the turn (a turn may consume one)."""
        hidden = self.catalog.text(T.HISTORY_HIDDEN)
        secrets = personal_values(self.catalog, state) | set(earlier)
        entries = turns(state)
        # a chip of an older message may be pressed: its label is looked up there
        offered = [*shown, *(b for e in reversed(entries) for b in _buttons(e))]
        said = _said(inbound, offered)
        if said is not None:
            if personal_input or any(s in said for s in secrets):
                said = hidden
            # a phone number typed anywhere keeps its last two digits only, as in the logs
            entries.append({"who": "me", "text": mask_phones(said)[:MAX_ENTRY]})
        for reply in replies:
            private = reply.private or any(s in reply.text for s in secrets)
            entries.append(_bot_entry(reply, hidden if private else None))
        for entry in entries[:-LABELLED]:
            entry.pop("buttons", None)
        state.data[HISTORY_KEY] = _trim(entries)


def _buttons(entry: dict[str, Any]) -> Iterator[Button]:
    for b in entry.get("buttons") or []:
        if isinstance(b, list) and len(b) == 3:
            yield Button(str(b[0]), str(b[1]))


def _said(inbound: Inbound, shown: Iterable[Button]) -> str | None:
    """What the page shows for the user's action: the typed text or the pressed label."""
    if inbound.text is not None:
        return inbound.text.strip() or None
    if inbound.payload is not None:
        return next((b.label for b in shown if b.payload == inbound.payload), None)
    return None


def _bot_entry(reply: Reply, hidden: str | None) -> dict[str, Any]:
    buttons = [[b.label, b.payload, b.role or ""] for b in reply.buttons]
    if hidden is not None:
        return {"who": "bot", "text": hidden, "buttons": buttons}
    entry: dict[str, Any] = {"who": "bot", "text": reply.text[:MAX_ENTRY], "buttons": buttons}
    if reply.title:
        entry["title"] = reply.title
    if reply.source:
        entry["source"] = reply.source
    return entry


def _trim(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The newest entries within MAX_ENTRIES and MAX_CHARS (always the last one)."""
    kept: list[dict[str, Any]] = []
    total = 0
    for entry in reversed(entries):
        total += len(entry.get("text", "")) + len(entry.get("title", ""))
        total += sum(len(b[0]) for b in entry.get("buttons") or [] if b)
        if kept and (len(kept) >= MAX_ENTRIES or total > MAX_CHARS):
            break
        kept.append(entry)
    kept.reverse()
    return kept


class RecordingEngine(Engine):
    """An Engine that keeps the recent turns of the channels given (the web chat), so a page
    can show them again after a reload. Other channels' conversations are left as they were."""

    def __init__(self, *args: Any, channels: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.channels = frozenset(channels)
        self.history = History(self.catalog)

    async def _dispatch(self, inbound: Inbound, state: ConversationState) -> list[Reply]:
        if inbound.channel not in self.channels:
            return await super()._dispatch(inbound, state)
        shown = list(state.buttons)
        personal = inbound.text is not None and at_personal_question(self.catalog, state)
        before = personal_values(self.catalog, state)
        replies = await super()._dispatch(inbound, state)
        if not state.erased:
            # what the turn consumed (a submitted run) is gone from it: `before` hides it too
            self.history.record(state, inbound, shown, replies, personal, before)
        return replies
