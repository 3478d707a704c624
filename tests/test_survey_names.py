"""Names and communes typed in a survey: real names pass, sentences and questions do not."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.catalog import Catalog
from bot.catalog.text_keys import T
from bot.core.flows.survey_answers import MAX_NAME_WORDS, parse_commune, parse_name

NAMES = [
    "Huy",
    "huy",
    "Minh",
    "minh",
    "Nguyễn Thị Hoa",
    "nguyen thi hoa",
    "Lò Văn Páo",
    "H'Hen Niê",
    "H’Hen Niê",
    "Hʼhen Niê",
    "Y Moan Êban",
    "Trần Đức Anh",
    "tran duc minh",
    "Đỗ Minh",
    "do minh",
    "Lã Văn Cầu",
    "la van cau",
    "Nguyễn Văn A",
    "Nguyễn Văn Ba",
    "Lưu Minh Thế",
    "Nguyễn Xuân Trường",
    "Tôn Nữ Thị Ngọc Hà",
    "Phạm Thị Thu-Hà",
    "Nguyễn Ngọc Anh Thi",
    "Hoàng Thị Như",
]


@pytest.mark.parametrize("name", NAMES)
def test_vietnamese_names_pass(name: str) -> None:
    parsed = parse_name(name)
    assert parsed.error is None, name
    assert parsed.value == name


@pytest.mark.parametrize(
    "typed",
    [
        "nghe han co nguy hiem ko, co chet nguoi ko",
        "thi truot la e chet cho bo me vua long",
        "nghề hàn có nguy hiểm không",
        "nghe han co nguy hiem ko",
        "hoc gi",
        "lương bao nhiêu",
        "học phí thế nào",
        "Hoa 2009",
        "Nguyễn Văn An 9A",
        "ai biết",
        "Lan?",
        "cho em hỏi",
        "Nguyễn Thị Hoa lớp 9A trường THCS Lê Lợi",
        '=HYPERLINK("http://x.example","bấm")',
        "sao",
        "ko",
    ],
)
def test_sentences_are_not_names(typed: str) -> None:
    assert parse_name(typed).error is not None, typed


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("em là Hoa", "Hoa"),
        ("em la hoa", "hoa"),
        ("toi ten Lan", "Lan"),
        ("e ten la nong van a", "nong van a"),
        ("tên em là Nông Văn A ạ", "Nông Văn A"),
        ("mình là Lò Thị Mai", "Lò Thị Mai"),
        ("Dạ, họ tên của em là Trần Văn Bình", "Trần Văn Bình"),
        ("Lã Văn Cầu", "Lã Văn Cầu"),
        ("Minh Anh", "Minh Anh"),
    ],
)
def test_only_the_name_of_a_sentence_is_kept(typed: str, name: str) -> None:
    """flowfix: the frame around a name is dropped; a name field never holds a sentence."""
    assert parse_name(typed).value == name


@pytest.mark.parametrize("typed", ["em là học sinh lớp 9", "tên em là gì", "mình là"])
def test_a_frame_around_no_name_is_still_refused(typed: str) -> None:
    assert parse_name(typed).error is not None


def test_a_sentence_gets_the_name_or_commune_complaint() -> None:
    typed = "thi truot la e chet cho bo me vua long"
    assert parse_name(typed).error == T.SURVEY_BAD_NAME
    assert parse_commune(typed).error == T.SURVEY_BAD_COMMUNE


@pytest.mark.parametrize(
    "commune",
    [
        "phường Tân An",
        "Tân An",
        "xa tan phu",
        "xã Tân Phú, huyện Đồng Phú, tỉnh Bình Phước",
        "thị trấn Bến Lức",
        "xã Bố Hạ",
        "phường 5",
    ],
)
def test_communes_pass(commune: str) -> None:
    assert parse_commune(commune).error is None, commune


@pytest.mark.parametrize(
    "typed",
    [
        "thi truot la e chet cho bo me vua long",
        "nghe han co nguy hiem ko, co chet nguoi ko",
        "xã nào có trường nghề?",
        "học phí bao nhiêu",
    ],
)
def test_sentences_are_not_communes(typed: str) -> None:
    assert parse_commune(typed).error is not None, typed


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_accepted_name_looks_like_a_name(text: str) -> None:
    parsed = parse_name(text)  # never raises
    if parsed.error is None:
        value = str(parsed.value)
        words = value.split()
        assert 1 <= len(words) <= MAX_NAME_WORDS
        assert not any(ch.isdigit() or ch == "?" for ch in value)
        assert all(
            ch.isalpha() or ch in " '’ʼ-" or unicodedata.category(ch)[0] == "M" for ch in value
        )


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_accepted_commune_is_short(text: str) -> None:
    parsed = parse_commune(text)
    if parsed.error is None:
        assert "?" not in str(parsed.value)


# -- parentsafe: a sentence with "tôi", "em", "đồng ý", "không" is no name (review3 W4) --


@pytest.mark.parametrize(
    "typed",
    [
        "Tôi đồng ý thay cho cháu",
        "toi dong y thay cho chau",
        "Tôi làm giúp cháu",
        "Em đồng ý",
        "em dong y nha",
        "Đồng ý",
        "dong y",
        "Không đồng ý",
        "Tôi",
        "Mẹ em đồng ý",
        "Cháu không biết",
    ],
)
def test_a_sentence_about_consent_is_not_a_name(typed: str) -> None:
    assert parse_name(typed).error is not None, typed


@pytest.mark.parametrize(
    "name", ["Nguyễn Thị Em", "nguyen thi em", "Lê Thị Ý", "Phạm Thị Thay", "Kong Tú"]
)
def test_names_with_syllables_like_sentence_words_pass(name: str) -> None:
    assert parse_name(name).error is None, name


def test_the_sentence_complaint_gives_an_example(catalog: Catalog) -> None:
    assert parse_name("Tôi đồng ý thay cho cháu").error == T.SURVEY_NAME_SENTENCE
    assert "ví dụ: Nguyễn Văn An" in catalog.text(T.SURVEY_NAME_SENTENCE)
    assert "ví dụ: Nguyễn Văn An" in catalog.text(T.SURVEY_BAD_NAME)
