"""Runs every whole dialogue in tests/conversations/*.yaml against the real engine and catalog.

A file: `name`, optional `channel`, and `steps`; each step sends one action and checks the turn:
  - send: {text: "...", times: N} | {payload: "..."}   or   press: "button label" (last reply)
    expect:
      contains: [substrings of the turn's text]      not_contains: [...]
      buttons: [labels that must be offered]         no_buttons: true
      first_buttons: [the first labels, in this order (what "1", "2"... pick)]
      replies: N                                     screen: "faq:id" (top of the nav stack)
      not_buttons: [labels that must not be offered]
      stored: {responses: N, leads: [school ids with an active lead], personal: bool}
        (what the database holds after the step: every file runs on SQLite and PostgreSQL)
      quiet: true (no reply: a counsellor answers)   thread: [substrings sent to counsellors]
A file with `counsellors: true` runs with a desk that records the counsellors' threads.
Parent (issue 12): a step with `as: parent` is sent by another person (their own
conversation, on `channel` of the step or the file's); `remember: code` keeps the parent code
("PH-ABCD-2345") the turn shows, and "{code}" in a later text is replaced by it ("{bare}":
by "abcd2345", flowfix).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.catalog import Catalog
from bot.core.engine import Engine
from bot.core.flows.handoff import HandoffFlow
from bot.core.messages import Inbound, Reply
from bot.matching.matcher import Matcher
from bot.storage.conversations import SqlConversationStore
from bot.storage.db import make_engine
from bot.storage.leads import SqlLeadSink
from bot.storage.models import ContactRow, LeadRow, ResponseRow
from bot.storage.participation import ParticipationStore
from tests.conftest import LEAD_SCHOOLS, FixedClock
from tests.fakes.desk import ThreadRecorder

CODE = re.compile(r"PH-[A-Z0-9]{4}-[A-Z0-9]{4}")  # parent (issue 12)
FILES = sorted((Path(__file__).parent / "conversations").glob("*.yaml"))


SPECS = {p: yaml.safe_load(p.read_text(encoding="utf-8")) for p in FILES}


def test_there_are_conversation_files() -> None:
    assert len(FILES) >= 5


def _check(expect: dict[str, Any], replies: list[Reply], where: str) -> None:
    text = "\n".join(r.text for r in replies)
    labels = [b.label for r in replies for b in r.buttons]
    for part in expect.get("contains", []):
        assert part in text, f"{where}: expected {part!r} in:\n{text}"
    for part in expect.get("not_contains", []):
        assert part not in text, f"{where}: did not expect {part!r} in:\n{text}"
    for label in expect.get("buttons", []):
        assert label in labels, f"{where}: expected button {label!r} in {labels}"
    for label in expect.get("not_buttons", []):
        assert label not in labels, f"{where}: did not expect button {label!r} in {labels}"
    if "first_buttons" in expect:
        first = labels[: len(expect["first_buttons"])]
        assert first == expect["first_buttons"], f"{where}: buttons in order: {labels}"
    if expect.get("no_buttons"):
        assert labels == [], f"{where}: expected no buttons, got {labels}"
    if "replies" in expect:
        assert len(replies) == expect["replies"], f"{where}: reply count"


async def _check_stored(db: AsyncEngine, expect: dict[str, Any], where: str) -> None:
    async with db.connect() as conn:
        if "responses" in expect:
            count = await conn.scalar(select(func.count()).select_from(ResponseRow))
            assert count == expect["responses"], f"{where}: responses stored"
        if "leads" in expect:
            schools = await conn.scalars(
                select(LeadRow.school_id).where(LeadRow.status == "active")
            )
            assert sorted(schools) == sorted(expect["leads"]), f"{where}: active leads"
        if "personal" in expect:
            count = await conn.scalar(select(func.count()).select_from(ContactRow))
            assert bool(count) == expect["personal"], f"{where}: personal data stored"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
async def test_conversation(
    path: Path, catalog: Catalog, matcher: Matcher, database_url: str
) -> None:
    db = make_engine(database_url)
    try:
        await _run(SPECS[path], path, catalog, matcher, db)
    finally:
        await db.dispose()


async def _run(
    spec: dict[str, Any], path: Path, catalog: Catalog, matcher: Matcher, db: AsyncEngine
) -> None:
    store = SqlConversationStore(db)
    # task directory: leads go only to schools an operator switched on; a file may name them
    # (`participating: [...]`), else the schools these dialogues were written with
    switches = ParticipationStore(db, cache_seconds=0)
    for school_id in spec.get("participating", LEAD_SCHOOLS):
        await switches.switch(school_id, True, "participate", FixedClock().now())
    engine = Engine(catalog, matcher, store, FixedClock(), leads=SqlLeadSink(db, switches))
    # -- handoff (issue 12): a desk that records what counsellors receive --
    desk = ThreadRecorder() if spec.get("counsellors") else None
    engine.flows.find(HandoffFlow).desk = desk
    user = f"user-{path.stem}"
    last: list[Reply] = []
    remembered: dict[str, str] = {}
    for number, step in enumerate(spec["steps"], start=1):
        where = f"{path.name} step {number}"
        channel, user = _who(spec, step, path)
        if "press" in step:
            offered = {b.label: b.payload for r in last for b in r.buttons}
            assert step["press"] in offered, (
                f"{where}: no button {step['press']!r} in {list(offered)}"
            )
            inbound = Inbound(channel, user, payload=offered[step["press"]])
        else:
            send = step["send"]
            text = send.get("text")
            if text is not None and "times" in send:
                text = text * send["times"]
            if text is not None and "code" in remembered:
                text = text.replace("{code}", remembered["code"])
                # flowfix: the code as some parents type it, without "PH" and dashes
                text = text.replace("{bare}", remembered["code"][3:].replace("-", "").lower())
            inbound = Inbound(channel, user, text=text, payload=send.get("payload"))
        replies = await engine.handle(inbound)
        expect = step.get("expect", {})
        if expect.get("quiet"):  # handoff (issue 12)
            assert replies == [], f"{where}: the bot should stay quiet, said {replies}"
        else:
            last = replies
            assert last, f"{where}: no reply"
        for part in expect.get("thread", []):
            assert desk is not None and part in desk.text(), f"{where}: {part!r} not in thread"
        if step.get("remember") == "code":  # parent (issue 12)
            found = CODE.search("\n".join(r.text for r in replies))
            assert found is not None, f"{where}: no parent code shown"
            remembered["code"] = found.group(0)
        _check(expect, replies, where)
        if "stored" in step.get("expect", {}):
            await _check_stored(db, step["expect"]["stored"], where)
        if "screen" in step.get("expect", {}):
            state = await store.load(inbound.key)
            assert state.screens and state.screens[-1] == step["expect"]["screen"], where


def _who(spec: dict[str, Any], step: dict[str, Any], path: Path) -> tuple[str, str]:
    """The channel and user a step is sent by: the student, or (`as: parent`) a parent in
    their own conversation (parent, issue 12)."""
    channel = step.get("channel", spec.get("channel", "test"))
    if step.get("as") == "parent":
        return channel, f"parent-{path.stem}"
    return spec.get("channel", "test"), f"user-{path.stem}"
