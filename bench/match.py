"""Benchmark: time to match one question against the full catalog and against it replicated 20x,
and the full catalog's decision with the learned model (content/intent_model.json) against the
lexical decision alone.

Prints median and p99 per question, and the ratios. Run: `make bench` or
`.venv/bin/python bench/match.py [--repeat N]`. Not part of the test run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.catalog import load_catalog  # noqa: E402
from bot.evaluate import load_questions  # noqa: E402
from bot.matching.intent import MODEL_FILE, load_model  # noqa: E402
from bot.matching.matcher import Matcher, Target  # noqa: E402
from bot.matching.targets import catalog_targets, normalizer_for  # noqa: E402


def timings(matcher: Matcher, questions: list[str], repeat: int) -> list[float]:
    """Seconds per match call, every question `repeat` times (after one warm-up pass)."""
    for q in questions:
        matcher.match(q)
    out: list[float] = []
    for _ in range(repeat):
        for q in questions:
            start = time.perf_counter()
            matcher.match(q)
            out.append(time.perf_counter() - start)
    return out


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--copies", type=int, default=20)
    args = parser.parse_args()

    catalog = load_catalog(ROOT / "content")
    questions = [q.q for q in load_questions(ROOT / "tests" / "eval" / "questions.yaml")]
    targets = catalog_targets(catalog)
    normalizer = normalizer_for(catalog)
    full = Matcher(targets, normalizer)
    replicated = Matcher(
        [Target(f"{t.id}#{i}", t.label, t.texts) for i in range(args.copies) for t in targets],
        normalizer,
    )
    learned = Matcher(targets, normalizer, intent=load_model(ROOT / "content" / MODEL_FILE))
    if learned.intent is None:
        sys.exit("content/intent_model.json is missing or stale: run `huongnghiep match train`")
    base = timings(full, questions, args.repeat)
    big = timings(replicated, questions, args.repeat)
    with_model = timings(learned, questions, args.repeat)
    rows = [
        ("full catalog", len(targets), base),
        (f"catalog x{args.copies}", len(targets) * args.copies, big),
        ("full, learned", len(targets), with_model),
    ]
    print(f"{len(questions)} questions x {args.repeat} runs each")
    for name, n, values in rows:
        print(
            f"{name:>16}: {n:5d} targets  median {statistics.median(values) * 1e3:7.3f} ms"
            f"  p99 {pct(values, 0.99) * 1e3:7.3f} ms"
        )
    print(
        f"ratio x{args.copies}/full: median {statistics.median(big) / statistics.median(base):.1f}"
        f"  p99 {pct(big, 0.99) / pct(base, 0.99):.1f}"
    )
    median = statistics.median(with_model) / statistics.median(base)
    p99 = pct(with_model, 0.99) / pct(base, 0.99)
    print(f"ratio learned/lexical: median {median:.1f}  p99 {p99:.1f}")


if __name__ == "__main__":
    main()
