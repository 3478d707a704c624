"""Typed choice numbers ("2", "2.", "4, 2", "1 và 3"), read by a linear scan, not a regex.

A regular expression for "numbers with separators" is easy to write so that it backtracks
exponentially (issue 9: 63 characters held the event loop for 11 s); a scan cannot.
"""

from __future__ import annotations

MAX_DIGITS = 3  # a choice number has 1-3 digits: "-1" or "1000" pick nothing
_SEPARATORS = frozenset(",;/+&")
_AND = ("và", "va")  # "1 và 3", "1 va 3" (compared after casefold)


def _is_number(token: str) -> bool:
    return 1 <= len(token) <= MAX_DIGITS and token.isdecimal()


def single_number(text: str) -> str | None:
    """The number of "2", " 2 ", "2." or "2)", else None."""
    stripped = text.strip()
    if stripped[-1:] in (".", ")"):
        stripped = stripped[:-1].rstrip()
    return stripped if _is_number(stripped) else None


def several_numbers(text: str) -> list[str] | None:
    """The numbers of "4, 2", "1 3", "1 và 3", "1/2+3" (two or more), else None.

    Between two numbers: spaces, and at most one of , ; / + & "và" "va".
    """
    s = text.strip().casefold()
    numbers: list[str] = []
    i, n = 0, len(s)
    while i < n:
        j = i
        while j < n and s[j].isdecimal():
            j += 1
        if not _is_number(s[i:j]):
            return None
        numbers.append(s[i:j])
        if j == n:
            break
        i = j
        while j < n and s[j].isspace():
            j += 1
        if s.startswith(_AND, j):
            j += 2
        elif j < n and s[j] in _SEPARATORS:
            j += 1
        while j < n and s[j].isspace():
            j += 1
        if j in (i, n):  # two numbers glued by nothing, or a separator at the end
            return None
        i = j
    return numbers if len(numbers) >= 2 else None
