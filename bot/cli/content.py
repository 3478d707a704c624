"""Content commands: content check, eval, care train and match train."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from bot.catalog import CatalogError
from bot.cli.common import _cache_dir, _exit_on, _load, _load_built
from bot.settings import Settings


def cmd_content_check(args: argparse.Namespace, settings: Settings) -> int:
    from bot.catalog.cache import load_catalog_cached
    from bot.catalog.check import check_catalog

    directory = Path(args.dir) if args.dir else settings.content_dir
    try:  # as check_directory, with the catalog from the cache when nothing changed
        catalog = load_catalog_cached(directory, _cache_dir(settings))
        problems = check_catalog(catalog, dt.date.today())
    except CatalogError as exc:
        problems = exc.problems
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"content OK: {directory}")
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from bot.evaluate import (
        care_share,
        evaluate,
        evaluate_care,
        is_care_set,
        load_care_set,
        load_questions,
    )
    from bot.matching.care import CareDetector

    if not Path(args.file).is_file():
        print(f"huongnghiep: no such file: {args.file}", file=sys.stderr)
        return 2
    built = _load_built(settings)
    detector = CareDetector(built.catalog.safety)
    if is_care_set(args.file):
        care = evaluate_care(detector, load_care_set(args.file))
        print(care.summary())
        if care.misses and not args.figures_only:
            print(f"\nwrong ({len(care.misses)}):")
            for message in care.misses:
                wanted = "care" if message.care else "no care"
                print(f"  [{message.kind}] {message.q!r}: expected {wanted}")
        return 0
    from bot.core.engine import Engine
    from bot.core.memory import MemoryConversationStore

    questions = load_questions(args.file)
    engine = Engine(built.catalog, built.matcher, MemoryConversationStore())
    topics = {f"faq:{f.id}": f.topic for f in built.catalog.faq.values()}
    report = evaluate(engine.match, questions, topics)  # the decision users get
    print(report.summary())
    flagged, total = care_share(detector, questions)
    print(f"care answer to ordinary questions: {flagged / total:.1%} ({flagged}/{total})")
    if report.misses and not args.figures_only:
        print(f"\nnot correct ({len(report.misses)}):")
        for miss in report.misses:
            wanted = ", ".join(miss.expect) or "decline"
            head = f"  [{miss.outcome}; {miss.score:.2f}] {miss.q!r}"
            print(f"{head}: expected {wanted}, got {miss.got}")
    return 0


def cmd_care_train(args: argparse.Namespace, settings: Settings) -> int:
    from bot.matching.care_model import MODEL_FILE, load_model
    from bot.matching.care_train import build

    catalog = _load(settings)
    root = Path(args.root) if args.root else catalog.directory.parent
    current = None
    if not args.rechoose:
        try:
            old = load_model(catalog.directory / MODEL_FILE)
        except ValueError:
            old = None
        current = (old.threshold, old.with_patterns) if old else None
    try:
        model = build(root, catalog, lambda line: print(line, flush=True), current)
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 2
    path = catalog.directory / MODEL_FILE
    path.write_text(model.to_json(), encoding="utf-8")
    print(f"threshold {model.threshold}, with patterns {model.with_patterns}")
    for name, value in model.figures.items():
        print(f"  cv {name}: {value:.1%}")
    print(f"{len(model.weights)} weights written to {path}")
    return 0


def cmd_match_train(_args: argparse.Namespace, settings: Settings) -> int:
    from bot.matching.intent import MODEL_FILE
    from bot.matching.targets import build_matcher
    from bot.matching.train_data import extra_docs

    try:
        from bot.matching.intent_train import train
    except ImportError:  # numpy: pip install -e '.[train]'
        print("training needs numpy: pip install -e '.[train]'", file=sys.stderr)
        return 2
    catalog = _load(settings)
    matcher = build_matcher(catalog)
    extra, problems = extra_docs(matcher, catalog.directory)
    if problems:
        _exit_on(CatalogError(problems))
    model = train(matcher.training_docs, extra=extra)
    path = catalog.directory / MODEL_FILE
    path.write_text(model.to_json(), encoding="utf-8")
    weights = sum(len(cw) for cw in model.weights.values())
    phrasings = len(matcher.training_docs)
    print(f"{len(model.classes)} targets, {phrasings} phrasings, {len(extra)} real questions,")
    print(f"{weights} weights: {path}")
    return 0


def cmd_match_cv(args: argparse.Namespace, settings: Settings) -> int:
    try:
        from bot.matching.cv import cross_validate
    except ImportError:  # numpy: pip install -e '.[train]'
        print("cross-validation needs numpy: pip install -e '.[train]'", file=sys.stderr)
        return 2
    result = cross_validate(_load(settings), folds=args.folds)
    print(
        f"{result.questions} real questions ({result.taught} teach), {args.folds} folds by source"
    )
    for value, report in result.reports.items():
        print(f"-- learned_confident {value}")
        print(report.summary())
    if args.misses:
        chosen = result.reports.get(settings_threshold(), next(iter(result.reports.values())))
        for miss in chosen.misses:
            print(
                f"  [{miss.outcome}; {miss.score:.2f}] {miss.q!r}: expected "
                f"{', '.join(miss.expect) or 'decline'}, got {miss.got}"
            )
    return 0


def settings_threshold() -> float:
    """The learned_confident threshold the bot uses."""
    from bot.matching.matcher import Thresholds

    return Thresholds().learned_confident
