"""Many submissions stored at once (benchmarks, imports): the rows SqlLeadSink.submit writes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.core.ports import Submission
from bot.storage.leads import LEAD_CREATED, consent_decisions, delivery_key
from bot.storage.models import (
    ConsentRow,
    ContactRow,
    LeadRow,
    OutboxRow,
    ResponseRow,
    SchoolChatRow,
    WebhookRow,
)


async def submit_many(engine: AsyncEngine, submissions: Sequence[Submission]) -> int:
    """Store new submissions in one transaction, as `SqlLeadSink.submit` stores each (the
    response, its consents, and for a forwarded one the contact, the leads and their outbox
    rows), with a few multi-row INSERTs. Runs already stored are not checked: new ones only.
    Returns the number of leads written."""
    sessions = async_sessionmaker(engine)
    rows: dict[type[Any], list[dict[str, Any]]] = {
        ResponseRow: [],
        ConsentRow: [],
        ContactRow: [],
        LeadRow: [],
        OutboxRow: [],
    }
    async with sessions() as session, session.begin():
        schools = sorted({s for sub in submissions for s in sub.schools})
        kinds: dict[str, list[str]] = {school: [] for school in schools}
        for school in await session.scalars(
            select(WebhookRow.school_id).where(WebhookRow.school_id.in_(schools))
        ):
            kinds[school].append("webhook")
        for school, platform in await session.execute(
            select(SchoolChatRow.school_id, SchoolChatRow.platform).where(
                SchoolChatRow.school_id.in_(schools)
            )
        ):
            kinds[school].append(platform)
        for sub in submissions:
            _rows(sub, kinds, rows)
        for model, values in rows.items():
            if values:
                await session.execute(insert(model), values)
    return len(rows[LeadRow])


def _rows(
    sub: Submission, kinds: dict[str, list[str]], rows: dict[type[Any], list[dict[str, Any]]]
) -> None:
    """The rows of one submission, appended to `rows` by table."""
    response_id = uuid.uuid4().hex
    rows[ResponseRow].append(
        {
            "id": response_id,
            "run_id": sub.run_id,
            "survey_id": sub.survey_id,
            "grade": sub.grade,
            "channel": sub.key.channel,
            "user_key": sub.key.user_key if sub.forward else None,
            "answers": sub.answers,
            "consent_given": sub.consent_given,
            "parent_confirmed": sub.parent_confirmed,
            "created_at": sub.submitted_at,
        }
    )
    decisions = consent_decisions(sub)
    rows[ConsentRow] += [
        {
            "response_id": response_id,
            "purpose": purpose,
            "school_id": school_id,
            "granted": granted,
            "text_version": sub.consent_version,
            "recorded_at": at,
        }
        for purpose, school_id, granted, at in decisions
    ]
    if not sub.forward:
        return
    rows[ContactRow].append(
        {
            "response_id": response_id,
            "data": sub.personal,
            "created_at": sub.consent_at or sub.submitted_at,
        }
    )
    for school_id in sub.schools:
        lead_id = uuid.uuid4().hex
        rows[LeadRow].append(
            {
                "id": lead_id,
                "response_id": response_id,
                "school_id": school_id,
                "status": "active",
                "created_at": sub.submitted_at,
            }
        )
        rows[OutboxRow] += [
            {
                "kind": kind,
                "event": LEAD_CREATED,
                "lead_id": lead_id,
                "target": school_id,
                "idempotency_key": delivery_key(lead_id, kind),
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": sub.submitted_at,
                "created_at": sub.submitted_at,
            }
            for kind in kinds.get(school_id, [])
        ]
