"""What the officials' dashboard (/so) counts: every submitted survey, anonymous ones too, a
person once per survey (a resubmission replaces the earlier answers), with what became of
their leads (parent, school statuses), and the surveys still being filled in."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Text, cast, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.db import READ_ONLY
from bot.storage.lead_status import NEW
from bot.storage.models import ConversationRow, LeadRow, LeadStatusRow, ResponseRow

SURVEY_RUN = "survey"  # where a survey run lives in a conversation's data (core.flows)
CONTACTED = ("da_lien_he", "da_dang_ky")  # a school marked it contacted, or further
ENROLLED = "da_dang_ky"


@dataclass(frozen=True)
class StatsFilter:
    """Which answers count: a survey, a time window (UTC, `until` exclusive), a province
    (its id today); None means any."""

    survey: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    province: str | None = None

    def admits(self, survey: str, at: dt.datetime, answers: dict[str, Any]) -> bool:
        """Whether one answer set falls inside the filter."""
        if self.survey is not None and survey != self.survey:
            return False
        if self.since is not None and at < self.since:
            return False
        if self.until is not None and at >= self.until:
            return False
        return self.province is None or answers.get("province") == self.province


@dataclass(frozen=True)
class Person:
    """One person's newest answers to one survey and their leads' states: lead status
    (active, awaiting_parent, declined, withdrawn…) and the school's portal status."""

    survey_id: str
    grade: int
    answers: dict[str, Any]
    submitted_at: dt.datetime
    leads: tuple[tuple[str, str], ...] = ()

    @property
    def lead(self) -> bool:
        """Agreed to be contacted: a lead was made for at least one school."""
        return bool(self.leads)

    @property
    def reached(self) -> bool:
        """A lead reached a school (its parent confirmed where one had to)."""
        return any(status == "active" for status, _ in self.leads)

    @property
    def contacted(self) -> bool:
        return any(status == "active" and mark in CONTACTED for status, mark in self.leads)

    @property
    def enrolled(self) -> bool:
        return any(status == "active" and mark == ENROLLED for status, mark in self.leads)


@dataclass
class Snapshot:
    """The people who count under a filter, and the survey runs in progress (started, not
    yet submitted or cancelled)."""

    people: list[Person] = field(default_factory=list)
    in_progress: int = 0


def _utc(value: dt.datetime | str) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _json(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        value = json.loads(value)
    return value if isinstance(value, dict) else {}


def latest_per_person(
    rows: Iterable[tuple[str, str, int, str, str | None, Any, Any]],
) -> list[tuple[list[str], str, int, dict[str, Any], dt.datetime]]:
    """Responses (id, survey, grade, channel, user_key, answers, time), oldest first, grouped
    by person and survey: each group's response ids and its newest answers. A response
    without a user key (anonymous, or erased) is a group of its own: nothing links it to
    another."""
    groups: dict[tuple[str, str, str], tuple[list[str], str, int, dict[str, Any], dt.datetime]]
    groups = {}
    for response_id, survey, grade, channel, user_key, answers, at in rows:
        key = (channel, user_key, survey) if user_key else ("", response_id, survey)
        ids = groups[key][0] if key in groups else []
        ids.append(response_id)
        groups[key] = (ids, survey, int(grade), _json(answers), _utc(at))
    return list(groups.values())


async def snapshot(engine: AsyncEngine, where: StatsFilter) -> Snapshot:
    """Everyone who submitted, counted once per survey, and the runs in progress."""
    return Snapshot(await counted_people(engine, where), await in_progress(engine, where))


async def counted_people(engine: AsyncEngine, where: StatsFilter) -> list[Person]:
    """Everyone who submitted under the filter, counted once per survey, with their leads."""
    responses = select(
        ResponseRow.id,
        ResponseRow.survey_id,
        ResponseRow.grade,
        ResponseRow.channel,
        ResponseRow.user_key,
        ResponseRow.answers,
        ResponseRow.created_at,
    ).order_by(ResponseRow.created_at, ResponseRow.id)
    if where.survey is not None:
        responses = responses.where(ResponseRow.survey_id == where.survey)
    leads = select(
        LeadRow.response_id, LeadRow.status, func.coalesce(LeadStatusRow.status, NEW)
    ).outerjoin(LeadStatusRow, LeadStatusRow.lead_id == LeadRow.id)
    async with engine.connect() as conn:
        await conn.execution_options(**{READ_ONLY: True})
        response_rows = list(await conn.execute(responses))
        by_response: dict[str, list[tuple[str, str]]] = {}
        for response_id, status, mark in await conn.execute(leads):
            by_response.setdefault(response_id, []).append((str(status), str(mark)))
    people: list[Person] = []
    for ids, survey, grade, answers, at in latest_per_person(response_rows):
        if not where.admits(survey, at, answers):
            continue
        marks = tuple(m for i in ids for m in by_response.get(i, ()))
        people.append(Person(survey, grade, answers, at, marks))
    return people


async def in_progress(engine: AsyncEngine, where: StatsFilter) -> int:
    """The survey runs in progress (started, not yet submitted or cancelled) the filter admits."""
    runs = select(ConversationRow.state).where(
        cast(ConversationRow.state, Text).like(f'%"{SURVEY_RUN}"%')
    )
    async with engine.connect() as conn:
        await conn.execution_options(**{READ_ONLY: True})
        states = [_json(state) for (state,) in await conn.execute(runs)]
    return sum(1 for state in states if _running(state, where))


async def data_version(engine: AsyncEngine) -> tuple[Any, ...]:
    """A value that differs whenever what `counted_people` reads has changed since it was
    taken (for a cache of the dashboard's tables). Why these figures catch every change:
    - responses are only ever added (their number) or have their personal data deleted,
      which clears `user_key`, strips free text from the answers and always sets
      `personal_deleted_at` (the number of rows where it is set; never unset);
    - leads are added (their number per status), re-pointed at a resubmission (`revision`
      grows by one), or change status without a revision only forwards (awaiting a parent ->
      active, declined, expired; live -> withdrawn; any -> deleted), so such changes never
      cancel out in the number per status;
    - a school's portal status is added (their number) or changed with `updated_at` set to
      the time of the change: the number per status and the sum and latest of those times.
    (The runs in progress live in conversations, which change with every message: they are
    counted afresh each time by `in_progress`, never cached.)"""
    people = select(
        func.count(), func.count(ResponseRow.user_key), func.count(ResponseRow.personal_deleted_at)
    ).select_from(ResponseRow)
    leads = (
        select(LeadRow.status, func.count(), func.coalesce(func.sum(LeadRow.revision), 0))
        .group_by(LeadRow.status)
        .order_by(LeadRow.status)
    )
    marks = (
        select(
            LeadStatusRow.status,
            func.count(),
            func.max(LeadStatusRow.updated_at),
            func.sum(_seconds(engine, LeadStatusRow.updated_at)),
        )
        .group_by(LeadStatusRow.status)
        .order_by(LeadStatusRow.status)
    )
    async with engine.connect() as conn:
        await conn.execution_options(**{READ_ONLY: True})
        found: list[tuple[Any, ...]] = [tuple((await conn.execute(people)).one())]
        for query in (leads, marks):
            found.append(tuple(tuple(row) for row in await conn.execute(query)))
    return tuple(found)


def _seconds(engine: AsyncEngine, column: Any) -> Any:
    """A stored time as a number of seconds, in the engine's dialect."""
    if engine.dialect.name == "sqlite":
        return func.julianday(column) * 86_400.0
    return func.extract("epoch", column)


def _running(state: dict[str, Any], where: StatsFilter) -> bool:
    """Whether a conversation's state holds a survey run in progress that the filter admits."""
    run = _json(state.get("data")).get(SURVEY_RUN)
    if not isinstance(run, dict) or not run.get("active") or not isinstance(run.get("id"), str):
        return False
    try:
        started = _utc(str(run.get("started")))
    except ValueError:
        return False
    return where.admits(run["id"], started, _json(run.get("answers")))
