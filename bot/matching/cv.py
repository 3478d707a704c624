"""Cross-validation of the matcher's decision on the real training questions (content/train).

`huongnghiep match cv`: the questions are split into folds by their source (questions from one
page stay together, as in tests/eval/split_real.py); for each fold the intent model is trained
on the content's phrasings and the other folds' questions, and the fold's questions are asked
with each candidate confidence threshold. The pooled figures say how a threshold does on
questions the model never saw, written by other people, many more than real_dev.yaml holds; the
holdouts stay untouched. Needs numpy (the `train` extra), like `match train`.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.catalog import Catalog
from bot.evaluate import Question, Report, evaluate
from bot.matching.intent_train import STEPS, train
from bot.matching.matcher import Matcher
from bot.matching.targets import build_matcher
from bot.matching.train_data import USED_PREFIXES, LabelledRow, labelled_rows

FOLDS = 5
CONFIDENT = (0.25, 0.3, 0.35, 0.4, 0.45, 0.5)  # learned_confident values compared


def fold_of(row: LabelledRow, folds: int) -> int:
    """The fold of a question: by its source, so that one page's questions stay together."""
    return int(hashlib.sha256(row.source.encode()).hexdigest()[:8], 16) % folds


@dataclass
class CrossValidation:
    """Pooled out-of-fold reports, one per threshold compared."""

    questions: int
    taught: int  # questions that teach the model (the others are to be declined)
    reports: dict[float, Report] = field(default_factory=dict)


def _teaching(rows: Sequence[LabelledRow], matcher: Matcher) -> list[tuple[str, list[str]]]:
    docs = [
        (row.expect[0], matcher.topic_tokens(row.q))
        for row in rows
        if row.expect and row.expect[0].startswith(USED_PREFIXES)
    ]
    return [(ident, toks) for ident, toks in docs if toks]


def cross_validate(
    catalog: Catalog,
    folds: int = FOLDS,
    confident: Sequence[float] = CONFIDENT,
    steps: int = STEPS,
) -> CrossValidation:
    """Out-of-fold figures of the matcher's decision at each `confident` threshold."""
    matcher = build_matcher(catalog)
    known = {t.id for t in matcher.targets}
    rows = [r for r in labelled_rows(catalog.directory) if all(e in known for e in r.expect)]
    base = matcher.thresholds
    result = CrossValidation(len(rows), len(_teaching(rows, matcher)))
    for value in confident:
        result.reports[value] = Report()
    for k in range(folds):
        inside = [r for r in rows if fold_of(r, folds) != k]
        asked = [Question(r.q, r.expect) for r in rows if fold_of(r, folds) == k]
        if not asked:
            continue
        matcher.use_model(train(matcher.training_docs, steps, _teaching(inside, matcher)))
        for value in confident:
            matcher.thresholds = dataclasses.replace(base, learned_confident=value)
            _pool(result.reports[value], evaluate(matcher, asked))
    matcher.thresholds = base
    return result


def _pool(into: Report, part: Report) -> None:
    for outcome, n in part.overall.counts.items():
        into.overall.counts[outcome] = into.overall.counts.get(outcome, 0) + n
    into.misses.extend(part.misses)
