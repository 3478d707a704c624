"""Issue 11, first "done when": through POST /api/chat a student who likes hands-on, mechanical
things is offered mechanical or electrical trades and schools in their province, and the survey
that follows has those trades ticked."""

from __future__ import annotations

from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from bot.catalog import Catalog
from bot.channels.webchat import CHANNEL
from bot.core.engine import Engine
from bot.core.memory import MemoryConversationStore
from bot.core.messages import ConversationKey

SESSION = "quiz-hands-on-0001"
MECHANICAL_OR_ELECTRICAL = {
    "co_khi_che_tao",
    "cat_got_kim_loai",
    "han",
    "co_dien_tu",
    "dien_cong_nghiep",
    "dien_dan_dung",
    "dien_tu_cong_nghiep",
    "cong_nghe_o_to",
    "dien_lanh",
}


async def chat(
    http: aiohttp.ClientSession, server: TestServer, **body: str
) -> list[dict[str, Any]]:
    resp = await http.post(server.make_url("/api/chat"), json={"session": SESSION, **body})
    assert resp.status == 200
    replies: list[dict[str, Any]] = (await resp.json())["replies"]
    return replies


def press(replies: list[dict[str, Any]], label: str) -> str:
    """The payload of the offered button with this label."""
    offered = {b["label"]: b["payload"] for r in replies for b in r["buttons"]}
    assert label in offered, f"no button {label!r} in {list(offered)}"
    return offered[label]


async def test_hands_on_student_gets_mechanical_trades_schools_and_a_ticked_survey(
    server: TestServer, catalog: Catalog, engine: Engine
) -> None:
    assert catalog.quiz is not None
    async with aiohttp.ClientSession() as http:
        replies = await chat(http, server, payload="start")
        replies = await chat(
            http, server, payload=press(replies, "Trắc nghiệm sở thích nghề nghiệp")
        )
        for item in catalog.quiz.items:
            # hands-on things liked (by button), curiosity unsure (typed), the rest not liked
            if item.type == "R":
                replies = await chat(http, server, payload=press(replies, "Thích"))
            elif item.type == "I":
                replies = await chat(http, server, text="ko chắc")
            else:
                replies = await chat(http, server, text="3")
        replies = await chat(http, server, text="Tây Ninh")
        text = "\n".join(r["text"] for r in replies)
        assert "Kỹ thuật (R)" in text
        shown = [t for t in catalog.trades.values() if f"• {t.name}:" in text]
        assert shown and {t.id for t in shown[:3]} <= MECHANICAL_OR_ELECTRICAL
        levels = ", ".join(catalog.levels[lv].name.lower() for lv in shown[0].levels)
        assert f"• {shown[0].name}: {levels}" in text  # each trade with its levels
        local = [s for s in catalog.schools.values() if s.province == "tay_ninh"]
        assert local and all(s.name in text for s in local)  # the schools in Tây Ninh
        assert not [
            s for s in catalog.schools.values() if s.province != "tay_ninh" and s.name in text
        ]

        replies = await chat(http, server, payload=press(replies, "Khảo sát nguyện vọng"))
        replies = await chat(http, server, payload=press(replies, "Khảo sát nguyện vọng sau lớp 9"))
        replies = await chat(http, server, payload=press(replies, "Học trung cấp"))
        ticked = [b["label"] for r in replies for b in r["buttons"] if b["label"].startswith("✓")]
        assert ticked == [f"✓ {t.name}" for t in shown[:3]]
        await chat(http, server, payload=press(replies, "✔ Xong"))

    assert isinstance(engine.store, MemoryConversationStore)
    state = await engine.store.load(ConversationKey(CHANNEL, SESSION))
    assert state.data["survey"]["answers"]["trades"] == [t.id for t in shown[:3]]
