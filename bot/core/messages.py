"""Messages between channels and the core: Inbound, Reply, Button."""

from __future__ import annotations

from dataclasses import dataclass, field

# Inbound.media when the platform withheld the content (Zalo Bot's message.unsupported.received,
# sent instead of the message for protected users such as minors).
WITHHELD = "withheld"


@dataclass(frozen=True)
class ConversationKey:
    """Who a conversation belongs to: a channel and that channel's user id."""

    channel: str
    user_key: str

    def __str__(self) -> str:
        return f"{self.channel}:{self.user_key}"


@dataclass(frozen=True)
class Button:
    """A choice offered to the user; payload is short ASCII (Telegram allows 64 bytes)."""

    label: str
    payload: str


@dataclass(frozen=True)
class Reply:
    """One message from the bot. By convention only the last reply of a turn has buttons."""

    text: str
    buttons: tuple[Button, ...] = field(default_factory=tuple)


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

    @property
    def key(self) -> ConversationKey:
        return ConversationKey(self.channel, self.user_key)
