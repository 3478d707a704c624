"""Real questions as extra training data for the intent model (content/train/*.yaml).

Questions people asked in public sources (newspapers' Q&A columns, legal Q&A sites, forums, other
bots' public data), each with its source and the answer that fits it, or null when the bot
should decline. They teach the model the askers' register, which the content's own phrasings do
not have (README, Quality). The bot never reads them at run time: only `huongnghiep match train`
and `huongnghiep content check` do. None of them is in an evaluation set (tests/eval/).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import yaml

from bot.catalog.load import Problem
from bot.matching.matcher import Target

TRAIN_DIR = "train"
USED_PREFIXES = ("faq:", "trade:", "school:")  # the model's classes; province: is an entity


@dataclass(frozen=True)
class TrainQuestion:
    """One training question and the answer it teaches."""

    q: str
    target: str


def load_train(
    content_dir: Path, known: Collection[str]
) -> tuple[list[TrainQuestion], list[Problem]]:
    """The training questions under content_dir/train, and what is wrong with the files.

    A question teaches its first expected answer, unless that is an entity the resolver answers
    (province:). One to decline (`expect: null`) is checked but teaches nothing: measured on
    real_dev.yaml, an out-of-scope class learned from the 25 such questions we have turned 7
    in-scope questions from "asked back with the right option" into "declined" and declined one
    more out-of-scope question (README, Quality)."""
    out: list[TrainQuestion] = []
    problems: list[Problem] = []
    for path in sorted((content_dir / TRAIN_DIR).glob("*.yaml")):
        name = f"{TRAIN_DIR}/{path.name}"
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            problems.append(Problem(name, "", f"unreadable: {exc.__class__.__name__}"))
            continue
        rows = data.get("questions") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            problems.append(Problem(name, "questions", "a list of questions is expected"))
            continue
        for index, row in enumerate(rows):
            key = f"questions[{index}]"
            found, problem = _row(row, known)
            if problem:
                problems.append(Problem(name, key, problem))
            elif found is not None:
                out.append(found)
    return out, problems


def _row(row: object, known: Collection[str]) -> tuple[TrainQuestion | None, str]:
    """The training question of one row (None when it teaches nothing), or what is wrong."""
    if not isinstance(row, dict) or not isinstance(row.get("q"), str) or not row["q"].strip():
        return None, "`q` (the question) is missing"
    if not isinstance(row.get("source"), str) or not row["source"].strip():
        return None, "`source` is missing"
    if row.get("reviewed", True) is not True:
        # exported by `huongnghiep questions export`: a person reads it first (names out,
        # `expect` checked), then sets `reviewed: true`
        return None, "not reviewed: remove personal details, check `expect`, set `reviewed: true`"
    expect = row.get("expect")
    if expect is None:
        return None, ""
    if not isinstance(expect, list) or not all(isinstance(e, str) for e in expect) or not expect:
        return None, "`expect` is a list of answer ids, or null"
    unknown = [e for e in expect if e.startswith(USED_PREFIXES) and e not in known]
    if unknown:
        return None, f"unknown answer id(s): {', '.join(unknown)}"
    first = expect[0]
    return (TrainQuestion(row["q"], first) if first.startswith(USED_PREFIXES) else None), ""


def train_fingerprint(docs: Sequence[tuple[str, Sequence[str]]]) -> str:
    """sha256 of the extra training documents (class, normalized tokens), order-independent;
    the empty string when there are none (a model trained without them is then not stale)."""
    if not docs:
        return ""
    lines = sorted(f"{ident}\t{' '.join(toks)}" for ident, toks in docs)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


class Reads(Protocol):
    """What the training documents need from the matcher: its targets and how it reads a
    question for the model."""

    @property
    def targets(self) -> Sequence[Target]: ...

    def topic_tokens(self, text: str) -> list[str]: ...


def extra_docs(
    matcher: Reads, content_dir: Path
) -> tuple[list[tuple[str, list[str]]], list[Problem]]:
    """The real questions as training documents (class, tokens as the model reads them at run
    time), and the problems of the files."""
    known = {t.id for t in matcher.targets}
    questions, problems = load_train(content_dir, known)
    docs = [(tq.target, matcher.topic_tokens(tq.q)) for tq in questions]
    return [(ident, toks) for ident, toks in docs if toks], problems


@dataclass(frozen=True)
class LabelledRow:
    """One real question as labelled: every answer that fits (none: decline), and its source."""

    q: str
    expect: tuple[str, ...]
    source: str


def labelled_rows(content_dir: Path) -> list[LabelledRow]:
    """Every well-formed question of content/train, those to decline included (for
    cross-validation, bot/matching/cv.py); `huongnghiep content check` reports the others."""
    out: list[LabelledRow] = []
    for path in sorted((content_dir / TRAIN_DIR).glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError):
            continue
        rows = data.get("questions") if isinstance(data, dict) else None
        for row in rows if isinstance(rows, list) else ():
            if not isinstance(row, dict) or not isinstance(row.get("q"), str):
                continue
            if row.get("reviewed", True) is not True:  # not yet read by a person
                continue
            expect = row.get("expect")
            ids = tuple(e for e in expect if isinstance(e, str)) if isinstance(expect, list) else ()
            out.append(LabelledRow(row["q"], ids, str(row.get("source", ""))))
    return out
