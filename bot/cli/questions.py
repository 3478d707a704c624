"""`huongnghiep questions`: the questions the bot could not answer (bot/core/unanswered.py),
listed for counsellors and exported, for a person to review, in the format of content/train."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli.common import _utcnow, _with_db
from bot.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from bot.storage.unanswered import Kept

_HEADER = """\
version: 1
# Questions people asked this bot that it could not answer with confidence, exported by
# `huongnghiep questions export` on {day}; identical questions (after folding diacritics) once,
# with how many times they were asked. `expect` is the option the student pressed after
# "Ý bạn là…?" (most pressed first), or null when none was pressed.
# Before this file goes under content/train/ as training data: read every question; remove
# names, schools, addresses and anything else that could identify the person (or drop the
# question); correct `expect` (the answers that fit, best first; null when the bot should
# decline); then set `reviewed: true`. `huongnghiep content check` and `match train` refuse
# a question that is not reviewed. Then `huongnghiep match train`.
"""


def _since(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    day = dt.date.fromisoformat(value)
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def _read(args: argparse.Namespace, settings: Settings) -> list[Kept] | int:
    """The kept questions asked since `--since` (all without it), or an exit code."""
    from bot.storage.unanswered import SqlQuestionLog

    try:
        since = _since(args.since)
    except ValueError:
        print("--since: a date as YYYY-MM-DD", file=sys.stderr)
        return 2
    kept: list[Kept] = []

    async def work(db: AsyncEngine) -> int:
        kept.extend(await SqlQuestionLog(db).listed(since))
        return 0

    code = _with_db(settings, work)
    return code or kept


def cmd_questions_list(args: argparse.Namespace, settings: Settings) -> int:
    kept = _read(args, settings)
    if isinstance(kept, int):
        return kept
    for k in kept[-args.limit :] if args.limit else kept:
        picked = f"chose {k.chosen}" if k.chosen else ",".join(k.offered) or "-"
        text = " ".join(k.text.split())[:120]
        print(f"{k.asked_at:%Y-%m-%d %H:%M}\t{k.channel}\t{k.kind}\t{picked}\t{text}")
    print(_summary(kept))
    return 0


def _summary(kept: Sequence[Kept]) -> str:
    if not kept:
        return "no question kept"
    kinds = Counter(k.kind for k in kept)
    asked = kinds.get("asked", 0)
    chosen = sum(1 for k in kept if k.chosen)
    return (
        f"{len(kept)} question(s): asked back {asked} (an option pressed for {chosen}), "
        f"not answered {kinds.get('declined', 0)}"
    )


def cmd_questions_export(args: argparse.Namespace, settings: Settings) -> int:
    kept = _read(args, settings)
    if isinstance(kept, int):
        return kept
    out = Path(args.file)
    rows = exported(kept)
    out.write_text(as_yaml(rows, _utcnow().date()), encoding="utf-8")
    print(f"{len(rows)} question(s) ({len(kept)} asked) written to {out}; review them first")
    return 0


def exported(kept: Sequence[Kept]) -> list[dict[str, Any]]:
    """One training row per question (identical after folding: once, counted), oldest first."""
    from bot.matching.normalize import fold

    groups: dict[str, list[Kept]] = {}
    for k in kept:
        groups.setdefault(" ".join(fold(k.text).split()), []).append(k)
    rows: list[dict[str, Any]] = []
    for same in groups.values():
        first = same[0]
        pressed = Counter(k.chosen for k in same if k.chosen)
        channels = sorted({k.channel for k in same})
        days = sorted({k.asked_at.date().isoformat() for k in same})
        span = days[0] if len(days) == 1 else f"{days[0]} – {days[-1]}"
        rows.append(
            {
                "q": first.text,
                "source": f"huongnghiep-bot ({', '.join(channels)}), {span}",
                "style": "verbatim",
                "kind": first.kind,
                "count": len(same),
                "offered": list(first.offered),
                "expect": [c for c, _ in pressed.most_common()] or None,
                "reviewed": False,
            }
        )
    return rows


def as_yaml(rows: list[dict[str, Any]], day: dt.date) -> str:
    import yaml

    body = yaml.safe_dump({"questions": rows}, allow_unicode=True, sort_keys=False, width=100)
    return _HEADER.format(day=day.isoformat()) + body
