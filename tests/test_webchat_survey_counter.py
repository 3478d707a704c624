"""The survey's progress counter never jumps, whatever path a student takes (issue 11).

"Câu 3/9" followed by "Câu 4/5" happened when a student chose no school: one counter ran over
the questions and the contact details that only follow a chosen school and consent. Now the
questions have their counter and the contact details theirs; on any forward path each total
stays the same and each number moves on by one at most.
"""

from __future__ import annotations

import asyncio
import random
import re
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.catalog import Catalog
from bot.core.engine import Engine
from bot.core.memory import MemoryConversationStore
from bot.core.messages import Inbound, Reply
from bot.matching.matcher import Matcher
from tests.conftest import FixedClock

COUNTER = re.compile(r"^(Câu|Thông tin liên hệ) (\d+)/(\d+)\.")
ANSWER_BUTTONS = ("sv:opt:", "sv:done", "sv:skip", "sv:yes", "sv:no", "sv:auto")
# what a student types where a question has no buttons to answer it (by words in the prompt)
TYPED = [
    ("tỉnh, thành phố", ["Tây Ninh", "Lào Cai", "Long An", "Hưng Yên"]),
    ("Họ và tên", ["Nguyễn Văn An"]),
    ("lớp mấy", ["Trường Lê Lợi, lớp 9A"]),
    ("phụ huynh", ["0987654321"]),
    ("Số điện thoại", ["0912345678"]),
    ("xã, phường", ["Phường Tân An"]),
]


async def walk(engine: Engine, rnd: random.Random, grade: str) -> list[tuple[str, int, int]]:
    """Answer a survey forward at random (never "back"); the counters seen, in order."""
    seen: list[tuple[str, int, int]] = []
    replies: list[Reply] = await engine.handle(Inbound("web", "walker", payload=grade))
    for _ in range(60):
        last = replies[-1]
        found = COUNTER.match(last.text)
        if found:
            seen.append((found[1], int(found[2]), int(found[3])))
        if "Bạn kiểm tra lại" in last.text:
            break
        choices = [b for b in last.buttons if b.payload.startswith(ANSWER_BUTTONS)]
        typed = next((opts for key, opts in TYPED if key in last.text), None)
        if typed is not None and (not choices or rnd.random() < 0.5):
            inbound = Inbound("web", "walker", text=rnd.choice(typed))
        else:
            assert choices, last.text
            inbound = Inbound("web", "walker", payload=rnd.choice(choices).payload)
        replies = await engine.handle(inbound)
    return seen


def steady(seen: list[tuple[str, int, int]]) -> None:
    for section in ("Câu", "Thông tin liên hệ"):
        mine = [(n, total) for name, n, total in seen if name == section]
        assert len({total for _, total in mine}) <= 1, f"{section}: the total changed: {mine}"
        steps = [b[0] - a[0] for a, b in pairwise(mine)]
        assert all(step in (0, 1) for step in steps), f"{section}: jumped: {mine}"
        assert all(1 <= n <= total for n, total in mine), mine


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), grade=st.sampled_from(["sv:begin:lop9", "sv:begin:lop12"]))
def test_counters_never_jump(catalog: Catalog, matcher: Matcher, seed: int, grade: str) -> None:
    engine = Engine(catalog, matcher, MemoryConversationStore(), FixedClock())
    seen = asyncio.run(walk(engine, random.Random(seed), grade))
    assert seen and seen[0][:2] == ("Câu", 1)
    steady(seen)


def test_the_reported_path_no_school(catalog: Catalog, matcher: Matcher) -> None:
    """Skipping trades and schools: Câu 1/5 … 5/5 (it was "Câu 3/9" then "Câu 4/5")."""

    async def run() -> list[str]:
        engine = Engine(catalog, matcher, MemoryConversationStore(), FixedClock())
        shown: list[str] = []
        for act in ["sv:begin:lop9", "sv:opt:trung_cap", "sv:skip", "sv:skip"]:
            replies = await engine.handle(Inbound("web", "u", payload=act))
            shown.append(replies[-1].text.split(" ", 2)[1])
        replies = await engine.handle(Inbound("web", "u", text="Tây Ninh"))
        shown.append(replies[-1].text.split(" ", 2)[1])
        return shown

    assert asyncio.run(run()) == ["1/5.", "2/5.", "3/5.", "4/5.", "5/5."]


def test_a_walk_that_shares_details_counts_them_apart(catalog: Catalog, matcher: Matcher) -> None:
    rnd = random.Random(7)
    for _ in range(30):  # some walk reaches the contact details
        engine = Engine(catalog, matcher, MemoryConversationStore(), FixedClock())
        seen = asyncio.run(walk(engine, rnd, "sv:begin:lop9"))
        steady(seen)
        contact = [s for s in seen if s[0] == "Thông tin liên hệ"]
        if contact:
            assert contact[0][1:] == (1, 4) and contact[-1][1:] == (4, 4)
            return
    raise AssertionError("no walk reached the contact details")
