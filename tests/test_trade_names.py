"""A question naming one trade gets that trade's card instead of "Ý bạn là…?" (issue 10),
except when it asks about money, names two trades or a place, or the name is typed with other
diacritics."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.engine import Engine
from bot.matching.accents import Key, Spellings
from bot.matching.matcher import Match, Matcher, Scored, Suggestions
from bot.matching.money import asks_fees, asks_pay, mentions_money
from bot.matching.resolve import EntityMatcher
from bot.matching.trade_names import TradeNames

TRADES = [
    ("trade:dien_lanh", [["dien", "lanh"]], ["điện lạnh"]),
    (
        "trade:dien_cn",
        [["hoc", "nghe", "dien"], ["dien", "cong", "nghiep"]],
        ["học nghề điện", "điện công nghiệp"],
    ),
    ("trade:han", [["han"], ["nghe", "han"]], ["hàn", "nghề hàn"]),
    ("trade:co_khi", [["co", "khi"]], ["cơ khí"]),
    ("trade:nail", [["nail"]], ["nail"]),
]
SPELLINGS = Spellings(texts for _, _, texts in TRADES)  # as the matcher keeps them
INDEX = {ident: i for i, (ident, _, _) in enumerate(TRADES)}


def _conflicts(ident: str, marked: list[Key]) -> list[str]:
    return SPELLINGS.conflicts(INDEX[ident], marked)


def _names() -> TradeNames:
    return TradeNames([(ident, names) for ident, names, _ in TRADES])


def test_a_name_inside_a_longer_name_past_its_frame_is_not_named() -> None:
    names = _names()
    tokens = "em muon hoc nghe dien lanh".split()
    assert names.named("em muon hoc nghe dien lanh", tokens, _conflicts) == {"trade:dien_lanh"}
    tokens = "em muon hoc nghe dien".split()
    assert names.named("em muon hoc nghe dien", tokens, _conflicts) == {"trade:dien_cn"}


def test_short_one_word_names_are_not_read_alone() -> None:
    names = _names()
    # "hạn" folds to "han" (welding): three letters alone are too ambiguous
    assert names.named("han nop ho so", "han nop ho so".split(), _conflicts) == set()
    assert names.named("hoc nghe han", "hoc nghe han".split(), _conflicts) == {"trade:han"}
    assert names.named("hoc nail", "hoc nail".split(), _conflicts) == {"trade:nail"}


def test_a_name_typed_with_other_diacritics_is_not_named() -> None:
    names = _names()
    tokens = "co khi em hoc".split()
    assert (
        names.named("có khi em học", tokens, _conflicts) == set()
    )  # "có khi" is "maybe", not "cơ khí"
    assert names.named("cơ khí em học", tokens, _conflicts) == {"trade:co_khi"}
    assert names.named("co khi em hoc", tokens, _conflicts) == {"trade:co_khi"}


def test_money_words_are_read_from_normalized_tokens() -> None:
    assert mentions_money("hoc nghe co khi ton bao nhieu tien".split())
    assert mentions_money("co duoc ho tro gi khong".split())
    assert mentions_money("luong bao nhieu".split())
    assert not mentions_money("hoc co khi mat bao lau".split())
    assert not mentions_money("gia dinh em muon em hoc co khi".split())


def _asked(*ids: str) -> Suggestions:
    return Suggestions(tuple(Scored(i, i, 0.2 - n * 0.01) for n, i in enumerate(ids)), 0.2)


def test_the_named_trade_is_the_answer_and_the_other_options_stay(matcher: Matcher) -> None:
    assert isinstance(matcher, EntityMatcher)
    asked = _asked("faq:nganh_dang_can", "trade:co_khi_che_tao", "faq:ho_so_nhap_hoc")
    got = matcher._named_trade("hoc nganh co khi can to chat gi", asked)
    assert isinstance(got, Match)
    assert got.id == "trade:co_khi_che_tao"
    assert [c.id for c in got.close] == ["faq:nganh_dang_can", "faq:ho_so_nhap_hoc"]


def test_no_card_for_money_two_trades_or_a_trade_not_offered(matcher: Matcher) -> None:
    assert isinstance(matcher, EntityMatcher)
    asked = _asked("faq:hp_muc_hoc_phi", "trade:co_khi_che_tao")
    assert matcher._named_trade("hoc nghe co khi ton bao nhieu tien", asked) is None
    both = _asked("trade:dien_lanh", "trade:nau_an")
    assert matcher._named_trade("phan van giua dien lanh voi nau an", both) is None
    other = _asked("faq:nganh_dang_can", "faq:ho_so_nhap_hoc")
    assert matcher._named_trade("hoc nganh co khi can to chat gi", other) is None


def test_a_question_naming_one_trade_gets_its_card(engine: Engine, matcher: Matcher) -> None:
    text = "cho em hỏi học ngành cơ khí cần tố chất gì"
    before = Matcher.match(matcher, text)  # the matcher alone asks back
    assert isinstance(before, Suggestions)
    result = engine.ask(text)
    assert result.matched and result.id == "trade:co_khi_che_tao"
    assert "CƠ KHÍ" in result.answer.upper()


async def test_a_general_answer_offers_the_one_trade_named_beside_it(
    engine: Engine, matcher: Matcher
) -> None:
    """The general answer on jobs after vocational school stays the answer (it is what was
    asked); the welding card is one tap away, first among the buttons."""
    from bot.core.messages import Inbound

    text = "hoc nghe han ra truong co de xin viec ko"
    got = matcher.match(text)
    assert isinstance(got, Match) and got.id == "faq:viec_lam_sau_tot_nghiep"
    assert got.close and got.close[0].id == "trade:han"
    replies = await engine.handle(Inbound("test", "trade-beside", text=text))
    assert replies[-1].buttons[0].payload == "trade:han"
    # a general question naming no trade, or two, offers none
    for plain in ("hoc nghe ra truong co de xin viec ko", "hoc han hay dien lanh de xin viec"):
        got = matcher.match(plain)
        assert not (
            isinstance(got, Match)
            and got.id.startswith("faq:")
            and any(c.id.startswith("trade:") for c in got.close)
        ), (plain, got)


@pytest.mark.parametrize(
    ("text", "trade"),
    [
        ("luong tho han bn 1 thang z", "trade:han"),  # a reviewer got the welding card
        ("thu nhap nghe dien lanh the nao", "trade:dien_lanh"),
    ],
)
def test_a_pay_question_naming_a_trade_gets_the_pay_answer_and_the_card_beside(
    matcher: Matcher, text: str, trade: str
) -> None:
    got = matcher.match(text)
    assert isinstance(got, Match) and got.id == "faq:luong_sau_tot_nghiep", got
    assert [c.id for c in got.close] == [trade]


@pytest.mark.parametrize(
    ("tokens", "pay"),
    [
        (["luong", "tho", "han"], True),
        (["thu", "nhap", "cao", "khong"], True),
        (["quan", "ly", "chat", "luong"], False),
        (["so", "luong", "tuyen", "sinh"], False),
        (["nang", "luong", "mat", "troi"], False),
        ([], False),
    ],
)
def test_pay_words(tokens: list[str], pay: bool) -> None:
    assert asks_pay(tokens) is pay


def test_a_place_leaves_the_question_to_the_place_lists(matcher: Matcher) -> None:
    got = matcher.match("o da nang co truong cao dang nghe nao day nau an ko")
    assert not (isinstance(got, Match) and got.id.startswith("trade:") and not got.close)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_read_without_error(text: str) -> None:
    names = _names()
    tokens = text.lower().split()
    assert names.named(text, tokens, _conflicts) <= {
        "trade:dien_lanh",
        "trade:dien_cn",
        "trade:han",
        "trade:co_khi",
        "trade:nail",
    }
    assert isinstance(mentions_money(tokens), bool)


def test_fee_words_are_pairs_that_only_mean_money() -> None:
    assert asks_fees("lien thong len dai hoc co duoc mien hoc phi khong".split())
    assert asks_fees("truot tot nghiep co duoc vay von khong".split())
    assert asks_fees("hoc nghe het bao nhieu tien".split())
    # folded "vậy" is "vay" and "tiện" is "tien": single words do not count
    assert not asks_fees("vay em hoc gi".split())
    assert not asks_fees("hoc o gan nha cho tien".split())


def test_a_fee_question_answered_off_money_asks_back_with_the_money_answers(
    matcher: Matcher,
) -> None:
    assert isinstance(matcher, EntityMatcher)
    text = "hoc lien thong len dai hoc thi co duoc mien hoc phi ko"
    before = Matcher.match(matcher, text)
    assert isinstance(before, Match) and before.id not in matcher.money  # the old answer
    got = matcher.match(text)
    assert isinstance(got, Suggestions)
    ids = [o.id for o in got.options]
    assert ids[0] == before.id
    assert len(ids) >= 2 and all(i in matcher.money for i in ids[1:])


def test_a_fee_question_answered_by_a_money_topic_stays_answered(matcher: Matcher) -> None:
    got = matcher.match("Học xong lớp 9 lên trung cấp có miễn học phí không?")
    assert isinstance(got, Match) and got.id in matcher.money  # type: ignore[attr-defined]
