"""Entities found in text: provinces (current and former), by name, old name or alias.

Every way of naming a province is rewritten during normalization to "tinhthanh <key>", so that
questions about any province share one feature ("tinhthanh") while the key keeps them apart, and
so that "Bình Phước" does not match "Thái Bình" syllable by syllable.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from bot.catalog import Catalog
from bot.matching.normalize import fold

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
