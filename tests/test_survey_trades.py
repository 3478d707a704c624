"""The survey's trades step (tradestep): three trades ticked before the step (the quiz's) say
so and offer "Xong"; typed text, whatever it is, never ticks more than the maximum."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.catalog import Catalog
from bot.catalog.text_keys import T
from bot.core.engine import Engine
from bot.core.flows.survey import KEY, PREFILL
from bot.core.memory import MemoryConversationStore
from bot.core.messages import ConversationKey, Inbound, Reply
from bot.matching.matcher import Matcher
from tests.conftest import FixedClock

USER = ConversationKey("test", "trades-student")
QUIZ_TICKS = ["han", "dien_cong_nghiep", "nau_an"]


async def say(engine: Engine, text: str | None = None, payload: str | None = None) -> list[Reply]:
    return await engine.handle(Inbound(USER.channel, USER.user_key, text=text, payload=payload))


async def at_trades(engine: Engine, ticks: list[str]) -> list[Reply]:
    """A grade 9 survey at its trades step, with these trades ticked by another flow."""
    assert isinstance(engine.store, MemoryConversationStore)
    async with engine.store.open(USER) as state:
        state.data[PREFILL] = {"trades": ticks}
    await say(engine, payload="sv:begin:lop9")
    return await say(engine, payload="sv:opt:trung_cap")


async def test_three_trades_ticked_before_the_step_say_it_is_full(
    catalog: Catalog, matcher: Matcher
) -> None:
    engine = Engine(catalog, matcher, MemoryConversationStore(), FixedClock())
    asked = (await at_trades(engine, QUIZ_TICKS))[-1]
    names = ", ".join(catalog.trades[t].name for t in QUIZ_TICKS)
    assert f"Đã chọn: {names}." in asked.text
    assert "đã chọn đủ 3 mục" in asked.text and "Chọn thêm" not in asked.text
    ticked = {b.payload for b in asked.buttons if b.label.startswith("✓")}
    assert ticked == {f"sv:opt:{t}" for t in QUIZ_TICKS}
    assert any(b.payload == "sv:done" for b in asked.buttons)
    # a typed 4th is refused by name; the 3 stay
    refused = await say(engine, text="cong nghe o to")
    assert "mình chưa chọn Công nghệ ô tô" in refused[0].text
    done = await say(engine, text="xong")
    assert "Câu 3/" in done[-1].text
    assert isinstance(engine.store, MemoryConversationStore)
    run = (await engine.store.load(USER)).data[KEY]
    assert run["answers"]["trades"] == QUIZ_TICKS


WORDS = st.sampled_from(
    ["han", "dien lanh", "o to", "nau an", "em chon them", "bo", "bỏ hàn", "va", ",", "1", "3",
     "4 5", "khong", "nghe", "du lich", "ke toan", "🙂", "xong", "  "]
)  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(said=st.lists(st.one_of(WORDS, st.text(max_size=30)), min_size=1, max_size=5))
def test_typed_text_never_ticks_past_the_maximum(
    catalog: Catalog, matcher: Matcher, said: list[str]
) -> None:
    async def play() -> None:
        engine = Engine(catalog, matcher, MemoryConversationStore(), FixedClock())
        await at_trades(engine, ["han"])
        for text in said:
            replies = await say(engine, text=text)
            assert replies and replies[0].text != catalog.text(T.ERROR)
            assert isinstance(engine.store, MemoryConversationStore)
            run = (await engine.store.load(USER)).data.get(KEY)
            if not isinstance(run, dict) or run.get("current") != "trades":
                return  # "xong", "hủy", "menu"…: the step was left by a command
            selection = run.get("selection") or []
            assert len(selection) <= 3 and set(selection) <= set(catalog.trades)
            assert len(set(selection)) == len(selection)

    asyncio.run(play())
