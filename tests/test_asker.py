"""Who writes: a parent who says so (bot/core/asker.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core import asker
from bot.core.engine import Engine
from bot.core.messages import Inbound
from bot.core.ports import ConversationState


@pytest.mark.parametrize(
    "text",
    [
        "Tôi là phụ huynh của cháu Minh, cháu học xong lớp 9",
        "con toi hoc luc trung binh, chau nen hoc gi a",
        "Con gái tôi năm nay vào lớp 10",
        "chau nha minh muon hoc nghe dien",
        "Tôi là mẹ của cháu, tôi làm khảo sát giúp cháu được không ạ?",
    ],
)
def test_a_parent_is_heard(text: str) -> None:
    assert asker.writes_as_parent(text)


@pytest.mark.parametrize(
    "text",
    [
        "con muốn học nghề điện mà bố mẹ không cho",  # a child speaking of itself as "con"
        "phụ huynh có cần đồng ý không",  # a student asking about parents
        "e hoc xong lop 9 roi",
        "bố mẹ em bảo em đi học nghề",
        "",
    ],
)
def test_a_student_is_not_taken_for_a_parent(text: str) -> None:
    assert not asker.writes_as_parent(text)


def test_the_note_is_due_once() -> None:
    state = ConversationState()
    assert not asker.heard(state, "hoc phi bao nhieu")
    assert asker.heard(state, "con tôi học trung cấp có mất học phí không")
    assert not asker.heard(state, "con tôi học cao đẳng thì sao")  # known already
    assert asker.is_parent(state)
    assert asker.note_due(state) and not asker.note_due(state)


@given(st.text(max_size=400))
def test_any_text_is_read_without_error(text: str) -> None:
    assert asker.writes_as_parent(text) in (True, False)


async def test_a_student_keeps_the_familiar_register(engine: Engine) -> None:
    replies = await engine.handle(Inbound("test", "student", text="gia vang hom nay"))
    assert "anh/chị" not in replies[-1].text and "Bạn thử hỏi khác đi" in replies[-1].text
