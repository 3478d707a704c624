"""The counsellors' Telegram group: forum topics (createForumTopic, message_thread_id) where the
group has topics, else reply chains (reply_parameters); and counsellors' messages read back."""

from __future__ import annotations

import html
import logging

from telegram import Bot, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.channels.base import split_text
from bot.channels.handoff_desk import GroupMessage

log = logging.getLogger(__name__)

MAX_TEXT = 4096
MAX_TOPIC_NAME = 128
DONE_COMMANDS = ("xong", "done", "ketthuc")


class TelegramCounsellorGroup:
    """CounsellorGroup over PTB's Bot."""

    platform = "telegram"

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def create_topic(self, chat_id: str, name: str) -> int | None:
        try:
            topic = await self.bot.create_forum_topic(int(chat_id), name[:MAX_TOPIC_NAME])
        except TelegramError as exc:  # "the chat is not a forum", or no can_manage_topics
            log.info("telegram: no forum topic, a reply chain instead: %s", type(exc).__name__)
            return None
        return int(topic.message_thread_id)

    async def post(
        self, chat_id: str, text: str, thread_id: int | None, reply_to: int | None
    ) -> int | None:
        first: int | None = None
        for piece in split_text(html.escape(text, quote=False), MAX_TEXT):
            replying = (
                ReplyParameters(reply_to, allow_sending_without_reply=True)
                if reply_to is not None
                else None
            )
            try:
                sent = await self.bot.send_message(
                    int(chat_id),
                    piece,
                    parse_mode=ParseMode.HTML,
                    message_thread_id=thread_id,
                    reply_parameters=replying,
                )
            except TelegramError as exc:
                log.warning("telegram: posting to the counsellors failed: %s", type(exc).__name__)
                return first
            first = first if first is not None else int(sent.message_id)
        return first

    async def close_topic(self, chat_id: str, thread_id: int) -> None:
        try:
            await self.bot.close_forum_topic(int(chat_id), thread_id)
        except TelegramError as exc:
            log.info("telegram: closeForumTopic: %s", type(exc).__name__)


def group_message(message: Message, command: str | None) -> GroupMessage:
    """A counsellor's message as the desk reads it; `command` is its bot command, if any."""
    thread = message.message_thread_id if message.is_topic_message else None
    replied = message.reply_to_message
    reply_to = replied.message_id if replied is not None else None
    if thread is not None and reply_to == thread:
        reply_to = None  # in a topic every message answers the topic's first (service) message
    return GroupMessage(
        chat_id=str(message.chat.id),
        message_id=int(message.message_id),
        thread_id=int(thread) if thread is not None else None,
        reply_to=int(reply_to) if reply_to is not None else None,
        text=message.text or message.caption or "",
        done=command in DONE_COMMANDS,
    )
