"""Corrections after submitting (issue 12, parent): "sửa số điện thoại", "đổi trường",
"sửa lớp"… reopen the person's last submitted survey at that question, as the consent text
promises. Sending it again updates the schools' leads (one lead per school, lead.updated);
a school no longer chosen is told to delete the lead (lead.withdrawn).
"""

from __future__ import annotations

import uuid
from typing import Any

from bot.catalog.models import Survey, SurveyStep
from bot.catalog.text_keys import T
from bot.core.flows import data_words
from bot.core.flows.base import Flow, Tools, Turn
from bot.core.flows.parent_view import AMENDS, CONFIRMED_PARENT
from bot.core.flows.survey_rules import RUN_KEY, SUMMARY, SurveyRules
from bot.core.messages import Reply
from bot.core.ports import ConversationState, MyData

FIX = "fix:"
# what is corrected -> the step: by type (schools, trades, phone, parent_consent) or by id
_TARGETS = {"schools": "schools", "trades": "trades", "phone": "phone", "parent": "parent_consent"}
WORDS = {
    **dict.fromkeys(
        ["sua so dien thoai", "doi so dien thoai", "sua sdt", "doi sdt", "sua so dt"],
        "fix:phone",
    ),
    **dict.fromkeys(["sua ten", "sua ho ten", "doi ten", "sua ho va ten"], "fix:name"),
    **dict.fromkeys(
        ["sua lop", "doi lop", "sua truong lop", "sua lop hoc", "sua truong thcs"],
        "fix:school_class",
    ),
    **dict.fromkeys(
        ["doi truong", "sua truong", "chon truong khac", "doi truong lien he", "them truong"],
        "fix:schools",
    ),
    **dict.fromkeys(["sua nghe", "doi nghe", "chon nghe khac"], "fix:trades"),
    **dict.fromkeys(
        [
            "sua so phu huynh",
            "sua so dien thoai phu huynh",
            "doi so phu huynh",
            "doi so dien thoai phu huynh",
        ],
        "fix:parent",
    ),
    **dict.fromkeys(
        ["sua thong tin", "sua cau tra loi", "sua khao sat", "sua thong tin da gui"], "fix:all"
    ),
}


class CorrectionsFlow(Flow):
    """Reopens the last submitted survey for a correction; the survey flow does the rest."""

    prefixes = (FIX,)

    def __init__(self, tools: Tools) -> None:
        self.r = tools.renderer
        self.catalog = tools.catalog
        self.rules = SurveyRules(tools.catalog)
        self.leads = tools.leads

    def command(self, folded: str, state: ConversationState) -> str | None:
        # datarights (review3 C4): "e muon doi ten" is "đổi tên"
        return data_words.command(folded, WORDS)

    async def payload(self, payload: str, turn: Turn) -> list[Reply]:
        what = payload.removeprefix(FIX)
        state = turn.state
        run = state.data.get(RUN_KEY)
        if isinstance(run, dict) and run.get("id") in self.catalog.surveys:
            # a survey is open: correct it there (before sending, nothing needs updating)
            step = _target(self.catalog.surveys[run["id"]], what)
            if run.get("current") == SUMMARY and step is not None:
                return await turn.press(f"sv:edit:{step.id}")
            return await turn.press("sv:resume")
        mine = await self.leads.my_data(turn.key) if self.leads is not None else None
        survey = self.catalog.surveys.get(mine.survey_id) if mine is not None else None
        if mine is None or survey is None or not mine.personal:
            return [Reply(self.r.t(T.FIX_NOTHING), (self.r.home_button(),))]
        run = self._reopen(mine, survey, turn)
        state.data[RUN_KEY] = run
        step = _target(survey, what)
        if step is None or not self.rules.applies(run, survey, step):
            return [Reply(self.r.t(T.FIX_INTRO)), *await turn.press("sv:resume")]
        return [Reply(self.r.t(T.FIX_INTRO)), *await turn.press(f"sv:edit:{step.id}")]

    def _reopen(self, mine: MyData, survey: Survey, turn: Turn) -> dict[str, Any]:
        """A new run holding the last submission's answers, at its summary, marked as a
        correction."""
        answers: dict[str, Any] = dict(mine.answers)
        run: dict[str, Any] = {
            "id": survey.id,
            "run": uuid.uuid4().hex,
            "active": True,
            "answers": answers,
            "history": [],
            "current": SUMMARY,
            "pending": None,
            "editing": False,
            "selection": [],
            "started": turn.now.isoformat(),
            AMENDS: True,
        }
        receivers = self.rules.receivers(run, survey)
        at = turn.now.isoformat()
        for step in survey.steps:
            if step.type == "info":
                answers[step.id] = True
            elif step.type == "consent":
                answers[step.id] = {"agreed": True, "schools": receivers, "at": at}
            elif step.type == "parent_consent" and step.id in mine.personal:
                phone = mine.personal[step.id]
                if any(lead.status == "active" for lead in mine.leads):
                    run[CONFIRMED_PARENT] = phone  # a parent confirmed: it stays confirmed
                answers[step.id] = {
                    "agreed": None,
                    "awaiting": True,
                    "schools": receivers,
                    "at": at,
                    "phone": phone,
                }
            elif step.personal and step.id in mine.personal:
                answers[step.id] = mine.personal[step.id]
        run["selection"] = []
        return run


def _target(survey: Survey, what: str) -> SurveyStep | None:
    """The step a correction names, if this survey has it."""
    kind = _TARGETS.get(what)
    for step in survey.steps:
        if (kind is not None and step.type == kind) or (kind is None and step.id == what):
            return step
    return None
