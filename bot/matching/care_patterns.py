"""Token patterns of the care detector: tokenizing a message, parsing and matching patterns.

A message becomes a list of tokens: each word folded (no diacritics, lowercase), teencode
expanded, and with the set of diacritic marks the writer typed (None when they typed none, so the
word stays ambiguous). Punctuation becomes a stop token that no pattern crosses.

A pattern is a sequence of space-separated elements:
  word       one word, written with full diacritics (``đánh``); it matches the folded word, and a
             typed word only if it carries no mark the pattern word lacks (``tắt`` is not ``tát``,
             while ``tat`` and ``tá`` may be), so diacritics are evidence when typed
  a/b/c      one of several words
  (a b|c)    one of several phrases (for alternatives of more than one word)
  <class>    one entry of a named word class (entries may have several words)
  *  or *N   a gap of 0 to 3 (or N, at most 8) words, never across punctuation or a negation
  +N         a gap of 0 to N words that may cross punctuation (never a negation): for blockers
             of a whole question ("có phải … , … không")

Matching is plain Python over tokens: no regular expression, and for each start position a
bounded set of reachable positions per element, so a whole message costs time linear in its
length.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.matching.normalize import fold

MAX_GAP = 8
MAX_GAPS = 3
DEFAULT_GAP = 3
STOP = "|"  # the text of a punctuation token: no pattern word folds to it
_AFTER_NUMBER = {"t": "tuoi", "h": "gio", "k": "nghin", "tr": "trieu"}
_BREAKS = frozenset('.,;:!?…()[]{}"“”«»\n\r\t•|/\\')


@dataclass(frozen=True)
class Token:
    """One word of a message: folded text, and the diacritic marks typed (None: none typed)."""

    text: str
    marks: frozenset[str] | None = None
    stop: bool = False  # punctuation or a negation: gaps do not cross it


@dataclass(frozen=True)
class Word:
    """One pattern word: folded text and the marks it is written with."""

    text: str
    marks: frozenset[str]

    def fits(self, token: Token) -> bool:
        return token.text == self.text and (token.marks is None or token.marks <= self.marks)


@dataclass(frozen=True)
class Gap:
    """0 to `most` arbitrary words; only some gaps cross punctuation."""

    most: int
    crosses: bool = False


@dataclass(frozen=True)
class Choice:
    """One of several word sequences, found through their first word."""

    options: tuple[tuple[Word, ...], ...]
    by_first: dict[str, tuple[tuple[Word, ...], ...]] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, list[tuple[Word, ...]]] = {}
        for seq in self.options:
            index.setdefault(seq[0].text, []).append(seq)
        object.__setattr__(self, "by_first", {k: tuple(v) for k, v in index.items()})


Element = Gap | Choice


@dataclass(frozen=True)
class Pattern:
    """A parsed pattern and the source it was written as (for evidence and errors)."""

    source: str
    elements: tuple[Element, ...]
    # for each element after the first: the words one of its options starts with; a message
    # lacking all of them for some element cannot match (checked before match_at, for speed)
    needs: tuple[frozenset[str], ...] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        needs = tuple(
            frozenset(element.by_first)
            for element in self.elements[1:]
            if isinstance(element, Choice)
        )
        object.__setattr__(self, "needs", needs)

    def possible(self, words: frozenset[str]) -> bool:
        """Whether a message with these (folded) words can match at all."""
        return all(not need.isdisjoint(words) for need in self.needs)

    def first_words(self) -> set[str]:
        """Folded words a match can start with (patterns never start with a gap)."""
        first = self.elements[0]
        assert isinstance(first, Choice)
        return {seq[0].text for seq in first.options}


def marks_of(word: str) -> frozenset[str]:
    """Diacritic marks of a word (combining marks after decomposition, and đ)."""
    out = {ch for ch in unicodedata.normalize("NFD", word) if unicodedata.category(ch) == "Mn"}
    if "đ" in word:
        out.add("đ")
    return frozenset(out)


def pattern_word(word: str) -> Word:
    """A pattern word: "đánh" -> Word("danh", {đ, acute})."""
    word = unicodedata.normalize("NFC", word).casefold()
    folded = fold(word)
    if not folded or " " in folded:
        raise ValueError(f"'{word}' is not one word of letters or digits")
    return Word(folded, marks_of(word))


def phrase_words(phrase: str) -> tuple[Word, ...]:
    """A class entry: one or more words."""
    words = tuple(pattern_word(w) for w in phrase.split())
    if not words:
        raise ValueError("empty entry")
    return words


def class_names(source: str) -> list[str]:
    """Names of the classes a pattern refers to."""
    return [part[1:-1] for part in source.split() if part.startswith("<") and part.endswith(">")]


def _parts(source: str) -> list[str]:
    """Elements of a pattern: words split on spaces, a parenthesized group kept whole."""
    parts: list[str] = []
    rest = source.strip()
    while rest:
        if rest.startswith("("):
            end = rest.find(")")
            if end < 0:
                raise ValueError("'(' without ')'")
            parts.append(rest[: end + 1])
            rest = rest[end + 1 :].lstrip()
            continue
        head, _, rest = rest.partition(" ")
        if "(" in head or ")" in head:
            raise ValueError(f"'{head}': a group '( … )' must stand alone")
        parts.append(head)
        rest = rest.lstrip()
    return parts


def parse_pattern(source: str, classes: Mapping[str, Sequence[str]] | None) -> Pattern:
    """Parse a pattern; ValueError names what is wrong. Without classes, only the syntax is
    checked (a class stands for a placeholder word)."""
    elements: list[Element] = []
    for part in _parts(source):
        if part.startswith("("):
            phrases = [p.strip() for p in part[1:-1].split("|")]
            if not all(phrases):
                raise ValueError(f"'{part}' has an empty alternative")
            elements.append(Choice(tuple(phrase_words(p) for p in phrases)))
        elif part.startswith(("*", "+")):
            most = DEFAULT_GAP
            if part != "*":
                if not part[1:].isdigit() or not 1 <= int(part[1:]) <= MAX_GAP:
                    raise ValueError(
                        f"gap '{part}' must be *, *1 to *{MAX_GAP} or +1 to +{MAX_GAP}"
                    )
                most = int(part[1:])
            if not elements or isinstance(elements[-1], Gap):
                raise ValueError("a pattern cannot start with a gap or have two gaps in a row")
            elements.append(Gap(most, crosses=part.startswith("+")))
        elif part.startswith("<") and part.endswith(">"):
            name = part[1:-1]
            if classes is None:
                elements.append(Choice(((Word(name, frozenset()),),)))
                continue
            if name not in classes:
                raise ValueError(f"unknown class <{name}>")
            elements.append(Choice(tuple(phrase_words(e) for e in classes[name])))
        else:
            words = [w for w in part.split("/") if w]
            if not words:
                raise ValueError(f"'{part}' has no word")
            elements.append(Choice(tuple((pattern_word(w),) for w in words)))
    if not elements:
        raise ValueError("empty pattern")
    if isinstance(elements[-1], Gap):
        raise ValueError("a pattern cannot end with a gap")
    if sum(isinstance(e, Gap) for e in elements) > MAX_GAPS:
        raise ValueError(f"at most {MAX_GAPS} gaps in a pattern")
    return Pattern(source, tuple(elements))


def _words(text: str) -> list[str]:
    """Words and punctuation stops of a message, lowercased, in order."""
    out: list[str] = []
    word: list[str] = []
    for ch in unicodedata.normalize("NFC", text).casefold():
        if ch.isalnum() or unicodedata.category(ch) == "Mn":
            word.append(ch)
            continue
        if word:
            out.append("".join(word))
            word = []
        if ch in _BREAKS and (not out or out[-1] != STOP):
            out.append(STOP)
    if word:
        out.append("".join(word))
    return out


def tokenize(
    text: str, expand: Mapping[str, str], stops: frozenset[str] = frozenset()
) -> list[Token]:
    """Tokens of a message: folded, teencode expanded, punctuation and `stops` as stops."""
    tokens: list[Token] = []
    for raw in _words(text):
        if raw == STOP:
            tokens.append(Token(STOP, None, True))
            continue
        typed = marks_of(raw) if not raw.isascii() else None
        pieces = fold(raw).split()
        for piece in pieces:
            previous = tokens[-1].text if tokens else ""
            if piece in _AFTER_NUMBER and previous.isdigit():  # "15t", "2h", "200k"
                piece = _AFTER_NUMBER[piece]
            expansion = expand.get(piece)
            if expansion is None:
                marks = typed if len(pieces) == 1 else None
                tokens.append(Token(piece, marks, piece in stops))
                continue
            for part in expansion.split():
                tokens.append(Token(part, None, part in stops))
    return tokens


def match_at(pattern: Pattern, tokens: Sequence[Token], start: int) -> tuple[int, ...] | None:
    """Positions of the words a match starting at `start` used (its core), or None.

    Each element maps the reachable positions to the next ones (a gap fans out to at most
    MAX_GAP + 1 of them), so the work is bounded per start: no backtracking.
    """
    reach: dict[int, tuple[int, ...]] = {start: ()}
    size = len(tokens)
    for element in pattern.elements:
        nxt: dict[int, tuple[int, ...]] = {}
        if isinstance(element, Gap):
            for pos, core in reach.items():
                nxt.setdefault(pos, core)
                for end in range(pos, min(pos + element.most, size)):
                    token = tokens[end]
                    if token.stop and not (element.crosses and token.text == STOP):
                        break
                    nxt.setdefault(end + 1, core)
        else:
            for pos, core in reach.items():
                if pos >= size:
                    continue
                for seq in element.by_first.get(tokens[pos].text, ()):
                    end = pos + len(seq)
                    if end <= size and all(w.fits(tokens[pos + i]) for i, w in enumerate(seq)):
                        nxt.setdefault(end, core + tuple(range(pos, end)))
        if not nxt:
            return None
        reach = nxt
    return reach[min(reach)]
