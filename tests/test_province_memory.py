"""The province remembered for a conversation and schools fitted to the student (province,
review3 W7 and C7): what is kept, when it changes, and hostile payloads of its screens."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.catalog import Catalog
from bot.catalog.text_keys import T
from bot.core.engine import Engine
from bot.core.flows.schools_fit import fitted, picked, planned_level
from bot.core.flows.schools_home import (
    HOME,
    NEAR,
    WHERE,
    adopt,
    adopt_survey,
    asks_near,
    remembered,
)
from bot.core.memory import MemoryConversationStore
from bot.core.messages import ConversationKey, Inbound, Reply
from bot.core.ports import ConversationState

USER = ConversationKey("test", "province-student")


async def say(engine: Engine, text: str | None = None, payload: str | None = None) -> list[Reply]:
    return await engine.handle(Inbound(USER.channel, USER.user_key, text=text, payload=payload))


async def state_of(engine: Engine) -> ConversationState:
    assert isinstance(engine.store, MemoryConversationStore)
    return await engine.store.load(USER)


def joined(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


async def test_only_the_province_id_is_kept_and_a_later_place_replaces_it(engine: Engine) -> None:
    await say(engine, text="truong nghe o nghe an")
    assert (await state_of(engine)).data[HOME] == "nghe_an"
    text = joined(await say(engine, text="hoc han o dau"))
    assert "Nghệ An" in text
    await say(engine, text="hoc dien cong nghiep o lao cai")
    state = await state_of(engine)
    assert state.data[HOME] == "lao_cai"
    text = joined(await say(engine, text="hoc dien cong nghiep o dau"))
    assert "📍 Ở Lào Cai" in text and "Nghệ An" not in text
    assert "Trường Cao đẳng Lào Cai" in text  # a source says it teaches the trade there


async def test_without_a_place_given_nothing_is_assumed(engine: Engine) -> None:
    text = joined(await say(engine, text="hoc cat got kim loai o dau"))
    assert "📍" not in text
    assert HOME not in (await state_of(engine)).data
    text = joined(await say(engine, text="truong nghe nao gan e"))
    assert engine.catalog.text(T.HOME_NEAR, province="Ninh Bình")[:20] not in text
    assert "TRƯỜNG NGHỀ ·" not in text  # the general answer asks for the province


async def test_a_place_in_a_question_not_about_study_is_not_kept(engine: Engine) -> None:
    await say(engine, text="thoi tiet ha noi the nao")
    assert HOME not in (await state_of(engine)).data


def test_the_survey_answer_is_taken_once(catalog: Catalog) -> None:
    state = ConversationState()
    state.data["survey"] = {"id": "lop12", "answers": {"province": "tay_ninh"}}
    assert remembered(state, catalog) == "tay_ninh"
    state.data[HOME] = "ha_noi"  # a place named afterwards in a schools question
    adopt_survey(state, catalog)
    assert remembered(state, catalog) == "ha_noi"  # the older survey answer does not win back
    state.data["survey"]["answers"]["province"] = "lao_cai"  # the survey's answer changed
    assert remembered(state, catalog) == "lao_cai"
    state.erase()
    assert remembered(state, catalog) is None


def test_a_stored_value_that_is_no_province_is_ignored(catalog: Catalog) -> None:
    for value in ("atlantis", 3, None, ["ha_noi"], {"province": "ha_noi"}):
        survey = {"id": "lop12", "answers": {"province": value}}
        state = ConversationState(data={HOME: value, "survey": survey})
        assert remembered(state, catalog) is None


def test_near_questions() -> None:
    assert asks_near("truong nghe nao gan e")
    assert asks_near("co truong cao dang nao o gan nha em khong")
    assert not asks_near("hoc phi truong nghe gan nha")  # fees: another answer
    assert not asks_near("gan e co ai khong")  # not about schools


def test_schools_fitted_to_trades_and_level(catalog: Catalog) -> None:
    schools = [catalog.schools[i] for i in ("cd_y_te_binh_duong", "tc_sai_gon", "cd_lao_cai")]
    order = [s.id for s in fitted(catalog, schools, ["han"], "trung_cap")]
    assert order == ["cd_lao_cai", "tc_sai_gon", "cd_y_te_binh_duong"]
    order = [s.id for s in fitted(catalog, schools, [], "cao_dang")]
    assert order[-1] == "tc_sai_gon"
    tay_ninh = [
        catalog.schools[i] for i in ("tc_kte_kt_tay_ninh", "cd_long_an", "cd_nghe_tay_ninh")
    ]
    assert "tc_kte_kt_tay_ninh" not in [s.id for s in picked(catalog, tay_ninh, [], "cao_dang")]
    # no school at the planned level: the others still fit (never nothing for a level alone)
    only = [catalog.schools["tc_kte_kt_tay_ninh"]]
    assert picked(catalog, only, [], "cao_dang") == only
    survey = catalog.surveys["lop12"]
    assert planned_level(catalog, survey, {"plan": "cao_dang"}) == "cao_dang"
    assert planned_level(catalog, survey, {"plan": "dai_hoc"}) is None


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rest=st.text(alphabet=":-_abcdefghinortuy0123456789|", max_size=40))
async def test_forged_screens_get_a_clear_answer(engine: Engine, rest: str) -> None:
    for prefix in (WHERE, NEAR):
        replies = await say(engine, payload=prefix + rest)
        assert replies and all(r.text for r in replies)


def test_a_run_takes_each_answer_once(catalog: Catalog) -> None:
    state, run = ConversationState(), {}
    adopt(state, catalog, run, "lao_cai")
    assert state.data[HOME] == "lao_cai"
    state.data[HOME] = "ha_noi"  # a place named afterwards in a schools question
    adopt(state, catalog, run, "lao_cai")
    assert state.data[HOME] == "ha_noi"
    for value in ("atlantis", 3, None):
        adopt(state, catalog, run, value)
        assert state.data[HOME] == "ha_noi"
    # a check's run stored before the runs shared their key: its answer already taken
    adopt(state, catalog, {"home_kept": "lao_cai"}, "lao_cai")
    assert state.data[HOME] == "ha_noi"


@pytest.mark.parametrize(
    ("text", "only"),
    [
        ("z thi hoc o dau", True),
        ("hoc o dau a", True),
        ("vay hoc truong nao", True),
        ("hoc han o dau", False),
        ("o dau co truong nghe day dien", False),
        ("", False),
    ],
)
def test_where_only(text: str, only: bool) -> None:
    from bot.core.flows.schools_home import where_only

    assert where_only(text) is only


@pytest.mark.parametrize(
    ("screen", "level"),
    [
        ("faq:hp_cao_dang", "cao_dang"),
        ("faq:trung_cap_la_gi", "trung_cap"),
        ("faq:khac_nhau_tc_cd", None),
        ("trade:han", None),
        (None, None),
    ],
)
def test_level_of_the_last_answer(screen: str | None, level: str | None) -> None:
    from bot.core.flows.schools_home import level_of

    assert level_of(screen) == level
