"""A feeling said next to a question (bot/matching/feelings.py), acknowledged before the answer
(bot/core/ask.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.catalog.text_keys import T
from bot.core.engine import Engine
from bot.core.messages import Inbound
from bot.matching.feelings import feeling


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("em buồn lắm vì bị điểm kém, học nghề có được không", "sad"),
        ("e chan qua, hoc nghe gi bay gio", "sad"),
        ("e lo lam ko biet hoc nghe gi", "worried"),
        ("em áp lực quá, học nghề gì đỡ vất vả", "worried"),
        ("tôi rất lo cho cháu, cháu trượt lớp 10", "worried"),
        ("e co don lam", "sad"),
        # look-alikes: another word, or a question about a trade's pressure, not a feeling
        ("em không chắc chắn nên học gì", None),
        ("chac chan ko", None),
        ("nghe chan nuoi", None),
        ("buon ban online hoc gi", None),
        ("e thich lam viec tay chan", None),
        ("nghề điều dưỡng có áp lực không", None),
        ("nganh ke toan co ap luc ko", None),
        ("ngành nào ít áp lực", None),
        ("em hết buồn rồi", None),
        ("chắn", None),
        ("", None),
    ],
)
def test_feelings(text: str, expected: str | None) -> None:
    assert feeling(text) == expected


@given(st.text(max_size=2000))
def test_never_raises(text: str) -> None:
    assert feeling(text) in (None, "sad", "worried")


async def test_acknowledged_before_the_answer(engine: Engine) -> None:
    said = engine.catalog.text(T.FEELING_WORRIED)
    replies = await engine.handle(Inbound("test", "f1", text="e lo lam ko biet hoc nghe gi"))
    assert [r.text for r in replies[:1]] == [said]
    assert len(replies) == 2 and replies[1].buttons  # the answer follows, with its buttons
    assert not replies[0].buttons
    # the same question without the feeling: the answer alone
    plain = await engine.handle(Inbound("test", "f2", text="ko biet hoc nghe gi"))
    assert plain[0].text == replies[1].text


async def test_a_short_mood_gets_the_mood_answer_only(engine: Engine) -> None:
    replies = await engine.handle(Inbound("test", "f3", text="em buồn lắm"))
    assert len(replies) == 1
    assert engine.catalog.text(T.FEELING_SAD) not in replies[0].text
