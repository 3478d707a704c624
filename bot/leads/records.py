"""A lead as a school sees it: one JSON-ready dict, shared by the webhook and every export."""

from __future__ import annotations

from typing import Any

from bot.catalog import Catalog
from bot.storage.schools import LeadRecord

PARENT_STEP = "parent_consent"  # the personal answer holding the parent's phone


def lead_dict(record: LeadRecord, catalog: Catalog) -> dict[str, Any]:
    """The lead's fields with catalog ids resolved to names (webhook body and JSON export)."""
    answers = record.answers
    survey = catalog.surveys.get(record.survey_id)
    plan_labels = {}
    if survey is not None:
        plan_labels = {o.id: o.label for s in survey.steps for o in s.options}
    plan = answers.get("plan")
    province = answers.get("province")
    personal = dict(record.personal)
    parent_phone = personal.pop(PARENT_STEP, None)
    return {
        "lead_id": record.lead_id,
        "school_id": record.school_id,
        "created_at": record.created_at.isoformat(),
        "survey": record.survey_id,
        "grade": record.grade,
        "channel": record.channel,
        "student": {
            "name": personal.get("name"),
            "school_class": personal.get("school_class"),
            "phone": personal.get("phone"),
        },
        "parent": (
            {"phone": parent_phone, "confirmed": bool(record.parent_confirmed)}
            if parent_phone is not None
            else None
        ),
        "plan": {"id": plan, "label": plan_labels.get(plan, plan)} if plan else None,
        "trades": [
            {"id": t, "name": catalog.trades[t].name if t in catalog.trades else t}
            for t in answers.get("trades") or []
        ],
        "province": (
            {
                "id": province,
                "name": catalog.provinces[province].name
                if province in catalog.provinces
                else province,
            }
            if province
            else None
        ),
        "commune": answers.get("commune"),
        "consent": {
            "version": record.consent_version,
            "recorded_at": record.consent_at.isoformat() if record.consent_at else None,
        },
    }
