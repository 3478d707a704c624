"""A parent's typed decision and codes as parents type them (flowfix)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.flows.parent_words import (
    code_in,
    compact,
    fold_code,
    parent_code,
    parent_decision,
    shown,
)
from bot.matching.normalize import fold
from bot.storage.parent_codes import _body


@pytest.mark.parametrize(
    ("said", "decision"),
    [
        ("Vâng, tôi đồng ý", "agree"),
        ("vang toi dong y", "agree"),
        ("dạ đồng ý ạ", "agree"),
        ("tôi đồng ý cho cháu", "agree"),
        ("đồng ý", "agree"),
        ("tôi chưa đồng ý", "later"),
        ("để tôi hỏi ý kiến bố cháu đã", "later"),
        ("cho tôi suy nghĩ thêm", "later"),
        ("không đồng ý", "decline"),
        ("ko dong y dau", "decline"),
        ("học phí bao nhiêu", None),
        ("mình là mẹ của Cúc", None),
    ],
)
def test_a_parents_words_are_read(said: str, decision: str | None) -> None:
    assert parent_decision(fold(said)) == decision


@pytest.mark.parametrize(
    ("said", "body"),
    [
        ("chao bot, con toi gui ma ph llnq 78cf", "LLNQ78CF"),
        ("llnq78cf", "LLNQ78CF"),
        ("PH-LLNQ-78CF", "LLNQ78CF"),
        ("mã của con là LLNQ 78CF ạ", "LLNQ78CF"),
        ("mình là mẹ của Cúc, mã là", None),
        ("phụ huynh tâm", None),
        ("dienlanh", None),  # letters only: a word, not a code
        ("12345678", None),  # digits only: a phone number's piece
        ("lớp 9a, 12345678", None),
    ],
)
def test_codes_are_found_where_parents_put_them(said: str, body: str | None) -> None:
    assert code_in(fold(said)) == body


@given(st.text(max_size=200))
def test_any_text_is_read_without_error(text: str) -> None:
    folded = fold(text)
    found = code_in(folded)
    assert found is None or len(found) == 8
    assert parent_decision(folded) in (None, "agree", "decline", "later")


@pytest.mark.parametrize(
    ("said", "body", "folding_loses_a_letter"),
    [
        ("aaab23cd", "AAAB23CD", False),
        ("ph aaab 23cd", "AAAB23CD", False),
        ("mã của con là LLLN 78CF ạ", "LLLN78CF", False),
        ("Đây là mã: ph-kkkk-2345", "KKKK2345", False),
        ("abbb23cd", "ABBB23CD", True),
        ("mã của con là LNNN 78CF ạ", "LNNN78CF", True),
    ],
)
def test_codes_with_repeated_letters_are_read_as_typed(
    said: str, body: str, folding_loses_a_letter: bool
) -> None:
    """tradestep: fold() shortens "abbb" to "ab" (not a repeat at a word's start: "cccd");
    fold_code keeps the letters of a code either way."""
    assert code_in(fold_code(said)) == body
    assert (code_in(fold(said)) != body) is folding_loses_a_letter  # why fold_code exists


@given(st.text(max_size=200))
def test_fold_code_is_fold_where_no_letter_repeats(text: str) -> None:
    """fold_code differs from fold only where fold() shortens a run of one letter."""
    if not re.search(r"(.)\1\1", fold_code(text)):
        assert fold_code(text) == fold(text)


# -- parentsafe: only what is shaped like a code is read as one (review3 W1) --

NAMES = ["Pham Van Duc", "Phan Thi Lan", "Phan Van Tai", "Pham Thi Hoa", "Phuong Thao",
         "phạm văn đức", "Phamthuy Linh", "ph thao ngoc", "mã của con là Phuong Thao"]  # fmt: skip


@pytest.mark.parametrize("typed", NAMES)
def test_names_are_not_codes(typed: str) -> None:
    assert parent_code(typed) is None
    assert code_in(fold(typed)) is None
    assert code_in(fold_code(typed)) is None


def test_every_code_given_is_read_in_every_form() -> None:
    """Codes hold a letter and a digit, never only letters: each is still read printed,
    compact, lower case, in a sentence and after /start."""
    for _ in range(300):
        body = _body()
        printed = shown(body)
        assert parent_code(printed) == body
        assert parent_code(compact(body).lower()) == body
        assert parent_code(f"/start {compact(body)}") == body
        assert code_in(fold_code(f"mã của con là {printed} ạ")) == body


@given(st.text(alphabet=st.characters(categories=["L", "Zs", "P"]), max_size=40))
def test_text_without_digits_is_never_a_code_unless_printed(typed: str) -> None:
    """Letters, spaces and punctuation (any name): never a code, except the printed form
    "PH-XXXX-XXXX" itself, which a person only types as a code."""
    if not re.fullmatch(r"\s*/?(start\s*)?ph-[a-z]{4}-[a-z]{4}\s*", typed.casefold()):
        assert parent_code(typed) is None
    assert code_in(fold(typed)) is None
    assert code_in(fold_code(typed)) is None
