"""A trade named in a question: "hoc nganh Cơ khí can to chat gi", "cao dang tmdt ra truong lam
dc nhung vi tri nao" ask about that trade, whatever frame is around its name.

The learned model spreads thin over such questions (the frame's words belong to a dozen FAQ
answers: "cần những gì", "ra trường làm gì"), so the matcher asks back although the student named
exactly one trade. When the decision is to ask back, the options hold that trade, the message names
no other trade and does not ask about money, the trade's card is the answer and the other options
stay as buttons beside it. Money questions keep asking back: a trade's card does not state fees,
and a wrong confident answer about money is the worst thing the bot can give.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from bot.matching.accents import Key, typed

TRADE = "trade:"
# words some keywords start with that are not the trade's name ("học điện", "thợ điện")
FRAME = frozenset({"hoc", "nghe", "nganh", "tho"})
MIN_SINGLE = 4  # a one-word name must be this long: "hàn" is also "hạn", "may" is also "máy"


class TradeNames:
    """Each trade's names and keywords as token sequences."""

    def __init__(self, trades: Iterable[tuple[str, Sequence[Sequence[str]]]]) -> None:
        """`trades`: (target id, normalized token lists of its names)."""
        self._phrases: dict[tuple[str, ...], set[str]] = {}
        for ident, token_lists in trades:
            for toks in token_lists:
                if len(toks) >= 2 or (len(toks) == 1 and len(toks[0]) >= MIN_SINGLE):
                    self._phrases.setdefault(tuple(toks), set()).add(ident)
        self._longest = max((len(p) for p in self._phrases), default=0)

    def named(
        self, text: str, tokens: Sequence[str], conflicts: Callable[[str, list[Key]], list[str]]
    ) -> set[str]:
        """The trades whose name or keyword the message contains, as written: a syllable typed
        with other diacritics than the trade's own does not name it (`conflicts`: the matcher's
        own Spellings, by target id)."""
        spans: list[tuple[int, int, str]] = []
        for i in range(len(tokens)):
            for k in range(1, min(self._longest, len(tokens) - i) + 1):
                for ident in self._phrases.get(tuple(tokens[i : i + k]), ()):
                    start = i
                    while start < i + k - 1 and tokens[start] in FRAME:
                        start += 1
                    spans.append((start, i + k, ident))
        # "học nghề điện lạnh" holds "học nghề điện" too: a name whose words past its frame lie
        # inside a longer name is not named
        found = {
            ident
            for i, j, ident in spans
            if not any(a <= i and j <= b and b - a > j - i for a, b, _ in spans)
        }
        marked = typed(text)
        if marked:
            found = {t for t in found if not conflicts(t, marked)}
        return found
