"""Text normalization: NFC, casefold, diacritics folded, teencode and abbreviations expanded."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from functools import lru_cache

_NON_WORD = re.compile(r"[^a-z0-9]+")
# a letter typed 3+ times inside or at the end of a word: "dcccc" -> "dc", "khonggg" -> "khong";
# not at a word's start, where it is an abbreviation ("cccd": căn cước công dân, not "cd")
# (the letter before the run is another letter: a run at a word's start is kept whole)
_REPEATS = re.compile(r"(?<=([a-z]))(?!\1)([a-z])\2{2,}")
_LETTER_DIGIT = re.compile(r"(?<=[a-z])(?=[0-9])|(?<=[0-9])(?=[a-z])")
# a markup tag pasted with a question ("<b>hoc phi</b>" was read as "b hoc phi b" and declined);
# bounded, so each "<" costs at most a few hundred steps; "<3" and "điểm <5" are no tags
_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]{0,10}(?:\s[^<>]{0,200})?/?>")


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Lowercase ASCII words separated by single spaces: "Học phí?" -> "hoc phi"."""
    if "<" in text:
        text = _TAG.sub(" ", text)
    text = unicodedata.normalize("NFC", text).casefold().replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    stripped = _NON_WORD.sub(" ", stripped)
    stripped = _REPEATS.sub(r"\2", stripped)
    stripped = _LETTER_DIGIT.sub(" ", stripped)
    return " ".join(stripped.split())


class Normalizer:
    """Folds text, then rewrites teencode tokens and multi-word phrases to canonical forms."""

    def __init__(self, tokens: Mapping[str, str], phrases: Mapping[str, str]) -> None:
        self._tokens = {fold(k): fold(v) for k, v in tokens.items()}
        # longest phrases first so "trung hoc co so" wins over "co so"
        pairs = sorted(((fold(k), fold(v)) for k, v in phrases.items()), key=lambda p: -len(p[0]))
        self._phrases = pairs
        self._phrase_re = (
            re.compile(r"\b(" + "|".join(re.escape(k) for k, _ in pairs) + r")\b")
            if pairs
            else None
        )
        self._phrase_map = dict(pairs)
        self._cache()

    def _cache(self) -> None:
        # a cache per instance: one on the method (functools' way) is the class's, keyed by
        # self, and kept every Normalizer ever built alive (the test suite grew to 9 GB)
        self._normalize: Callable[[str], str] = lru_cache(maxsize=4096)(self._normalize_uncached)

    def __getstate__(self) -> dict[str, object]:
        # the cache wraps a bound method: made again on unpickling (bot.catalog.cache)
        return {k: v for k, v in self.__dict__.items() if k != "_normalize"}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._cache()

    def __call__(self, text: str) -> str:
        return self._normalize(text)

    def _normalize_uncached(self, text: str) -> str:
        folded = fold(text)
        if not folded:
            return ""
        expanded = " ".join(self._tokens.get(tok, tok) for tok in folded.split())
        if self._phrase_re is not None:
            expanded = self._phrase_re.sub(lambda m: self._phrase_map[m.group(1)], expanded)
        return " ".join(expanded.split())

    def tokens(self, text: str) -> list[str]:
        """Normalized tokens of text."""
        return self._normalize(text).split()
