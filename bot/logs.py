"""Logging set-up: every record passes a filter that masks phone numbers (defence in depth)."""

from __future__ import annotations

import logging
import re

# Vietnamese numbers written as 0xxxxxxxxx, 84xxxxxxxxx, +84 xxx xxx xxx or (091) 234 5678,
# with spaces, dots, dashes or brackets between the digits.
_PHONE = re.compile(r"(?<!\w)\(?(?:\+?84|0)(?:[\s.()-]{0,2}\d){8,10}(?!\w)")
# Libraries whose chatty levels would leak what we keep out of logs: httpx logs every request
# URL, and Telegram's URLs carry the bot token; at DEBUG, PTB and the database drivers log
# message texts and query parameters (names, phones). They never go below these levels.
QUIET = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "telegram": logging.INFO,
    "sqlalchemy": logging.WARNING,
    "aiosqlite": logging.INFO,
    "asyncpg": logging.INFO,
}


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
    wanted = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    for name, floor in QUIET.items():
        logging.getLogger(name).setLevel(max(wanted, floor))
