"""The flow interface: a flow registered in one line gets its buttons and, while it waits, its
typed text; care still comes first, and the always-reachable words (data rights) still pass."""

from __future__ import annotations

from typing import Any

from bot.catalog.text_keys import T
from bot.core.engine import Engine
from bot.core.flows.base import Flow, Turn
from bot.core.memory import MemoryConversationStore
from bot.core.messages import Button, ConversationKey, Inbound, Reply
from bot.core.ports import ConversationState

KEY = ConversationKey("test", "puzzle")
QUESTION = "Câu đố: bạn thích làm gì nhất?"


class PuzzleFlow(Flow):
    """A tiny flow: "pz:" buttons, one question that takes any typed answer, "câu đố"."""

    prefixes = ("pz:",)

    def __init__(self) -> None:
        self.read: list[str] = []  # every text this flow was handed

    @staticmethod
    def _run(state: ConversationState) -> dict[str, Any] | None:
        run = state.data.get("puzzle")
        return run if isinstance(run, dict) else None

    def waiting(self, state: ConversationState) -> bool:
        run = self._run(state)
        return bool(run and run["active"])

    def pause(self, state: ConversationState) -> None:
        run = self._run(state)
        if run is not None:
            run["active"] = False

    def resume_button(self, state: ConversationState) -> Button | None:
        return Button("▶ Tiếp tục câu đố", "pz:resume") if self._run(state) else None

    def command(self, folded: str, state: ConversationState) -> str | None:
        return "pz:start" if folded == "cau do" else None

    def _question(self, state: ConversationState) -> list[Reply]:
        run = self._run(state)
        assert run is not None
        run["active"] = True
        answers = ", ".join(run["answers"]) or "chưa có"
        stop = Button("Dừng câu đố", "pz:stop")
        return [Reply(f"{QUESTION} (đã trả lời: {answers})", (stop,))]

    async def payload(self, payload: str, turn: Turn) -> list[Reply]:
        if payload == "pz:start":
            turn.state.data["puzzle"] = {"active": True, "answers": []}
        if payload == "pz:stop":
            turn.state.data.pop("puzzle", None)
            return [Reply("Đã dừng câu đố.")]
        if self._run(turn.state) is None:
            return [Reply("Câu đố đã kết thúc.")]
        return self._question(turn.state)

    async def text(self, text: str, turn: Turn) -> list[Reply] | None:
        self.read.append(text)
        if text == "thôi":
            return None  # handed back: the engine's own path runs
        run = self._run(turn.state)
        assert run is not None
        run["answers"].append(text)
        return self._question(turn.state)

    async def reask(self, turn: Turn) -> list[Reply] | None:
        return self._question(turn.state)


async def _send(engine: Engine, **kwargs: Any) -> list[Reply]:
    return await engine.handle(Inbound(KEY.channel, KEY.user_key, **kwargs))


async def _answers(engine: Engine) -> list[str]:
    assert isinstance(engine.store, MemoryConversationStore)
    run = (await engine.store.load(KEY)).data.get("puzzle")
    return list(run["answers"]) if run else []


async def test_a_registered_flow_gets_its_buttons_and_its_typed_text(engine: Engine) -> None:
    puzzle = PuzzleFlow()
    engine.flows.add(puzzle)  # the one line a new flow needs (bot/core/flows/registry.py)

    # its typed word starts it outside any flow; its buttons come to it by prefix
    replies = await _send(engine, text="Câu đố")
    assert replies[-1].text.startswith(QUESTION)
    assert [b.payload for b in replies[-1].buttons] == ["pz:stop"]

    # while it waits, it reads typed text first: words that are commands or button numbers
    # elsewhere ("khảo sát", "1", "ok") are its answers
    for text in ("thích sửa xe máy", "khảo sát", "1", "ok"):
        replies = await _send(engine, text=text)
        assert replies[-1].text.startswith(QUESTION)
    assert await _answers(engine) == ["thích sửa xe máy", "khảo sát", "1", "ok"]
    assert puzzle.read == ["thích sửa xe máy", "khảo sát", "1", "ok"]

    # an unreadable message or a photo is not an answer: a note, then its question again
    replies = await _send(engine, text="!!!")
    assert replies[0].text == engine.catalog.text(T.SURVEY_NEED_LETTERS)
    assert replies[-1].text.startswith(QUESTION)
    replies = await _send(engine, media="photo")
    assert replies[0].text == engine.catalog.text(T.MEDIA_IN_SURVEY)
    assert replies[-1].text.startswith(QUESTION)
    assert len(puzzle.read) == 4

    # text it hands back goes the engine's way ("thôi" is no command: the matcher's fallback),
    # and its question, still waiting, is asked again after that answer (flowfix)
    replies = await _send(engine, text="thôi")
    assert puzzle.read[-1] == "thôi"
    assert not replies[0].text.startswith(QUESTION)
    assert replies[-1].text.startswith(QUESTION)
    assert await _answers(engine) == ["thích sửa xe máy", "khảo sát", "1", "ok"]

    # a button it does not own pauses it: its text is no longer read, the menu offers it back
    read = len(puzzle.read)
    await _send(engine, payload="menu:trades")
    await _send(engine, text="học nghề hàn ở đâu")
    assert len(puzzle.read) == read
    replies = await _send(engine, payload="home")
    assert replies[-1].buttons[0] == Button("▶ Tiếp tục câu đố", "pz:resume")
    replies = await _send(engine, text="1")  # the number of its "continue" button
    assert replies[-1].text.startswith(QUESTION)
    assert await _answers(engine) == ["thích sửa xe máy", "khảo sát", "1", "ok"]
    await _send(engine, text="thích điện")
    assert await _answers(engine) == ["thích sửa xe máy", "khảo sát", "1", "ok", "thích điện"]


async def test_care_comes_first_while_a_registered_flow_waits(engine: Engine) -> None:
    puzzle = PuzzleFlow()
    engine.flows.add(puzzle)
    await _send(engine, payload="pz:start")
    await _send(engine, text="thích nấu ăn")

    replies = await _send(engine, text="e muon bien mat khoi the gioi nay")
    assert len(replies) == 1
    assert "111" in replies[0].text
    assert engine.catalog.text(T.CARE_SURVEY_KEPT) in replies[0].text
    assert list(replies[0].buttons) == [
        Button(engine.catalog.text(T.CARE_CONTINUE), "pz:resume"),  # the flow's own resume
        engine.renderer.home_button(),
    ]
    assert puzzle.read == ["thích nấu ăn"]  # the flow never saw the message
    assert await _answers(engine) == ["thích nấu ăn"]
    assert isinstance(engine.store, MemoryConversationStore)
    assert not puzzle.waiting(await engine.store.load(KEY))  # paused: no next word is an answer

    # a second care message while it is paused: care again, still offering to continue
    replies = await _send(engine, text="bo e danh e vi diem kem")
    assert "111" in replies[0].text
    assert replies[0].buttons[0].payload == "pz:resume"
    assert puzzle.read == ["thích nấu ăn"]

    # "tiếp tục" (the care button's label) resumes it, nothing lost
    replies = await _send(engine, text="tiếp tục")
    assert replies[-1].text == f"{QUESTION} (đã trả lời: thích nấu ăn)"
    assert puzzle.read == ["thích nấu ăn"]
    await _send(engine, text="thích vẽ")
    assert await _answers(engine) == ["thích nấu ăn", "thích vẽ"]


async def test_always_reachable_words_pass_through_a_registered_flow(engine: Engine) -> None:
    puzzle = PuzzleFlow()
    engine.flows.add(puzzle)
    await _send(engine, payload="pz:start")

    replies = await _send(engine, text="xem dữ liệu của tôi")  # data rights, from anywhere
    assert replies[-1].text == engine.catalog.text(T.DATA_NONE)
    assert puzzle.read == []
    replies = await _send(engine, text="xóa dữ liệu")
    assert "data:delete" in [b.payload for b in replies[-1].buttons]
    # the deletion question waits now, not the puzzle: "ok" answers it
    replies = await _send(engine, text="ok")
    assert replies[-1].text.startswith(engine.catalog.text(T.DATA_DELETED))
    assert puzzle.read == []
    assert await _answers(engine) == []  # the conversation is erased, the puzzle with it
