"""Cell values every export writer can take: no code point XML 1.0 forbids, no live formula."""

from __future__ import annotations

import datetime as dt

from bot.core.messages import clean_input

VIETNAM = dt.timezone(dt.timedelta(hours=7))
# A spreadsheet treats a cell starting with these as a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def clean(text: str) -> str:
    """`text` without the code points XML 1.0 forbids (C0 controls but tab, LF and CR, U+FFFE,
    U+FFFF, lone surrogates) and without unassigned ones: what the channels strip from input
    (core.messages.clean_input), applied again to what the database already holds."""
    return clean_input(text)


def neutralize(value: str) -> str:
    """Prefix a formula-like text with an apostrophe so spreadsheets show it as text (CSV)."""
    return "'" + value if value.startswith(FORMULA_START) else value


def vietnam_time(moment: dt.datetime) -> str:
    """An aware time as Vietnam time to the second: 2026-11-22T16:00:00+07:00."""
    return moment.astimezone(VIETNAM).isoformat(timespec="seconds")


def vietnam_naive(moment: dt.datetime) -> dt.datetime:
    """An aware time as naive Vietnam wall-clock time to the second (spreadsheets have no zones)."""
    return moment.astimezone(VIETNAM).replace(tzinfo=None, microsecond=0)
