"""Property-based: any sequence of hostile actions gets Vietnamese replies and never an error.

Hypothesis drives Engine.handle with random text (any code point, surrogates and NUL included,
up to 16 KiB), payloads, shared details, media and button presses, often from inside a survey, and
checks every turn: replies, each in Vietnamese, none the apology for a crash, and no ERROR
record or traceback in the log.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from bot.catalog import Catalog
from bot.catalog.text_keys import T
from bot.core.engine import Engine
from bot.core.memory import MemoryConversationStore
from bot.core.messages import WITHHELD, Inbound, Reply, clean_input
from bot.matching.matcher import Matcher
from tests.conftest import FixedClock
from tests.hostile_core import ANY_CHAR, HOSTILE, HOSTILE_TEXT, SEVERAL_NUMBERS_ATTACK, forbidden
from tests.hostile_core import vietnamese as is_vietnamese

PAYLOADS = [
    "start", "home", "back", "thanks", "bye", "survey:start", "sv:begin:lop9", "sv:begin:lop12",
    "sv:resume", "sv:restart", "sv:skip", "sv:done", "sv:back", "sv:cancel", "sv:submit",
    "sv:yes", "sv:no", "sv:edit", "sv:opt:", "sv:opt:han", "sv:auto", "data:view",
    "data:withdraw", "data:delete", "delete_data", "menu:trades", "menu:policies",
    "trade:does_not_exist", "faq:", ":", "",
]  # fmt: skip
ANSWERS = [
    "hoc cao dang", "Đi làm", "4, 2", "1 và 3", "1", "2", "9", "xong", "bỏ qua", "Hàn",
    "Nguyễn Văn An", "0912345678", "lao cai", "Lào Cai", "có", "không", "hủy", "quay lại",
    "THPT Số 1, lớp 9A", "xã Tả Van", "đồng ý", SEVERAL_NUMBERS_ATTACK,
]  # fmt: skip


@dataclass(frozen=True)
class Act:
    """One user action: text, payload, shared details, or pressing the n-th button shown."""

    text: str | None = None
    payload: str | None = None
    shared: tuple[tuple[str, str], ...] = ()
    press: int | None = None
    media: str | None = None


ACTION = st.one_of(
    st.builds(Act, text=HOSTILE_TEXT),
    st.builds(Act, text=st.sampled_from(ANSWERS)),
    st.builds(Act, payload=st.sampled_from(PAYLOADS)),
    st.builds(Act, payload=HOSTILE_TEXT.map(lambda s: s[:64])),
    st.builds(
        Act,
        shared=st.lists(
            st.tuples(st.sampled_from(["name", "phone", "email", ""]), HOSTILE_TEXT), max_size=3
        ).map(tuple),
    ),
    st.builds(Act, press=st.integers(0, 12)),
    st.builds(Act, press=st.integers(0, 12)),  # presses twice as likely: they move surveys on
    st.builds(Act, media=st.sampled_from(["photo", "sticker", "voice", WITHHELD])),
)
OPENINGS = st.sampled_from(
    [
        [],
        [Act(payload="survey:start"), Act(press=0)],
        [Act(payload="survey:start"), Act(press=1)],
        [Act(text="khao sat"), Act(text="2"), Act(text="hoc cao dang")],  # at a several-choice
    ]
)


def _inbound(act: Act, last: list[Reply]) -> Inbound:
    if act.press is not None:
        shown = [b for r in last for b in r.buttons]
        if not shown:
            return Inbound("test", "hostile", payload="home")
        return Inbound("test", "hostile", payload=shown[act.press % len(shown)].payload)
    return Inbound(
        "test", "hostile", text=act.text, payload=act.payload, shared=act.shared, media=act.media
    )


async def _play(engine: Engine, actions: list[Act], crash_text: str) -> None:
    last: list[Reply] = []
    for number, act in enumerate(actions, start=1):
        inbound = _inbound(act, last)
        last = await engine.handle(inbound)
        where = f"action {number} ({inbound!r:.200})"
        assert last, f"{where}: no reply"
        for reply in last:
            assert reply.text.strip(), f"{where}: an empty reply"
            assert is_vietnamese(reply.text), f"{where}: not Vietnamese: {reply.text[:200]!r}"
            assert crash_text not in reply.text, f"{where}: the engine failed"
            assert not any(forbidden(ch) for ch in reply.text), f"{where}: forbidden code point"
    state = await engine.store.load(Inbound("test", "hostile").key)
    event("ended inside a survey" if engine.survey.active(state) else "ended outside a survey")


@HOSTILE
@given(opening=OPENINGS, actions=st.lists(ACTION, min_size=1, max_size=10))
def test_hostile_actions_get_vietnamese_replies(
    catalog: Catalog,
    matcher: Matcher,
    caplog: pytest.LogCaptureFixture,
    opening: list[Act],
    actions: list[Act],
) -> None:
    caplog.clear()
    engine = Engine(catalog, matcher, MemoryConversationStore(), FixedClock())
    with caplog.at_level(logging.INFO):
        asyncio.run(_play(engine, [*opening, *actions], catalog.text(T.ERROR)))
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not errors, [r.getMessage() for r in errors]
    assert "Traceback" not in caplog.text


@HOSTILE
@given(text=st.text(ANY_CHAR, max_size=200))
def test_inbound_keeps_no_forbidden_code_point(text: str) -> None:
    inbound = Inbound("test", "u", text=text, payload=text, shared=(("name", text),))
    for value in (inbound.text, inbound.payload, inbound.shared[0][1]):
        assert value is not None
        assert not any(forbidden(ch) for ch in value)
        assert value == "".join(ch for ch in text if not forbidden(ch))  # nothing else is lost
        assert clean_input(value) == value
