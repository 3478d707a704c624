"""Experiment (not part of `make bench` or the tests): does a Vietnamese word segmenter beat the
matcher's syllable bigrams? For a message typed with diacritics, only the bigrams that the
segmenter joins into one word ("học_phí") are kept as features, in the content's phrasings and
in the questions alike; a message typed without diacritics keeps every bigram (segmenters read
unmarked text poorly: pyvi gives "hoc nghe co dc mien hoc phi_ko"). Prints the figures of
`huongnghiep eval` on the real dev set and on questions.yaml, with and without segmentation.

Neither segmenter is a dependency. To run it:
    .venv/bin/pip install --target /tmp/seg pyvi underthesea
    PYTHONPATH=/tmp/seg .venv/bin/python bench/segmenters.py [none|pyvi|underthesea]

Measured 2026-11-30 (real_dev.yaml 142 questions / questions.yaml 331): syllable bigrams
53.6% / 94.2% correct; pyvi 49.5% / 87.7%; underthesea 49.5% / 88.7%. Segmenting loses: the
bigrams it drops ("được miễn", "nghề có") also say something, and it cannot read the unmarked
half of what students type.
"""

from __future__ import annotations

import functools
import itertools
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bot.matching.matcher as matcher_module  # noqa: E402
from bot.catalog.load import load_catalog  # noqa: E402
from bot.core.engine import Engine  # noqa: E402
from bot.core.memory import MemoryConversationStore  # noqa: E402
from bot.evaluate import evaluate, load_questions  # noqa: E402
from bot.matching.accents import TYPED_SHARE, _syllables, typed  # noqa: E402
from bot.matching.normalize import Normalizer, fold  # noqa: E402
from bot.matching.targets import build_matcher  # noqa: E402

SETS = ("tests/eval/real_dev.yaml", "tests/eval/questions.yaml")


def segmenter(name: str) -> Callable[[str], str]:
    if name == "pyvi":
        from pyvi import ViTokenizer  # type: ignore[import-not-found]

        return ViTokenizer.tokenize  # type: ignore[no-any-return]
    from underthesea import word_tokenize  # type: ignore[import-not-found]

    return lambda text: word_tokenize(text, format="text")  # type: ignore[no-any-return]


def install(segment: Callable[[str], str]) -> None:
    """Make the matcher keep only in-word bigrams of text typed with diacritics."""
    current: dict[str, frozenset[str] | None] = {"words": None}

    @functools.lru_cache(maxsize=100_000)
    def compounds(raw: str) -> frozenset[str] | None:
        marked, syllables = typed(raw), _syllables(raw)
        if not marked or len(marked) < TYPED_SHARE * max(1, len(syllables)):
            return None
        out: set[str] = set()
        for word in segment(raw).split():
            parts = fold(word.replace("_", " ")).split()
            out.update(f"{a}_{b}" for a, b in itertools.pairwise(parts))
        return frozenset(out)

    tokens, features = Normalizer.tokens, matcher_module._features

    def tokens_noting(self: Normalizer, text: str) -> list[str]:
        current["words"] = compounds(text)
        return tokens(self, text)

    def in_word_features(toks: list[str]) -> list[str]:
        words = current["words"]
        feats = features(toks)
        return feats if words is None else [f for f in feats if "_" not in f or f in words]

    Normalizer.tokens = tokens_noting  # type: ignore[method-assign]
    matcher_module._features = in_word_features  # type: ignore[assignment]


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else "none"
    if mode != "none":
        install(segmenter(mode))
    catalog = load_catalog(ROOT / "content")
    engine = Engine(catalog, build_matcher(catalog), MemoryConversationStore())
    for name in SETS:
        report = evaluate(engine.match, load_questions(ROOT / name))
        print(
            f"{mode:12s} {name:28s} correct {report.top1_rate:.1%}  "
            f"wrong confident {report.wrong_rate:.1%}  out of scope answered {report.oos_rate:.1%}"
        )


if __name__ == "__main__":
    main()
