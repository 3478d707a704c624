"""Entities found in text: provinces (current and former), by name, old name or alias, and
the former districts that resolve to them.

Every way of naming a province is rewritten during normalization to "tinhthanh <key>", so that
questions about any province share one feature ("tinhthanh") while the key keeps them apart, and
so that "Bình Phước" does not match "Thái Bình" syllable by syllable.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.catalog import Catalog
from bot.catalog.districts import District
from bot.matching.accents import TYPED_SHARE
from bot.matching.accents import key as syllable_key
from bot.matching.doc_numbers import Phrases
from bot.matching.normalize import fold
from bot.matching.words import Word, words

MARKER = "tinhthanh"


@dataclass(frozen=True)
class ProvinceMention:
    """A province named in a message: the name as known, and the province it belongs to now."""

    name: str  # display name of what was named ("Long An")
    province_id: str  # province it is part of since 01/7/2025 ("tay_ninh")
    former: bool  # True when the name is of a former province merged into another


def _key(name: str) -> str:
    return fold(name).replace(" ", "")


class ProvinceIndex:
    """Phrases for the normalizer, and lookup of the keys it leaves in normalized text."""

    def __init__(self, catalog: Catalog) -> None:
        self.phrases: dict[str, str] = {}
        self.by_key: dict[str, ProvinceMention] = {}
        own_keys: dict[str, str] = {}
        for province in catalog.provinces.values():
            own = ProvinceMention(province.name, province.id, former=False)
            short = province.name.removeprefix("Thành phố ").removeprefix("Tỉnh ")
            own_keys[province.id] = _key(short)
            self._add(short, own)
            self._add(province.name, own, key=own_keys[province.id])
            for name in province.absorbed:
                self._add(name, ProvinceMention(name, province.id, former=True))
        for province in catalog.provinces.values():
            own = ProvinceMention(province.name, province.id, former=False)
            for alias in province.aliases:
                self._add(alias, own, key=own_keys[province.id])

    def _add(self, name: str, mention: ProvinceMention, key: str | None = None) -> None:
        folded = fold(name)
        if not folded or folded in self.phrases:
            return
        key = key or _key(name)
        self.phrases[folded] = f"{MARKER} {key}"
        self.by_key.setdefault(key, mention)

    def mentions(self, normalized: str) -> list[ProvinceMention]:
        """Provinces named in already-normalized text, in order, without repeats."""
        tokens = normalized.split()
        found: list[ProvinceMention] = []
        for marker, key in itertools.pairwise(tokens):
            mention = self.by_key.get(key) if marker == MARKER else None
            if mention is not None and mention not in found:
                found.append(mention)
        return found


# -- former districts (content/districts.yaml) ------------------------------------------------
# The rule (also written at the top of content/districts.yaml): a former district's name counts
# when it names one former province, its typed diacritics are its own, it does not follow xã,
# phường or thị trấn, and the message shows it is a place: a kind word before it (huyện, quận, thị
# xã, thành phố, tp, tx), a place word before it (ở, tại, thuộc, về, quê), a "which province"
# question after it, nothing else in the message, or capitals on every syllable (not for names in
# `common`). A name spelt like a province counts only after a kind word or with its own diacritics.


def _keys(spellings: Iterable[str]) -> dict[tuple[str, ...], tuple[str, ...]]:
    """Folded words -> their marks, for phrases written with diacritics."""
    out: dict[tuple[str, ...], tuple[str, ...]] = {}
    for spelling in spellings:
        ks = [syllable_key(w) for w in _letters(spelling)]
        out[tuple(k[0] for k in ks)] = tuple(k[1] for k in ks)
    return out


def _letters(text: str) -> list[str]:
    return [w for w in "".join(ch if ch.isalnum() else " " for ch in text).split()]


_KIND_WORDS = _keys(["huyện", "quận", "thị xã", "thành phố", "tp", "tx"])
_KIND_OF = {
    ("huyen",): "huyen",
    ("quan",): "quan",
    ("thi", "xa"): "thi_xa",
    ("thanh", "pho"): "thanh_pho",
    ("tp",): "thanh_pho",
    ("tx",): "thi_xa",
}
_COMMUNE_WORDS = _keys(["xã", "phường", "thị trấn"])
_PLACE_WORDS = _keys(["ở", "tại", "thuộc", "về", "quê"])
# a question about the province, within WHERE_REACH words after the name
_WHERE_WORDS = _keys(
    [
        "thuộc tỉnh",
        "thuộc thành phố",
        "thuộc đâu",
        "thuộc về",
        "giờ là",
        "giờ thuộc",
        "nay là",
        "nay thuộc",
        "sáp nhập",
        "sát nhập",
        "hợp nhất",
        "tỉnh nào",
        "tỉnh gì",
        "là tỉnh",
        "thành phố nào",
    ]
)
# "where is it": a question about the province only when the name opens the message
# ("Bến Lức ở đâu"), not in "trường nghề Bến Lức ở đâu"
_WHERE_OPENING = _keys(["ở đâu", "nằm ở", "chỗ nào"])
_FILLERS = frozenset(("a", "nhe", "nha", "oi", "vay", "z"))
WHERE_REACH = 4  # a "which province" question within this many words after the name


@dataclass(frozen=True)
class DistrictMention:
    """A former district named in a message (characters start:end of its NFC form, kind word
    included), and whether the message asks which province it belongs to."""

    district: District
    start: int
    end: int
    asked_where: bool


def _typed_ok(ws: Sequence[Word], marks: tuple[str, ...], all_typed: bool) -> bool:
    """The words were typed without diacritics, or with exactly these."""
    return all(w.marks == m for w, m in zip(ws, marks, strict=True)) or (
        not all_typed and not any(w.marks for w in ws)
    )


def _phrase_before(
    ws: Sequence[Word], at: int, phrases: dict[tuple[str, ...], tuple[str, ...]], all_typed: bool
) -> int:
    """Length of the phrase of `phrases` that ends just before ws[at] (0: none)."""
    for size in (2, 1):
        if at - size < 0 or ws[at].stop:
            continue
        part = ws[at - size : at]
        marks = phrases.get(tuple(w.text for w in part))
        if marks is not None and _typed_ok(part, marks, all_typed):
            return size
    return 0


def _phrase_after(
    ws: Sequence[Word], after: int, phrases: dict[tuple[str, ...], tuple[str, ...]], all_typed: bool
) -> bool:
    """A phrase of `phrases` starts within WHERE_REACH words from ws[after]."""
    for at in range(after, min(after + WHERE_REACH, len(ws))):
        for size in (2, 1):
            part = ws[at : at + size]
            marks = phrases.get(tuple(w.text for w in part))
            if len(part) == size and marks is not None and _typed_ok(part, marks, all_typed):
                return True
    return False


class DistrictIndex:
    """Finds former districts in messages, by the rule above."""

    def __init__(self, catalog: Catalog, provinces: ProvinceIndex) -> None:
        self.former: dict[str, str] = {}  # former province id -> its name
        for province in catalog.provinces.values():
            short = province.name.removeprefix("Thành phố ").removeprefix("Tỉnh ")
            for name in (short, *province.absorbed):
                self.former[fold(name).replace(" ", "_")] = name
        self.by_name: dict[tuple[str, ...], list[tuple[District, tuple[str, ...]]]] = {}
        for district in catalog.districts.values():
            ks = [syllable_key(w) for w in _letters(district.name)]
            folded = tuple(k[0] for k in ks)
            self.by_name.setdefault(folded, []).append((district, tuple(k[1] for k in ks)))
        self.longest = max((len(n) for n in self.by_name), default=0)
        spellings = [p.name.removeprefix("Thành phố ") for p in catalog.provinces.values()]
        spellings += [n for p in catalog.provinces.values() for n in p.absorbed]
        self.province_spellings = _keys(spellings)  # folded -> marks of the province's name
        self.province_phrases = {tuple(p.split()) for p in provinces.phrases}
        self.province_words = Phrases(dict.fromkeys(self.province_phrases, True))

    def mentions(self, text: str) -> list[DistrictMention]:
        """Former districts named in `text`, in order."""
        if not self.may_name(fold(text).split()):
            return []
        return self.read(text)

    def read(self, text: str) -> list[DistrictMention]:
        """`mentions` without the quick test (which only saves time)."""
        ws = words(text)
        marked = sum(1 for w in ws if w.marks and not w.digit)
        all_typed = bool(ws) and marked >= TYPED_SHARE * sum(1 for w in ws if not w.digit)
        said = sum(1 for w in ws if w.text not in _FILLERS)  # words that say something
        out: list[DistrictMention] = []
        at = 0
        while at < len(ws):
            # a province named here wins over a shorter district ("Vĩnh Phúc" is not Vinh)
            province = self.province_words.at(ws, at)
            shortest = province[0] if province is not None else 1
            found = self._at(ws, at, shortest, said, all_typed)
            if found is None:
                at += shortest
                continue
            out.append(found[0])
            at = found[1]
        return out

    def may_name(self, tokens: list[str]) -> bool:
        """Some run of the folded tokens is a district's name (a quick test before reading the
        words with their diacritics and case)."""
        return any(
            tuple(tokens[at : at + size]) in self.by_name
            for at in range(len(tokens))
            for size in range(1, min(self.longest, len(tokens) - at) + 1)
        )

    def _at(
        self, ws: Sequence[Word], at: int, shortest: int, said: int, all_typed: bool
    ) -> tuple[DistrictMention, int] | None:
        for size in range(min(self.longest, len(ws) - at), shortest - 1, -1):
            span = ws[at : at + size]
            if any(w.stop for w in span[1:]):
                continue
            name = tuple(w.text for w in span)
            entries = self.by_name.get(name)
            if entries is None:
                continue
            mention = self._decide(ws, at, size, entries, said, all_typed)
            if mention is not None:
                return mention, at + size
        return None

    def _decide(
        self,
        ws: Sequence[Word],
        at: int,
        size: int,
        entries: list[tuple[District, tuple[str, ...]]],
        said: int,
        all_typed: bool,
    ) -> DistrictMention | None:
        span = ws[at : at + size]
        name = tuple(w.text for w in span)
        if _phrase_before(ws, at, _COMMUNE_WORDS, all_typed) and not _phrase_before(
            ws, at, _KIND_WORDS, all_typed
        ):
            return None  # "xã Mỹ Hào" is a commune ("thị xã Mỹ Hào" is not)
        prefix = _phrase_before(ws, at, _KIND_WORDS, all_typed)
        typed = [(d, m) for d, m in entries if _typed_ok(span, m, all_typed)]
        if prefix:
            kind = _KIND_OF[tuple(w.text for w in ws[at - prefix : at])]
            typed = [(d, m) for d, m in typed if d.kind == kind] or typed
        if not typed or len({d.province for d, _ in typed}) > 1:
            return None
        district = typed[0][0]
        if name[0].isdigit() and not (prefix and district.kind == "quan"):
            return None  # "quận 1" only
        if name in self.province_phrases and not prefix:
            own = self.province_spellings.get(name)
            has_marks = all_typed or any(w.marks for w in span)
            if own is None or not has_marks or _typed_ok(span, own, all_typed):
                return None  # the province ("Thanh Hóa"), unless typed "Thạnh Hóa"
        after, first = at + size, at - prefix
        where = _phrase_after(ws, after, _WHERE_WORDS, all_typed) or (
            first == 0 and _phrase_after(ws, after, _WHERE_OPENING, all_typed)
        )
        alone = said == prefix + sum(1 for w in span if w.text not in _FILLERS)
        place = _phrase_before(ws, first, _PLACE_WORDS, all_typed) if first else 0
        capitals = all(w.capital for w in span) and district.common is None
        if not (prefix or place or where or alone or capitals):
            return None
        return DistrictMention(district, ws[first].start, span[-1].end, where or alone)

    def rewrite(self, text: str) -> str:
        """`text` with each former district replaced by its former province's name, so that
        matching treats "trường nghề ở Bến Lức" as "trường nghề ở Long An"."""
        found = self.mentions(text)
        if not found:
            return text
        text = unicodedata.normalize("NFC", text)
        parts: list[str] = []
        last = 0
        for mention in found:
            parts.append(text[last : mention.start])
            parts.append(self.former.get(mention.district.province, ""))
            last = mention.end
        parts.append(text[last:])
        return "".join(parts)
