"""Parent confirmation (issue 12): a parent opens the bot on their own phone with the code the
student was given, reads what the student chose and the consent text, and confirms or
declines. The student's own conversation never confirms; each code works once.

Entry: the code typed on any channel ("PH-ABCD-2345"), the web chat's link (?ma=…, sent as
text by the page), Telegram's t.me/<bot>?start=PH… (the channel turns it into the code). The
student gets a new code with "mã phụ huynh" or its button.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from bot.catalog.text_keys import T
from bot.core.flows.base import Flow, Tools, Turn
from bot.core.flows.parent_view import (
    AGREE,
    CODE,
    DECLINE,
    DECLINE_SURE,
    LATER,
    OPEN,
    SHARE,
    VIETNAM,
    ParentView,
)
from bot.core.flows.parent_words import code_in, fold_code, parent_code, parent_decision
from bot.core.flows.survey_answers import parse_phone
from bot.core.flows.survey_rules import SurveyRules
from bot.core.flows.survey_view import SurveyView
from bot.core.messages import VERIFIED_PHONE, VERIFIED_PHONE_CHANNELS, Reply
from bot.core.ports import ConversationState, ParentRequest
from bot.matching.normalize import fold

# ConversationState.data: {"code": the 8 characters being read, "open": typed yes/no answers,
# "expires": the code's expiry (ISO), "declining": the parent said no once (flowfix)}
KEY = "parent"
WORDS = {
    **dict.fromkeys(
        [
            "ma phu huynh",
            "ma cho phu huynh",
            "lay ma phu huynh",
            "gui lai ma phu huynh",
            "ma xac nhan phu huynh",
            "lay lai ma phu huynh",
            # datarights (review3 D2): what the lockout tells the parent to ask the child for
            "gui lai ma",
            "gui ma lai",
            "lay ma moi",
            "ma moi",
            "cho ma moi",
        ],
        CODE,
    ),
}
# after "are you sure?" (flowfix): these confirm the no
_SURE = frozenset(
    "co;dung;dung vay;chac chan;chac;xoa;xoa di;dung roi;co chac chan;phai".split(";")
)
_REFUSED = {
    "unknown": T.PARENT_CODE_UNKNOWN,
    "expired": T.PARENT_CODE_EXPIRED,
    "own": T.PARENT_CODE_OWN,
    "limited": T.PARENT_CODE_LIMITED,  # datarights (D2): until when, and the way out
    "busy": T.PARENT_CODE_BUSY,
    "done": T.PARENT_CODE_DONE,
    "nophone": T.PARENT_CODE_NO_PHONE,  # parentsafe: no parent's number to reach
}


class ParentFlow(Flow):
    """Codes for students; requests, confirmations and refusals for parents."""

    prefixes = ("pc:",)

    def __init__(self, tools: Tools) -> None:
        self.r = tools.renderer
        self.catalog = tools.catalog
        self.view = ParentView(tools.renderer, tools.leads)
        self.leads = tools.leads
        self.survey_view = SurveyView(
            tools.catalog, tools.renderer, SurveyRules(tools.catalog), tools.clock
        )

    def waiting(self, state: ConversationState) -> bool:
        """A parent has a request open: "đồng ý" or "không đồng ý" typed answers it (until
        the parent goes elsewhere; its buttons still work then)."""
        held = state.data.get(KEY)
        return isinstance(held, dict) and bool(held.get("open"))

    def pause(self, state: ConversationState) -> None:
        held = state.data.get(KEY)
        if isinstance(held, dict):
            held["open"] = False

    async def text(self, text: str, turn: Turn) -> list[Reply] | None:
        """Typed agreement, a clear no (asked once more before anything is deleted) or "not
        yet" to an open request; anything else goes on as usual."""
        folded = fold(text)
        answer = parent_decision(folded)
        held = turn.state.data.get(KEY)
        declining = isinstance(held, dict) and held.get("declining")
        if declining and answer is None and folded in _SURE:
            answer = "sure"
        if answer is None:
            return None
        if answer == "decline" and declining:
            answer = "sure"  # said no twice: that is the confirmation
        payload = {"agree": AGREE, "decline": DECLINE, "later": LATER, "sure": DECLINE_SURE}
        return await self.payload(payload[answer], turn)

    def command(self, folded: str, state: ConversationState) -> str | None:
        """ "mã phụ huynh" (a student), or a code typed alone or in a sentence (a parent)."""
        body = parent_code(folded) or code_in(folded)
        if body is not None:
            return OPEN + body
        return WORDS.get(folded)

    def raw_command(self, text: str, state: ConversationState) -> str | None:
        """A code read from the text as typed: folded text shortens "AAAB12CD" (tradestep)."""
        body = parent_code(text) or code_in(fold_code(text.removeprefix("/")))
        return OPEN + body if body is not None else None

    async def payload(self, payload: str, turn: Turn) -> list[Reply]:
        desk = self.view.desk
        if desk is None:
            return [Reply(self.r.t(T.SURVEY_UNAVAILABLE), (self.r.home_button(),))]
        state = turn.state
        if payload == CODE:
            code = await desk.parent_code(turn.key, turn.now)
            if code is None and await self._needs_phone(turn):
                return [self._note(T.PARENT_NEED_PHONE)]
            return [self.view.code_reply(code)]
        if payload.startswith(OPEN):
            body = parent_code("PH" + payload.removeprefix(OPEN))
            if body is None:
                return [self._note(T.PARENT_CODE_UNKNOWN)]
            asked = await desk.parent_request(body, turn.key, turn.now)
            if isinstance(asked, str):
                state.data.pop(KEY, None)
                return [await self._refused(asked, turn)]
            expires = asked.expires_at.isoformat() if asked.expires_at else None
            state.data[KEY] = {"code": body, "open": True, "expires": expires}
            return [self._request(asked, self._can_share(turn))]
        held = state.data.get(KEY)
        if payload in (AGREE, DECLINE, DECLINE_SURE, LATER, SHARE) and not isinstance(held, dict):
            return [self._note(T.PARENT_NO_REQUEST)]
        if payload == SHARE and isinstance(held, dict):
            # parentsafe: pressed as an ordinary button (a channel that cannot ask for a
            # phone): the two usual buttons
            held["open"] = True
            return [self.view.later(self._date(held.get("expires")))]
        if payload in (DECLINE, LATER) and isinstance(held, dict):
            # flowfix: a no is asked once more (it deletes the child's data); "not yet" keeps
            # the code, which the parent types again when decided
            held["open"] = True
            held["declining"] = payload == DECLINE
            if payload == DECLINE:
                return [self.view.decline_check()]
            return [self.view.later(self._date(held.get("expires")), self._can_share(turn))]
        if payload in (AGREE, DECLINE_SURE):
            return await self._decide(turn, payload == AGREE)
        return [self._note(T.UNKNOWN_BUTTON)]

    async def _decide(self, turn: Turn, agreed: bool, phone: str | None = None) -> list[Reply]:
        """The parent's decision on the open request; `phone`: a number the platform vouches
        is theirs (parentsafe), which verifies the confirmation when it is the one given."""
        desk, state = self.view.desk, turn.state
        held = state.data.get(KEY)
        body = held.get("code") if isinstance(held, dict) else None
        if desk is None or not isinstance(body, str):
            return [self._note(T.PARENT_NO_REQUEST)]
        decided = await desk.parent_decide(body, turn.key, agreed, turn.now, phone=phone)
        state.data.pop(KEY, None)
        if isinstance(decided, str):
            return [await self._refused(decided, turn)]
        if not agreed:
            return [self._note(T.PARENT_DECLINED)]
        names = ", ".join(self.catalog.school_name(s) for s in decided.schools)
        return [self.view.confirmed(decided, names, shared=phone is not None)]

    async def shared_turn(self, shared: Mapping[str, str], turn: Turn) -> list[Reply] | None:
        """parentsafe: a phone the platform vouches for, shared at an open request: the parent
        agrees, and the confirmation is verified when it is the parent's number given."""
        vouched = shared.get(VERIFIED_PHONE)
        if vouched is None or turn.key.channel not in VERIFIED_PHONE_CHANNELS:
            return None
        phone = parse_phone(vouched).value
        if not isinstance(phone, str):
            return [self._note(T.PARENT_SHARE_UNREADABLE)]
        return await self._decide(turn, True, phone=phone)

    @staticmethod
    def _can_share(turn: Turn) -> bool:
        """Whether this channel can vouch for the parent's phone (parentsafe)."""
        return turn.key.channel in VERIFIED_PHONE_CHANNELS

    async def _needs_phone(self, turn: Turn) -> bool:
        """Whether leads wait for a parent but no parent's number was given (parentsafe)."""
        if self.leads is None:
            return False
        mine = await self.leads.my_data(turn.key)
        waiting = any(lead.status == "awaiting_parent" for lead in mine.leads)
        return waiting and not mine.personal.get("parent_consent")

    @staticmethod
    def _date(expires: object) -> str:
        """A stored expiry as the parent reads it (dd/mm/yyyy), or "" when unknown."""
        try:
            at = dt.datetime.fromisoformat(str(expires))
        except ValueError:
            return ""
        return at.astimezone(VIETNAM).strftime("%d/%m/%Y")

    async def _refused(self, why: str, turn: Turn) -> Reply:
        """Why a code does not work; refused for too many wrong codes, until when (review3
        D2: the parent is not left without a way on)."""
        desk = self.view.desk
        if why in ("limited", "busy") and desk is not None:
            until = await desk.parent_retry_at(turn.key, turn.now)
            return self._note(_REFUSED[why], time=until.astimezone(VIETNAM).strftime("%H:%M"))
        return self._note(_REFUSED.get(why, T.PARENT_CODE_UNKNOWN))

    def _note(self, key: str, **values: object) -> Reply:
        return Reply(self.r.t(key, **values), (self.r.home_button(),))

    def _request(self, asked: ParentRequest, share: bool = False) -> Reply:
        survey = self.catalog.surveys.get(asked.survey_id)
        steps = survey.steps if survey is not None else []
        # flowfix: the parent reads a consent text written for the parent, not the child's
        asks = any(s.type == "consent" for s in steps)
        consent = self.r.t(T.PARENT_CONSENT_BODY) if asks else None
        schools = {s.id for s in steps if s.type == "schools"}  # named once, below
        answers = {k: v for k, v in asked.answers.items() if k not in schools}
        kept = self.survey_view.kept(asked.survey_id, answers)
        return self.view.request(asked, kept, consent, share)
