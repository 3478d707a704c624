"""The flows an engine runs: the one place a new flow is registered."""

from __future__ import annotations

from bot.core.flows.base import Flow, Tools
from bot.core.flows.corrections import CorrectionsFlow  # parent (issue 12)
from bot.core.flows.data_rights import DataRights
from bot.core.flows.eligibility import EligibilityFlow
from bot.core.flows.handoff import HandoffFlow  # handoff (issue 12)
from bot.core.flows.parent import ParentFlow  # parent (issue 12)
from bot.core.flows.quiz import QuizFlow  # quiz (issue 11)
from bot.core.flows.schools import SchoolsFlow
from bot.core.flows.small_talk import SmallTalk  # answers
from bot.core.flows.survey import SurveyFlow


def standard_flows(tools: Tools) -> list[Flow]:
    """Every flow, in the order they read typed text (the first waiting one reads it)."""
    tools.renderer.participation.connect(tools.leads)  # task directory
    survey = SurveyFlow(tools)
    flows: list[Flow] = [survey, DataRights(tools, survey), QuizFlow(tools)]
    # -- eligibility (issue 11): when the content has the check --
    if tools.catalog.eligibility is not None:
        flows.append(EligibilityFlow(tools))
    flows.append(SchoolsFlow(tools))  # task directory
    # -- handoff (issue 12): talking to a counsellor (its desk is set by the web app); first,
    # so its "continue" leads the menu while a person waits for the student --
    flows.insert(0, HandoffFlow(tools))
    # -- parent (issue 12) --
    flows += [ParentFlow(tools), CorrectionsFlow(tools)]
    flows.append(SmallTalk(tools))  # answers: last, its words are read after every other flow's
    return flows
