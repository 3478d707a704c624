"""Negation scope for group words: "nhà em không thuộc hộ nghèo", "em ko phải dân tộc thiểu số",
"chưa được công nhận hộ cận nghèo" name a group the writer is NOT in.

Pure, no regular expressions: words are normalized (folded, teencode expanded: "ko", "k", "hok",
"hong" are already "khong"; the raw forms are read too). A group phrase is negated when, walking
back from it over at most MAX_GAP words that only carry a being or belonging ("phải", "là",
"thuộc", "diện", "hộ", "người", "nhà", "em"…), a negation is reached that is complete: a negation
word followed by a verb ("không phải", "chẳng thuộc", "chưa được", "đâu có"), or a negation word
right before the phrase ("không khuyết tật"). "Không những / chẳng những / không chỉ … mà còn"
is no negation. "chả" folds to "cha" (father): only "cha phải" reads as one, unless the text as
typed shows "chả" (spell_negations, before normalizing).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence

MAX_GAP = 5  # words between a negation and the group it reaches ("chưa được công nhận là hộ …")
# negation words, folded, with the teencode forms normalizing already expands
NEGATIONS = frozenset(
    {"khong", "chang", "chua", "ko", "k", "kh", "hok", "hong", "hem", "khum", "kg", "khg", "hk"}
)
# negate only with a verb right after: folded, "cha" is also "cha" (father), "dau" "đầu", "đau"
WEAK = {"cha": frozenset({"phai"}), "dau": frozenset({"co", "phai", "thuoc", "la", "duoc"})}
# "không phải", "chẳng thuộc", "chưa được", "không có", "không bị", "không nằm (trong)"
VERBS = frozenset({"phai", "thuoc", "la", "co", "bi", "duoc", "nam", "o", "con"})
# "không những / không chỉ … mà còn": adds, does not negate
NOT_ONLY = frozenset({"nhung", "chi"})
# words a negation reaches across on its way to the group: being, belonging, who, papers
TRANSPARENT = frozenset(
    {
        *VERBS,
        "nha",
        "em",
        "minh",
        "toi",
        "tui",
        "con",
        "chau",
        "gia",
        "dinh",
        "ho",
        "nguoi",
        "dien",
        "doi",
        "tuong",
        "so",
        "giay",
        "the",
        "hoc",
        "sinh",
        "vien",
        "trong",
        "vao",
        "xep",
        "cong",
        "nhan",
        "mot",
        "cac",
        "ai",
        "ca",
        "loai",
        "nhom",
        "thanh",
        "phan",
        "cua",
        "vung",
        "xa",
        "thon",
        "khu",
        "ban",
        "gi",
        "han",
    }
)


def spell_negations(text: str) -> str:
    """The text (NFC, casefolded) with the word "chả", a negation that folding makes "cha"
    (father), spelled "chẳng"."""
    text = unicodedata.normalize("NFC", text).casefold()
    out: list[str] = []
    at = 0
    while (found := text.find("chả", at)) >= 0:
        end = found + len("chả")
        alone = (found == 0 or not text[found - 1].isalnum()) and (
            end >= len(text) or not text[end].isalnum()
        )
        out.append(text[at:found])
        out.append("chẳng" if alone else "chả")
        at = end
    out.append(text[at:])
    return "".join(out)


def _opens(words: Sequence[str], at: int, start: int) -> bool:
    """words[at] starts a complete negation whose scope reaches `start`."""
    word = words[at]
    after = words[at + 1] if at + 1 < len(words) else ""
    if word in WEAK:
        return after in WEAK[word]
    if word not in NEGATIONS or after in NOT_ONLY:
        return False
    return at + 1 == start or after in VERBS


def scope_start(words: Sequence[str], start: int) -> int | None:
    """Where the negation begins whose scope holds the phrase starting at words[start]."""
    at = min(start, len(words)) - 1
    while at >= 0 and start - at <= MAX_GAP + 1:
        word = words[at]
        if (word in NEGATIONS or word in WEAK) and _opens(words, at, start):
            return at
        if word not in TRANSPARENT:
            return None
        at -= 1
    return None


def negated(words: Sequence[str], start: int) -> bool:
    """Whether the phrase starting at words[start] lies in a negation's scope."""
    return scope_start(words, start) is not None


def _starts(words: Sequence[str], phrase: tuple[str, ...]) -> Iterable[int]:
    size = len(phrase)
    if not size:
        return
    first = phrase[0]
    for start in range(len(words) - size + 1):
        if words[start] == first and tuple(words[start : start + size]) == phrase:
            yield start


class GroupReader:
    """Which groups a message names (group id -> normalized phrases), as the writer's or
    negated."""

    def __init__(self, groups: Mapping[str, Iterable[str]]) -> None:
        self._phrases = {
            group: sorted({tuple(p.split()) for p in phrases if p.split()}, key=len, reverse=True)
            for group, phrases in groups.items()
        }

    def named(self, words: Sequence[str]) -> frozenset[str]:
        """The groups whose phrases occur in `words` (negated or not): what a text is about."""
        return frozenset(
            g
            for g, phrases in self._phrases.items()
            for p in phrases
            if next(iter(_starts(words, p)), None) is not None
        )

    def read(self, words: Sequence[str]) -> tuple[frozenset[str], frozenset[str]]:
        """(negated, said): groups named only in a negation's scope, and groups named at
        least once outside one."""
        negative: set[str] = set()
        said: set[str] = set()
        for group, phrases in self._phrases.items():
            for phrase in phrases:
                for start in _starts(words, phrase):
                    (negative if negated(words, start) else said).add(group)
        return frozenset(negative - said), frozenset(said)

    def without_negated(self, words: Sequence[str]) -> list[str]:
        """The words minus each negated group phrase and its negation ("nhà em không thuộc hộ
        nghèo thì…" -> "nhà em thì…"): what the message asks besides the group it is not in."""
        drop: set[int] = set()
        for phrases in self._phrases.values():
            for phrase in phrases:
                for start in _starts(words, phrase):
                    begin = scope_start(words, start)
                    if begin is not None:
                        drop.update(range(begin, start + len(phrase)))
        return [w for i, w in enumerate(words) if i not in drop]
