"""Engine behaviour: menus, navigation, numbered choices, bad input, per-user ordering."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from bot.catalog import Catalog
from bot.catalog.text_keys import T
from bot.core.engine import Engine
from bot.core.memory import MemoryConversationStore
from bot.core.messages import ConversationKey, Inbound
from bot.core.ports import ConversationState
from bot.matching.matcher import Matcher
from tests.conftest import FixedClock

USER = "u1"


def text_in(engine: Engine, key: str) -> str:
    return engine.catalog.text(key).split("{")[0][:30]


async def say(
    engine: Engine, text: str | None = None, payload: str | None = None, user: str = USER
) -> list:
    return await engine.handle(Inbound("test", user, text=text, payload=payload))


async def test_start_shows_greeting_and_main_menu(engine: Engine) -> None:
    replies = await say(engine, payload="start")
    assert len(replies) == 1
    assert replies[0].text == engine.catalog.text(T.GREETING)
    payloads = [b.payload for b in replies[0].buttons]
    assert payloads == [
        "menu:trades",
        "menu:policies",
        "el:start",  # eligibility check (issue 11)
        "menu:schools",
        "menu:events",
        "survey:start",
        # "menu:counsellor" only when a counsellors' group is linked (11_counsellor_handoff)
        "qz:start",  # quiz (issue 11)
        "faq:sau_lop_9_so_sanh",  # task directory: after grade 9, side by side
    ]


async def test_typed_greeting_and_slash_commands_open_menu(engine: Engine) -> None:
    for text in ("xin chào", "Chao", "/start", "/menu", "menu"):
        replies = await say(engine, text=text)
        assert [b.payload for b in replies[0].buttons][:2] == ["menu:trades", "menu:policies"]


async def test_drill_down_back_and_home(engine: Engine, catalog: Catalog) -> None:
    await say(engine, payload="start")
    sectors = await say(engine, payload="menu:trades")
    assert "sector:cong_nghiep" in [b.payload for b in sectors[0].buttons]
    trades = await say(engine, payload="sector:nong_nghiep")
    first = trades[0].buttons[0]
    assert first.payload.startswith("trade:")
    card = await say(engine, payload=first.payload)
    trade = catalog.trades[first.payload.split(":")[1]]
    assert trade.description in card[0].text
    back = await say(engine, payload="back")
    assert back[0].text == trades[0].text
    back2 = await say(engine, text="quay lại")
    assert back2[0].text == sectors[0].text
    home = await say(engine, payload="home")
    assert home[0].buttons[0].payload == "menu:trades"


async def test_numbered_choice_picks_that_button(engine: Engine) -> None:
    menu = await say(engine, payload="start")
    second = menu[0].buttons[1]
    picked = await say(engine, text="2")
    direct = await say(engine, payload=second.payload, user="other")
    assert picked[0].text == direct[0].text


async def test_typing_a_button_label_without_diacritics_picks_it(engine: Engine) -> None:
    await say(engine, payload="start")
    replies = await say(engine, text="cac nghe")
    assert replies[0].text == engine.catalog.text(T.TRADES_PROMPT)


async def test_number_out_of_range_keeps_the_choices(engine: Engine) -> None:
    menu = await say(engine, payload="start")
    replies = await say(engine, text="42")
    assert str(len(menu[0].buttons)) in replies[0].text
    assert replies[0].buttons == menu[0].buttons


async def test_a_number_beyond_a_single_choice_says_so_plainly(engine: Engine) -> None:
    await say(engine, payload="start")
    assert isinstance(engine.store, MemoryConversationStore)
    async with engine.store.open(ConversationKey("test", USER)) as state:
        state.buttons = state.buttons[:1]  # a screen with one choice
    replies = await say(engine, text="3")
    assert replies[0].text == engine.catalog.text(T.NUMBER_ONLY_ONE)
    assert "từ 1 đến 1" not in replies[0].text and len(replies[0].buttons) == 1


async def test_bad_inputs_get_clear_vietnamese_answers(engine: Engine) -> None:
    cat = engine.catalog
    assert (await say(engine, text=""))[0].text == cat.text(T.EMPTY)
    assert (await say(engine, text="   \n "))[0].text == cat.text(T.EMPTY)
    assert (await say(engine, text="😀🎉🔥"))[0].text == cat.text(T.NO_TEXT)
    huge = await say(engine, text="học phí " * 2000)
    assert huge[0].text == cat.text(T.TOO_LONG, limit=1000)
    html = await say(engine, text="<script>alert(1)</script>")
    assert "<script>" not in html[0].text
    formula = await say(engine, text='=HYPERLINK("http://evil","x")')
    assert formula[0].buttons  # answered with the menu, nothing echoed or executed
    assert "HYPERLINK" not in formula[0].text


async def test_unknown_or_forged_payload_is_answered_politely(engine: Engine) -> None:
    for payload in ("trade:khong_ton_tai", "xyz", "policy:", "faq:../../etc"):
        replies = await say(engine, payload=payload)
        assert replies[0].text == engine.catalog.text(T.UNKNOWN_BUTTON)
        assert replies[0].buttons


async def test_out_of_scope_question_gets_fallback_with_menu(engine: Engine) -> None:
    replies = await say(engine, text="giá vàng hôm nay bao nhiêu")
    assert replies[0].text == engine.catalog.text(T.FALLBACK)
    assert replies[0].buttons[0].payload == "menu:trades"


async def test_concurrent_messages_of_one_user_are_serialized_and_all_answered(
    catalog: Catalog, matcher: Matcher
) -> None:
    events: list[str] = []

    class SlowStore(MemoryConversationStore):
        @asynccontextmanager
        async def open(self, key: ConversationKey) -> AsyncIterator[ConversationState]:
            async with super().open(key) as state:
                events.append("open")
                await asyncio.sleep(0.01)  # a slow database: the next message arrives meanwhile
                yield state
                events.append("close")

    store = SlowStore()
    engine = Engine(catalog, matcher, store, FixedClock())
    results = await asyncio.gather(
        say(engine, payload="menu:trades"),
        say(engine, payload="menu:policies"),
        say(engine, payload="menu:events"),
    )
    assert all(r and r[0].buttons for r in results)
    assert events == ["open", "close"] * 3  # never two messages of one user at once
    state = await store.load(ConversationKey("test", USER))
    assert state.screens == ["menu:trades", "menu:policies", "menu:events"]


async def test_failure_inside_a_turn_answers_politely_and_keeps_state(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    await say(engine, payload="menu:trades")

    def boom(*_args: object) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(engine.menus, "screen", boom)
    replies = await say(engine, payload="menu:events")
    assert replies[0].text == engine.catalog.text(T.ERROR)
    monkeypatch.undo()
    assert isinstance(engine.store, MemoryConversationStore)
    state = await engine.store.load(ConversationKey("test", USER))
    assert state.screens == ["menu:trades"]


async def test_different_users_do_not_share_state(engine: Engine) -> None:
    await say(engine, payload="menu:trades", user="a")
    await say(engine, payload="menu:policies", user="b")
    back_a = await say(engine, payload="back", user="a")
    assert back_a[0].buttons[0].payload == "menu:trades"  # a had one screen: back goes home


def test_ask_matches_issue_example_and_names_decree(engine: Engine) -> None:
    result = engine.ask("hoc xong lop 9 hoc trung cap co mat hoc phi ko")
    assert result.matched and result.id == "faq:hp_thcs_trung_cap"
    assert "238/2025/NĐ-CP" in result.answer
    assert "miễn" in result.answer.lower()


def test_ask_does_not_match_gold_price(engine: Engine) -> None:
    result = engine.ask("giá vàng hôm nay")
    assert not result.matched and result.id is None
