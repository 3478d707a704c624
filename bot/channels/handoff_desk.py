"""The counsellors' desk: handoffs as threads in a linked group, replies back to the student.

The group is linked like a school's staff group (a one-time code from `huongnghiep counsellors
link`, then `/link CODE` there), under the reserved id COUNSELLORS. Each handoff becomes a forum
topic where the group has topics, else a reply chain under its first message. A counsellor's
message in the thread reaches the student on their channel (a sender per channel; the web chat's
sender stores a push that the page's event stream reads); "/xong" there, the student's "kết
thúc" or the idle timer closes it. No names or phone numbers are logged: handoff ids only.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from bot.catalog.text_keys import T
from bot.channels.webchat import CHANNEL as WEB
from bot.channels.webchat import reply_json
from bot.core.engine import Engine
from bot.core.flows.handoff import HandoffFlow
from bot.core.flows.handoff_hours import OfficeHours, when_text
from bot.core.flows.handoff_port import Intro, Opened
from bot.core.history import History, RecordingEngine
from bot.core.messages import ConversationKey, Inbound, Reply
from bot.core.ports import ConversationState
from bot.storage.handoffs import Handoff, HandoffStore
from bot.storage.schools import SchoolStore

log = logging.getLogger(__name__)

COUNSELLORS = "@counsellors"  # the reserved "school" id of the counsellors' group link
MAX_FORWARD = 3500  # characters of one message into the group (Telegram's limit is 4096)
Sender = Callable[[str, list[Reply]], Awaitable[None]]
CHANNEL_NAMES = {
    "web": "web chat",
    "telegram": "Telegram",
    "zalo_oa": "Zalo OA",
    "zalo_bot": "Zalo",
}


class CounsellorGroup(Protocol):
    """The counsellors' group on a chat platform (Telegram)."""

    platform: str

    async def create_topic(self, chat_id: str, name: str) -> int | None:
        """A new forum topic's thread id; None where the group has no topics (or no right)."""
        ...

    async def post(
        self, chat_id: str, text: str, thread_id: int | None, reply_to: int | None
    ) -> int | None:
        """Post text (in a topic, or as a reply); the message id, None when it failed."""
        ...

    async def close_topic(self, chat_id: str, thread_id: int) -> None: ...


@dataclass(frozen=True)
class GroupMessage:
    """A message a counsellor wrote in the group."""

    chat_id: str
    message_id: int
    thread_id: int | None  # set inside a forum topic
    reply_to: int | None  # the message it answers, if any
    text: str
    done: bool  # "/xong"


class Wakeups:
    """Wakes the event streams of a page when something was pushed to it (in this process;
    streams also poll the database, for pushes from other processes)."""

    def __init__(self) -> None:
        self._waiting: dict[str, set[asyncio.Event]] = {}

    def wake(self, user_key: str) -> None:
        for event in self._waiting.get(user_key, ()):
            event.set()

    async def wait(self, user_key: str, timeout: float) -> None:  # noqa: ASYNC109
        event = asyncio.Event()
        self._waiting.setdefault(user_key, set()).add(event)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout)
        finally:
            waiting = self._waiting.get(user_key)
            if waiting is not None:
                waiting.discard(event)
                if not waiting:
                    self._waiting.pop(user_key, None)


class CounsellorDesk:
    """Implements the core's Desk port over a group and the database."""

    def __init__(
        self,
        engine: Engine,
        handoffs: HandoffStore,
        schools: SchoolStore,
        group: CounsellorGroup,
        hours: OfficeHours,
        idle: dt.timedelta,
    ) -> None:
        self.engine = engine
        self.catalog = engine.catalog
        self.handoffs = handoffs
        self.schools = schools
        self.group = group
        self.hours = hours
        self.idle = idle
        self.senders: dict[str, Sender] = {WEB: self._push}
        self.wakeups = Wakeups()
        self.flow = engine.flows.find(HandoffFlow)
        self.flow.desk = self

    def now(self) -> dt.datetime:
        return self.engine.clock.now()

    def t(self, key: str, **values: object) -> str:
        return self.catalog.text(key, **values)

    # -- the Desk port --------------------------------------------------------------------------

    async def chat_id(self) -> str | None:
        return await self.schools.chat_for_school(COUNSELLORS, self.group.platform)

    async def available(self) -> bool:
        return await self.chat_id() is not None

    async def open(self, key: ConversationKey, intro: Intro) -> Opened | None:
        chat_id = await self.chat_id()
        if chat_id is None:
            return None
        now = self.now()
        handoff_id = uuid.uuid4().hex
        ref = handoff_id[:6].upper()
        thread_id = await self.group.create_topic(chat_id, self.t(T.HANDOFF_TOPIC_NAME, ref=ref))
        after = None if self.hours.is_open(now) else when_text(self.hours.next_open(now))
        channel = CHANNEL_NAMES.get(key.channel, key.channel)
        lines = [self.t(T.HANDOFF_GROUP_NEW, ref=ref, channel=channel)]
        if after is not None:
            lines.append(self.t(T.HANDOFF_GROUP_AFTER_HOURS, when=after))
        if intro.shared:
            lines += ["", self.t(T.HANDOFF_GROUP_SHARED), *intro.shared]
        else:
            lines += ["", self.t(T.HANDOFF_GROUP_NOT_SHARED)]
        lines += ["", self.t(T.HANDOFF_GROUP_QUESTION, text=intro.question[:MAX_FORWARD])]
        lines += ["", self.t(T.HANDOFF_GROUP_HOW)]
        await self.handoffs.create(handoff_id, key, chat_id, thread_id, after is not None, now)
        root = await self.group.post(chat_id, "\n".join(lines), thread_id, None)
        if root is None:
            await self.handoffs.close(handoff_id, "failed", now)
            log.warning("handoff: the counsellors' group refused the first message")
            return None
        await self.handoffs.add_post(handoff_id, chat_id, root, root=True)
        log.info("handoff opened", extra={"handoff": handoff_id, "topic": thread_id is not None})
        return Opened(handoff_id, after, self.hours.describe())

    async def forward(self, key: ConversationKey, handoff_id: str, text: str) -> bool:
        handoff = await self.handoffs.get(handoff_id)
        if handoff is None or not handoff.open or handoff.key != key:
            return False
        body = self.t(T.HANDOFF_GROUP_STUDENT, ref=handoff.ref, text=text[:MAX_FORWARD])
        posted = await self.group.post(handoff.chat_id, body, handoff.thread_id, _reply_to(handoff))
        if posted is not None:
            await self.handoffs.add_post(handoff.id, handoff.chat_id, posted)
        await self.handoffs.touch(handoff.id, self.now())
        return True

    async def close(self, key: ConversationKey, handoff_id: str) -> None:
        handoff = await self.handoffs.close(handoff_id, "student", self.now())
        if handoff is None or handoff.key != key:
            return
        await self._tell_group(handoff, self.t(T.HANDOFF_GROUP_CLOSED_STUDENT, ref=handoff.ref))

    # -- from the group -------------------------------------------------------------------------

    async def is_group(self, chat_id: str) -> bool:
        found = await self.schools.school_for_chat(self.group.platform, chat_id)
        return found == COUNSELLORS

    async def from_group(self, message: GroupMessage) -> None:
        """A counsellor's message: to its student, or "/xong" closes the thread."""
        handoff = await self._handoff_of(message)
        if handoff is None:
            return  # the counsellors talking among themselves
        if not handoff.open:
            await self.group.post(
                handoff.chat_id,
                self.t(T.HANDOFF_GROUP_ALREADY_CLOSED),
                handoff.thread_id,
                message.message_id,
            )
            return
        if message.done:
            await self._close_from_group(handoff, idle=False)
            return
        if not message.text.strip():
            return
        await self.handoffs.add_post(handoff.id, handoff.chat_id, message.message_id)
        await self.handoffs.touch(handoff.id, self.now())
        reply = self.flow.counsellor_said(message.text)

        def held(state: ConversationState) -> list[Reply] | None:
            return [reply] if self.flow.holds(state, handoff.id) else None

        if await self._deliver(handoff, held, None):
            log.info("handoff: counsellor replied", extra={"handoff": handoff.id})
            return
        # the student deleted their data (or the conversation ended some other way)
        if await self.handoffs.close(handoff.id, "gone", self.now()) is not None:
            note = self.t(T.HANDOFF_GROUP_CLOSED_STUDENT, ref=handoff.ref)
            await self._tell_group(handoff, f"{note}\n{self.t(T.HANDOFF_GROUP_ALREADY_CLOSED)}")

    async def _handoff_of(self, message: GroupMessage) -> Handoff | None:
        if message.thread_id is not None:
            found = await self.handoffs.by_thread(message.chat_id, message.thread_id)
            if found is not None:
                return found
        if message.reply_to is not None:
            return await self.handoffs.by_post(message.chat_id, message.reply_to)
        return None

    async def _close_from_group(self, handoff: Handoff, idle: bool) -> None:
        closed = await self.handoffs.close(handoff.id, "idle" if idle else "counsellor", self.now())
        if closed is None:
            return
        minutes = int(self.idle.total_seconds() // 60)
        note = (
            self.t(T.HANDOFF_GROUP_CLOSED_IDLE, ref=handoff.ref, minutes=minutes)
            if idle
            else self.t(T.HANDOFF_GROUP_CLOSED_COUNSELLOR, ref=handoff.ref)
        )

        def told(state: ConversationState) -> list[Reply] | None:
            return self.flow.closed(state, handoff.id, idle)

        await self._deliver(handoff, told, None)  # the student first: the group may be slow
        await self._tell_group(handoff, note)
        log.info("handoff closed", extra={"handoff": handoff.id, "idle": idle})

    async def _tell_group(self, handoff: Handoff, note: str) -> None:
        await self.group.post(handoff.chat_id, note, handoff.thread_id, _reply_to(handoff))
        if handoff.thread_id is not None:
            await self.group.close_topic(handoff.chat_id, handoff.thread_id)

    # -- to the student -------------------------------------------------------------------------

    async def _deliver(
        self,
        handoff: Handoff,
        change: Callable[[ConversationState], list[Reply] | None] | None,
        replies: list[Reply] | None,
    ) -> bool:
        """Replies to the student on their channel; `change` updates the conversation (under its
        lock) and says what to send (None: nothing). The web chat's history keeps them for a
        reloaded page. Whether there was something to send."""
        key = handoff.key
        async with self.engine.store.open(key) as state:
            if change is not None:
                replies = change(state)
            if replies and key.channel == WEB and isinstance(self.engine, RecordingEngine):
                History(self.catalog).record(state, Inbound(WEB, key.user_key), [], replies, False)
            if replies:
                state.buttons = list(replies[-1].buttons)
        if not replies:
            return False
        sender = self.senders.get(key.channel)
        if sender is None:
            log.warning("handoff: no sender for channel %s", key.channel)
            return True
        try:
            await sender(key.user_key, replies)
        except Exception:  # a platform error must not lose the desk's loop
            log.exception("handoff: sending to the student failed", extra={"handoff": handoff.id})
        return True

    async def _push(self, user_key: str, replies: list[Reply]) -> None:
        await self.handoffs.push(user_key, reply_json(replies), self.now())
        self.wakeups.wake(user_key)

    # -- idle -----------------------------------------------------------------------------------

    async def close_idle(self) -> int:
        """Close handoffs quiet for the idle time within office hours; how many."""
        now = self.now()
        opened = self.hours.opened_at(now)
        if opened is None:
            return 0  # outside office hours a question waits
        count = 0
        for handoff in await self.handoffs.open_handoffs():
            quiet_since = max(handoff.last_activity_at, opened)
            if now - quiet_since >= self.idle:
                await self._close_from_group(handoff, idle=True)
                count += 1
        return count

    async def run(self, every: float = 60.0) -> None:
        """The idle timer and the pushes' purge, until cancelled."""
        while True:
            try:
                await self.close_idle()
                await self.handoffs.purge_pushes(self.now())
            except Exception:
                log.exception("handoff: idle pass failed")
            await asyncio.sleep(every)


def _reply_to(handoff: Handoff) -> int | None:
    """In a group without topics every message of a handoff answers its first one."""
    return handoff.root_message_id if handoff.thread_id is None else None
