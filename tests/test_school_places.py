"""Places and schools (schoolfix): a province typed alone is that province's schools, never a
school of another province; a place payload that names nothing gets a polite answer."""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.catalog import Catalog
from bot.core.engine import Engine
from bot.core.flows.render import Renderer
from bot.core.flows.schools_search import Directory, Query, find
from bot.core.messages import Inbound, Reply
from bot.matching.entities import ProvinceIndex
from bot.matching.matcher import Matcher
from bot.matching.normalize import fold
from tests.conftest import CONTENT


@pytest.fixture(scope="module")
def directory(catalog: Catalog, matcher: Matcher) -> Directory:
    return Directory(catalog, ProvinceIndex(catalog), matcher.normalize)


def _names(catalog: Catalog) -> list[tuple[str, str, bool]]:
    """(a name people type, the province it is part of today, whether it is a former one)."""
    out: list[tuple[str, str, bool]] = []
    for province in catalog.provinces.values():
        out.append((province.name.removeprefix("Thành phố "), province.id, False))
        out.extend((name, province.id, True) for name in province.absorbed)
    return out


async def say(
    engine: Engine, user: str, text: str | None = None, payload: str | None = None
) -> Reply:
    replies = await engine.handle(Inbound("test", user, text=text, payload=payload))
    assert replies
    return replies[-1]


def test_every_province_typed_alone_is_that_province(
    directory: Directory, catalog: Catalog
) -> None:
    names = _names(catalog)
    assert len(names) == 63  # the 63 former provinces, each once
    for name, province_id, former in names:
        for typed in (name, fold(name), f"em ở {name}", f"e muon hoc nghe o {fold(name)}"):
            mention = directory.place_only(fold(typed))
            assert mention is not None, typed
            assert (mention.province_id, mention.former) == (province_id, former), typed


@pytest.mark.parametrize(
    "text",
    [
        "cao dang lao cai",  # a school
        "long an gio thuoc tinh nao",  # a question about the province
        "nghe an hay ha tinh",  # two provinces
        "hoc phi o ha noi",  # fees there
        "e o ha tinh muon hoc nghe han",  # a trade there: the trade's card
        "huyen muong te",  # a former district alone: its own card says where it is now
        "",
    ],
)
def test_other_messages_are_not_a_place_alone(directory: Directory, text: str) -> None:
    assert directory.place_only(text) is None


async def test_no_province_name_opens_another_provinces_school(
    engine: Engine, catalog: Catalog
) -> None:
    for number, (name, province_id, former) in enumerate(_names(catalog)):
        reply = await say(engine, f"u{number}", name)
        today = catalog.provinces[province_id]
        assert reply.text.startswith(f"TRƯỜNG NGHỀ · {today.name}"), (name, reply.text[:80])
        if former:
            assert f"{name} nay thuộc {today.name}" in reply.text
        schools = [
            catalog.schools[b.payload[7:]] for b in reply.buttons if b.payload.startswith("school:")
        ]
        assert all(s.province == province_id for s in schools), name
        theirs = [
            s for s in schools if former and s.former_province == fold(name).replace(" ", "_")
        ]
        assert schools[: len(theirs)] == theirs  # the former province's own schools first


@pytest.mark.parametrize(
    "payload", ["dir:n:", "dir:n:nowhere:-", "dir:n:tay_ninh:nowhere", "dir:n:tay_ninh:hai_duong"]
)
async def test_bad_place_payloads_get_a_polite_answer(engine: Engine, payload: str) -> None:
    reply = await say(engine, "u-bad", payload=payload)
    assert "TRƯỜNG NGHỀ" not in reply.text and reply.buttons


@cache
def _hostile_directory() -> Directory:
    from bot.catalog import load_catalog
    from bot.matching.targets import build_matcher

    cat = load_catalog(CONTENT)
    return Directory(cat, ProvinceIndex(cat), build_matcher(cat).normalize)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_hostile_text_never_breaks_the_place_reader(text: str) -> None:
    mention = _hostile_directory().place_only(fold(text))
    assert mention is None or mention.province_id in _hostile_directory().catalog.provinces


def test_a_trade_card_and_its_field_button_name_the_same_schools(catalog: Catalog) -> None:
    """For every trade and province: the card's schools are the field search's, and the card
    says the list has none there only when that search finds none (review Q80, Q97)."""
    renderer = Renderer(catalog)
    for trade in catalog.trades.values():
        for province in catalog.provinces.values():
            card = renderer.trade(trade, province.id)
            found = find(catalog, Query(province.id, None, trade.id, None))
            fitting = [s.id for s in (*found.taught, *found.likely)]
            on_card = [b.payload[7:] for b in card.buttons if b.payload.startswith("school:")]
            assert on_card == fitting[: len(on_card)], (trade.id, province.id)
            none_said = f"chưa ghi trường nào ở {province.name} dạy nghề này" in card.text
            assert none_said == (not fitting), (trade.id, province.id)
            assert bool(on_card) == bool(fitting), (trade.id, province.id)
