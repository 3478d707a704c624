"""Cell values every export writer can take: no code point XML 1.0 forbids, no live formula."""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata

VIETNAM = dt.timezone(dt.timedelta(hours=7))
# A spreadsheet treats a cell starting with these as a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@functools.cache
def _forbidden() -> re.Pattern[str]:
    """C0 controls but tab, LF and CR; surrogates; unassigned code points (U+FFFE and U+FFFF
    among them) of the Basic Multilingual Plane; and any code point above it, which
    `_keep` then judges one by one. Built on first use (a 64K-entry scan, ~20 ms): a class of
    BMP ranges compiles to a lookup table, where all planes' ranges would be scanned linearly."""
    ranges: list[tuple[int, int]] = []
    start: int | None = None
    for cp in range(0x10000):
        bad = (
            (cp < 0x20 and cp not in (0x9, 0xA, 0xD))
            or 0xD800 <= cp <= 0xDFFF
            or unicodedata.category(chr(cp)) == "Cn"
        )
        if bad and start is None:
            start = cp
        elif not bad and start is not None:
            ranges.append((start, cp - 1))
            start = None
    if start is not None:
        ranges.append((start, 0xFFFF))
    bmp = "".join(f"\\u{a:04x}" if a == b else f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges)
    return re.compile(f"[{bmp}]|[\U00010000-\U0010ffff]")


def _keep(match: re.Match[str]) -> str:
    char = match.group()
    if ord(char) < 0x10000 or unicodedata.category(char) == "Cn":
        return ""
    return char  # an assigned character beyond the BMP (an emoji): kept


def clean(text: str) -> str:
    """`text` without the code points XML 1.0 forbids (C0 controls but tab, LF and CR, U+FFFE,
    U+FFFF, lone surrogates) and without unassigned ones."""
    return _forbidden().sub(_keep, text)


def neutralize(value: str) -> str:
    """Prefix a formula-like text with an apostrophe so spreadsheets show it as text (CSV)."""
    return "'" + value if value.startswith(FORMULA_START) else value


def vietnam_time(moment: dt.datetime) -> str:
    """An aware time as Vietnam time to the second: 2026-11-22T16:00:00+07:00."""
    return moment.astimezone(VIETNAM).isoformat(timespec="seconds")


def vietnam_naive(moment: dt.datetime) -> dt.datetime:
    """An aware time as naive Vietnam wall-clock time to the second (spreadsheets have no zones)."""
    return moment.astimezone(VIETNAM).replace(tzinfo=None, microsecond=0)
