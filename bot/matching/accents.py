"""Diacritics as evidence: "có khi" is not "cơ khí", "bóng" is not "bổng", "quá" is not "qa".

Matching folds diacritics away so that users who type without them are understood. When a user
does type them, they tell syllables apart that folding merges. Each syllable is reduced to a key:
its folded letters and the set of marks on it (tone, horn, breve, circumflex, stroke), so that
the old and new tone placements ("hoà", "hòa") have the same key. A target's phrasings written
with diacritics record, for each folded syllable, the keys they use; a query syllable that the
target writes only with other marks is evidence against that target.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable

Key = tuple[str, str]  # (folded syllable, its marks sorted)

# a message counts as typed with diacritics when this share of its syllables carry marks; then
# every syllable is read as typed ("khi" is not "khí"), otherwise only the marked ones are
TYPED_SHARE = 0.6


def syllables(text: str) -> list[str]:
    """Lowercase words of letters (digits and punctuation split them)."""
    out: list[str] = []
    word: list[str] = []
    for ch in unicodedata.normalize("NFC", text).casefold():
        if ch.isalpha():
            word.append(ch)
        elif word:
            out.append("".join(word))
            word = []
    if word:
        out.append("".join(word))
    return out


def key(syllable: str) -> Key:
    """("co", "\u0301") for "có": folded letters, and the marks on them in a fixed order."""
    base: list[str] = []
    marks: list[str] = []
    for ch in unicodedata.normalize("NFD", syllable.casefold()):
        if ch == "đ":
            base.append("d")
            marks.append("đ")
        elif unicodedata.category(ch) == "Mn":
            marks.append(ch)
        else:
            base.append(ch)
    return "".join(base), "".join(sorted(marks))


def typed(text: str) -> list[Key]:
    """The syllables of a message that are evidence of how it was meant: all of them when the
    message is written with diacritics, else only those that carry marks."""
    keys = [key(s) for s in syllables(text)]
    marked = [k for k in keys if k[1]]
    if keys and len(marked) >= TYPED_SHARE * len(keys):
        return keys
    return marked


class Spellings:
    """For each target, the marked spellings its phrasings with diacritics use per syllable."""

    def __init__(self, targets_texts: Iterable[Iterable[str]]) -> None:
        self._known: list[dict[str, frozenset[str]]] = []
        for texts in targets_texts:
            seen: dict[str, set[str]] = defaultdict(set)
            for text in texts:
                keys = [key(s) for s in syllables(text)]
                marked = sum(1 for k in keys if k[1])
                if keys and marked >= TYPED_SHARE * len(keys):  # a phrasing with diacritics
                    for base, marks in keys:
                        seen[base].add(marks)
            self._known.append({b: frozenset(m) for b, m in seen.items()})
        # each syllable: the targets writing it with diacritics, and the marks they use
        self._by_base: dict[str, list[tuple[int, frozenset[str]]]] = defaultdict(list)
        for target, spelled in enumerate(self._known):
            for base, used in spelled.items():
                self._by_base[base].append((target, used))

    def conflicts(self, target: int, query: list[Key]) -> list[str]:
        """The folded syllables of `query` that this target writes only with other marks."""
        known = self._known[target]
        return [base for base, marks in query if base in known and marks not in known[base]]

    def words_against(self, query: list[Key]) -> dict[int, frozenset[str]]:
        """For each target, the folded syllables of `query` it writes only with other marks at
        every place the query uses them ("hội chợ … cho" keeps "cho" for a target that writes
        "chợ"): what a reader of folded words can hold against the target."""
        typed_marks: dict[str, set[str]] = defaultdict(set)
        for base, marks in query:
            typed_marks[base].add(marks)
        out: dict[int, set[str]] = defaultdict(set)
        for base, typed_as in typed_marks.items():
            for target, used in self._by_base.get(base, ()):
                if used.isdisjoint(typed_as):
                    out[target].add(base)
        return {target: frozenset(words) for target, words in out.items()}
