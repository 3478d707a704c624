"""Legal document numbers in text, however people write them, and the documents they name.

"nghị định 81", "nđ 81/2021", "nd81", "Nghị định số 81/2021/NĐ-CP", "81/2021/NĐ-CP", "238/2025",
"Nghị quyết 31/NQ-HĐND", "12-NQ/TU", "qd 522", "Luật GDNN 2014" are all read by one pass over the
words of bot.matching.words (no regular expression). A reference is one of:
- a kind word ("nghị định", "nđ", "quyết định", "qđ", "nghị quyết", "nq", "chỉ thị", "thông tư",
  "luật", "kế hoạch", "công văn"…) followed by a number, then optionally a year and a symbol;
  the short kinds that are also common teencode ("kh" for không, "tt", "ct", "cv") count only
  with a year or a symbol after the number;
- a number with a year or a symbol and no kind word ("238/2025", "21-CT/TW");
- a law's name ("Luật Giáo dục nghề nghiệp", "luật GDNN"), optionally with its number or year.
A bare number ("lớp 9", "81") is never a reference.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.matching.normalize import fold
from bot.matching.words import Word, words

# kind words, folded; True: the kind counts with a bare number ("nghị định 81")
_KINDS: dict[tuple[str, ...], tuple[str | None, bool]] = {
    ("nghi", "dinh"): ("nghi_dinh", True),
    ("nd",): ("nghi_dinh", True),
    ("nghi", "quyet"): ("nghi_quyet", True),
    ("nq",): ("nghi_quyet", True),
    ("quyet", "dinh"): ("quyet_dinh", True),
    ("qd",): ("quyet_dinh", True),
    ("chi", "thi"): ("chi_thi", True),
    ("ct",): ("chi_thi", False),
    ("thong", "tu"): ("thong_tu", True),
    ("tt",): ("thong_tu", False),
    ("bo", "luat"): ("bo_luat", True),
    ("luat",): ("luat", True),
    ("ke", "hoach"): ("ke_hoach", True),
    ("kh",): ("ke_hoach", False),
    ("cong", "van"): ("cong_van", True),
    ("cv",): ("cong_van", False),
    ("chuong", "trinh", "hanh", "dong"): ("chuong_trinh", True),
    ("ctr",): ("chuong_trinh", False),
    ("van", "ban"): (None, True),
}
# the first letters of a symbol name the kind: "81/2021/NĐ-CP", "21-CT/TW"
_SYMBOL_KINDS = {
    "nd": "nghi_dinh",
    "nq": "nghi_quyet",
    "qd": "quyet_dinh",
    "ct": "chi_thi",
    "tt": "thong_tu",
    "kh": "ke_hoach",
    "ctr": "chuong_trinh",
}
V = TypeVar("V")
_FILLERS = frozenset(("so", "nam"))  # "Nghị định số 81", "luật GDNN năm 2014"
MAX_SYMBOL = 5
MIN_YEAR, MAX_YEAR = 1945, 2099


def _year(word: Word) -> int | None:
    if word.digit and len(word.text) == 4 and MIN_YEAR <= int(word.text) <= MAX_YEAR:
        return int(word.text)
    return None


@dataclass(frozen=True)
class Ref:
    """A document named in a text. `first`/`last` index its words; `start`/`end` its characters."""

    kind: str | None
    number: int | None  # None when named by title only
    year: int | None
    symbol: tuple[str, ...]
    title: tuple[str, ...] | None
    first: int
    last: int  # one past the last word
    start: int
    end: int

    @property
    def strong(self) -> bool:
        """Written with a year or a symbol, so surely a document number."""
        return self.year is not None or bool(self.symbol)


def _number_ref(
    ws: Sequence[Word], at: int, begin: int, kind: str | None, title: tuple[str, ...] | None
) -> Ref:
    """The reference whose number is ws[at] (begin: its first word, the kind word or title)."""
    number = int(ws[at].text)
    end = at + 1
    year: int | None = None
    if end < len(ws) and ws[end].joined and (found := _year(ws[end])) is not None:
        year, end = found, end + 1
    elif (
        (kind is not None or title is not None)  # "nghị định 81 năm 2021", not "lớp 9 năm 2024"
        and end + 1 < len(ws)
        and ws[end].text == "nam"
        and (found := _year(ws[end + 1])) is not None
    ):
        year, end = found, end + 2
    symbol: list[str] = []
    while end < len(ws) and len(symbol) < MAX_SYMBOL:
        word = ws[end]
        first = not symbol
        if first and not (word.joined and not word.digit):
            break
        if (not first and not (word.joined or word.tight)) or word.stop:
            break
        symbol.append(word.text)
        end += 1
    if kind is None and symbol:
        kind = _SYMBOL_KINDS.get(symbol[0])
    start, stop = ws[begin].start, ws[end - 1].end
    return Ref(kind, number, year, tuple(symbol), title, begin, end, start, stop)


class Phrases(Generic[V]):
    """Phrases of folded words, looked up at a position of a word list (longest first)."""

    def __init__(self, table: dict[tuple[str, ...], V]) -> None:
        self.table = dict(table)
        self._by_first: dict[str, list[tuple[tuple[str, ...], V]]] = {}
        for phrase, value in sorted(self.table.items(), key=lambda item: -len(item[0])):
            self._by_first.setdefault(phrase[0], []).append((phrase, value))

    def at(self, ws: Sequence[Word], index: int) -> tuple[int, V] | None:
        """(size, value) of the longest phrase spelt by the words from `index`, or None."""
        for phrase, value in self._by_first.get(ws[index].text, ()):
            size = len(phrase)
            if index + size <= len(ws) and all(
                ws[index + i].text == part for i, part in enumerate(phrase)
            ):
                return size, value
        return None


_KIND_PHRASES = Phrases(_KINDS)
_NO_TITLES: Phrases[str] = Phrases({})


def scan(text: str, titles: Phrases[str] = _NO_TITLES) -> list[Ref]:
    """Every document reference in `text`, in order. `titles`: folded law names."""
    ws = words(text)
    out: list[Ref] = []
    at = 0
    while at < len(ws):
        ref = _ref_at(ws, at, titles)
        if ref is None:
            at += 1
            continue
        out.append(ref)
        at = ref.last
    return out


def _ref_at(ws: Sequence[Word], at: int, titles: Phrases[str]) -> Ref | None:
    named = titles.at(ws, at)
    start = ws[at].start
    if named is not None:
        size, _key = named
        title = tuple(w.text for w in ws[at : at + size])
        after = at + size
        if after < len(ws) and ws[after].text in _FILLERS:
            after += 1
        if after < len(ws) and ws[after].digit and len(ws[after].text) <= 5:
            year = _year(ws[after])
            if year is not None and not (after + 1 < len(ws) and ws[after + 1].joined):
                return Ref("luat", None, year, (), title, at, after + 1, start, ws[after].end)
            return _number_ref(ws, after, at, "luat", title)
        return Ref("luat", None, None, (), title, at, at + size, start, ws[at + size - 1].end)
    kind = _KIND_PHRASES.at(ws, at)
    if kind is not None:
        size, (name, alone) = kind
        after = at + size
        if after < len(ws) and ws[after].text == "so":
            after += 1
        if after < len(ws) and ws[after].digit and len(ws[after].text) <= 5:
            ref = _number_ref(ws, after, at, name, None)
            if (alone or ref.strong) and ref.number:
                return ref
        return None
    word = ws[at]
    in_date = word.joined and at > 0 and ws[at - 1].digit  # the "4/2021" of "15/4/2021"
    if word.digit and len(word.text) <= 5 and not in_date:
        ref = _number_ref(ws, at, at, None, None)
        period = _year(word) is not None and ref.year is not None  # "2021-2025", "2024/2025"
        if ref.strong and ref.number and not period:
            return ref
    return None


@dataclass(frozen=True)
class DocKey:
    """What a document is recognised by."""

    id: str
    kind: str
    number: int
    year: int | None
    symbol: frozenset[str]  # folded words of its number after the number and year ("nd", "cp")
    titles: tuple[tuple[str, ...], ...] = ()  # folded law names ("luat", "gdnn")
    places: frozenset[str] = frozenset()  # province ids (former and current); empty: national
    current: bool = False  # in force: preferred when a law is named without number or year


@dataclass(frozen=True)
class Found:
    """What a text names: documents known for sure, choices between several, and numbers that
    name no document we know (written with a year or symbol)."""

    known: tuple[str, ...] = ()
    choices: tuple[tuple[str, ...], ...] = ()
    unknown: tuple[Ref, ...] = ()
    refs: tuple[Ref, ...] = ()

    def __bool__(self) -> bool:
        """Something to act on: a weak reference naming nothing ("quyết định 29" when no
        decision 29 is known) is none."""
        return bool(self.known or self.choices or self.unknown)


class DocFinder:
    """Resolves references to documents."""

    def __init__(self, keys: Iterable[DocKey]) -> None:
        self.keys = tuple(keys)
        self._by_number: dict[int, list[DocKey]] = defaultdict(list)
        self._by_title: dict[tuple[str, ...], list[DocKey]] = defaultdict(list)
        titles: dict[tuple[str, ...], str] = {}
        for key in self.keys:
            self._by_number[key.number].append(key)
            for title in key.titles:
                titles[title] = " ".join(title)
                self._by_title[title].append(key)
        self._by_number = dict(self._by_number)
        self._by_title = dict(self._by_title)
        self.titles = Phrases(titles)
        self._title_words = frozenset(t[0] for t in titles)

    def candidates(self, ref: Ref, places: frozenset[str] = frozenset()) -> list[str]:
        """Ids of the documents `ref` may name (several: ask which)."""
        if ref.title is not None:
            pool = list(self._by_title.get(ref.title, []))
            if ref.number is not None:
                pool = [k for k in pool if k.number == ref.number]
        else:
            pool = list(self._by_number.get(ref.number or 0, []))
        if ref.kind is not None:
            kinds = {ref.kind, "bo_luat"} if ref.kind == "luat" else {ref.kind}
            pool = [k for k in pool if k.kind in kinds]
        if ref.year is not None:
            pool = [k for k in pool if k.year in (None, ref.year)]
        if ref.symbol:  # each typed part is a part of the number, or its start ("LĐT" of "LĐTBXH")
            pool = [
                k
                for k in pool
                if all(
                    any(s == t or (len(t) > 1 and s.startswith(t)) for s in k.symbol)
                    for t in ref.symbol
                )
            ]
        if len(pool) > 1 and places:
            local = [k for k in pool if k.places & places]
            pool = local or pool
        if len(pool) > 1 and ref.title is not None and ref.number is None and ref.year is None:
            current = [k for k in pool if k.current]
            pool = current if len(current) == 1 else pool
        return [k.id for k in pool]

    def find(self, text: str, places: frozenset[str] = frozenset()) -> Found:
        """The documents `text` names."""
        if not any("0" <= ch <= "9" for ch in text) and not self._title_words & set(
            fold(text).split()
        ):
            return Found()  # no number and no law's name: nothing to read (most messages)
        refs = scan(text, self.titles)
        known: list[str] = []
        choices: list[tuple[str, ...]] = []
        unknown: list[Ref] = []
        for ref in refs:
            ids = self.candidates(ref, places)
            if len(ids) == 1:
                if ids[0] not in known:
                    known.append(ids[0])
            elif ids:
                choices.append(tuple(ids))
            elif ref.symbol or (ref.year is not None and ref.kind is not None):
                unknown.append(ref)  # not "2024/2025" (a school year): a kind word or a symbol
        return Found(tuple(known), tuple(choices), tuple(unknown), tuple(refs))
