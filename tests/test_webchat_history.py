"""The web chat's kept turns (GET /api/chat/history), cards and button roles, on the real app."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.catalog import Catalog
from bot.core.engine import Engine
from bot.core.history import MAX_CHARS, MAX_ENTRIES, RecordingEngine, _trim, turns
from bot.core.memory import MemoryConversationStore
from bot.core.messages import ConversationKey, Inbound
from bot.matching.matcher import Matcher
from bot.storage.conversations import SqlConversationStore
from bot.storage.db import make_engine
from tests.conftest import FixedClock

SESSION = "history-session-01"
TUITION = "hoc xong lop 9 hoc trung cap co mat hoc phi ko"


@pytest.fixture
def engine(catalog: Catalog, matcher: Matcher) -> Engine:
    """What `serve` runs: an engine that keeps the web chat's turns (here in memory)."""
    return RecordingEngine(
        catalog, matcher, MemoryConversationStore(), FixedClock(), channels=("web",)
    )


async def chat(server: TestServer, session: str = SESSION, **body: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http:
        resp = await http.post(server.make_url("/api/chat"), json={"session": session, **body})
        assert resp.status == 200
        data: dict[str, Any] = await resp.json()
        return data


async def history(server: TestServer, session: str = SESSION) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http:
        resp = await http.get(server.make_url("/api/chat/history"), params={"session": session})
        return resp.status, await resp.json()


async def test_a_reloaded_page_gets_both_sides_and_only_the_last_buttons(
    server: TestServer,
) -> None:
    greeting = await chat(server, payload="start")
    menu = greeting["replies"][-1]["buttons"]
    answer = await chat(server, text=TUITION)
    pressed = await chat(server, payload=menu[0]["payload"])  # a button of an earlier message
    status, data = await history(server)
    assert status == 200
    got = data["turns"]
    # the greeting (no echo: nobody typed "start"), the question, its answer, then the button
    # as the page echoed it (its label) and what it opened
    assert [t["who"] for t in got] == ["bot", "me", "bot", "me", "bot"]
    assert got[0]["text"] == greeting["replies"][0]["text"]
    assert got[1]["text"] == TUITION
    assert got[2]["text"] == answer["replies"][0]["text"]
    assert got[3]["text"] == menu[0]["label"]
    assert got[4]["text"] == pressed["replies"][-1]["text"]
    # stale buttons are not kept; the last reply's are, as /api/chat gave them
    assert [t.get("buttons") for t in got[:4] if t["who"] == "bot"] == [[], []]
    assert got[4]["buttons"] == pressed["replies"][-1]["buttons"]
    assert got[2]["card"] == answer["replies"][0]["card"]


async def test_an_answer_is_a_card_with_its_source_apart(server: TestServer) -> None:
    reply = (await chat(server, text=TUITION))["replies"][0]
    card = reply["card"]
    assert card["title"].endswith("?")  # the question the answer is for
    assert "238/2025/NĐ-CP" in card["source"] and not card["source"].startswith("📄")
    assert "238/2025/NĐ-CP" not in card["body"] or "Căn cứ" not in card["body"]
    assert "📄 Căn cứ:" not in card["body"]
    # the contract is unchanged: "text" is still the whole message, source included
    assert "📄 Căn cứ:" in reply["text"] and card["body"] in reply["text"]
    plain = (await chat(server, payload="start"))["replies"][0]
    assert "card" not in plain  # the menu is a message, not a card


async def test_survey_summary_has_roles_and_one_edit_button(server: TestServer) -> None:
    await chat(server, text="khao sat")
    steps = ["1", "trung cap", "bo qua", "bo qua", "Tây Ninh"]
    counters = []
    for text in steps:
        replies = (await chat(server, text=text))["replies"]
        counters += [r["text"].split(" ", 2)[:2] for r in replies if r["text"].startswith("Câu ")]
    last = (await chat(server, text="bo qua"))["replies"][-1]  # no commune: the summary
    assert "Bạn kiểm tra lại" in last["text"]
    assert [(b["label"], b.get("role")) for b in last["buttons"]] == [
        ("✅ Gửi", "primary"),
        ("✏ Sửa", None),
        ("✖ Hủy khảo sát", "destructive"),
    ]
    # no school chosen, so no contact questions: the counter said so from the start
    assert [c[1] for c in counters] == ["1/5.", "2/5.", "3/5.", "4/5.", "5/5."]
    edits = (await chat(server, payload="sv:edits"))["replies"][-1]
    labels = [b["label"] for b in edits["buttons"]]
    assert "✏ Sửa: Dự định" in labels and labels[-1] == "↩ Quay lại bản tóm tắt"
    back = (await chat(server, payload="sv:resume"))["replies"][-1]
    assert "Bạn kiểm tra lại" in back["text"]


async def test_personal_details_never_enter_the_history(server: TestServer) -> None:
    await chat(server, text="khao sat")
    for text in ["2", "dai hoc"]:  # grade 12: no parent needed
        await chat(server, text=text)
    schools = (await chat(server, text="bo qua"))["replies"][-1]["buttons"]  # no trade
    school = next(b for b in schools if b["payload"].startswith("sv:opt:"))
    await chat(server, payload=school["payload"])
    await chat(server, payload="sv:done")
    for text in ["Tây Ninh", "bo qua", "dong y", "Trần Thị Bình", "THPT Lê Lợi, lớp 12A"]:
        await chat(server, text=text)
    summary = (await chat(server, text="0912 345 678"))["replies"][-1]
    assert "Trần Thị Bình" in summary["text"] and "0912 345 678" in summary["text"]
    await chat(server, text="tôi tên Trần Thị Bình, số 0912345678")  # typed at the summary
    _, data = await history(server)
    kept = repr(data)
    for secret in ("Trần Thị Bình", "0912 345 678", "0912345678", "Lê Lợi, lớp 12A"):
        assert secret not in kept
    assert "🔒" in kept
    # what is not personal is kept as it was (a recent turn: the school list with the whole
    # directory is long, and the history keeps the last 4,000 characters)
    assert any(t["text"] == "Tây Ninh" for t in data["turns"])


async def test_a_phone_number_typed_anywhere_is_not_kept(server: TestServer) -> None:
    await chat(server, text="em muốn được tư vấn, sđt em 0912.345.678 nhé")
    _, data = await history(server)
    mine = data["turns"][0]
    assert mine["who"] == "me" and "345" not in mine["text"]
    assert mine["text"].startswith("em muốn được tư vấn, sđt em ***78")


async def test_bad_or_unknown_sessions(server: TestServer) -> None:
    for bad in ["short", "<script>", "a" * 65, ""]:
        status, data = await history(server, bad)
        assert status == 400 and data["error"][0].isupper()
    status, data = await history(server, "never-seen-session")
    assert status == 200 and data == {"turns": []}


async def test_other_channels_keep_no_history(engine: Engine) -> None:
    await engine.handle(Inbound("telegram", "tg-1", text=TUITION))
    assert isinstance(engine.store, MemoryConversationStore)
    state = await engine.store.load(ConversationKey("telegram", "tg-1"))
    assert turns(state) == [] and state.screens  # the conversation itself is kept


async def test_history_is_stored_and_deleted_with_the_conversation(
    catalog: Catalog, matcher: Matcher, database_url: str
) -> None:
    db = make_engine(database_url)
    try:
        store = SqlConversationStore(db)
        bot = RecordingEngine(catalog, matcher, store, FixedClock(), channels=("web",))
        key = ConversationKey("web", SESSION)
        await bot.handle(Inbound("web", SESSION, payload="start"))
        await bot.handle(Inbound("web", SESSION, text=TUITION))
        assert [t["who"] for t in turns(await store.load(key))] == ["bot", "me", "bot"]
        await bot.handle(Inbound("web", SESSION, text="xóa dữ liệu của tôi"))
        await bot.handle(Inbound("web", SESSION, payload="data:delete"))
        assert turns(await store.load(key)) == []
    finally:
        await db.dispose()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=MAX_CHARS // 3), min_size=1, max_size=3 * MAX_ENTRIES))
def test_kept_turns_stay_within_bounds(texts: list[str]) -> None:
    entries = [{"who": "me", "text": t} for t in texts]
    kept = _trim(entries)
    assert kept and kept[-1] is entries[-1]  # the newest is always kept
    assert len(kept) <= MAX_ENTRIES
    assert len(kept) == 1 or sum(len(e["text"]) for e in kept) <= MAX_CHARS
    assert kept == entries[len(entries) - len(kept) :]  # the newest ones, in order
