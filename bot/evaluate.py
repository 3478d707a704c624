"""Run an evaluation set (tests/eval/*.yaml) and compute figures.

A question set (`questions: [{q, expect}]`) measures the answers: for each question, a correct
confident answer, a wrong confident one (worse than asking back), asking back, or declining; and,
for questions that should be declined, whether the bot answered anyway; overall and per
category; and how many of its ordinary questions would get the care answer. A care set
(`messages: [{q, care, kind}]`) measures the care detector: recall on the messages that need
care, false care on the others, per kind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.matching.care import CareDetector
from bot.matching.matcher import Match, Matcher, Suggestions

Decide = Callable[[str], "Match | Suggestions | None"]

# what happened to one question
CORRECT = "correct"  # a confident answer that fits
WRONG = "wrong confident"  # a confident answer that does not fit: the worst outcome
ASKED_RIGHT = "asked back, right option offered"
ASKED_WRONG = "asked back, no right option"
DECLINED = "declined"  # "I don't know, ask here"
OUTCOMES_IN = (CORRECT, WRONG, ASKED_RIGHT, ASKED_WRONG, DECLINED)
OOS_DECLINED = "out of scope, declined"
OOS_ASKED = "out of scope, asked back"
OOS_ANSWERED = "out of scope, answered"  # counts against the bot like a wrong answer
OUTCOMES_OUT = (OOS_DECLINED, OOS_ASKED, OOS_ANSWERED)


@dataclass(frozen=True)
class Question:
    """One evaluation question: the answers that fit (none: it should be declined), and the
    category it is reported under (the first fitting answer's topic unless the set says)."""

    q: str
    expect: tuple[str, ...]
    category: str | None = None

    @property
    def in_scope(self) -> bool:
        return bool(self.expect)


@dataclass(frozen=True)
class Miss:
    """A question the bot did not answer correctly, and what it did instead."""

    q: str
    expect: tuple[str, ...]
    got: str
    score: float
    outcome: str


@dataclass
class Tally:
    """Outcome counts of one group of questions."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: str) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1

    def n(self, *outcomes: str) -> int:
        return sum(self.counts.get(o, 0) for o in outcomes)

    @property
    def in_scope(self) -> int:
        return self.n(*OUTCOMES_IN)

    @property
    def out_of_scope(self) -> int:
        return self.n(*OUTCOMES_OUT)

    def rate(self, *outcomes: str) -> float:
        """Share of the in-scope (or, for out-of-scope outcomes, out-of-scope) questions."""
        whole = self.out_of_scope if outcomes[0] in OUTCOMES_OUT else self.in_scope
        return self.n(*outcomes) / whole if whole else 0.0

    def line(self) -> str:
        parts = []
        if self.in_scope:
            parts.append(
                f"correct {self.rate(CORRECT):.0%}, wrong {self.n(WRONG)}, "
                f"asked {self.n(ASKED_RIGHT, ASKED_WRONG)}, declined {self.n(DECLINED)}"
                f" (of {self.in_scope})"
            )
        if self.out_of_scope:
            parts.append(f"out of scope answered {self.n(OOS_ANSWERED)}/{self.out_of_scope}")
        return "; ".join(parts)


@dataclass
class Report:
    """Figures of one run: overall and per category, and every question not answered right."""

    overall: Tally = field(default_factory=Tally)
    categories: dict[str, Tally] = field(default_factory=dict)
    misses: list[Miss] = field(default_factory=list)

    @property
    def in_scope(self) -> int:
        return self.overall.in_scope

    @property
    def out_of_scope(self) -> int:
        return self.overall.out_of_scope

    @property
    def top1(self) -> int:
        return self.overall.n(CORRECT)

    @property
    def top1_rate(self) -> float:
        """Correct: answered confidently with a fitting answer."""
        return self.overall.rate(CORRECT)

    @property
    def wrong_rate(self) -> float:
        """Answered confidently with an answer that does not fit."""
        return self.overall.rate(WRONG)

    @property
    def oos_rate(self) -> float:
        """Out-of-scope questions answered confidently anyway."""
        return self.overall.rate(OOS_ANSWERED)

    def summary(self) -> str:
        """Human-readable figures, one per line: overall first, then per category."""
        o = self.overall
        lines = [
            f"correct: {o.rate(CORRECT):.1%} ({o.n(CORRECT)}/{o.in_scope})",
            f"wrong confident: {o.rate(WRONG):.1%} ({o.n(WRONG)}/{o.in_scope})",
            f"asked back / suggested: {o.rate(ASKED_RIGHT, ASKED_WRONG):.1%} "
            f"({o.n(ASKED_RIGHT, ASKED_WRONG)}/{o.in_scope}; right option offered in "
            f"{o.n(ASKED_RIGHT)})",
            f"declined: {o.rate(DECLINED):.1%} ({o.n(DECLINED)}/{o.in_scope})",
            f"out-of-scope answered: {o.rate(OOS_ANSWERED):.1%} "
            f"({o.n(OOS_ANSWERED)}/{o.out_of_scope}; asked back {o.n(OOS_ASKED)})",
        ]
        if len(self.categories) > 1:
            lines.append("per category:")
            width = max(len(c) for c in self.categories)
            lines += [
                f"  {name:<{width}}  {tally.line()}"
                for name, tally in sorted(self.categories.items())
            ]
        return "\n".join(lines)


def _expect(raw: object) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, list):
        return tuple(str(x) for x in raw if x is not None)
    return (str(raw),)


def _entries(path: Path | str, key: str) -> list[dict[str, Any]]:
    """The `key` list of an evaluation file, each entry a mapping with a string `q`."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise ValueError(f"{path}: expected a mapping with a `{key}` list")
    for i, item in enumerate(data[key]):
        if not isinstance(item, dict) or not isinstance(item.get("q"), str):
            raise ValueError(f"{path}: {key}[{i}] needs a string `q`")
    return data[key]  # type: ignore[no-any-return]


def load_questions(path: Path | str) -> list[Question]:
    """Questions from a YAML file with `version: 1` and `questions: [{q, expect, category?}]`;
    `expect` is one id, a list of ids that all fit, or null (the bot should decline)."""
    out = []
    for item in _entries(path, "questions"):
        category = item.get("category")
        out.append(
            Question(item["q"], _expect(item.get("expect")), str(category) if category else None)
        )
    return out


def outcome(question: Question, result: Match | Suggestions | None) -> str:
    """What happened to one question."""
    if not question.in_scope:
        if isinstance(result, Match):
            return OOS_ANSWERED
        return OOS_ASKED if isinstance(result, Suggestions) else OOS_DECLINED
    if isinstance(result, Match):
        return CORRECT if result.id in question.expect else WRONG
    if isinstance(result, Suggestions):
        offered = any(o.id in question.expect for o in result.options)
        return ASKED_RIGHT if offered else ASKED_WRONG
    return DECLINED


def evaluate(
    decide: Decide | Matcher, questions: list[Question], topics: Mapping[str, str] | None = None
) -> Report:
    """Run every question through `decide` (the engine's decision, or a bare matcher's);
    `topics` maps an answer id to its category ("faq:hp_x" -> "hoc_phi")."""
    run = decide.match if isinstance(decide, Matcher) else decide
    topics = topics or {}
    report = Report()
    for question in questions:
        result = run(question.q)
        happened = outcome(question, result)
        category = question.category or (
            topics.get(question.expect[0], question.expect[0].partition(":")[0])
            if question.in_scope
            else "out_of_scope"
        )
        report.overall.add(happened)
        report.categories.setdefault(category, Tally()).add(happened)
        if happened in (CORRECT, OOS_DECLINED):
            continue
        if isinstance(result, Match):
            got, score = result.id, result.score
        elif isinstance(result, Suggestions):
            got = "suggest[" + ",".join(o.id for o in result.options) + "]"
            score = result.score
        else:
            got, score = "none", 0.0
        report.misses.append(Miss(question.q, question.expect, got, score, happened))
    return report


# -- care sets ----------------------------------------------------------------------------------


# kinds of the care sets' labels that the calmer answer may be given to
EVERYDAY_KINDS = frozenset({"pressure", "unknown"})


@dataclass(frozen=True)
class CareMessage:
    """One message of a care set: whether it needs the care answer, and its kind."""

    q: str
    care: bool
    kind: str


@dataclass
class CareReport:
    """Figures of a care set, per kind: messages, and how many got the care answer."""

    total: dict[tuple[bool, str], int] = field(default_factory=dict)  # (care, kind) -> count
    flagged: dict[tuple[bool, str], int] = field(default_factory=dict)
    # kind -> messages needing care that got the calmer answer for everyday pressure
    calmer: dict[str, int] = field(default_factory=dict)
    misses: list[CareMessage] = field(default_factory=list)  # wrong either way

    def count(self, care: bool, flagged: bool = False) -> int:
        table = self.flagged if flagged else self.total
        return sum(n for (needs, _), n in table.items() if needs == care)

    @property
    def recall(self) -> float:
        """Share of the messages needing care that got it."""
        needing = self.count(True)
        return self.count(True, flagged=True) / needing if needing else 1.0

    @property
    def false_care_rate(self) -> float:
        """Share of the ordinary messages that got the care answer anyway."""
        ordinary = self.count(False)
        return self.count(False, flagged=True) / ordinary if ordinary else 0.0

    def summary(self) -> str:
        """Figures only (never the messages), one per line."""
        lines = []
        for care, title in ((True, "care recall"), (False, "false care")):
            rate = self.recall if care else self.false_care_rate
            lines.append(
                f"{title}: {rate:.1%} ({self.count(care, flagged=True)}/{self.count(care)})"
            )
            lines += [
                f"  {kind}: {self.flagged.get((needs, kind), 0)}/{n}"
                for (needs, kind), n in self.total.items()
                if needs == care
            ]
        # a message labelled with a kind of danger must never get the calmer answer
        heard = self.count(True, flagged=True)
        other = sum(n for kind, n in self.calmer.items() if kind not in EVERYDAY_KINDS)
        lines.append(
            f"calmer answer: {sum(self.calmer.values())} of {heard} heard"
            f" (labelled with another kind than pressure: {other})"
        )
        return "\n".join(lines)


def is_care_set(path: Path | str) -> bool:
    """Whether an evaluation file is a care set (`messages:`) rather than a question set."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return isinstance(data, dict) and "messages" in data


def load_care_set(path: Path | str) -> list[CareMessage]:
    """Messages from a YAML file with `messages: [{q, care, kind}]`."""
    out = []
    for i, item in enumerate(_entries(path, "messages")):
        if not isinstance(item.get("care"), bool):
            raise ValueError(f"{path}: messages[{i}] needs `care: true` or `care: false`")
        kind = item.get("kind")
        out.append(CareMessage(item["q"], item["care"], str(kind) if kind else "unknown"))
    return out


def evaluate_care(detector: CareDetector, messages: list[CareMessage]) -> CareReport:
    """Run every message through the detector."""
    report = CareReport()
    for message in messages:
        key = (message.care, message.kind)
        report.total[key] = report.total.get(key, 0) + 1
        found = detector.detect(message.q)
        hit = found is not None
        report.flagged[key] = report.flagged.get(key, 0) + hit
        if found is not None and message.care and detector.everyday(message.q, found):
            report.calmer[message.kind] = report.calmer.get(message.kind, 0) + 1
        if hit != message.care:
            report.misses.append(message)
    return report


def care_share(detector: CareDetector, questions: list[Question]) -> tuple[int, int]:
    """How many of a question set's questions would get the care answer, out of how many."""
    return sum(detector.detect(q.q) is not None for q in questions), len(questions)
