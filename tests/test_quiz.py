"""The interest quiz: content checks, scoring, and the flow (typed answers, back, cancel, resume
days later in the database, stale buttons, hostile input)."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.catalog import Catalog
from bot.catalog.check import check_directory
from bot.catalog.quiz import DISLIKE, LIKE, UNSURE, fit, scores, top_types
from bot.catalog.text_keys import T
from bot.cli import main as cli_main
from bot.core.engine import Engine
from bot.core.flows.quiz import KEY
from bot.core.flows.survey import PREFILL
from bot.core.memory import MemoryConversationStore
from bot.core.messages import ConversationKey, Inbound, Reply
from bot.matching.matcher import Matcher
from bot.storage.conversations import SqlConversationStore
from bot.storage.db import make_engine
from tests.conftest import TODAY, FixedClock, edit_yaml

USER = ConversationKey("test", "quiz-student")


async def say(engine: Engine, text: str | None = None, payload: str | None = None) -> list[Reply]:
    return await engine.handle(Inbound(USER.channel, USER.user_key, text=text, payload=payload))


async def run_of(engine: Engine) -> dict[str, Any]:
    assert isinstance(engine.store, MemoryConversationStore)
    run = (await engine.store.load(USER)).data.get(KEY)
    assert isinstance(run, dict)
    return run


def question(replies: list[Reply]) -> str:
    return replies[-1].text.split("\n")[0]


# -- content ------------------------------------------------------------------------------------


def test_the_quiz_is_balanced_and_every_trade_is_reachable(catalog: Catalog) -> None:
    assert catalog.quiz is not None
    assert len(catalog.quiz.items) == 30
    assert check_directory(catalog.directory) == []


def _check_output(content: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli_main(["content", "check", str(content)])
    return code, capsys.readouterr().out


def test_content_check_refuses_an_unbalanced_quiz(
    content_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_yaml(content_copy / "quiz.yaml", lambda d: d["items"].pop())
    code, out = _check_output(content_copy, capsys)
    assert code != 0
    assert "quiz.yaml:items: types are not balanced" in out


def test_content_check_refuses_an_item_of_two_types(
    content_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def two_types(data: dict[str, Any]) -> None:
        data["items"][0]["type"] = ["R", "I"]

    edit_yaml(content_copy / "quiz.yaml", two_types)
    code, out = _check_output(content_copy, capsys)
    assert code != 0 and "quiz.yaml:-.items.0.type" in out


def test_content_check_names_trades_no_result_reaches(content_copy: Path) -> None:
    def narrow(data: dict[str, Any]) -> None:
        data["max_trades"] = 1  # one trade per result: most trades are never offered
        data["trades_per_page"] = 1

    edit_yaml(content_copy / "quiz.yaml", narrow)
    problems = [str(p) for p in check_directory(content_copy, TODAY.date())]
    assert "quiz.yaml:items: trade 'dien_dan_dung' is offered by no quiz result" in problems
    assert "quiz.yaml:items: trade 'co_khi_che_tao' is offered by no quiz result" not in problems


def test_content_check_wants_every_type_described(content_copy: Path) -> None:
    edit_yaml(content_copy / "quiz.yaml", lambda d: d["types"].pop())
    problems = [str(p) for p in check_directory(content_copy, TODAY.date())]
    assert "quiz.yaml:types: type C has no description" in problems


# -- scoring ------------------------------------------------------------------------------------


def test_top_types_are_two_or_three_on_a_tie_and_none_without_a_like() -> None:
    assert top_types({"R": 10, "I": 5, "A": 4}) == ["R", "I"]
    assert top_types({"R": 10, "I": 5, "C": 5}) == ["R", "I", "C"]
    assert top_types({"S": 3, "E": 3}) == ["S", "E"]
    assert top_types(dict.fromkeys("RIASEC", 0)) == []


def test_scores_count_each_item_for_its_own_type(catalog: Catalog) -> None:
    assert catalog.quiz is not None
    answers = {i.id: LIKE if i.type == "A" else DISLIKE for i in catalog.quiz.items}
    answers[catalog.quiz.items[0].id] = 99  # not a valid answer: ignored
    totals = scores(catalog.quiz, answers)
    assert totals["A"] == 5 * LIKE and sum(totals.values()) == totals["A"]


def test_a_trade_fits_best_when_its_codes_are_the_result(catalog: Catalog) -> None:
    trades = catalog.trades
    assert fit(trades["co_khi_che_tao"], ["R", "I"]) > fit(trades["han"], ["R", "I"])
    assert fit(trades["han"], ["R", "S"]) > fit(trades["co_khi_che_tao"], ["R", "S"])
    assert fit(trades["ke_toan"], ["R", "I"]) <= 0


# -- the flow -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "points"),
    [
        ("Thích", LIKE),
        ("thich", LIKE),
        ("thik", LIKE),
        ("1", LIKE),
        ("Không chắc", UNSURE),
        ("k chac", UNSURE),
        ("ko bit", UNSURE),
        ("2", UNSURE),
        ("ko thich", DISLIKE),
        ("hong thich", DISLIKE),
        ("KHÔNG THÍCH", DISLIKE),
        ("3", DISLIKE),
        ("bỏ qua", UNSURE),  # skipping an item counts neither way
    ],
)
async def test_typed_answers(engine: Engine, typed: str, points: int) -> None:
    await say(engine, text="trac nghiem")
    replies = await say(engine, text=typed)
    assert question(replies) == "Câu 2/30. Bạn có thích việc này không?"
    run = await run_of(engine)
    assert run["answers"] == {"r1": points}


async def test_back_cancel_and_a_stale_button(engine: Engine) -> None:
    replies = await say(engine, payload="qz:start")
    assert replies[0].text.startswith("Mình hỏi 30 câu")
    replies = await say(engine, text="quay lại")  # nothing before the first item
    assert replies[0].text == engine.catalog.text(T.QUIZ_FIRST_ITEM)
    await say(engine, payload="qz:a:0:2")
    await say(engine, payload="qz:a:1:0")
    replies = await say(engine, payload="qz:a:0:0")  # item 1's button again: not an answer now
    assert question(replies) == "Câu 3/30. Bạn có thích việc này không?"
    for hostile in ("qz:a:2:7", "qz:a:x:y", "qz:a:99:2", "qz:a", "qz:nope", "qz:cancel:no"):
        replies = await say(engine, payload=hostile)
        assert question(replies).startswith("Câu 3/30") or "Dừng trắc nghiệm?" in replies[0].text
        await say(engine, payload="qz:resume")
    assert (await run_of(engine))["answers"] == {"r1": 2, "i1": 0}
    replies = await say(engine, text="quay lai")
    assert question(replies) == "Câu 2/30. Bạn có thích việc này không?"
    replies = await say(engine, text="hủy")
    assert replies[0].text == engine.catalog.text(T.QUIZ_CANCEL_CONFIRM)
    replies = await say(engine, text="1")  # "Dừng trắc nghiệm"
    assert replies[0].text == engine.catalog.text(T.QUIZ_CANCELLED)
    assert isinstance(engine.store, MemoryConversationStore)
    assert KEY not in (await engine.store.load(USER)).data
    replies = await say(engine, payload="qz:a:2:2")  # a button of the cancelled run
    assert replies[0].text == engine.catalog.text(T.QUIZ_EXPIRED)


async def test_nothing_liked_gives_an_honest_result(engine: Engine) -> None:
    await say(engine, payload="qz:start")
    for _ in range(30):
        replies = await say(engine, text="ko thich")
    replies = await say(engine, text="bỏ qua")
    assert replies[-1].text == engine.catalog.text(T.QUIZ_NO_LIKES)


async def test_an_unknown_province_is_asked_again_then_skipped(engine: Engine) -> None:
    await say(engine, payload="qz:start")
    for n in range(30):
        await say(engine, text="thích" if n % 6 == 4 else "không")  # E items only
    replies = await say(engine, text="sao hỏa")
    assert replies[0].text == engine.catalog.text(T.QUIZ_NO_PROVINCE)
    replies = await say(engine, text="bo qua")
    text = "\n".join(r.text for r in replies)
    assert "nhóm Quản lý (E)." in text  # the only type liked
    assert engine.catalog.text(T.QUIZ_SCHOOLS_NO_PROVINCE) in text
    assert not any(s.name in text for s in engine.catalog.schools.values())
    labels = [b.label for b in replies[-1].buttons]
    assert engine.catalog.text(T.QUIZ_CHOOSE_PROVINCE) in labels
    replies = await say(engine, payload="qz:province")
    replies = await say(engine, text="Hà Nội")
    text = "\n".join(r.text for r in replies)
    # a source names one of these trades (by its name) at a Hà Nội school: that school, with
    # the trade, and no other province's (province, C7: read by name as well as by id)
    assert engine.catalog.text(T.QUIZ_SCHOOLS, province="Hà Nội") in text
    assert (
        "Thương mại điện tử"
        in text.split(engine.catalog.text(T.QUIZ_SCHOOLS, province="Hà Nội"))[1]
    )
    schools = engine.catalog.schools.values()
    assert any(s.name in text for s in schools if s.province == "ha_noi")
    assert not any(s.name in text for s in schools if s.province != "ha_noi")


async def test_care_comes_first_and_the_quiz_waits(engine: Engine) -> None:
    await say(engine, payload="qz:start")
    await say(engine, text="thich")
    replies = await say(engine, text="e muon bien mat khoi the gioi nay")
    assert "111" in replies[0].text
    assert replies[0].buttons[0].payload == "qz:resume"
    replies = await say(engine, payload="qz:resume")
    assert question(replies) == "Câu 2/30. Bạn có thích việc này không?"
    assert (await run_of(engine))["answers"] == {"r1": LIKE}


async def test_resume_days_later_from_the_database(
    catalog: Catalog, matcher: Matcher, database_url: str
) -> None:
    db = make_engine(database_url)
    try:
        clock = FixedClock()
        first = Engine(catalog, matcher, SqlConversationStore(db), clock)
        await first.handle(Inbound("test", "later", text="trắc nghiệm"))
        for text in ("thich", "k chac", "ko thich"):
            await first.handle(Inbound("test", "later", text=text))
        clock.current = TODAY + dt.timedelta(days=5)  # a new process, five days on
        again = Engine(catalog, matcher, SqlConversationStore(db), clock)
        replies = await again.handle(Inbound("test", "later", text="chào"))
        assert question(replies) == "Câu 4/30. Bạn có thích việc này không?"
        replies = await again.handle(Inbound("test", "later", text="menu"))
        assert replies[-1].buttons[0].payload == "qz:resume"
        replies = await again.handle(Inbound("test", "later", text="trac nghiem"))
        assert "đã trả lời 3/30" in replies[0].text
        replies = await again.handle(Inbound("test", "later", text="1"))
        assert question(replies) == "Câu 4/30. Bạn có thích việc này không?"
    finally:
        await db.dispose()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=80))
def test_hostile_text_never_breaks_the_quiz(catalog: Catalog, matcher: Matcher, text: str) -> None:
    engine = Engine(catalog, matcher, MemoryConversationStore(), FixedClock())
    replies = asyncio.run(_hostile(engine, text))
    assert replies and all(r.text.strip() for r in replies)
    assert catalog.text(T.ERROR) not in "\n".join(r.text for r in replies)


async def _hostile(engine: Engine, text: str) -> list[Reply]:
    await say(engine, payload="qz:start")
    replies = await say(engine, text=text)
    assert isinstance(engine.store, MemoryConversationStore)
    answers = (await engine.store.load(USER)).data.get(KEY, {}).get("answers", {})
    assert set(answers) <= {"r1"} and set(answers.values()) <= {LIKE, UNSURE, DISLIKE}
    return replies


async def test_a_survey_prefill_ticks_known_trades_once(engine: Engine) -> None:
    assert isinstance(engine.store, MemoryConversationStore)
    async with engine.store.open(USER) as state:
        state.data[PREFILL] = {"trades": ["nope", "han", "han", 5, "nau_an"]}
    await say(engine, payload="sv:begin:lop9")
    replies = await say(engine, payload="sv:opt:trung_cap")
    ticked = [b.payload for b in replies[-1].buttons if b.label.startswith("✓")]
    assert ticked == ["sv:opt:han", "sv:opt:nau_an"]
    assert PREFILL not in (await engine.store.load(USER)).data  # taken once
    await say(engine, payload="sv:cancel:yes")
    await say(engine, payload="sv:begin:lop9")
    replies = await say(engine, payload="sv:opt:trung_cap")
    assert not [b for b in replies[-1].buttons if b.label.startswith("✓")]


@pytest.mark.parametrize(
    "typed",
    [
        "co bai trac nghiem ko",
        "cho e lam trac nghiem nghe nghiep",
        "có bài test nghề nghiệp nào không",
    ],
)
async def test_a_short_request_for_a_quiz_starts_it(engine: Engine, typed: str) -> None:
    # a reviewer's "co bai trac nghiem ko" got two unrelated questions back
    replies = await say(engine, text=typed)
    assert replies[0].text.startswith("Mình hỏi 30 câu")
    assert question(replies) == "Câu 1/30. Bạn có thích việc này không?"


@pytest.mark.parametrize(
    "typed",
    ["xét tuyển trường nghề có thi trắc nghiệm không", "bài thi đầu vào trắc nghiệm hay tự luận"],
)
async def test_a_question_about_an_exam_does_not_start_it(engine: Engine, typed: str) -> None:
    replies = await say(engine, text=typed)
    assert not replies[0].text.startswith("Mình hỏi 30 câu")
