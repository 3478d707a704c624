"""Survey submission: the finished run as a Submission (consents, what is kept), sent once."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from bot.catalog.models import Survey, SurveyStep
from bot.catalog.text_keys import T
from bot.core.flows.parent_view import AMENDS, ParentView
from bot.core.flows.survey_answers import Parsed
from bot.core.flows.survey_rules import AUTO, RUN_KEY, SurveyRules
from bot.core.flows.survey_steps import SurveySteps
from bot.core.flows.survey_view import SurveyView
from bot.core.messages import Button, ConversationKey, Reply
from bot.core.ports import ConversationState, LeadSink, Submission

PARENT_PHONE = "parent_consent"  # the personal answer holding the parent's number


def submission(
    rules: SurveyRules, run: dict[str, Any], survey: Survey, key: ConversationKey, now: dt.datetime
) -> Submission:
    """The finished survey: personal answers only when they will be forwarded."""
    answers: dict[str, Any] = {}
    personal: dict[str, Any] = {}
    consent: dict[str, Any] = {}
    parent: dict[str, Any] | None = None
    for step in survey.steps:
        if step.type == "info" or not rules.applies(run, survey, step):
            continue
        value = run["answers"].get(step.id)
        if step.type == "consent":
            consent = value if isinstance(value, dict) else {}
        elif step.type == "parent_consent":
            parent = value if isinstance(value, dict) else None
            if parent is not None and parent.get("phone"):  # flowfix: none when "để sau"
                personal[step.id] = parent["phone"]
        elif step.personal:
            personal[step.id] = value
        elif step.type == "schools" and isinstance(value, list) and AUTO in value:
            answers[step.id] = rules.receivers(run, survey)
        else:
            answers[step.id] = value
    receivers = tuple(rules.receivers(run, survey)) if consent.get("agreed") else ()
    parent_ok = None if not survey.minor else bool(parent and parent.get("agreed"))
    # parent (issue 12): the parent confirms later, on their own phone, with a code
    waiting = survey.minor and bool(parent and parent.get("awaiting"))
    if waiting:
        parent_ok = None
    at = consent.get("at")
    result = Submission(
        key=key,
        run_id=run["run"],
        survey_id=survey.id,
        grade=survey.grade,
        answers=answers,
        personal=personal,
        schools=receivers,
        consent_version=survey.consent_version,
        consent_given=bool(consent.get("agreed")),
        consent_at=dt.datetime.fromisoformat(at) if at else None,
        parent_confirmed=parent_ok,
        submitted_at=now,
        parent_pending=waiting,
        amends=bool(run.get(AMENDS)),
    )
    # Submission.forward is the one rule for forwarding: what is not forwarded is not kept
    return result if result.forward else replace(result, personal={})


class SurveySubmitter:
    """ "✅ Gửi": asks what is still missing, else hands the run to the LeadSink."""

    def __init__(self, steps: SurveySteps, view: SurveyView, leads: LeadSink | None) -> None:
        self.steps = steps
        self.view = view
        self.rules = steps.rules
        self.leads = leads
        self.parents = ParentView(view.r, leads)  # parent (issue 12)

    async def submit(
        self,
        state: ConversationState,
        run: dict[str, Any],
        survey: Survey,
        key: ConversationKey,
        now: dt.datetime,
    ) -> list[Reply]:
        """The missing question, or the run stored (and forgotten by the conversation)."""
        missing = next((s for s in survey.steps if self.rules.missing(run, survey, s)), None)
        if missing is not None:
            run["current"], run["editing"] = missing.id, True
            return self.steps.ask(run, survey)
        own = self._parent_is_own(run, survey)
        if own is not None:  # parentsafe: the contact number was changed to the parent's
            run["answers"].pop(own.id, None)
            run["current"], run["editing"] = own.id, True
            error = self.view.error(own, Parsed(error=T.SURVEY_PARENT_SAME_AS_OWN))
            return self.steps.ask(run, survey, error)
        if self.leads is None:
            return [Reply(self.view.r.t(T.SURVEY_UNAVAILABLE), self.view.menu_buttons())]
        sent = submission(self.rules, run, survey, key, now)
        receipt = await self.leads.submit(sent)
        state.data.pop(RUN_KEY, None)
        t = self.view.r.t
        lines = [t(T.SURVEY_THANKS)]
        buttons: tuple[Button, ...] = (Button(t(T.DATA_VIEW_BUTTON), "data:view"),)
        private = False
        if receipt.updated:  # parent (issue 12): one lead per school, updated
            names = ", ".join(self.rules.school_names(list(receipt.updated)))
            lines.append(t(T.SURVEY_LEAD_UPDATED, schools=names))
        later = sent.parent_pending and not sent.personal.get(PARENT_PHONE)
        if later and receipt.schools:
            # parentsafe: "Bỏ qua, để sau": the answers are kept, no code is given and nothing
            # goes to any school until a parent's number is added ("sửa số phụ huynh")
            names = ", ".join(self.rules.school_names(list(receipt.schools)))
            lines.append(t(T.SURVEY_PARENT_NO_PHONE_HELD, schools=names))
        elif receipt.parent_code is not None:  # parent (issue 12): the leads wait for a parent
            names = ", ".join(self.rules.school_names(list(receipt.schools)))
            lines.append(t(T.SURVEY_PARENT_WAITING, schools=names))
            lines += self.parents.code_lines(receipt.parent_code)
            buttons = (Button(t(T.PARENT_CODE_BUTTON), "pc:code"), *buttons)
            private = True  # a code is a secret: never kept in the web chat's history
        elif receipt.schools:
            names = ", ".join(self.rules.school_names(list(receipt.schools)))
            lines.append(t(T.SURVEY_SENT_TO, schools=names))
        elif sent.consent_given and sent.parent_confirmed is False:
            lines.append(t(T.SURVEY_PARENT_DECLINED))
        else:
            lines.append(t(T.SURVEY_ANONYMOUS))
        buttons = (*buttons, *self.view.menu_buttons())
        return [Reply("\n\n".join(lines), buttons, private=private)]

    def _parent_is_own(self, run: dict[str, Any], survey: Survey) -> SurveyStep | None:
        """The parent's-number step, when its number is the student's own (parentsafe)."""
        own = self.steps.own_phones(run, survey)
        for step in survey.steps:
            value = run["answers"].get(step.id)
            phone = value.get("phone") if isinstance(value, dict) else None
            said = isinstance(value, dict) and value.get("shared")  # "yes, it is a parent's"
            if step.type == "parent_consent" and phone and phone in own and not said:
                return step
        return None
