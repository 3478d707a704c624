"""Former places and several provinces in a school search (schoolfix2): a search naming a former
province or district says where it is now and lists that place's schools first; a message naming
two provinces lists both; the province reader never breaks on any text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.catalog import Catalog
from bot.core.engine import Engine
from bot.core.flows.schools_places import former_id, resolve
from bot.core.flows.schools_search import BOTH, Directory, Query, both_payload, from_both
from bot.matching.entities import ProvinceIndex
from bot.matching.matcher import Matcher
from bot.matching.normalize import fold
from tests.test_school_places import _hostile_directory, say  # one of each for both files

SEARCHES = ("trường nghề ở {}", "truong cao dang o {}", "cao đẳng nghề {} học điện")


@pytest.fixture(scope="module")
def directory(catalog: Catalog, matcher: Matcher) -> Directory:
    return Directory(catalog, ProvinceIndex(catalog), matcher.normalize)


def _former(catalog: Catalog) -> list[tuple[str, str]]:
    """(a former province's name, the province it is part of today)."""
    return [(n, p.id) for p in catalog.provinces.values() for n in p.absorbed]


def test_a_search_naming_a_former_province_keeps_it(directory: Directory, catalog: Catalog) -> None:
    formers = _former(catalog)
    assert len(formers) == 29  # 63 former provinces, 34 today
    for name, province_id in formers:
        for template in SEARCHES:
            for typed in (template.format(name), fold(template.format(name))):
                queries = directory.search(fold(typed))
                assert [(q.province, q.near) for q in queries] == [
                    (province_id, former_id(name))
                ], typed


def test_a_search_naming_todays_province_has_no_former_place(
    directory: Directory, catalog: Catalog
) -> None:
    for province in catalog.provinces.values():
        name = province.name.removeprefix("Thành phố ")
        queries = directory.search(fold(f"trường nghề ở {name}"))
        assert [(q.province, q.near) for q in queries] == [(province.id, None)], name


@pytest.mark.parametrize(
    ("text", "province", "near"),
    [
        ("trường nghề ở Bến Lức", "tay_ninh", "ben_luc_long_an"),
        ("truong nghe o ben luc", "tay_ninh", "ben_luc_long_an"),
        ("trường nghề thị xã Mỹ Hào", "hung_yen", "my_hao_hung_yen"),
        ("cao đẳng ở huyện Thạnh Hóa", "tay_ninh", "thanh_hoa_long_an"),
    ],
)
def test_a_search_naming_a_former_district_keeps_it(
    directory: Directory, text: str, province: str, near: str
) -> None:
    assert [(q.province, q.near) for q in directory.search(fold(text))] == [(province, near)]


@pytest.mark.parametrize(
    ("text", "provinces"),
    [
        ("trường nghề ở Nghệ An hoặc Hà Tĩnh", ["nghe_an", "ha_tinh"]),
        ("truong trung cap o nghe an hay ha tinh", ["nghe_an", "ha_tinh"]),
        ("em o hai duong muon hoc o ha noi", ["hai_phong", "ha_noi"]),
        ("Nghệ An hay Hà Tĩnh", ["nghe_an", "ha_tinh"]),
        ("Nghệ An, Hà Tĩnh, Thanh Hóa hoặc Quảng Trị", ["nghe_an", "ha_tinh", "thanh_hoa"]),
        ("Nam Định hoặc Hà Nam", ["ninh_binh"]),  # one province today: once
    ],
)
def test_several_provinces_are_each_searched(
    directory: Directory, text: str, provinces: list[str]
) -> None:
    queries = directory.places(fold(text)) or directory.search(fold(text))
    assert [q.province for q in queries] == provinces


@pytest.mark.parametrize(
    "text",
    ["học phí ở Nghệ An với Hà Tĩnh", "Nghệ An hay Hà Tĩnh tốt hơn", "nghe an ha tinh a b c"],
)
def test_two_provinces_in_other_questions_are_no_place_list(
    directory: Directory, text: str
) -> None:
    assert len(directory.places(fold(text))) < 2


async def test_every_former_province_in_a_search_is_said_with_its_schools_first(
    engine: Engine, catalog: Catalog
) -> None:
    for number, (name, province_id) in enumerate(_former(catalog)):
        reply = await say(engine, f"f{number}", f"trường nghề ở {name}")
        today = catalog.provinces[province_id]
        assert reply.text.startswith(f"TRƯỜNG NGHỀ · {today.name}"), (name, reply.text[:80])
        assert f"📍 {name} nay thuộc {today.name}" in reply.text
        schools = [
            catalog.schools[b.payload[7:]] for b in reply.buttons if b.payload.startswith("school:")
        ]
        assert all(s.province == province_id and not s.example for s in schools), name
        theirs = [s for s in schools if s.former_province == former_id(name)]
        assert schools[: len(theirs)] == theirs, name


async def test_two_provinces_list_only_real_schools_of_those_provinces(
    engine: Engine, catalog: Catalog
) -> None:
    reply = await say(engine, "two", "trường nghề ở Nghệ An hoặc Hà Tĩnh")
    schools = [
        catalog.schools[b.payload[7:]] for b in reply.buttons if b.payload.startswith("school:")
    ]
    assert {s.province for s in schools} == {"nghe_an", "ha_tinh"}
    assert not any(s.example for s in schools)
    lines = set(reply.text.splitlines())
    for school in catalog.schools.values():
        listed = f"• {school.name}" in lines
        assert listed == (school.province in ("nghe_an", "ha_tinh") and not school.example)


def test_a_former_place_outside_its_province_is_refused(catalog: Catalog) -> None:
    assert resolve(catalog, "tay_ninh", "long_an") is not None
    assert resolve(catalog, "tay_ninh", "ben_luc_long_an") is not None
    assert resolve(catalog, "tay_ninh", "hai_duong") is None
    assert resolve(catalog, "tay_ninh", "my_hao_hung_yen") is None
    assert resolve(catalog, "tay_ninh", "tay_ninh") is None  # kept its name: no former place
    assert resolve(catalog, "nowhere", "long_an") is None
    clash = set(catalog.districts) & {former_id(n) for n, _ in _former(catalog)}
    assert not clash  # a district's id is never a former province's


def test_payloads_round_trip() -> None:
    queries = [Query("tay_ninh", "cao_dang", None, None, "ben_luc_long_an"), Query("ha_noi")]
    assert from_both(both_payload(queries)) == queries
    assert Query.from_payload(queries[0].payload()) == queries[0]
    assert Query("ha_noi").payload() == "dir:q:ha_noi:-:-:-"  # old payloads unchanged


@pytest.mark.parametrize(
    "payload",
    [
        BOTH,
        f"{BOTH}nghe_an:-:-:-",  # one province only
        f"{BOTH}nghe_an:-:-:-|nowhere:-:-:-",
        f"{BOTH}nghe_an:-:-:-|ha_tinh",
        f"{BOTH}nghe_an:-:-:-|tay_ninh:-:-:-:hai_duong",
        f"{BOTH}a:-:-:-|b:-:-:-|c:-:-:-|d:-:-:-",
        "dir:q:tay_ninh:-:-:-:hai_duong",
        "dir:q:tay_ninh:-:-:-:ben_luc_long_an:x",
        "dir:n:tay_ninh:my_hao_hung_yen",
        "dir:q:tay_ninh:-:-:-:-",
    ],
)
async def test_bad_payloads_get_a_polite_answer(engine: Engine, payload: str) -> None:
    reply = await say(engine, "u-bad2", payload=payload)
    assert "TRƯỜNG NGHỀ" not in reply.text and reply.buttons


_PLACE_WORDS = st.sampled_from(
    [
        "Nghệ An",
        "hà tĩnh",
        "Bến Lức",
        "thị xã",
        "huyện",
        "ở",
        "hoặc",
        "hay",
        "trường nghề",
        "Long An",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=200), st.lists(_PLACE_WORDS | st.text(max_size=8)).map(" ".join)))
def test_hostile_text_never_breaks_the_province_reader(text: str) -> None:
    directory = _hostile_directory()
    provinces = directory.catalog.provinces
    for queries in (directory.places(fold(text)), directory.search(fold(text))):
        assert len(queries) <= 3
        for query in queries:
            if query.province is not None:
                assert query.province in provinces
            if query.near is not None:
                assert resolve(directory.catalog, query.province or "", query.near) is not None


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=120))
def test_hostile_both_payloads_parse_or_are_refused(text: str) -> None:
    queries = from_both(BOTH + text)
    assert queries is None or 2 <= len(queries) <= 3
