"""Parent codes as people write them (issue 12): "PH-ABCD-2345", read back from any message."""

from __future__ import annotations

import re

LENGTH = 8  # characters of a code's body (32^8 = 2^40 codes)
_BODY = re.compile(r"^[a-z0-9]{8}$")
_SQUEEZE = re.compile(r"[\s\-_.]+")


def shown(body: str) -> str:
    """How a code is written for people: PH-ABCD-2345."""
    return f"PH-{body[:4]}-{body[4:]}"


def compact(body: str) -> str:
    """The code in a link (t.me/…?start=, ?ma=): PHABCD2345."""
    return f"PH{body}"


def parent_code(text: str) -> str | None:
    """The code's 8 characters (upper case) in a short message that is only a code
    ("PH-ABCD-2345", any case and spacing, after "/start" too; folded text works), else None."""
    if len(text) > 40:
        return None
    rest = _SQUEEZE.sub("", text.casefold()).removeprefix("/").removeprefix("start")
    if len(rest) != LENGTH + 2 or not rest.startswith("ph"):
        return None
    body = rest[2:]
    return body.upper() if _BODY.match(body) else None
