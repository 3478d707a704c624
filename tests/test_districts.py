"""Former districts resolve to the province they are part of today (issue 10.3)."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.catalog import Catalog
from bot.catalog.documents import former_provinces
from bot.core.engine import Engine
from bot.core.flows.survey_answers import AnswerReader
from bot.core.messages import Inbound
from bot.matching.entities import DistrictIndex, ProvinceIndex
from bot.matching.matcher import Match, Matcher
from tests.conftest import CONTENT


@pytest.fixture(scope="module")
def districts(catalog: Catalog) -> DistrictIndex:
    return DistrictIndex(catalog, ProvinceIndex(catalog))


def _found(index: DistrictIndex, text: str) -> list[str]:
    return [m.district.id for m in index.mentions(text)]


def test_the_table_covers_the_63_former_provinces(catalog: Catalog) -> None:
    assert len(catalog.districts) == 696  # the statistics office's list of 01/3/2025
    former = former_provinces(catalog)
    assert len(former) == 63
    per = Counter(d.province for d in catalog.districts.values())
    assert set(per) == set(former)  # each former province has its units, no unknown province
    assert per["long_an"] == 15  # the seed's 15 districts of Long An
    header = (CONTENT / "districts.yaml").read_text(encoding="utf-8")[:3000]
    assert "daohoangson/dvhcvn" in header and "01/03/2025" in header  # the source, recorded


# (message, district found or None): the rule of content/districts.yaml
CASES = [
    ("Mỹ Hào thuộc tỉnh nào", "my_hao_hung_yen"),
    ("my hao thuoc tinh nao", "my_hao_hung_yen"),  # the question says it is a place
    ("trường nghề ở Bến Lức", "ben_luc_long_an"),  # a place word before it
    ("Trường nghề Bến Lức có không", "ben_luc_long_an"),  # written with capitals
    ("e o Tan Thanh", "tan_thanh_long_an"),
    ("thị xã Mỹ Hào", "my_hao_hung_yen"),  # a kind word
    ("huyen can duoc", "can_duoc_long_an"),
    ("quận 1 giờ thuộc đâu", "quan_1_ho_chi_minh"),
    ("Bến Lức", "ben_luc_long_an"),  # the whole message
    # common words and phrases that fold like a district's name
    ("em rất tán thành", None),  # Tân Thạnh
    ("can duoc ho tro", None),  # Cần Đước: no sign it is a place
    ("cần được hỗ trợ", None),  # and other diacritics
    ("CAN DUOC HO TRO", None),  # capitals of a message in capitals prove nothing
    ("NGANH dien tu LA GI", None),  # La Gi: a word in capitals is not a name
    ("ngành điện tử là gì", None),
    ("học lực trung bình gia đình khó khăn", None),  # Bình Gia
    ("truong nghe ben luc", None),  # lower case, no place word: not sure enough
    ("trường THPT Ngô Quyền", None),  # a historical figure: capitals prove nothing
    ("ở Ngô Quyền", "ngo_quyen_hai_phong"),
    ("tuổi thanh xuân", None),
    ("xã Mỹ Hào", None),  # a commune of that name
    # names shared by two former provinces, and province names
    ("ở Châu Thành", None),
    ("Tân Châu", None),
    ("thị xã Tân Châu", "tan_chau_an_giang"),  # the kind word picks one
    ("huyện Tân Châu", "tan_chau_tay_ninh"),
    ("thanh hoa", None),  # the province
    ("ở Thanh Hóa", None),
    ("Thạnh Hóa", "thanh_hoa_long_an"),  # Long An's district, by its own diacritics
    ("huyện Thạnh Hóa", "thanh_hoa_long_an"),
    ("tp Thanh Hóa", "thanh_hoa_thanh_hoa"),
    ("Quảng Ninh thuộc tỉnh nào", None),  # the province
    ("huyện Quảng Ninh thuộc tỉnh nào", "quang_ninh_quang_binh"),
    ("hai duong bac giang vinh phuc gio la tinh gi", None),  # Vĩnh Phúc, not Vinh
    ("Vũng Tàu thuộc tỉnh nào", None),  # a province alias already
    ("thành phố Vũng Tàu thuộc tỉnh nào", "vung_tau_ba_ria_vung_tau"),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_district_rule(districts: DistrictIndex, text: str, expected: str | None) -> None:
    assert _found(districts, text) == ([expected] if expected else [])


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("Mỹ Hào thuộc tỉnh nào", True),
        ("Bến Lức giờ là tỉnh gì", True),
        ("Bến Lức ở đâu", True),
        ("trường nghề Bến Lức ở đâu", False),  # where the school is
        ("trường nghề ở Bến Lức", False),
        ("Bến Lức", True),
    ],
)
def test_which_messages_ask_where_it_is(districts: DistrictIndex, text: str, asked: bool) -> None:
    (mention,) = districts.mentions(text)
    assert mention.asked_where is asked


def test_matching_reads_a_district_as_its_province(matcher: Matcher) -> None:
    assert matcher.normalize("trường nghề ở Bến Lức") == matcher.normalize("trường nghề ở Long An")
    assert matcher.normalize("e o Tan Thanh") == matcher.normalize("e o Long An")
    assert matcher.normalize("em tán thành") != matcher.normalize("em Long An")


def test_my_hao_answers_its_province_today(engine: Engine) -> None:
    result = engine.ask("Mỹ Hào thuộc tỉnh nào")
    assert result.matched and result.id == "district:my_hao_hung_yen"
    assert "Thị xã Mỹ Hào trước đây thuộc tỉnh Hưng Yên" in result.answer
    assert "tỉnh Hưng Yên giữ tên và nay gồm cả Thái Bình" in result.answer
    assert "Long An" not in result.answer  # the wrong answer


def test_a_merged_province_district(engine: Engine) -> None:
    result = engine.ask("Bến Lức bây giờ thuộc tỉnh nào vậy")
    assert result.id == "district:ben_luc_long_an"
    assert "Huyện Bến Lức trước đây thuộc tỉnh Long An" in result.answer
    assert "tỉnh Long An đã nhập vào tỉnh Tây Ninh" in result.answer
    assert "nay thuộc tỉnh Tây Ninh" in result.answer
    result = engine.ask("quận 1 giờ thuộc đâu")
    assert "Quận 1 trước đây thuộc thành phố Hồ Chí Minh" in result.answer
    assert "địa bàn Quận 1 cũ" in result.answer


def test_naming_the_province_too_is_not_a_where_question(matcher: Matcher) -> None:
    text = "nhà tôi ở thành phố Tân An, trước thuộc tỉnh Long An, chính sách học nghề còn không"
    result = matcher.match(text)
    assert not (isinstance(result, Match) and result.id.startswith("district:"))


def test_a_question_about_schools_in_a_district_is_about_its_province(engine: Engine) -> None:
    result = engine.ask("trường nghề ở Bến Lức")
    plain = engine.ask("trường nghề ở Long An")
    assert result.id == plain.id


def test_district_screen_offers_the_province_schools(engine: Engine, catalog: Catalog) -> None:
    async def run() -> list[tuple[str, str]]:
        replies = await engine.handle(Inbound("test", "u-d", payload="district:ben_luc_long_an"))
        return [(b.label, b.payload) for b in replies[-1].buttons]

    buttons = asyncio.run(run())
    real = [s for s in catalog.schools.values() if s.province == "tay_ninh" and not s.example]
    assert (("Trường nghề ở tỉnh Tây Ninh", "province:tay_ninh") in buttons) == bool(real)


def test_the_survey_reads_a_district_as_its_province(catalog: Catalog, matcher: Matcher) -> None:
    reader = AnswerReader(catalog, matcher, ProvinceIndex(catalog))
    assert reader.province("Bến Lức") == ("tay_ninh", "Long An")
    assert reader.province("thị xã Mỹ Hào") == ("hung_yen", None)


HOSTILE = "bến lức BẾN Bến ở o tại, thuộc tỉnh nào huyện x 1"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(HOSTILE), max_size=60))
def test_hostile_text_never_breaks_the_index(districts: DistrictIndex, text: str) -> None:
    for mention in districts.mentions(text):
        assert 0 <= mention.start < mention.end
    rewritten = districts.rewrite(text)
    assert isinstance(rewritten, str)
