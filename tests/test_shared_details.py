"""Details shared through a platform (Inbound.shared): they answer only the name and phone
questions, exactly as if typed; at any other moment nothing is kept."""

from __future__ import annotations

from bot.catalog.text_keys import T
from bot.core.engine import Engine
from bot.core.memory import MemoryConversationStore
from bot.core.messages import ConversationKey, Inbound, Reply
from tests.drivers import GRADE12_TYPED

USER = "u-shared"
SHARED = (("name", "Trần Thị Bình"), ("phone", "84912345678"))
TO_NAME = GRADE12_TYPED[:9]  # ends at the name question


async def _say(engine: Engine, text: str | None = None, user: str = USER) -> str:
    replies = await engine.handle(Inbound("test", user, text=text))
    return "\n".join(r.text for r in replies)


async def _share(engine: Engine, user: str = USER) -> list[Reply]:
    return await engine.handle(Inbound("test", user, shared=SHARED))


async def _answers(engine: Engine, user: str = USER) -> dict[str, object]:
    assert isinstance(engine.store, MemoryConversationStore)
    state = await engine.store.load(ConversationKey("test", user))
    run = state.data.get("survey")
    return dict(run["answers"]) if isinstance(run, dict) else {}


async def test_shared_name_and_phone_answer_their_questions(engine: Engine) -> None:
    for text, expected in TO_NAME:
        assert expected in await _say(engine, text), text
    replies = await _share(engine)
    assert "trường THPT nào" in replies[-1].text  # the name was taken, on to the next question
    answers = await _answers(engine)
    assert answers["name"] == "Trần Thị Bình"
    assert "phone" not in answers  # shared along with the name, but not asked yet: not kept
    assert "Số điện thoại" in await _say(engine, "THPT Mỹ Hào, 12A1")
    replies = await _share(engine)
    assert "Bạn kiểm tra lại" in replies[-1].text
    answers = await _answers(engine)
    assert answers["phone"] == "+84912345678"
    assert "0912 345 678" in replies[-1].text


async def test_shared_details_elsewhere_are_not_kept(engine: Engine) -> None:
    note = engine.catalog.text(T.SHARED_NOT_ASKED)
    replies = await _share(engine, user="u-menu")  # no survey at all
    assert replies[0].text == note and replies[0].buttons  # with the menu
    assert await _answers(engine, user="u-menu") == {}
    for text, expected in TO_NAME[:3]:
        assert expected in await _say(engine, text, user="u-early"), text
    before = await _answers(engine, user="u-early")
    replies = await _share(engine, user="u-early")  # the trades question waits
    assert replies[0].text == note
    assert "nghề, ngành nào" in replies[-1].text  # the waiting question, asked again
    after = await _answers(engine, user="u-early")
    assert after == before
    assert "Trần Thị Bình" not in str(after) and "912345678" not in str(after)
