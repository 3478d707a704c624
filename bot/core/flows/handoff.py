"""Talking to a counsellor: "Gặp người tư vấn" hands the conversation to people.

The student agrees (or not) to share what the bot knows (grade, province, trades; never a name
or a phone number), types a question, and the desk opens a thread in the counsellors' group.
While the handoff is open every typed message goes to the thread and the bot stays quiet;
"menu" (the menus, with a button back here) and the data-rights words still act, and "kết
thúc" ends it. Counsellors answer through the desk (outside the core), which also ends a
handoff from the group ("/xong") or after an idle time, through `closed`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.catalog.text_keys import T
from bot.core.flows.base import Flow, Tools, Turn
from bot.core.flows.handoff_port import Desk, Intro
from bot.core.flows.menus import COUNSELLOR, Menus
from bot.core.flows.survey import PREFILL
from bot.core.flows.survey_answers import yes_no
from bot.core.messages import Button, Reply
from bot.core.ports import ConversationState
from bot.matching.matcher import Match
from bot.matching.normalize import fold

KEY = "handoff"  # where the handoff lives in ConversationState.data
START = "ho:start"
END = "ho:end"
RESUME = "ho:resume"
FAQ_ID = "faq:gap_tu_van_vien"
CONSENT, QUESTION, OPEN = "consent", "question", "open"
START_WORDS = frozenset(
    (
        "gap nguoi tu van",
        "gap tu van vien",
        "nguoi tu van",
        "tu van vien",
        "gap nguoi that",
        "noi chuyen voi nguoi tu van",
        "cho gap nguoi tu van",
        "toi muon gap nguoi tu van",
        "em muon gap nguoi tu van",
    )
)
END_WORDS = frozenset(("ket thuc", "ket thuc tu van", "ket thuc tro chuyen", "xong", "thoat"))
MENU_WORDS = frozenset(("menu", "trang chu", "ve trang chu", "home"))
CANCEL_WORDS = frozenset(("huy", "thoi", "khong hoi nua", "bo qua"))
_HINTS = ("tu van", "nguoi that", "nhan vien")  # only then is the matcher asked (it costs)


class HandoffFlow(Flow):
    """Handles "ho:…" payloads, the counsellor menu button and the FAQ "gặp tư vấn viên"."""

    prefixes = ("ho:",)
    payloads = frozenset((COUNSELLOR, FAQ_ID))

    def __init__(self, tools: Tools, desk: Desk | None = None) -> None:
        self.catalog = tools.catalog
        self.r = tools.renderer
        self.matcher = tools.matcher
        self.menus = Menus(tools.renderer)
        self.desk = desk  # set by the web app when a counsellors' group can be configured

    # -- state ----------------------------------------------------------------------------------

    @staticmethod
    def run(state: ConversationState) -> dict[str, Any] | None:
        raw = state.data.get(KEY)
        return raw if isinstance(raw, dict) else None

    def is_open(self, state: ConversationState) -> bool:
        run = self.run(state)
        return bool(run and run.get("stage") == OPEN and run.get("id"))

    def waiting(self, state: ConversationState) -> bool:
        run = self.run(state)
        return bool(run and not run.get("paused") and run.get("stage") in (CONSENT, QUESTION, OPEN))

    def pause(self, state: ConversationState) -> None:
        """Going elsewhere keeps an open handoff (counsellors still answer) and drops one not
        yet sent."""
        run = self.run(state)
        if run is None:
            return
        if run.get("stage") == OPEN:
            run["paused"] = True
        else:
            state.data.pop(KEY, None)

    def resume_button(self, state: ConversationState) -> Button | None:
        run = self.run(state)
        if run and run.get("paused") and self.is_open(state):
            return Button(self.r.t(T.HANDOFF_RESUME_BUTTON), RESUME, role="primary")
        return None

    def command(self, folded: str, state: ConversationState) -> str | None:
        if folded in START_WORDS:
            return START
        if folded in END_WORDS and self.is_open(state):
            return END
        if any(hint in folded for hint in _HINTS):
            found = self.matcher.match(folded)
            if isinstance(found, Match) and found.id == FAQ_ID:
                return START
        return None

    # -- care (the engine's care answer comes first; a person should still hear the child) ------

    async def care_heard(self, turn: Turn, text: str) -> bool:
        """During an open handoff, a message that got the care answer still reaches the
        counsellor, flagged, and the talk stays open: True when it was forwarded."""
        run = self.run(turn.state)
        if run is None or not self.is_open(turn.state) or self.desk is None:
            return False
        run["paused"] = False
        flagged = self.r.t(T.HANDOFF_CARE_FLAG, text=text)
        return await self.desk.forward(turn.key, str(run["id"]), flagged)

    async def reachable(self) -> bool:
        """Whether counsellors can be reached now (a group is linked)."""
        return self.desk is not None and await self.desk.available()

    async def offered(self, replies: list[Reply]) -> list[Reply]:
        """A turn's replies without "Gặp người tư vấn" while no counsellors' group is linked: it
        would lead only to "no counsellor online" (reviewer review3, D1). Asked only when a
        reply offers it (the main menu), not on every message."""
        offers = any(b.payload == COUNSELLOR for r in replies for b in r.buttons)
        if not offers or await self.reachable():
            return replies
        return [
            replace(r, buttons=tuple(b for b in r.buttons if b.payload != COUNSELLOR))
            for r in replies
        ]

    async def care_button(self) -> Button | None:
        """ "Talk to a counsellor" under the care answer, when counsellors can be reached."""
        if not await self.reachable():
            return None
        return Button(self.r.t(T.CARE_COUNSELLOR_BUTTON), START, role="primary")

    # -- buttons --------------------------------------------------------------------------------

    async def payload(self, payload: str, turn: Turn) -> list[Reply]:
        state = turn.state
        if payload in (COUNSELLOR, FAQ_ID, START):
            return await self._start(state)
        run = self.run(state)
        if payload == RESUME and run is not None and self.is_open(state):
            run["paused"] = False
            return [Reply(self.r.t(T.HANDOFF_RESUMED), (self._end_button(),))]
        if payload == END and run is not None and self.is_open(state):
            return await self._end(turn)
        if payload.startswith("ho:share:") and run is not None and run.get("stage") == CONSENT:
            return self._shared(run, payload.endswith(":1"))
        if payload == "ho:cancel":
            state.data.pop(KEY, None)
            return [self._with_menu(self.r.t(T.HANDOFF_CANCELLED))]
        return [self._with_menu(self.r.t(T.UNKNOWN_BUTTON))]

    async def _start(self, state: ConversationState) -> list[Reply]:
        if self.is_open(state):
            run = self.run(state)
            assert run is not None
            run["paused"] = False
            return [Reply(self.r.t(T.HANDOFF_RESUMED), (self._end_button(),))]
        if not await self.reachable():
            # where a person can be found instead: the schools' admission offices, the events
            elsewhere = (
                Button(self.r.t(T.MENU_SCHOOLS), "menu:schools"),
                Button(self.r.t(T.MENU_EVENTS), "menu:events"),
            )
            return [Reply(self.r.t(T.HANDOFF_UNAVAILABLE), (*elsewhere, *self.r.nav_buttons()))]
        profile = self.profile(state)
        cancel = Button(self.r.t(T.HANDOFF_CANCEL), "ho:cancel")
        if not profile:
            state.data[KEY] = {"stage": QUESTION, "share": False}
            return [Reply(self.r.t(T.HANDOFF_ASK), (cancel,))]
        state.data[KEY] = {"stage": CONSENT, "share": False}
        text = self.r.t(T.HANDOFF_CONSENT, profile="\n".join(profile))
        buttons = (
            Button(self.r.t(T.HANDOFF_SHARE_YES), "ho:share:1", role="primary"),
            Button(self.r.t(T.HANDOFF_SHARE_NO), "ho:share:0"),
            cancel,
        )
        return [Reply(text, buttons)]

    def _shared(self, run: dict[str, Any], share: bool) -> list[Reply]:
        run["stage"], run["share"] = QUESTION, share
        cancel = Button(self.r.t(T.HANDOFF_CANCEL), "ho:cancel")
        return [Reply(self.r.t(T.HANDOFF_ASK), (cancel,))]

    # -- typed text -----------------------------------------------------------------------------

    async def text(self, text: str, turn: Turn) -> list[Reply] | None:
        run = self.run(turn.state)
        if run is None:
            return None
        folded = fold(text.removeprefix("/"))
        if folded in MENU_WORDS:
            return None  # the engine shows the menu (and pauses this flow)
        stage = run.get("stage")
        if stage == CONSENT:
            said = yes_no(text)
            return None if said is None else self._shared(run, said)
        if stage == QUESTION:
            if folded in CANCEL_WORDS:
                return await turn.press("ho:cancel")
            return await self._open(run, text, turn)
        if folded in END_WORDS:
            return await self._end(turn)
        assert self.desk is not None
        if await self.desk.forward(turn.key, str(run["id"]), text):
            return []  # the bot stays quiet: the counsellor answers
        turn.state.data.pop(KEY, None)
        return [self._with_menu(self.r.t(T.HANDOFF_ENDED))]

    async def _open(self, run: dict[str, Any], question: str, turn: Turn) -> list[Reply]:
        if self.desk is None:
            turn.state.data.pop(KEY, None)
            return [Reply(self.r.t(T.HANDOFF_UNAVAILABLE), self.r.nav_buttons())]
        share = bool(run.get("share"))
        shared = tuple(self.profile(turn.state)) if share else ()
        opened = await self.desk.open(turn.key, Intro(question, shared, share))
        if opened is None:
            turn.state.data.pop(KEY, None)
            return [Reply(self.r.t(T.HANDOFF_UNAVAILABLE), self.r.nav_buttons())]
        run.update(stage=OPEN, id=opened.handoff_id, paused=False)
        if opened.after_hours is not None:
            text = self.r.t(T.HANDOFF_AFTER_HOURS, hours=opened.hours, when=opened.after_hours)
        else:
            text = self.r.t(T.HANDOFF_OPENED)
        return [Reply(text, (self._end_button(),))]

    async def _end(self, turn: Turn) -> list[Reply]:
        run = self.run(turn.state)
        turn.state.data.pop(KEY, None)
        if run is not None and run.get("id") and self.desk is not None:
            await self.desk.close(turn.key, str(run["id"]))
        return [self._with_menu(self.r.t(T.HANDOFF_ENDED))]

    # -- from the desk --------------------------------------------------------------------------

    def closed(self, state: ConversationState, handoff_id: str, idle: bool) -> list[Reply] | None:
        """The handoff was ended from the group ("/xong") or by the idle timer: what the
        student is told, or None when this conversation no longer holds it (erased, ended)."""
        run = self.run(state)
        if run is None or run.get("id") != handoff_id:
            return None
        state.data.pop(KEY, None)
        key = T.HANDOFF_CLOSED_IDLE if idle else T.HANDOFF_CLOSED_BY_COUNSELLOR
        return [self._with_menu(self.r.t(key))]

    def holds(self, state: ConversationState, handoff_id: str) -> bool:
        """Whether this conversation is still in that handoff (not ended, not erased)."""
        run = self.run(state)
        return bool(run and run.get("stage") == OPEN and run.get("id") == handoff_id)

    def counsellor_said(self, text: str) -> Reply:
        """A counsellor's message as the student reads it."""
        return Reply(self.r.t(T.HANDOFF_FROM_COUNSELLOR, text=text))

    # -- helpers --------------------------------------------------------------------------------

    def profile(self, state: ConversationState) -> list[str]:
        """What the conversation tells about the student: grade, province, trades (lines)."""
        grade, province, trades = _known(state)
        t, lines = self.r.t, []
        survey = self.catalog.surveys.get(grade) if isinstance(grade, str) else None
        if survey is not None:
            lines.append(t(T.HANDOFF_PROFILE_GRADE, grade=survey.grade))
        if isinstance(province, str) and province in self.catalog.provinces:
            name = self.catalog.provinces[province].name
            lines.append(t(T.HANDOFF_PROFILE_PROVINCE, province=name))
        names = [self.catalog.trades[x].name for x in trades if x in self.catalog.trades]
        if names:
            lines.append(t(T.HANDOFF_PROFILE_TRADES, trades=", ".join(names[:5])))
        return lines

    def _end_button(self) -> Button:
        return Button(self.r.t(T.HANDOFF_END_BUTTON), END)

    def _with_menu(self, text: str) -> Reply:
        return Reply(text, self.menus.main().buttons)


def _known(state: ConversationState) -> tuple[Any, Any, list[str]]:
    """(survey id, province id, trade ids) from the survey, quiz and eligibility runs."""
    survey = _dict(state.data.get("survey"))
    answers = _dict(survey.get("answers"))
    quiz = _dict(state.data.get("quiz"))
    facts = _dict(_dict(state.data.get("eligibility")).get("facts"))
    province = answers.get("province") or quiz.get("province") or facts.get("province")
    trades = answers.get("trades") or _dict(state.data.get(PREFILL)).get("trades") or []
    if isinstance(trades, str):
        trades = [trades]
    kept = [str(x) for x in trades if isinstance(x, str)] if isinstance(trades, list) else []
    return survey.get("id"), province, kept


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
