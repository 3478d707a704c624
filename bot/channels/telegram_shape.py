"""The shape of a Telegram update, checked before python-telegram-bot parses it.

Every field the adapter reads (and PTB needs to build the objects it reads) must have the type
the Bot API documents; anything else raises Malformed, so the webhook answers 400 instead of a
500 or an exception inside PTB's update loop. Fields the adapter never reads are left to PTB,
whose parsing the webhook guards as a whole.
"""

from __future__ import annotations

from typing import Any

from telegram.constants import MessageAttachmentType

from bot.channels.base import Malformed

MAX_UPDATE_ID = 2**53  # Telegram's ids fit in 52 bits (its own documentation)
MAX_DATE = 2**34  # Unix seconds (the year 2514): later dates overflow datetime on some systems
MAX_SHORT = 256  # a chat type, a callback query id, a first name, a username
MAX_CALLBACK_DATA = 64  # bytes, as the Bot API limits it
# What a user can send instead of text (PTB's list, without successful_payment, which PTB is
# deprecating as an attachment and which a student never sends).
MEDIA_KINDS = tuple(
    str(kind.value)
    for kind in MessageAttachmentType
    if kind is not MessageAttachmentType.SUCCESSFUL_PAYMENT
)
_MESSAGE_KEYS = ("message", "edited_message", "channel_post", "edited_channel_post")


def check_update(data: Any) -> None:
    """Raise Malformed unless `data` is an update whose read fields have their documented
    types: update_id; message (and the other message kinds) and callback_query when present."""
    if not isinstance(data, dict):
        raise Malformed("update is not an object")
    _integer(data.get("update_id"), "update_id", 0, MAX_UPDATE_ID)
    for key in _MESSAGE_KEYS:
        if data.get(key) is not None:
            _message(data[key], key)
    query = data.get("callback_query")
    if query is not None:
        _callback_query(query)


def _message(message: Any, where: str) -> None:
    if not isinstance(message, dict):
        raise Malformed(f"{where} is not an object")
    _integer(message.get("message_id"), f"{where}.message_id", -MAX_UPDATE_ID, MAX_UPDATE_ID)
    _integer(message.get("date"), f"{where}.date", 0, MAX_DATE)
    _chat(message.get("chat"), f"{where}.chat")
    if message.get("from") is not None:
        _user(message["from"], f"{where}.from")
    for key in ("text", "caption"):
        if message.get(key) is not None and not isinstance(message[key], str):
            raise Malformed(f"{where}.{key} is not a string")
    # -- handoff (issue 12): topics and replies in the counsellors' group --
    if message.get("message_thread_id") is not None:
        thread = message["message_thread_id"]
        _integer(thread, f"{where}.message_thread_id", -MAX_UPDATE_ID, MAX_UPDATE_ID)
    if message.get("is_topic_message") is not None and not isinstance(
        message["is_topic_message"], bool
    ):
        raise Malformed(f"{where}.is_topic_message is not a boolean")
    if message.get("reply_to_message") is not None:
        _message(message["reply_to_message"], f"{where}.reply_to_message")
    if message.get("migrate_to_chat_id") is not None:
        moved = message["migrate_to_chat_id"]
        _integer(moved, f"{where}.migrate_to_chat_id", -MAX_UPDATE_ID, MAX_UPDATE_ID)
    for kind in MEDIA_KINDS:
        value = message.get(kind)
        if value is not None and not isinstance(value, dict | list):
            raise Malformed(f"{where}.{kind} is not an object")
    if isinstance(message.get("contact"), dict):  # parentsafe: a parent's own phone is read
        contact = message["contact"]
        _short(contact.get("phone_number"), f"{where}.contact.phone_number")
        _short(contact.get("first_name"), f"{where}.contact.first_name", empty=True)
        if contact.get("user_id") is not None:
            _integer(contact["user_id"], f"{where}.contact.user_id", 0, MAX_UPDATE_ID)


def _callback_query(query: Any) -> None:
    if not isinstance(query, dict):
        raise Malformed("callback_query is not an object")
    _short(query.get("id"), "callback_query.id")
    _short(query.get("chat_instance"), "callback_query.chat_instance")
    _user(query.get("from"), "callback_query.from")
    data = query.get("data")
    if data is not None and (
        not isinstance(data, str) or len(data.encode("utf-8", "replace")) > MAX_CALLBACK_DATA
    ):
        raise Malformed("callback_query.data is not short text")
    if query.get("message") is not None:
        _message(query["message"], "callback_query.message")


def _chat(chat: Any, where: str) -> None:
    if not isinstance(chat, dict):
        raise Malformed(f"{where} is not an object")
    _integer(chat.get("id"), f"{where}.id", -MAX_UPDATE_ID, MAX_UPDATE_ID)
    _short(chat.get("type"), f"{where}.type")


def _user(user: Any, where: str) -> None:
    if not isinstance(user, dict):
        raise Malformed(f"{where} is not an object")
    _integer(user.get("id"), f"{where}.id", -MAX_UPDATE_ID, MAX_UPDATE_ID)
    if not isinstance(user.get("is_bot"), bool):
        raise Malformed(f"{where}.is_bot is not a boolean")
    _short(user.get("first_name"), f"{where}.first_name", empty=True)
    if user.get("username") is not None:
        _short(user["username"], f"{where}.username")


def _integer(value: Any, where: str, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value < high:
        raise Malformed(f"{where} is not an integer in range")


def _short(value: Any, where: str, empty: bool = False) -> None:
    if not isinstance(value, str) or len(value) > MAX_SHORT or (not value and not empty):
        raise Malformed(f"{where} is not a short string")
