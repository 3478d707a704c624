"""A feeling said next to a question ("em buồn lắm vì bị điểm kém, học nghề có được không"):
which one, so that the answer first says it was heard (bot/core/ask.py).

Phrases are written with diacritics; a syllable typed without marks may be either word, one typed
with other marks is another word ("chắn" is not "chán"). Phrases that only look like a feeling
("buôn bán", "chăn nuôi", "chắc chắn") are set aside first. Signs of distress never get here: the
care answer comes before any question is read (content/safety.yaml).
"""

from __future__ import annotations

from typing import Literal

from bot.matching.accents import Key, key, syllables

Feeling = Literal["sad", "worried"]

_SAD = ("buồn", "chán", "chán nản", "nản", "thất vọng", "tủi thân", "cô đơn", "mệt mỏi")
_WORRIED = (
    "lo lắng",
    "lo quá",
    "lo lắm",
    "rất lo",
    "lo cho cháu",
    "lo cho con",
    "sợ quá",
    "sợ lắm",
    "hoang mang",
    "áp lực",
    "căng thẳng",
    "stress",
)
_NOT = (
    "buôn bán",
    "buồn ngủ",
    "buồn cười",
    "buồn nôn",
    "chăn nuôi",
    "chẩn đoán",
    "chân thành",
    "chân dung",
    "chấn chỉnh",
    "chắc chắn",
    "ngăn chặn",
    "tay chân",
    "chân tay",
    "bàn chân",
    # a question about a trade or a school, not the writer's feeling: "nghề này áp lực không"
    "áp lực không",
    "áp lực ko",
    "căng thẳng không",
    "căng thẳng ko",
    "mệt mỏi không",
    "mệt mỏi ko",
)
# a feeling right after one of these is asked about, not felt: "nghề này có áp lực không",
# "ngành nào ít áp lực", "học gì đỡ căng thẳng"
_ASKED = ("có", "ít", "bớt", "đỡ", "giảm", "hết", "không", "ko")


def _phrase(text: str) -> tuple[Key, ...]:
    return tuple(key(s) for s in syllables(text))


_ASKED_KEYS = tuple(key(word) for word in _ASKED)
_PHRASES: tuple[tuple[tuple[Key, ...], Feeling | None], ...] = (
    *((_phrase(p), None) for p in _NOT),
    *((_phrase(p), "sad") for p in _SAD),
    *((_phrase(p), "worried") for p in _WORRIED),
)


def _fits(typed: Key, written: Key) -> bool:
    """A typed syllable is the written one: the same letters, and no marks or the same marks."""
    return typed[0] == written[0] and (not typed[1] or typed[1] == written[1])


def feeling(text: str) -> Feeling | None:
    """The feeling a message says, if any: the first phrase found, reading left to right; a
    phrase that only looks like one covers its syllables ("chăn nuôi" is no "chán")."""
    typed = [key(s) for s in syllables(text)]
    taken = [False] * len(typed)
    found: list[tuple[int, Feeling]] = []
    for words, what in _PHRASES:  # the look-alikes first: they take their syllables
        size = len(words)
        for start in range(len(typed) - size + 1):
            span = range(start, start + size)
            if any(taken[i] for i in span):
                continue
            if all(_fits(typed[start + i], words[i]) for i in range(size)):
                if what is None:
                    for i in span:
                        taken[i] = True
                elif not (start and any(_fits(typed[start - 1], k) for k in _ASKED_KEYS)):
                    found.append((start, what))
    return min(found)[1] if found else None
