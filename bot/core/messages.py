"""Messages between channels and the core: Inbound, Reply, Button."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Literal

# Inbound.media when the platform withheld the content (Zalo Bot's message.unsupported.received,
# sent instead of the message for protected users such as minors).
WITHHELD = "withheld"

# C0 controls other than tab, LF and CR: XML 1.0 forbids them (an export with one is unreadable)
_C0 = dict.fromkeys(c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D))
# surrogates (Cs) and unassigned code points (Cn, which holds U+FFFE and U+FFFF)
_DROPPED = frozenset(("Cs", "Cn"))


def clean_input(text: str) -> str:
    """Text without the code points no document may hold: C0 controls except tab, LF and CR,
    surrogates, U+FFFE/U+FFFF and every unassigned code point."""
    text = text.translate(_C0)
    if text.isascii():
        return text
    return "".join(ch for ch in text if unicodedata.category(ch) not in _DROPPED)


@dataclass(frozen=True)
class ConversationKey:
    """Who a conversation belongs to: a channel and that channel's user id."""

    channel: str
    user_key: str

    def __str__(self) -> str:
        return f"{self.channel}:{self.user_key}"


# How a channel that can style buttons shows one (the web chat); the others ignore it.
Role = Literal["primary", "destructive"]


@dataclass(frozen=True)
class Button:
    """A choice offered to the user; payload is short ASCII (Telegram allows 64 bytes).

    `role` is a hint for channels that style buttons; it is not stored with the conversation
    and takes no part in comparisons (a button read back from storage is the same button)."""

    label: str
    payload: str
    role: Role | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Reply:
    """One message from the bot. By convention only the last reply of a turn has buttons.

    `text` is always the whole message. A card (an answer about one item) also names its
    `title` and its `source` line, both as they appear in `text`, so a channel that can show a
    card (the web chat) lays them out; the others send `text` as it is."""

    text: str
    buttons: tuple[Button, ...] = field(default_factory=tuple)
    title: str | None = None
    source: str | None = None
    private: bool = False  # shows personal details: never kept in a conversation's history


# parentsafe: the Inbound.shared key of a phone number (E.164) the platform vouches is the
# sender's own (Telegram: a shared contact whose user id is the sender's), and the channels
# that can be asked for one. Typed text never carries it.
VERIFIED_PHONE = "verified_phone"
VERIFIED_PHONE_CHANNELS = frozenset({"telegram"})


@dataclass(frozen=True)
class Inbound:
    """One user action: typed text, a pressed button's payload, details the user shared
    through the platform (Zalo OA: ("name", …), ("phone", …)), used only when a survey asks, or
    `media`: something nobody typed ("photo", "sticker", "voice", …, or WITHHELD), which is
    never read as an answer."""

    channel: str
    user_key: str
    text: str | None = None
    payload: str | None = None
    shared: tuple[tuple[str, str], ...] = ()
    media: str | None = None

    def __post_init__(self) -> None:
        # the one door every channel goes through: what the platform sent is cleaned here, so
        # nothing stored, logged or exported later can hold a forbidden code point
        if isinstance(self.text, str):
            object.__setattr__(self, "text", clean_input(self.text))
        if isinstance(self.payload, str):
            object.__setattr__(self, "payload", clean_input(self.payload))
        if self.shared:
            shared = tuple((clean_input(k), clean_input(v)) for k, v in self.shared)
            object.__setattr__(self, "shared", shared)

    @property
    def key(self) -> ConversationKey:
        return ConversationKey(self.channel, self.user_key)
