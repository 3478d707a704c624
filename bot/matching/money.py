"""Is a question about money? Read from normalized (folded, teencode-expanded) tokens.

Two readings. `mentions_money` is broad (any word of fees, loans, support or pay): a trade's card
is not given as the answer to such a question (bot/matching/trade_names.py). `asks_fees` is
strict (word pairs that only mean fees, loans or costs): a confident answer from a topic that
does not speak of money becomes a question back that offers the money answers too
(bot/matching/resolve.py). Single words are too loose for that: folded, "vậy" is "vay", "tiện"
is "tien"; measured on the dev sets, single words turned a dozen right answers into questions.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

# FAQ topics whose answers speak of money (content/faq/*.yaml `topic`)
MONEY_TOPICS = frozenset({"hoc_phi", "tin_dung", "ho_tro", "chinh_sach"})
# ("đóng" and "giá" are left out: folded, they are also "động" and "gia đình")
MONEY_WORDS = frozenset({"tien", "phi", "ton", "vay", "mien", "giam", "luong", "tra"})
MONEY_PAIRS = frozenset({("ho", "tro"), ("dong", "tien")})
FEE_PAIRS = frozenset(
    {
        ("hoc", "phi"),
        ("vay", "von"),
        ("chi", "phi"),
        ("mien", "hoc"),
        ("tra", "tien"),
        ("dong", "tien"),
        ("mat", "tien"),
        ("ton", "tien"),
        ("nhieu", "tien"),
    }
)


def mentions_money(tokens: Sequence[str]) -> bool:
    """Any word of fees, loans, support or pay."""
    return any(t in MONEY_WORDS for t in tokens) or any(
        pair in MONEY_PAIRS for pair in itertools.pairwise(tokens)
    )


def asks_fees(tokens: Sequence[str]) -> bool:
    """Words that only mean fees, loans or costs ("học phí", "vay vốn", "bao nhiêu tiền")."""
    return any(pair in FEE_PAIRS for pair in itertools.pairwise(tokens))


# words of pay: "lương" (folded, not "chất lượng", "số lượng", "khối lượng", "năng lượng"...)
# and "thu nhập"
_NOT_PAY_BEFORE = frozenset({"chat", "so", "khoi", "nang", "dung", "trong", "dai", "ham", "luc"})


def asks_pay(tokens: Sequence[str]) -> bool:
    """Whether a question asks about pay ("luong tho han bn 1 thang", "thu nhap nghe dien")."""
    for before, word in itertools.pairwise(("", *tokens)):
        if word == "luong" and before not in _NOT_PAY_BEFORE:
            return True
        if (before, word) == ("thu", "nhap"):
            return True
    return False
