"""Pieces shared by the portal's and the dashboard's filter forms: a select field, and dates
typed in a form (a Vietnamese calendar day, its first moment in UTC)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.leads.cells import VIETNAM
from bot.web.html import esc


def select_field(
    name: str, label: str, options: Sequence[tuple[str, str]], chosen: str, any_label: str
) -> str:
    """A labelled <select>, led by "any" (the empty value), `chosen` selected."""
    items = [f'<option value="">{esc(any_label)}</option>']
    for value, text in options:
        picked = " selected" if value == chosen else ""
        items.append(f'<option value="{esc(value)}"{picked}>{esc(text)}</option>')
    return (
        f'<div class="field"><label for="f-{name}">{esc(label)}</label>'
        f'<select id="f-{name}" name="{name}">{"".join(items)}</select></div>'
    )


def form_day(raw: str) -> dt.date | None:
    """A YYYY-MM-DD day from a form field, or None."""
    if not raw or len(raw) > 10:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return None


def start_of(day: dt.date) -> dt.datetime | None:
    """The first moment of a Vietnamese calendar day, in UTC (None past the calendar's ends)."""
    try:
        return dt.datetime.combine(day, dt.time(), VIETNAM).astimezone(dt.UTC)
    except OverflowError:
        return None


class FormValues:
    """A filter form's query: the values understood (kept, for the form and links) and whether
    some value was not (left out: never an error)."""

    def __init__(self, raw: dict[str, str]) -> None:
        self.raw = raw
        self.kept: dict[str, str] = {}
        self.bad = False

    def get(self, name: str) -> str:
        return self.raw.get(name, "")

    def keep(self, name: str, ok: bool) -> bool:
        """Keeps the field's value when `ok`; notes a value that was given but not understood."""
        value = self.raw.get(name, "")
        if value and ok:
            self.kept[name] = value
            return True
        self.bad = self.bad or bool(value)
        return False

    def days(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """The "tu" and "den" days as UTC moments: the first day's start and the moment after
        the last day (each None when absent or not a day); kept when understood."""
        since, until = form_day(self.get("tu")), form_day(self.get("den"))
        start = start_of(since) if since else None
        end = start_of(until + dt.timedelta(days=1)) if until and until < dt.date.max else None
        return (
            start if self.keep("tu", start is not None) else None,
            end if self.keep("den", end is not None) else None,
        )
