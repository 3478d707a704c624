"""Matching quality on the evaluation sets (questions written the way users type)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.catalog import Catalog
from bot.evaluate import care_share, evaluate, evaluate_care, load_care_set, load_questions
from bot.matching.care import CareDetector
from bot.matching.matcher import Matcher
from tests.test_cli import run

EVAL = Path(__file__).parent / "eval"


def test_question_set_size_and_targets_exist(catalog: Catalog) -> None:
    questions = load_questions(EVAL / "questions.yaml")
    in_scope = [q for q in questions if q.expect]
    assert len(in_scope) >= 200
    assert len(questions) - len(in_scope) >= 30
    known = (
        {f"faq:{i}" for i in catalog.faq}
        | {f"trade:{i}" for i in catalog.trades}
        | {f"school:{i}" for i in catalog.schools}
    )
    assert {q.expect for q in in_scope} <= known


@pytest.mark.parametrize("name", ["questions.yaml", "holdout.yaml"])
def test_accuracy_thresholds(name: str, matcher: Matcher) -> None:
    report = evaluate(matcher, load_questions(EVAL / name))
    # only the figures, never the questions: the holdout set must stay unseen by whoever tunes
    top1, oos, summary = report.top1_rate, report.oos_rate, report.summary()
    assert top1 >= 0.90, summary
    assert oos <= 0.05, summary


# -- care (issue 9, part 0) ----------------------------------------------------------------------
# care_dev.yaml and care_holdout.yaml were written by another helper, independently of the
# detector (the holdout was never read by whoever wrote the patterns); care_own.yaml by the
# detector's author. Targets: recall >= 95% on messages needing care, care answer on <= 1% of
# ordinary messages and of the ordinary question sets. Figures only, never the messages.
RECALL, FALSE_CARE = 0.95, 0.01
# The holdout misses the targets: measured once at a2ffe60 (recall 60.4%, false care 7.6%) and
# once more at c02acd2 after improving on general grounds (recall 71.4%, false care 3.0%). The
# strict xfail fails the day the targets are met, so the marker is removed then; the floor below
# catches a regression meanwhile.
HOLDOUT_MISSES_TARGETS = pytest.mark.xfail(
    strict=True, reason="care holdout: recall 71.4%, false care 3.0% (targets 95% and 1%)"
)


@pytest.fixture(scope="module")
def detector(catalog: Catalog) -> CareDetector:
    return CareDetector(catalog.safety)


@pytest.mark.parametrize(
    "name",
    [
        "care_dev.yaml",
        "care_own.yaml",
        pytest.param("care_holdout.yaml", marks=HOLDOUT_MISSES_TARGETS),
    ],
)
def test_care_targets(name: str, detector: CareDetector) -> None:
    messages = load_care_set(EVAL / name)
    assert sum(m.care for m in messages) >= 50 and sum(not m.care for m in messages) >= 40
    report = evaluate_care(detector, messages)
    assert report.recall >= RECALL, report.summary()
    assert report.false_care_rate <= FALSE_CARE, report.summary()


def test_care_holdout_does_not_regress(detector: CareDetector) -> None:
    report = evaluate_care(detector, load_care_set(EVAL / "care_holdout.yaml"))
    assert report.recall >= 0.70, report.summary()
    assert report.false_care_rate <= 0.05, report.summary()


@pytest.mark.parametrize("name", ["questions.yaml", "holdout.yaml"])
def test_ordinary_questions_rarely_get_care(name: str, detector: CareDetector) -> None:
    flagged, total = care_share(detector, load_questions(EVAL / name))
    assert flagged / total <= 0.01, f"{flagged}/{total} ordinary questions got the care answer"


def test_eval_command_recognises_a_care_set() -> None:
    out = run("eval", "--figures-only", "tests/eval/care_dev.yaml")
    assert out.returncode == 0, out.stderr
    assert "care recall:" in out.stdout and "false care:" in out.stdout
    assert "  suicide: " in out.stdout and "  ordinary_hyperbole: " in out.stdout
    assert "'" not in out.stdout  # figures only: no message is printed
    out = run("eval", "--figures-only", "tests/eval/questions.yaml")
    assert "care answer to ordinary questions:" in out.stdout and "top-1 accuracy" in out.stdout
