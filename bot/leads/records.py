"""A lead as a school sees it: one JSON-ready dict, shared by the webhook and every export."""

from __future__ import annotations

from typing import Any

from bot.catalog import Catalog
from bot.leads.cells import clean, vietnam_time
from bot.storage.lead_updates import confirmation
from bot.storage.schools import LeadRecord

PARENT_STEP = "parent_consent"  # the personal answer holding the parent's phone


class Names:
    """Catalog names for the ids found in leads, each looked up once (an export asks for the
    same few names 100,000 times). Unknown ids (content changed since) stand for themselves."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._surveys: dict[str, str] = {}
        self._plans: dict[str, dict[str, str]] = {}
        self._trades: dict[str, str] = {}
        self._provinces: dict[str, str] = {}

    def survey(self, survey_id: str) -> str:
        name = self._surveys.get(survey_id)
        if name is None:
            survey = self.catalog.surveys.get(survey_id)
            name = self._surveys[survey_id] = survey.title if survey is not None else survey_id
        return name

    def plan(self, survey_id: str, plan_id: str) -> str:
        labels = self._plans.get(survey_id)
        if labels is None:
            survey = self.catalog.surveys.get(survey_id)
            steps = survey.steps if survey is not None else []
            labels = self._plans[survey_id] = {o.id: o.label for s in steps for o in s.options}
        return labels.get(plan_id, plan_id)

    def trade(self, trade_id: str) -> str:
        name = self._trades.get(trade_id)
        if name is None:
            trade = self.catalog.trades.get(trade_id)
            name = self._trades[trade_id] = trade.name if trade is not None else trade_id
        return name

    def province(self, province_id: str) -> str:
        name = self._provinces.get(province_id)
        if name is None:
            province = self.catalog.provinces.get(province_id)
            name = self._provinces[province_id] = (
                province.name if province is not None else province_id
            )
        return name


def _deep_clean(value: Any) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean(str(k)): _deep_clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_clean(v) for v in value]
    return value


def clean_record(record: LeadRecord) -> LeadRecord:
    """The record with every text stripped of what XML 1.0 forbids and of unassigned code
    points (whatever a student typed and the database kept); the same record when clean."""
    texts = (
        record.survey_id,
        record.channel,
        record.consent_version,
        record.answers,
        record.personal,
    )
    # repr escapes every character that is not printable (controls, surrogates, unassigned
    # code points, among others) with a backslash: without one, every text is clean
    if "\\" not in repr(texts):
        return record
    return record._replace(
        survey_id=clean(record.survey_id),
        channel=clean(record.channel),
        consent_version=clean(record.consent_version) if record.consent_version else None,
        answers=_deep_clean(record.answers),
        personal=_deep_clean(record.personal),
    )


def _text(value: Any) -> str | None:
    """A personal answer as text (None stays None)."""
    return None if value is None else str(value)


def lead_dict(record: LeadRecord, catalog: Catalog | Names) -> dict[str, Any]:
    """The lead's fields with catalog ids resolved to names (webhook body and JSON export);
    times in Vietnam time to the second."""
    names = catalog if isinstance(catalog, Names) else Names(catalog)
    record = clean_record(record)
    answers = record.answers
    plan = answers.get("plan")
    province = answers.get("province")
    personal = dict(record.personal)
    parent_phone = personal.pop(PARENT_STEP, None)
    return {
        "lead_id": record.lead_id,
        "school_id": record.school_id,
        "created_at": vietnam_time(record.created_at),
        "survey": record.survey_id,
        "survey_name": names.survey(record.survey_id),
        "grade": record.grade,
        "channel": record.channel,
        "student": {
            "name": _text(personal.get("name")),
            "school_class": _text(personal.get("school_class")),
            "phone": _text(personal.get("phone")),
        },
        "parent": (
            {
                "phone": str(parent_phone),
                "confirmed": bool(record.parent_confirmed or record.parent_how),
            }
            if parent_phone is not None
            else None
        ),
        # parent (issue 12): whether and how a parent confirmed: through the bot on their own
        # phone, or on the school's phone call (recorded in the portal)
        # parentsafe: `verified` is false when the bot cannot tell who agreed (a code typed on
        # the web chat): the school phones the parent to confirm before contacting the student
        "parent_confirmation": (
            {
                "how": confirmation(record.parent_how)[0],
                "at": vietnam_time(record.parent_at) if record.parent_at else None,
                "verified": confirmation(record.parent_how)[1],
            }
            if record.parent_how
            else None
        ),
        "plan": {"id": plan, "label": names.plan(record.survey_id, str(plan))} if plan else None,
        "trades": [{"id": t, "name": names.trade(str(t))} for t in answers.get("trades") or []],
        "province": ({"id": province, "name": names.province(str(province))} if province else None),
        "commune": answers.get("commune"),
        "consent": {
            "version": record.consent_version,
            "recorded_at": vietnam_time(record.consent_at) if record.consent_at else None,
        },
    }
