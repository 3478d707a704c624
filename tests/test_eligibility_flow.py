"""The eligibility check through the engine (and POST /api/chat): the menu entry, buttons and
typed answers, a question that states circumstances, back, pause and resume, hostile input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.catalog import Catalog
from bot.catalog.check import check_directory
from bot.catalog.text_keys import T
from bot.core.engine import Engine
from bot.core.memory import MemoryConversationStore
from bot.core.messages import Inbound, Reply
from bot.matching.matcher import Matcher
from tests.conftest import FixedClock, edit_yaml

LIET_SI = "con tôi là con liệt sĩ, học trung cấp có được miễn học phí không"  # eligfix2: a case


class Chat:
    """One user talking to a fresh engine."""

    def __init__(self, catalog: Catalog, matcher: Matcher, user: str = "u1") -> None:
        self.engine = Engine(catalog, matcher, MemoryConversationStore(), FixedClock())
        self.user = user
        self.last: list[Reply] = []

    async def send(self, text: str | None = None, payload: str | None = None) -> str:
        inbound = Inbound("test", self.user, text=text, payload=payload)
        self.last = await self.engine.handle(inbound)
        return "\n".join(r.text for r in self.last)

    def labels(self) -> list[str]:
        return [b.label for r in self.last for b in r.buttons]

    async def press(self, label: str) -> str:
        payloads = {b.label: b.payload for r in self.last for b in r.buttons}
        assert label in payloads, f"no {label!r} in {list(payloads)}"
        return await self.send(payload=payloads[label])


async def test_direct_answer_and_the_checks_own_path_both_say_exempt(
    catalog: Catalog, matcher: Matcher
) -> None:
    chat = Chat(catalog, matcher)
    direct = await chat.send(LIET_SI)
    for text in (direct,):
        assert "✅ Được miễn học phí" in text
        assert "Nghị định 238/2025/NĐ-CP ngày 03/9/2025, Điều 15" in text
    assert "🔎 Kiểm tra đầy đủ" in chat.labels()

    path = Chat(catalog, matcher, "u2")
    await path.send(payload="start")
    first = await path.press(catalog.text(T.ELIG_MENU))
    assert "Câu 1/6." in first
    await path.press("Trung cấp")
    await path.press("Công lập")
    await path.press("Tốt nghiệp THPT (lớp 12)")
    await path.press("Không thuộc các hộ trên")
    await path.press("Con liệt sĩ")
    await path.press("✔ Xong")
    result = await path.send("Cần Thơ")
    assert "KẾT QUẢ KIỂM TRA MIỄN, GIẢM HỌC PHÍ" in result
    assert "✅ Được miễn học phí" in result
    assert "Nghị định 238/2025/NĐ-CP ngày 03/9/2025, Điều 15" in result
    assert "Giấy xác nhận là người có công" in result
    assert "Chính sách riêng của Cần Thơ" in result
    state = await path.engine.store.load(Inbound("test", "u2", text="x").key)
    assert "eligibility" not in state.data  # answered: the family's circumstances are not kept


async def test_full_check_from_a_direct_answer_keeps_what_was_said(
    catalog: Catalog, matcher: Matcher
) -> None:
    chat = Chat(catalog, matcher)
    await chat.send(LIET_SI)
    question = await chat.press("🔎 Kiểm tra đầy đủ")
    assert "Câu 1/5." in question  # the level was said: five questions left
    assert "công lập hay tư thục" in question
    await chat.send("1")
    await chat.send("1")  # THCS
    circumstances = await chat.send("2")  # near-poor
    assert "Đã chọn: Con liệt sĩ" in circumstances  # what was said is ticked, more may be
    await chat.send("4")  # and an ethnic minority
    await chat.press("✔ Xong")
    result = await chat.press("Bỏ qua")
    assert "Con liệt sĩ · Người dân tộc thiểu số" in result
    assert result.count("Điều 15") >= 3  # THCS, martyr's child, ethnic minority near-poor
    assert "4.000.000 đồng mỗi tháng" in result
    assert "bạn chưa cho biết tỉnh" in result


async def test_a_question_without_certainty_starts_the_check_with_what_it_knows(
    catalog: Catalog, matcher: Matcher
) -> None:
    chat = Chat(catalog, matcher)
    text = await chat.send("nha e ho ngheo hoc cao dang co dc giam hoc phi ko")
    assert "Mình đã ghi nhận: Cao đẳng · Hộ nghèo" in text
    assert "Câu 1/4." in text and "công lập hay tư thục" in text
    await chat.press("Công lập")
    await chat.press("Tốt nghiệp THPT (lớp 12)")
    await chat.press("Không có trường hợp nào")
    result = await chat.send("ở Tây Ninh")
    assert "✅ Được miễn học phí" not in result  # poor, but not of an ethnic minority
    assert "chưa thuộc nhóm được miễn theo Nghị định 238/2025/NĐ-CP (Điều 15)" in result
    assert "✅ Vay vốn đi học" in result
    assert "⌛ Đã hết thời gian áp dụng" in result  # Long An's resolution, now Tây Ninh


async def test_questions_without_a_circumstance_keep_their_answers(
    catalog: Catalog, matcher: Matcher
) -> None:
    chat = Chat(catalog, matcher)
    text = await chat.send(
        "Cho tôi hỏi con tôi học xong lớp 9, vào học trung cấp có được miễn học phí không?"
    )
    assert "Mình đã ghi nhận" not in text and "Câu 1/" not in text
    assert "Nghị định 238/2025/NĐ-CP" in text
    state = await chat.engine.store.load(Inbound("test", "u1", text="x").key)
    assert "eligibility" not in state.data


async def test_back_pause_resume_and_cancel(catalog: Catalog, matcher: Matcher) -> None:
    chat = Chat(catalog, matcher)
    await chat.send(payload="el:start")
    await chat.press("Cao đẳng")
    second = await chat.press("Tư thục")
    assert "Câu 3/6." in second
    again = await chat.press("⬅ Quay lại")
    assert "Câu 2/6." in again
    await chat.press("Công lập")
    home = await chat.send("menu")
    assert home
    assert catalog.text(T.ELIG_CONTINUE) in chat.labels()
    resumed = await chat.press(catalog.text(T.ELIG_CONTINUE))
    assert "Câu 3/6." in resumed
    stopped = await chat.press(catalog.text(T.ELIG_CANCEL))
    assert stopped == catalog.text(T.ELIG_CANCELLED)
    stale = await chat.send(payload="el:opt:cong_lap")
    assert stale == catalog.text(T.ELIG_STALE)


async def test_a_province_nobody_knows_is_asked_again(catalog: Catalog, matcher: Matcher) -> None:
    chat = Chat(catalog, matcher)
    await chat.send(payload="el:start")
    for label in ("Trung cấp", "Công lập", "Tốt nghiệp THCS (lớp 9)", "Chưa biết"):
        await chat.press(label)
    await chat.press("Không có trường hợp nào")
    text = await chat.send("Atlantis")
    assert catalog.text(T.ELIG_PROVINCE_UNKNOWN) in text
    assert "Bỏ qua" in chat.labels()
    result = await chat.send("lào cai")
    assert "Chính sách riêng của Lào Cai" in result
    assert "UBND xã/phường nơi cư trú xác nhận hộ nghèo" in result  # the "Chưa biết" note


async def test_care_comes_first_inside_the_check(catalog: Catalog, matcher: Matcher) -> None:
    chat = Chat(catalog, matcher)
    await chat.send(payload="el:start")
    text = await chat.send("em muốn chết")
    assert "Câu" not in text
    assert "el:resume" in [b.payload for r in chat.last for b in r.buttons]
    resumed = await chat.send(payload="el:resume")
    assert "Câu 1/6." in resumed


PAYLOADS = st.one_of(
    st.sampled_from(
        ["el:start", "el:done", "el:skip", "el:back", "el:cancel", "el:full", "el:resume"]
    ),
    st.builds(lambda s: f"el:opt:{s}", st.text(max_size=30)),
    st.builds(lambda s: f"el:ask:{s}", st.text(max_size=80)),
    st.builds(lambda s: f"el:{s}", st.text(max_size=40)),
)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.one_of(PAYLOADS, st.text(max_size=60)), min_size=1, max_size=8))
def test_hostile_input_never_breaks_the_check(
    catalog: Catalog, matcher: Matcher, actions: list[str]
) -> None:
    import asyncio

    async def run() -> None:
        chat = Chat(catalog, matcher)
        await chat.send(payload="el:start")
        for action in actions:
            if action.startswith("el:"):
                text = await chat.send(payload=action)
            else:
                text = await chat.send(action)
            assert text
            assert catalog.text(T.ERROR) not in text

    asyncio.run(run())


async def _post(server: TestServer, body: dict[str, Any]) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http:
        resp = await http.post(server.make_url("/api/chat"), json=body)
        assert resp.status == 200
        data: dict[str, Any] = await resp.json()
        return data


async def test_through_the_web_chat(server: TestServer, catalog: Catalog) -> None:
    session = "eligibility-web-0001"
    data = await _post(server, {"session": session, "text": LIET_SI})
    text = data["replies"][-1]["text"]
    assert "✅ Được miễn học phí" in text and "Điều 15" in text
    data = await _post(server, {"session": session, "payload": "start"})
    labels = {b["label"]: b["payload"] for b in data["replies"][-1]["buttons"]}
    payload = labels[catalog.text(T.ELIG_MENU)]
    data = await _post(server, {"session": session, "payload": payload})
    assert "Câu 1/6." in data["replies"][-1]["text"]


async def test_a_loan_detail_is_answered_not_asked_about(
    catalog: Catalog, matcher: Matcher
) -> None:
    # a reviewer's parent asked how much, at what interest, when to repay: three questions of the
    # check later came the figure; the loan's own answers come first (detector.answer_first)
    chat = Chat(catalog, matcher)
    text = await chat.send(
        "Chào em, chị ở Lai Châu, nhà chị thuộc hộ cận nghèo, con chị sắp học cao đẳng. Chị"
        " muốn hỏi vay vốn tối đa được bao nhiêu một tháng, lãi suất bao nhiêu và bao giờ"
        " phải trả?"
    )
    assert "Mình đã ghi nhận" not in text and "Câu 1/" not in text
    assert "Học nghề được vay vốn tối đa bao nhiêu?" in chat.labels()
    answer = await chat.press("Học nghề được vay vốn tối đa bao nhiêu?")
    assert "4.000.000" in answer
    # whether the family may borrow at all is still the check's question
    text = await Chat(catalog, matcher, "u2").send("nha e ho ngheo thi co dc vay von ko")
    assert "Mình đã ghi nhận: Hộ nghèo" in text


def test_answer_first_names_known_answers(content_copy: Path) -> None:
    edit_yaml(
        content_copy / "eligibility.yaml",
        lambda d: d["detector"]["answer_first"].append("khong_co_dau"),
    )
    problems = [str(p) for p in check_directory(content_copy)]
    assert any("answer_first" in p and "khong_co_dau" in p for p in problems), problems


async def test_where_to_get_the_papers_is_answered_not_asked_about(
    catalog: Catalog, matcher: Matcher
) -> None:
    # a reviewer's parent asked where to get the hộ nghèo certificate for the school and got the
    # check's first question; the papers' own answer comes first (detector.answer_first)
    text = await Chat(catalog, matcher).send(
        "Cho tôi hỏi giấy chứng nhận hộ nghèo xin ở đâu để nộp cho trường xin miễn học phí ạ?"
    )
    assert "Mình đã ghi nhận" not in text and "Câu 1/" not in text
    assert "đơn đề nghị miễn, giảm học phí" in text
