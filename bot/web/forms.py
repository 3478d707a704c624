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
