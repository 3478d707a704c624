"""The reader of negation scope for group words (bot/matching/negation.py): what it negates,
what it leaves alone ("không những … mà còn", "không biết", "cha" the father), and hostile input
(any text, long text: it reads a bounded number of words per phrase, so it cannot stall)."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterator, Sequence
from typing import overload

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.catalog import Catalog, load_catalog
from bot.matching.negation import (
    MAX_GAP,
    NEGATIONS,
    TRANSPARENT,
    VERBS,
    GroupReader,
    negated,
    scope_start,
    spell_negations,
)
from bot.matching.normalize import Normalizer
from bot.matching.targets import group_reader
from tests.conftest import CONTENT


@functools.cache
def _content() -> Catalog:
    return load_catalog(CONTENT)


@functools.cache
def _normalizer() -> Normalizer:
    abbreviations = _content().abbreviations
    return Normalizer(abbreviations.tokens, abbreviations.phrases)


def reader() -> GroupReader:
    found = group_reader(_content())
    assert found is not None
    return found


def words(text: str) -> list[str]:
    return _normalizer()(spell_negations(text)).split()


def read(text: str) -> tuple[frozenset[str], frozenset[str]]:
    return reader().read(words(text))


POOR, NEAR_POOR = "household.ho_ngheo", "household.ho_can_ngheo"
MINORITY, DISABLED = "circumstances.dan_toc_thieu_so", "circumstances.khuyet_tat"
INVALID = "circumstances.con_thuong_binh"

NEGATED = [
    ("Nếu nhà em không thuộc hộ nghèo thì có được hỗ trợ gì không", POOR),
    ("em không phải dân tộc thiểu số thì có được miễn học phí không", MINORITY),
    ("nhà e ko thuộc diện cận nghèo, con e có được vay vốn ko", NEAR_POOR),
    ("con tôi không bị khuyết tật", DISABLED),
    ("bố em không phải thương binh", INVALID),
    # teencode, no diacritics
    ("nha em k phai ho ngheo co dc ho tro hoc phi k", POOR),
    ("nha e hok phai dtts, hoc nghe co dc mien hp ko", MINORITY),
    ("em hong bi khuyet tat thi sao", DISABLED),
    ("nha em kg thuoc dien can ngheo", NEAR_POOR),
    ("em khum phai nguoi dan toc", MINORITY),
    # chẳng, chả, chưa, đâu có
    ("em chẳng phải người dân tộc, học nghề có được hỗ trợ gì không", MINORITY),
    ("nhà em chả có sổ hộ nghèo", POOR),
    ("nha em cha phai ho ngheo", POOR),  # folded "chả phải"
    ("nhà em chưa được công nhận hộ cận nghèo", NEAR_POOR),
    ("nhà em đâu có thuộc hộ nghèo", POOR),
    ("nhà em đâu phải hộ cận nghèo", NEAR_POOR),
    ("em không khuyết tật", DISABLED),
    ("em không phải là người dân tộc thiểu số", MINORITY),
    ("nhà em không còn là hộ nghèo", POOR),
]

SAID = [
    # "không những / chẳng những / không chỉ … mà còn": adds, does not negate
    ("nhà em không những thuộc hộ nghèo mà còn có bố là thương binh", POOR),
    ("nhà em không những thuộc hộ nghèo mà còn có bố là thương binh", INVALID),
    ("em chẳng những là người dân tộc thiểu số mà còn khuyết tật", MINORITY),
    ("nhà em không chỉ hộ nghèo", POOR),
    # a negation of something else
    ("không biết nhà em có thuộc hộ nghèo không", POOR),
    ("không biết con là con liệt sĩ học cao đẳng có được miễn không", "circumstances.con_liet_si"),
    ("nhà em không có tiền mà là hộ nghèo", POOR),
    # "cha" is the father: only "cha phải" reads as "chả phải"
    ("cha em là thương binh", INVALID),
    ("cha em bị khuyết tật", DISABLED),
    ("cha có sổ hộ nghèo", POOR),
    # the group after the negated one: "không phải hộ nghèo mà là cận nghèo"
    ("nhà em không phải hộ nghèo mà là cận nghèo", NEAR_POOR),
    ("em không phải người dân tộc nhưng nhà em thuộc hộ nghèo", POOR),
    # a conditional is not a negation (the check answers what it supposes)
    ("nếu nhà em là hộ nghèo thì có được miễn học phí không", POOR),
]


def test_a_group_in_a_negations_scope_is_negated() -> None:
    for text, group in NEGATED:
        negative, said = read(text)
        assert group in negative and group not in said, text


def test_a_group_outside_any_negation_is_said() -> None:
    for text, group in SAID:
        negative, said = read(text)
        assert group in said and group not in negative, text


def test_a_group_named_both_ways_counts_as_said() -> None:
    negative, said = read("nhà em không phải hộ nghèo mà là cận nghèo")
    assert negative == {POOR} and said == {NEAR_POOR}
    negative, said = read("em nói là không phải hộ nghèo nhưng thật ra là hộ nghèo")
    assert POOR in said and POOR not in negative


def test_the_scope_ends_after_a_few_words_or_at_a_word_that_is_not_about_being() -> None:
    assert negated(["khong", "phai", "ho", "ngheo"], 2)
    assert negated(["khong", "phai", "la", "nguoi", "ho", "ngheo"], 4)
    far = ["khong", "phai", *["la"] * MAX_GAP, "ho", "ngheo"]
    assert not negated(far, len(far) - 2)
    assert not negated(["khong", "biet", "ho", "ngheo"], 2)
    assert not negated(["khong", "co", "tien", "ho", "ngheo"], 3)
    assert scope_start(["em", "khong", "phai", "dtts"], 3) == 1
    assert scope_start(["dtts"], 0) is None
    assert not negated([], 0) and not negated(["khong"], 5)


def test_without_negated_keeps_the_rest_of_the_question() -> None:
    kept = reader().without_negated(words("Nếu nhà em không thuộc hộ nghèo thì có được hỗ trợ gì"))
    assert kept == ["neu", "nha", "em", "thi", "co", "duoc", "ho", "tro", "gi"]


def test_spell_negations_spells_only_the_word_cha_with_its_mark() -> None:
    assert spell_negations("Chả phải hộ nghèo") == "chẳng phải hộ nghèo"
    assert spell_negations("nhà em chả, chả có") == "nhà em chẳng, chẳng có"
    assert spell_negations("chảo chả giò cha") == "chảo chẳng giò cha"
    assert spell_negations("cha em") == "cha em"
    assert spell_negations("cha\u0309 phải") == "chẳng phải"  # decomposed: read as NFC


# -- hostile input ----------------------------------------------------------------------------

VOCABULARY = sorted(
    {*NEGATIONS, *VERBS, *TRANSPARENT, "nhung", "chi", "cha", "dau", "ngheo", "can", "dtts"}
)


def _naive_spell(text: str) -> str:
    """spell_negations, written the obvious way: character by character."""
    text = unicodedata.normalize("NFC", text).casefold()
    result: list[str] = []
    at = 0
    while at < len(text):
        if text.startswith("chả", at):
            before = at == 0 or not text[at - 1].isalnum()
            after = at + 3 >= len(text) or not text[at + 3].isalnum()
            result.append("chẳng" if before and after else "chả")
            at += 3
        else:
            result.append(text[at])
            at += 1
    return "".join(result)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(["chả", "Chả", "a", " ", ",", "ả", "c", "h", "\u0309"])).map("".join)
)
def test_spell_negations_on_hostile_text(text: str) -> None:
    assert spell_negations(text) == _naive_spell(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_read_without_error(text: str) -> None:
    found = words(text)
    negative, said = reader().read(found)
    assert not negative & said
    assert isinstance(reader().without_negated(found), list)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(VOCABULARY), max_size=80), st.integers(0, 90))
def test_scope_never_reaches_past_max_gap(tokens: list[str], start: int) -> None:
    begin = scope_start(tokens, start)
    if begin is not None:
        assert 0 <= begin < start <= begin + MAX_GAP + 1
        assert tokens[begin] in NEGATIONS or tokens[begin] in ("cha", "dau")


class Counting(Sequence[str]):
    """Words that count how many times they are read."""

    def __init__(self, items: list[str]) -> None:
        self.items = items
        self.reads = 0

    def __len__(self) -> int:
        return len(self.items)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        self.reads += 1
        return self.items[index]

    def __iter__(self) -> Iterator[str]:
        return iter(self.items)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=40), st.integers(1, 100))
def test_a_negation_reads_a_bounded_number_of_words_however_long_the_text(
    unit: list[str], times: int
) -> None:
    # no stall: one phrase's scope reads at most MAX_GAP + 2 words back, plus the word after
    # each, whatever the length of the text around it (counted, not timed)
    tokens = Counting(unit * times + ["ho", "ngheo"])
    scope_start(tokens, len(tokens) - 2)
    assert tokens.reads <= 3 * (MAX_GAP + 2)


def test_a_long_hostile_message_is_read_in_linear_work() -> None:
    # the words a whole reading touches grow with the text, not with its square
    def reads(size: int) -> int:
        tokens = Counting(["khong", "phai", "la", "ho", "ngheo", "can"] * size)
        reader().read(tokens)
        reader().without_negated(tokens)
        return tokens.reads

    small, large = reads(100), reads(400)
    assert large <= 4 * small * 1.1
