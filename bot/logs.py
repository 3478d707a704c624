"""Logging set-up: every record passes a filter that masks phone numbers (defence in depth)."""

from __future__ import annotations

import logging
import re
import sys

# Vietnamese numbers written as 0xxxxxxxxx, 84xxxxxxxxx, +84 xxx xxx xxx or (091) 234 5678,
# with spaces, dots, dashes or brackets between the digits.
# Linear: the separators are never digits, so each digit has one way to match (a test feeds it
# long hostile strings: tests/test_regex_linear.py).
_PHONE = re.compile(r"(?<!\w)\(?(?:\+?84|0)(?:[\s.()-]{0,2}\d){8,10}(?!\w)")
_FORMATTER = logging.Formatter()
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
    # alembic's plugin set-up, eight INFO lines before every command's output; the migrations
    # themselves ("Running upgrade 0009 -> 0010") stay at INFO
    "alembic.runtime.plugins": logging.WARNING,
}


def mask_phones(text: str) -> str:
    """Replace what looks like a phone number with its last two digits only."""
    return _PHONE.sub(lambda m: "***" + "".join(filter(str.isdecimal, m.group(0)))[-2:], text)


class PhoneMask(logging.Filter):
    """Rewrites a record's message so no phone number reaches a log handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_phones(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info:
            # a traceback ends with the exception's message, which may quote what a user typed;
            # formatters reuse exc_text once it is set (maybe already, by another handler)
            text = record.exc_text or _FORMATTER.formatException(record.exc_info)
            record.exc_text = mask_phones(text)
        if record.stack_info:
            record.stack_info = mask_phones(record.stack_info)
        return True


class BadHttpQuiet(logging.Filter):
    """aiohttp answers a request its HTTP parser refuses (a header byte no client may send, an
    over-long line) with 400, then logs it at ERROR with a traceback: that is bad input, not a
    failure of ours, so it becomes one WARNING line naming the error's type only."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        # looked up, not imported: commands without a web server (ask) do not load aiohttp,
        # and where it is not loaded none of its errors can occur
        http = sys.modules.get("aiohttp.http_exceptions")
        if http is not None and isinstance(error, http.HttpProcessingError):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg = "refused a malformed HTTP request: %s"
            record.args = (type(error).__name__,)
            record.exc_info, record.exc_text = None, None
        return True


def quiet_bad_http() -> None:
    """Install BadHttpQuiet on aiohttp's server logger (once)."""
    server = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, BadHttpQuiet) for f in server.filters):
        server.addFilter(BadHttpQuiet())


def configure(level: str) -> None:
    """Root logging with the phone mask on every handler."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    quiet_bad_http()
    for handler in logging.getLogger().handlers:
        handler.addFilter(PhoneMask())
    wanted = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    for name, floor in QUIET.items():
        logging.getLogger(name).setLevel(max(wanted, floor))
