"""Diacritics the user typed are evidence: "có khi" is not "cơ khí", "bóng" is not "bổng"."""

from __future__ import annotations

import pytest

from bot.matching.accents import Spellings, key, typed
from bot.matching.matcher import Match, Matcher


def test_old_and_new_tone_placement_are_one_spelling() -> None:
    assert key("hoà") == key("hòa") and key("thuỷ") == key("thủy")
    assert key("có") != key("cơ") and key("khi") != key("khí") and key("bóng") != key("bổng")
    assert key("Đường")[0] == "duong"


def test_a_message_typed_with_diacritics_counts_every_syllable() -> None:
    assert [b for b, _ in typed("cần có khi nào")] == ["can", "co", "khi", "nao"]
    # typed without them: only the marked syllables say anything
    assert [b for b, _ in typed("e muon hoc co khí")] == ["khi"]
    assert typed("hoc co khi") == []


def test_only_phrasings_written_with_diacritics_say_how_a_target_spells() -> None:
    spellings = Spellings([["học cơ khí", "hoc co khi ra lam gi"]])
    assert spellings.conflicts(0, typed("cần có khi nào")) == ["co", "khi"]
    assert spellings.conflicts(0, typed("học cơ khí ở đâu")) == []
    assert spellings.conflicts(0, typed("hoc co khi o dau")) == []


@pytest.mark.parametrize(
    ("question", "not_this"),
    [
        ("cần có khi nào", "trade:co_khi_che_tao"),
        ("sân đá bóng", "faq:hoc_bong"),
    ],
)
def test_other_diacritics_do_not_match(matcher: Matcher, question: str, not_this: str) -> None:
    ranked = [s.id for s in matcher.rank(question)[:3]]
    assert not_this not in ranked[:1], ranked
    result = matcher.match(question)
    assert not (isinstance(result, Match) and result.id == not_this)


@pytest.mark.parametrize(
    ("question", "target"),
    [
        ("học cơ khí ra làm gì", "trade:co_khi_che_tao"),
        ("hoc co khi ra lam gi", "trade:co_khi_che_tao"),
        ("học nghề có học bổng không", "faq:hoc_bong"),
        ("hoc nghe co hoc bong ko", "faq:hoc_bong"),
    ],
)
def test_the_same_words_still_match_with_or_without_them(
    matcher: Matcher, question: str, target: str
) -> None:
    result = matcher.match(question)
    assert isinstance(result, Match) and result.id == target, result


def test_a_word_counts_against_a_target_only_where_every_use_conflicts() -> None:
    spellings = Spellings([["hội chợ việc làm năm nay"]])
    # "chợ" and "cho" both fold to "cho": one of them is the target's own spelling
    assert spellings.words_against(typed("có hội chợ việc làm cho học sinh không")) == {}
    assert spellings.words_against(typed("cho tôi hỏi")) == {0: {"cho", "hoi"}}


@pytest.mark.parametrize(
    "question",
    ["Cho tôi hỏi về học phí ạ", "Cho tôi hỏi về học phí trung cấp ạ"],
)
def test_the_learned_model_reads_typed_diacritics_too(matcher: Matcher, question: str) -> None:
    """The model reads folded words: before, "Cho" beside "tôi hỏi" read as the pets topic's
    "chó" and the question about tuition was declined."""
    result = matcher.match(question)
    assert result is not None
    ids = [result.id] if isinstance(result, Match) else [o.id for o in result.options]
    assert not any(i.startswith("oos:") for i in ids)
    assert any(i.startswith("faq:hp_") for i in ids), ids
