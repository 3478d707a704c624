"""Typed input at the survey's phone and school steps (surveyinput, review3 W2, W3, C1), under
hostile and varied input: a phone number in any grouping is one number; whatever is typed at
the school step, the list shown is what a number picks and nothing past the maximum is kept."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.catalog import Catalog
from bot.catalog.text_keys import T
from bot.core.engine import Engine
from bot.core.flows.survey import KEY
from bot.core.flows.survey_places import PLACE
from bot.core.memory import MemoryConversationStore
from bot.core.messages import ConversationKey, Inbound, Reply
from bot.matching.matcher import Matcher
from tests.conftest import FixedClock

USER = ConversationKey("test", "input-student")
TO_PHONE = ["khao sat lop 12", "4", "xong", "1", "xong", "Long An", "1", "bo qua", "1",
            "Le Hoang Nam", "12a5 thpt le quy don"]  # fmt: skip
DIGITS = "0971234567"


async def say(engine: Engine, text: str | None = None, payload: str | None = None) -> list[Reply]:
    return await engine.handle(Inbound(USER.channel, USER.user_key, text=text, payload=payload))


async def run_of(engine: Engine) -> dict[str, Any]:
    assert isinstance(engine.store, MemoryConversationStore)
    run = (await engine.store.load(USER)).data.get(KEY)
    return run if isinstance(run, dict) else {}


@st.composite
def grouped(draw: st.DrawFn) -> str:
    """DIGITS cut into groups of 1-4 digits, joined by spaces, dots or dashes."""
    parts: list[str] = []
    rest = DIGITS
    while rest:
        size = draw(st.integers(min_value=1, max_value=min(4, len(rest))))
        parts.append(rest[:size])
        rest = rest[size:]
    joiners = draw(st.lists(st.sampled_from([" ", ".", "-", "  "]), min_size=len(parts)))
    return "".join(p + (joiners[i] if i < len(parts) - 1 else "") for i, p in enumerate(parts))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(typed=grouped())
@example(typed="0 97 1 2.3 4 5 6.7")  # the care model alone once read it as distress
def test_a_phone_number_in_any_grouping_is_one_number(
    catalog: Catalog, matcher: Matcher, typed: str
) -> None:
    async def play() -> None:
        engine = Engine(catalog, matcher, MemoryConversationStore(), FixedClock())
        for text in TO_PHONE:
            await say(engine, text=text)
        assert (await run_of(engine))["current"] == "phone"
        replies = await say(engine, text=typed)
        text = "\n".join(r.text for r in replies)
        assert "lựa chọn" not in text, (typed, text)
        assert (await run_of(engine))["answers"]["phone"] == "+84971234567", typed

    asyncio.run(play())


WORDS = st.sampled_from(
    ["binh duong", "em o nam dinh", "ha giang", "tp hcm", "long an", "1", "2", "3 4", "99",
     "doi y", "thoi e doi y, hoc trung cap", "hoc cao dang", "bo", "Xem tất cả trường",
     "cao dang y te binh duong", "truong phu hop", "quay lai", "🙂", "  ", "binh duong ha noi"]
)  # fmt: skip


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(said=st.lists(st.one_of(WORDS, st.text(max_size=30)), min_size=1, max_size=6))
def test_the_school_list_shown_is_what_a_number_picks(
    catalog: Catalog, matcher: Matcher, said: list[str]
) -> None:
    async def play() -> None:
        engine = Engine(catalog, matcher, MemoryConversationStore(), FixedClock())
        for text in ["khao sat lop 12", "2", "xong"]:
            await say(engine, text=text)
        assert (await run_of(engine))["current"] == "schools"
        for text in said:
            replies = await say(engine, text=text)
            assert replies and replies[0].text != catalog.text(T.ERROR)
            run = await run_of(engine)
            if run.get("current") != "schools" or not run.get("active"):
                return  # answered, left, or a change of mind: other questions' tests
            selection = run.get("selection") or []
            assert len(selection) <= 3 and len(set(selection)) == len(selection)
            shown = [b.payload.removeprefix("sv:opt:") for b in replies[-1].buttons]
            schools = [s for s in shown if s in catalog.schools]
            place = run.get(PLACE)
            asked = any(
                b.payload == "sv:auto" or b.payload == "sv:done" for b in replies[-1].buttons
            )
            if isinstance(place, dict) and asked:  # a place typed: only its schools are listed
                assert schools and all(
                    catalog.schools[s].province == place["province"] for s in schools
                )
            # "2" picks the second button shown: the run is changed only by what it toggles
            before = copy.deepcopy(selection)
            if len(replies[-1].buttons) >= 2 and replies[-1].buttons[1].payload.startswith(
                "sv:opt:"
            ):
                await say(engine, text="2")
                ident = replies[-1].buttons[1].payload.removeprefix("sv:opt:")
                after = (await run_of(engine)).get("selection") or []
                assert (ident in after) != (ident in before) or len(before) >= 3

    asyncio.run(play())
