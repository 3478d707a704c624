"""The interest quiz (content/quiz.yaml): its model, scoring, the trades a result fits, checks."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import permutations
from typing import get_args

from pydantic import Field, field_validator, model_validator

from bot.catalog.models import ID_RE, Model, Riasec, Trade

TYPES: tuple[str, ...] = get_args(Riasec)  # R, I, A, S, E, C: Holland's order
LIKE, UNSURE, DISLIKE = 2, 1, 0  # points of an answer
POINTS = (LIKE, UNSURE, DISLIKE)  # in the order of the answer buttons
TRADE_WEIGHTS = (3, 2, 1)  # a trade's first code counts most
RESULT_WEIGHTS = (3, 2, 1)  # so does the student's first type


class QuizType(Model):
    """One of the six Holland types, as the student reads it."""

    code: Riasec
    name: str = Field(min_length=3)  # "Kỹ thuật (R)"
    description: str = Field(min_length=20)  # one sentence


class QuizItem(Model):
    """One activity; liking it counts for exactly one type."""

    id: str
    type: Riasec
    text: str = Field(min_length=10, max_length=120)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not ID_RE.match(value):
            raise ValueError("id must be 2-40 chars of a-z, 0-9 and _")
        return value


class QuizAnswers(Model):
    """Typed answers, in Vietnamese (compared after normalisation)."""

    like: list[str] = Field(min_length=1)
    unsure: list[str] = Field(min_length=1)
    dislike: list[str] = Field(min_length=1)


class Quiz(Model):
    """The whole quiz: items in the order asked, type descriptions, typed words."""

    reviewed: dt.date
    title: str
    intro: str
    start_phrases: list[str] = Field(min_length=1)
    answers: QuizAnswers
    types: list[QuizType] = Field(min_length=1)
    items: list[QuizItem] = Field(min_length=6, max_length=60)
    trades_per_page: int = Field(default=6, ge=1, le=10)
    max_trades: int = Field(default=12, ge=1, le=40)

    @model_validator(mode="after")
    def _unique(self) -> Quiz:
        for what, values in (
            ("item id", [i.id for i in self.items]),
            ("item text", [i.text for i in self.items]),
            ("type", [t.code for t in self.types]),
        ):
            repeated = [v for v, n in Counter(values).items() if n > 1]
            if repeated:
                raise ValueError(f"{what} repeated: {', '.join(repeated)}")
        return self

    def type_of(self, code: str) -> QuizType | None:
        """The description of a type, if the quiz has it."""
        return next((t for t in self.types if t.code == code), None)


def scores(quiz: Quiz, answers: Mapping[str, int]) -> dict[str, int]:
    """Points per type (every type present), from item id -> points."""
    totals = dict.fromkeys(TYPES, 0)
    for item in quiz.items:
        points = answers.get(item.id)
        if isinstance(points, int) and points in POINTS:
            totals[item.type] += points
    return totals


def top_types(totals: Mapping[str, int]) -> list[str]:
    """The two types with the most points, and a third when it ties with the second; ties are
    broken in Holland's order. Empty when nothing was liked at all."""
    ranked = sorted((c for c in TYPES if totals.get(c, 0) > 0), key=lambda c: -totals[c])
    top = ranked[:2]
    if len(ranked) > 2 and totals[ranked[2]] == totals[ranked[1]]:
        top.append(ranked[2])
    return top


def fit(trade: Trade, top: Sequence[str]) -> int:
    """How well a trade's codes fit a result: a matched code counts by its place in the trade
    and in the result; an unmatched code counts against. Positive means it fits."""
    score = 0
    for place, code in enumerate(trade.riasec):
        weight = TRADE_WEIGHTS[min(place, len(TRADE_WEIGHTS) - 1)]
        if code in top:
            rank = list(top).index(code)
            score += weight * RESULT_WEIGHTS[min(rank, len(RESULT_WEIGHTS) - 1)]
        else:
            score -= weight
    return score


def fitting_trades(
    trades: Iterable[Trade], top: Sequence[str], limit: int, first: frozenset[str] = frozenset()
) -> list[Trade]:
    """The trades that fit a result best (at most `limit`), best first; among equals, those in
    `first` (taught near the student) lead, then content order."""
    listed = list(trades)
    order = {t.id: n for n, t in enumerate(listed)}
    scored = [(fit(t, top), t) for t in listed]
    good = [(s, t) for s, t in scored if s > 0]
    good.sort(key=lambda st: (-st[0], st[1].id not in first, order[st[1].id]))
    return [t for _, t in good[:limit]]


def possible_results() -> list[tuple[str, ...]]:
    """Every result the quiz can give: two or three types, in order."""
    return [*permutations(TYPES, 2), *permutations(TYPES, 3)]


def quiz_problems(quiz: Quiz, trades: Mapping[str, Trade]) -> list[tuple[str, str]]:
    """(key, message) for each problem: types described and balanced, every item one known
    type, every trade offered by some result."""
    out: list[tuple[str, str]] = []
    described = {t.code for t in quiz.types}
    for code in TYPES:
        if code not in described:
            out.append(("types", f"type {code} has no description"))
    counts: Counter[str] = Counter(i.type for i in quiz.items)
    if len({counts.get(code, 0) for code in TYPES}) > 1:
        shown = ", ".join(f"{c}={counts.get(c, 0)}" for c in TYPES)
        out.append(("items", f"types are not balanced ({shown}): each needs as many items"))
    if quiz.trades_per_page > quiz.max_trades:
        out.append(("trades_per_page", "more than max_trades"))
    reached: set[str] = set()
    for result in possible_results():
        reached.update(t.id for t in fitting_trades(trades.values(), result, quiz.max_trades))
    for trade_id in trades:
        if trade_id not in reached:
            out.append(("items", f"trade '{trade_id}' is offered by no quiz result"))
    return out
