"""Run a question set (tests/eval/*.yaml) through the matcher and compute accuracy figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

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
