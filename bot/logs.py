"""Logging set-up: every record passes a filter that masks phone numbers (defence in depth)."""

from __future__ import annotations

import logging
import re

# Vietnamese numbers written as 0xxxxxxxxx, 84xxxxxxxxx or +84 xxx xxx xxx, with spaces or dots.
_PHONE = re.compile(r"(?<!\w)(?:\+?84|0)(?:[\s.-]?\d){8,10}(?!\w)")


def mask_phones(text: str) -> str:
    """Replace what looks like a phone number with its last two digits only."""
    return _PHONE.sub(lambda m: "***" + re.sub(r"\D", "", m.group(0))[-2:], text)


class PhoneMask(logging.Filter):
    """Rewrites a record's message so no phone number reaches a log handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_phones(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def configure(level: str) -> None:
    """Root logging with the phone mask on every handler."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(PhoneMask())
