"""Shared by the hostile-input tests: hypothesis profiles, hostile text strategies, checks."""

from __future__ import annotations

import os
import unicodedata

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Few examples by default so the suite stays fast; HOSTILE_PROFILE=thorough for a long hunt.
_SUPPRESS = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
settings.register_profile(
    "hostile-fast", max_examples=30, deadline=None, suppress_health_check=_SUPPRESS
)
settings.register_profile(
    "hostile-thorough", max_examples=1000, deadline=None, suppress_health_check=_SUPPRESS
)
HOSTILE = settings.get_profile(f"hostile-{os.environ.get('HOSTILE_PROFILE', 'fast')}")

# letters only Vietnamese (and a few neighbours) write: every message the bot sends has some
VIETNAMESE = frozenset("àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ")


def vietnamese(text: str) -> bool:
    """Whether the text has Vietnamese letters with their diacritics."""
    return any(ch in VIETNAMESE for ch in unicodedata.normalize("NFC", text.casefold()))


def forbidden(ch: str) -> bool:
    """Code points no input may keep: XML 1.0's forbidden ones and unassigned ones."""
    code = ord(ch)
    if code < 0x20:
        return ch not in "\t\n\r"
    return unicodedata.category(ch) in ("Cs", "Cn")


# Every code point, surrogates included (they reach us as JSON escapes such as "\ud800").
ANY_CHAR = st.characters(codec=None, exclude_categories=())
SPECIAL = (
    "\x00",
    "\uffff",
    "\ufffe",
    "\ud800",
    "\udfff",
    "\u202e",  # right-to-left override
    "\u200f",  # right-to-left mark
    "\u200b",  # zero width space
    "\U000e0001",  # language tag
    "\U0010ffff",
    "a\u0301",  # combining accent
    "🙂",
    "\r\n",
    "\t",
    " ",
    "1   ",
    "và ",
    ",",
    "đ",
)
# the several-numbers input of issue 9 (63 characters held the loop for 11 s)
SEVERAL_NUMBERS_ATTACK = "1" + "   1" * 15 + " x"


@st.composite
def _repeated(draw: st.DrawFn) -> str:
    unit = draw(st.sampled_from([*SPECIAL, "1   1", "a, ", "xoá ", "A"]))
    return unit * draw(st.integers(1, 16 * 1024 // len(unit)))


HOSTILE_TEXT = st.one_of(
    st.text(ANY_CHAR, max_size=80),
    st.lists(st.sampled_from(SPECIAL), max_size=40).map("".join),
    _repeated(),
    st.sampled_from(
        [SEVERAL_NUMBERS_ATTACK, "1" + "   1" * 249 + " x", "4, 2", "1 và 3", "0912345678"]
    ),
)
