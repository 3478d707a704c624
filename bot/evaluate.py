"""Run an evaluation set (tests/eval/*.yaml) and compute figures.

A question set (`questions: [{q, expect}]`) measures the matcher, and how many of its ordinary
questions would get the care answer; a care set (`messages: [{q, care, kind}]`) measures the
care detector: recall on the messages that need care, false care on the others, per kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.matching.care import CareDetector
from bot.matching.matcher import Match, Matcher, Suggestions


@dataclass(frozen=True)
class Question:
    """One evaluation question; expect None means out of scope."""

    q: str
    expect: str | None


@dataclass(frozen=True)
class Miss:
    """A question the matcher got wrong."""

    q: str
    expect: str | None
    got: str
    score: float


@dataclass
class Report:
    """Accuracy figures of one run."""

    in_scope: int = 0
    top1: int = 0
    suggested: int = 0  # not confident, but the expected answer was among the suggestions
    out_of_scope: int = 0
    oos_answered: int = 0
    misses: list[Miss] = field(default_factory=list)

    @property
    def top1_rate(self) -> float:
        return self.top1 / self.in_scope if self.in_scope else 0.0

    @property
    def oos_rate(self) -> float:
        return self.oos_answered / self.out_of_scope if self.out_of_scope else 0.0

    def summary(self) -> str:
        """Human-readable figures, one per line."""
        return "\n".join(
            [
                f"top-1 accuracy: {self.top1_rate:.1%} ({self.top1}/{self.in_scope})",
                f"expected answer offered as a suggestion: {self.suggested}/{self.in_scope}",
                f"out-of-scope answered anyway: {self.oos_rate:.1%} "
                f"({self.oos_answered}/{self.out_of_scope})",
            ]
        )


def load_questions(path: Path | str) -> list[Question]:
    """Questions from a YAML file with `version: 1` and `questions: [{q, expect}]`."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise ValueError(f"{path}: expected a mapping with a `questions` list")
    out = []
    for i, item in enumerate(data["questions"]):
        if not isinstance(item, dict) or not isinstance(item.get("q"), str):
            raise ValueError(f"{path}: questions[{i}] needs a string `q`")
        expect = item.get("expect")
        out.append(Question(item["q"], str(expect) if expect is not None else None))
    return out


def evaluate(matcher: Matcher, questions: list[Question]) -> Report:
    """Top-1 means: the bot answered confidently, with the expected target."""
    report = Report()
    for question in questions:
        result = matcher.match(question.q)
        if question.expect is None:
            report.out_of_scope += 1
            if isinstance(result, Match):
                report.oos_answered += 1
                report.misses.append(Miss(question.q, None, result.id, result.score))
            continue
        report.in_scope += 1
        if isinstance(result, Match) and result.id == question.expect:
            report.top1 += 1
            continue
        if isinstance(result, Match):
            got, score = result.id, result.score
        elif isinstance(result, Suggestions):
            ids = [o.id for o in result.options]
            report.suggested += question.expect in ids
            got, score = "suggest[" + ",".join(ids) + "]", result.score
        else:
            got, score = "none", 0.0
        report.misses.append(Miss(question.q, question.expect, got, score))
    return report


# -- care sets ----------------------------------------------------------------------------------


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
        return "\n".join(lines)


def is_care_set(path: Path | str) -> bool:
    """Whether an evaluation file is a care set (`messages:`) rather than a question set."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return isinstance(data, dict) and "messages" in data


def load_care_set(path: Path | str) -> list[CareMessage]:
    """Messages from a YAML file with `messages: [{q, care, kind}]`."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
        raise ValueError(f"{path}: expected a mapping with a `messages` list")
    out = []
    for i, item in enumerate(data["messages"]):
        if not isinstance(item, dict) or not isinstance(item.get("q"), str):
            raise ValueError(f"{path}: messages[{i}] needs a string `q`")
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
        hit = detector.detect(message.q) is not None
        report.flagged[key] = report.flagged.get(key, 0) + hit
        if hit != message.care:
            report.misses.append(message)
    return report


def care_share(detector: CareDetector, questions: list[Question]) -> tuple[int, int]:
    """How many of a question set's questions would get the care answer, out of how many."""
    return sum(detector.detect(q.q) is not None for q in questions), len(questions)
