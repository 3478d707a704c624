"""The window after a care answer (bot/core/care_after.py): a few messages, half an hour."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from bot.core import care_after
from bot.core.ports import ConversationState

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def test_the_window_holds_a_few_messages_then_closes() -> None:
    state = ConversationState()
    assert not care_after.spend(state, NOW)
    care_after.opened(state, NOW)
    heard = [care_after.spend(state, NOW + dt.timedelta(minutes=i)) for i in range(5)]
    assert heard == [True] * care_after.MESSAGES + [False] * (5 - care_after.MESSAGES)
    assert care_after.KEY not in state.data


def test_the_window_closes_after_half_an_hour() -> None:
    state = ConversationState()
    care_after.opened(state, NOW)
    assert not care_after.spend(state, NOW + care_after.WINDOW + dt.timedelta(seconds=1))
    assert care_after.KEY not in state.data
    # a clock that went back does not keep it open either
    care_after.opened(state, NOW)
    assert not care_after.spend(state, NOW - dt.timedelta(minutes=1))


def test_the_window_survives_storage() -> None:
    state = ConversationState()
    care_after.opened(state, NOW)
    again = ConversationState.from_dict(state.to_dict())
    assert care_after.spend(again, NOW + dt.timedelta(minutes=5))


@given(st.one_of(st.none(), st.integers(), st.text(), st.dictionaries(st.text(), st.text())))
def test_a_damaged_record_closes_the_window_quietly(raw: object) -> None:
    state = ConversationState(data={care_after.KEY: raw})
    assert not care_after.spend(state, NOW)
