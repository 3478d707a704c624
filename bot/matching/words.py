"""Words of a message with their place in it: folded letters or digits, the marks typed on them,
case, and what separates them. One pass over the characters, no regular expression."""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import NamedTuple

# separators inside a document number ("81/2021/NĐ-CP") or a hyphenated name ("Phan Rang-Tháp
# Chàm"); anything else that is not a space ends a phrase ("trung bình, gia đình")
_JOINERS = frozenset("/-–‐‑\\")
_SPACES = frozenset(" \t\n\r\u00a0\u200b'’ʼ`")


class Word(NamedTuple):
    """A run of letters or of ASCII digits. `text` is folded (lowercase, no diacritics, đ -> d)."""

    text: str
    marks: str  # the word's diacritics, sorted (see bot.matching.accents.key); "" when none
    start: int  # offsets in the NFC form of the message
    end: int
    digit: bool
    capital: bool  # capitalised: first letter upper case, the others lower case ("Bến")
    joined: bool  # "/" or "-" between this word and the one before
    tight: bool  # nothing between this word and the one before ("nd81", "QH15")
    stop: bool  # punctuation other than spaces and joiners before this word


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> tuple[str, str]:
    """(base letters, marks) of one lowercase character."""
    if ch == "đ":
        return "d", "đ"
    decomposed = unicodedata.normalize("NFD", ch)
    base = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    marks = "".join(c for c in decomposed if unicodedata.category(c) == "Mn")
    return base, marks


def words(text: str) -> list[Word]:
    """The words of `text` in order; offsets refer to unicodedata.normalize("NFC", text)."""
    text = unicodedata.normalize("NFC", text)
    out: list[Word] = []
    sep: list[str] = []  # characters since the last word (only whether they join or stop)
    joined = stop = False
    kind = ""  # "a" letters, "9" digits, "" between words
    start = 0
    base: list[str] = []
    marks: list[str] = []
    capital = False

    def flush(end: int) -> None:
        nonlocal joined, stop
        out.append(
            Word(
                "".join(base),
                "".join(sorted(marks)),
                start,
                end,
                kind == "9",
                capital,
                joined,
                not sep and bool(out) and out[-1].end == start,
                stop,
            )
        )
        base.clear()
        marks.clear()
        sep.clear()
        joined = stop = False

    for index, ch in enumerate(text):
        now = "9" if "0" <= ch <= "9" else "a" if ch.isalpha() else ""
        if now != kind and kind:
            flush(index)
        if not now:
            sep.append("")
            if ch in _JOINERS:
                joined = True
            elif ch not in _SPACES and not ch.isspace():
                stop = True
            kind = ""
            continue
        if now != kind:
            start, capital = index, ch.isupper()
        elif ch.isupper():
            capital = False  # "LA", "KBang": not a capitalised word
        kind = now
        if now == "9":
            base.append(ch)
            continue
        for low in ch.casefold():
            b, m = _fold_char(low)
            base.append(b)
            marks.extend(m)
    if kind:
        flush(len(text))
    return out
