"""Small talk (answers task, review3 C9/W9): thanks in extra words, a request to be called, the
same answer twice in a row; and the check's household step (W8)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.catalog import Catalog
from bot.core.engine import Engine
from bot.core.flows.answers import mood_only
from bot.core.flows.small_talk import asks_for_a_call, greeting_only, thanks_only
from bot.core.memory import MemoryConversationStore
from bot.core.messages import Inbound
from bot.matching.matcher import Matcher
from tests.conftest import FixedClock

USER = "st1"


async def say(engine: Engine, text: str | None = None, payload: str | None = None) -> str:
    replies = await engine.handle(Inbound("test", USER, text=text, payload=payload))
    return "\n".join(r.text for r in replies)


@pytest.mark.parametrize(
    "text", ["ok bro thanks", "thanks ad nha", "e cảm ơn bot nhiều ạ", "oke thank you so much"]
)
def test_thanks_in_a_few_words(text: str) -> None:
    assert thanks_only(text)


@pytest.mark.parametrize(
    "text",
    ["ko thanks", "thanks nhưng em chưa hiểu", "uk", "cảm ơn, học phí trung cấp bao nhiêu", "ok 2"],
)
def test_not_only_thanks(text: str) -> None:
    assert not thanks_only(text)


@pytest.mark.parametrize(
    "text",
    ["0912.345.678 goi cho e nhe", "0912345678", "+84 912 345 678 call me nha", "0912 345 678 ạ"],
)
def test_a_number_to_call(text: str) -> None:
    assert asks_for_a_call(text)


@pytest.mark.parametrize(
    "text", ["goi cho e nhe", "sdt 0912345678 hoc phi trung cap bao nhieu vay", "ma 12345"]
)
def test_not_a_number_to_call(text: str) -> None:
    assert not asks_for_a_call(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_hostile_text_never_raises(text: str) -> None:
    thanks_only(text)
    asks_for_a_call(text)


async def test_the_number_is_kept_nowhere(catalog: Catalog, matcher: Matcher) -> None:
    store = MemoryConversationStore()
    engine = Engine(catalog, matcher, store, FixedClock())
    text = await say(engine, "0987.654.321 goi lai cho chau voi")
    assert "không gọi điện được" in text
    state = await store.load(Inbound("test", USER, text="x").key)
    dumped = json.dumps(state.to_dict(), ensure_ascii=False)
    assert "654" not in dumped and "0987" not in dumped


async def test_same_answer_twice_then_whole_again(engine: Engine) -> None:
    first = await say(engine, "Thế còn GDTX thì sao ạ")
    assert "chủ yếu dạy chương trình văn hóa" in first
    second = await say(engine, "uk z e hoc gdtx dc ko")
    assert "Câu này mình vừa trả lời ở trên" in second
    assert "chủ yếu dạy chương trình văn hóa" not in second
    third = await say(engine, "uk z e hoc gdtx dc ko")  # asked on: the answer itself again
    assert "chủ yếu dạy chương trình văn hóa" in third


async def test_a_pressed_answer_then_the_same_question(engine: Engine) -> None:
    await say(engine, payload="faq:gdtx")
    again = await say(engine, "Thế còn GDTX thì sao ạ")
    assert "Câu này mình vừa trả lời ở trên" in again


async def test_another_question_after_an_answer_is_answered(engine: Engine) -> None:
    await say(engine, "Thế còn GDTX thì sao ạ")
    other = await say(engine, "hoc gdtx co bi coi thuong ko")
    assert "không có gì phải ngại" in other


async def test_household_step_says_what_applies_first(engine: Engine) -> None:
    await say(engine, "kiểm tra miễn giảm")
    for payload in ("el:opt:trung_cap", "el:opt:cong_lap", "el:opt:thcs"):
        await say(engine, payload=payload)
    text = await say(engine, "nha e ngheo nhung ko co so ho ngheo")
    applies = text.index("Người đã tốt nghiệp THCS học lên trung cấp được miễn học phí")
    side = text.index("hộ được UBND xã/phường nơi cư trú xác nhận")
    question = text.index("Gia đình bạn có thuộc một trong các hộ sau không?")
    assert applies < side < question


def test_a_greeting_with_whom_it_greets_is_a_greeting_and_a_question_is_not() -> None:
    for text in (
        "chao ad",
        "Xin chào, cho tôi hỏi một chút được không ạ?",
        "hello mn oi",
        "Hi bot",
        "helo mn oi e hoi ti dc ko",  # teencode "e" (em): tried in the chat after the reviewer
    ):
        assert greeting_only(text), text
    for text in ("chao ad, hoc phi bn", "chào buổi sáng, học nghề gì", "ad oi", "cho em hoi", ""):
        assert not greeting_only(text), text


def test_a_passing_mood_is_read_and_look_alike_words_are_not() -> None:
    for text in ("em buồn lắm", "buon qua", "chán quá đi", "e cô đơn lắm"):
        assert mood_only(text), text
    for text in ("chăn nuôi", "học buôn bán", "buồn ngủ quá", "chan dung nghe dien", ""):
        assert not mood_only(text), text
    assert not mood_only("em buồn vì điểm kém, học nghề nào thì có nhiều việc làm hơn ạ")  # long
