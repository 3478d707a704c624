"""The remembered province in the eligibility check, the survey and the quiz (province): a
province given in the check is remembered (typed early, said in the first message, answered),
once per answer; the one-tap offer at a province question takes only a known province, at that
question."""

from __future__ import annotations

from bot.catalog.quiz import DISLIKE, LIKE
from bot.core.engine import Engine
from bot.core.flows.eligibility import KEY as ELIG
from bot.core.flows.quiz import KEY as QUIZ
from bot.core.flows.schools_home import HOME
from bot.core.memory import MemoryConversationStore
from bot.core.messages import ConversationKey, Inbound, Reply
from bot.core.ports import ConversationState

USER = ConversationKey("test", "province-offer")
OFFER = "Nghệ An (như bạn đã chọn)"


async def say(engine: Engine, text: str | None = None, payload: str | None = None) -> list[Reply]:
    return await engine.handle(Inbound(USER.channel, USER.user_key, text=text, payload=payload))


async def state_of(engine: Engine) -> ConversationState:
    assert isinstance(engine.store, MemoryConversationStore)
    return await engine.store.load(USER)


def labels(replies: list[Reply]) -> list[str]:
    return [b.label for r in replies for b in r.buttons]


async def to_province_question(engine: Engine) -> list[Reply]:
    replies: list[Reply] = []
    for text in ("kiểm tra miễn giảm", "1", "1", "1", "1", "xong"):
        replies = await say(engine, text=text)
    assert "Bạn đang sống ở tỉnh, thành phố nào?" in replies[-1].text
    return replies


async def test_a_province_typed_early_is_remembered_even_if_the_check_stops(
    engine: Engine,
) -> None:
    for text in ("kiểm tra miễn giảm", "1", "1", "1"):
        await say(engine, text=text)
    await say(engine, text="em ở Lào Cai")  # at the household question: kept for later
    assert (await state_of(engine)).data[HOME] == "lao_cai"
    await say(engine, text="dừng kiểm tra")
    assert (await state_of(engine)).data[HOME] == "lao_cai"


async def test_a_province_in_the_first_message_is_remembered(engine: Engine) -> None:
    await say(engine, text="em ở Lào Cai, là con liệt sĩ, học trung cấp có được miễn học phí không")
    assert (await state_of(engine)).data[HOME] == "lao_cai"


async def test_a_later_place_is_not_overwritten_by_the_checks_older_answer(
    engine: Engine,
) -> None:
    for text in ("kiểm tra miễn giảm", "1", "1", "1"):
        await say(engine, text=text)
    await say(engine, text="Lào Cai")  # kept as the check's province answer, check goes on
    await say(engine, text="truong nghe o nghe an")  # a schools question between two answers
    assert (await state_of(engine)).data[HOME] == "nghe_an"
    replies = await say(engine, payload="el:resume")
    await say(engine, text="1")  # the household: the check goes on with its answers
    assert (await state_of(engine)).data[HOME] == "nghe_an"
    assert "Câu" in replies[-1].text


async def test_forged_offers_change_nothing(engine: Engine) -> None:
    await say(engine, text="truong nghe o nghe an")
    replies = await to_province_question(engine)
    assert labels(replies)[0] == OFFER
    for forged in ("el:home:atlantis", "el:home:", "el:home:nghe_an:x", "el:opt:nghe_an"):
        replies = await say(engine, payload=forged)
        assert "Bạn đang sống ở tỉnh, thành phố nào?" in replies[-1].text, forged
        assert labels(replies)[0] == OFFER
    state = await state_of(engine)
    assert "province" not in state.data[ELIG]["facts"]
    # at another question, the offer's payload answers nothing
    await say(engine, payload="el:back")
    replies = await say(engine, payload="el:home:nghe_an")
    assert "Câu 5/6." in replies[-1].text
    assert "province" not in (await state_of(engine)).data[ELIG]["facts"]


async def test_a_forged_survey_offer_changes_nothing(engine: Engine) -> None:
    await say(engine, text="truong nghe o nghe an")
    await say(engine, text="khảo sát")
    await say(engine, payload="sv:begin:lop9")
    for text in ("4", "xong", "xong"):
        replies = await say(engine, text=text)
    assert labels(replies)[0] == OFFER
    for forged in ("sv:home:atlantis", "sv:home:"):
        replies = await say(engine, payload=forged)
        assert "Bạn đang sống ở tỉnh, thành phố nào?" in replies[-1].text, forged
    survey = (await state_of(engine)).data["survey"]
    assert "province" not in survey["answers"]
    replies = await say(engine, payload="sv:home:lao_cai")  # any known province: as if typed
    assert "Bạn ở xã, phường nào?" in replies[-1].text
    assert (await state_of(engine)).data["survey"]["answers"]["province"] == "lao_cai"


# -- the quiz's province question ---------------------------------------------------------------


async def to_quiz_province(engine: Engine) -> list[Reply]:
    replies = await say(engine, payload="qz:start")
    for n in range(30):
        replies = await say(engine, payload=f"qz:a:{n}:{LIKE if n % 6 == 0 else DISLIKE}")
    assert "Bạn đang sống ở tỉnh, thành phố nào?" in replies[-1].text
    return replies


def quiz_province(state: ConversationState) -> object:
    run = state.data[QUIZ]
    assert isinstance(run, dict)
    return run.get("province")


async def test_the_quiz_offers_the_remembered_province(engine: Engine) -> None:
    await say(engine, text="truong nghe o nghe an")
    replies = await to_quiz_province(engine)
    buttons = [b for r in replies for b in r.buttons]
    assert [b.label for b in buttons][:2] == [OFFER, "Bỏ qua"]
    assert buttons[0].payload == "qz:home:nghe_an"
    replies = await say(engine, payload="qz:home:nghe_an")
    text = "\n".join(r.text for r in replies)
    assert "KẾT QUẢ TRẮC NGHIỆM" in text
    assert "Nghệ An" in replies[-1].text  # its schools, or that none is known there
    assert quiz_province(await state_of(engine)) == "nghe_an"
    # "Xem trường ở tỉnh khác": the province the result shows is not offered again
    replies = await say(engine, payload="qz:province")
    assert OFFER not in labels(replies)
    assert labels(replies)[0] == "Bỏ qua"


async def test_the_quizs_offer_typed_as_its_number(engine: Engine) -> None:
    await say(engine, text="truong nghe o nghe an")
    await to_quiz_province(engine)
    replies = await say(engine, text="1")
    assert "KẾT QUẢ TRẮC NGHIỆM" in replies[0].text
    assert quiz_province(await state_of(engine)) == "nghe_an"


async def test_a_province_typed_instead_of_the_quizs_offer(engine: Engine) -> None:
    await say(engine, text="truong nghe o nghe an")
    await to_quiz_province(engine)
    replies = await say(engine, text="em ở Lào Cai")
    assert "KẾT QUẢ TRẮC NGHIỆM" in replies[0].text
    state = await state_of(engine)
    assert quiz_province(state) == "lao_cai"
    assert state.data[HOME] == "lao_cai"


async def test_forged_quiz_offers_ask_again(engine: Engine) -> None:
    await say(engine, text="truong nghe o nghe an")
    await say(engine, payload="qz:start")
    replies = await say(engine, payload="qz:home:nghe_an")  # at an item: that item again
    assert replies[-1].text.startswith("Câu 1/30.")
    await to_quiz_province(engine)
    for forged in ("qz:home:atlantis", "qz:home:", "qz:home:nghe_an:x", "qz:home"):
        replies = await say(engine, payload=forged)
        assert "Bạn đang sống ở tỉnh, thành phố nào?" in replies[-1].text, forged
        assert labels(replies)[0] == OFFER
        assert quiz_province(await state_of(engine)) is None
    replies = await say(engine, payload="qz:home:lao_cai")  # any known province: as if typed
    assert "KẾT QUẢ TRẮC NGHIỆM" in replies[0].text
    assert (await state_of(engine)).data[HOME] == "lao_cai"


async def test_no_province_remembered_no_offer_in_the_quiz(engine: Engine) -> None:
    replies = await to_quiz_province(engine)
    assert labels(replies)[:2] == ["Bỏ qua", "⬅ Câu trước"]
