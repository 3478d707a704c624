"""Counsellors' office hours: parsing the setting, open or not, the next opening."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.core.flows.handoff_hours import VIETNAM, OfficeHours, when_text
from bot.settings import Settings, SettingsError

HOURS = OfficeHours.parse("mon-fri 07:30-17:00; sat 08:00-11:30")


def local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """November 2026: the 30th is a Monday."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=VIETNAM)


def test_open_and_closed_moments() -> None:
    assert HOURS.is_open(local(30, 7, 30)) and HOURS.is_open(local(28, 11, 29))
    assert not HOURS.is_open(local(30, 17, 0)) and not HOURS.is_open(local(29, 10))
    assert HOURS.opened_at(local(30, 9)) == local(30, 7, 30)


def test_the_next_opening_is_told_in_vietnamese() -> None:
    after_saturday = HOURS.next_open(local(28, 12))
    assert after_saturday == local(30, 7, 30)
    assert when_text(after_saturday) == "07:30 thứ Hai (30/11)"
    assert HOURS.describe() == "thứ Hai–thứ Sáu 07:30–17:00; thứ Bảy 08:00–11:30"


def test_always_and_bad_settings() -> None:
    assert OfficeHours.parse("always").is_open(local(29, 3))
    for bad in ("mon-fri 17:00-07:30", "weekdays 9-5", "mon 07:30"):
        with pytest.raises(SettingsError, match="HUONGNGHIEP_HANDOFF_HOURS"):
            Settings.from_env({"HUONGNGHIEP_HANDOFF_HOURS": bad})
