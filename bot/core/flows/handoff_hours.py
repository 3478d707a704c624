"""Counsellors' office hours: "mon-fri 07:30-17:00; sat 08:00-11:30" in Vietnam's time zone."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

VIETNAM = dt.timezone(dt.timedelta(hours=7), "ICT")  # no daylight saving time
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
ALWAYS = ("", "always", "24/7")
EVER = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)  # when "always" began
# one period: "mon-fri 07:30-17:00" or "sat 08:00-11:30" (linear: fixed shapes, no nesting)
_PERIOD = re.compile(
    r"(mon|tue|wed|thu|fri|sat|sun)(?:-(mon|tue|wed|thu|fri|sat|sun))?"
    r" +(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})"
)


@dataclass(frozen=True)
class Period:
    """Open from `start` to `end` on each of `days` (0 is Monday)."""

    days: frozenset[int]
    start: dt.time
    end: dt.time


class OfficeHours:
    """When counsellors answer; always, when no period is given."""

    def __init__(self, periods: tuple[Period, ...] = ()) -> None:
        self.periods = periods

    @classmethod
    def parse(cls, text: str) -> OfficeHours:
        """Periods separated by ";"; ValueError names the part that cannot be read."""
        if text.strip().lower() in ALWAYS:
            return cls()
        periods = []
        for part in text.lower().split(";"):
            match = _PERIOD.fullmatch(part.strip())
            if match is None:
                raise ValueError(f"cannot read office hours {part.strip()!r}")
            first, last, h1, m1, h2, m2 = match.groups()
            a, b = DAYS.index(first), DAYS.index(last or first)
            span = range(a, b + 1) if a <= b else (*range(a, 7), *range(b + 1))  # "sat-mon"
            days = frozenset(span)
            start, end = dt.time(int(h1), int(m1)), dt.time(int(h2), int(m2))
            if not start < end:
                raise ValueError(f"office hours {part.strip()!r} end before they start")
            periods.append(Period(days, start, end))
        return cls(tuple(periods))

    @property
    def always(self) -> bool:
        return not self.periods

    def opened_at(self, now: dt.datetime) -> dt.datetime | None:
        """When the period `now` falls in began; None outside office hours."""
        if self.always:
            return EVER
        local = now.astimezone(VIETNAM)
        for period in self.periods:
            if local.weekday() in period.days and period.start <= local.time() < period.end:
                return dt.datetime.combine(local.date(), period.start, VIETNAM)
        return None

    def is_open(self, now: dt.datetime) -> bool:
        return self.opened_at(now) is not None

    def next_open(self, now: dt.datetime) -> dt.datetime:
        """The next moment counsellors answer (now, inside office hours)."""
        if self.is_open(now):
            return now
        local = now.astimezone(VIETNAM)
        for ahead in range(8):
            day = local.date() + dt.timedelta(days=ahead)
            starts = sorted(
                dt.datetime.combine(day, p.start, VIETNAM)
                for p in self.periods
                if day.weekday() in p.days
            )
            for start in starts:
                if start > local:
                    return start
        return now  # unreachable with at least one period

    def describe(self) -> str:
        """The hours in Vietnamese: "thứ Hai–thứ Sáu 07:30–17:00"."""
        parts = []
        for p in self.periods:
            days = sorted(p.days)
            span = (
                DAY_NAMES[days[0]]
                if len(days) == 1
                else f"{DAY_NAMES[days[0]]}–{DAY_NAMES[days[-1]]}"
            )
            parts.append(f"{span} {p.start:%H:%M}–{p.end:%H:%M}")
        return "; ".join(parts)


def when_text(moment: dt.datetime) -> str:
    """A moment as people say it: "07:30 thứ Hai (01/12)", in Vietnam's time."""
    local = moment.astimezone(VIETNAM)
    return f"{local:%H:%M} {DAY_NAMES[local.weekday()]} ({local:%d/%m})"
