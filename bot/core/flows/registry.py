"""The flows an engine runs: the one place a new flow is registered."""

from __future__ import annotations

from bot.core.flows.base import Flow, Tools
from bot.core.flows.data_rights import DataRights
from bot.core.flows.schools import SchoolsFlow
from bot.core.flows.survey import SurveyFlow


def standard_flows(tools: Tools) -> list[Flow]:
    """Every flow, in the order they read typed text (the first waiting one reads it)."""
    tools.renderer.participation.connect(tools.leads)  # task directory
    survey = SurveyFlow(tools)
    flows: list[Flow] = [survey, DataRights(tools, survey)]
    flows.append(SchoolsFlow(tools))  # task directory
    return flows
