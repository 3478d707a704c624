"""A short follow-up read in the context of the answer just given: "còn cao đẳng thì sao" after
the answer on trung cấp fees is about cao đẳng fees, "áp dụng cho ai" after Nghị quyết 31 is about
whom it covers, "khi nào phải trả" after the loan amount is about repaying.

Only a message that reads as a follow-up (a leading "còn / thế / vậy / nếu", a closing "thì sao",
a pointing word "đó / ấy / này", or five words at most) of ten words at most is read this way,
and only right after an answer (the engine keeps which one). The learned model scores every
answer twice: on the message alone and on the previous answer's question followed by the
message. An answer is in context when both support it, so the geometric mean of the two
probabilities ranks them; the previous answer itself is left out (it was just given). The
context decides only when its best is clear (at least RATIO times the runner-up); a message
whose own words the model reads as out of scope with some weight (BEYOND: "Điểm của em thế
này đỗ không?" 0.41; "áp dụng cho ai" 0.29), or where an out-of-scope topic wins in context,
stays as the message alone decides; so does a message whose own words give the context's
best almost nothing (SUPPORT: "asdfgh" 0.005 after a Long An answer). A confident answer to the
message alone is replaced only when the context's best is clear and at least OVERRIDE.

Measured when adopted: tests/eval/follow_ups.yaml (41 follow-ups the lead wrote): correct
21 -> 31, wrong confident 8 -> 6. The tuning sets' questions asked as fresh questions after
three random previous answers each (is a question taken over by the answer before?):
questions.yaml, 2,979 trials, no change; real_dev.yaml, 354 trials, correct 198 -> 202 ("Vậy,
nên làm gì khi trượt cấp 3?" answered), wrong unchanged. Pure, no regular expressions.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from bot.matching.matcher import OUT_OF_SCOPE, Match, Matcher, Suggestions
from bot.matching.normalize import fold

MAX_WORDS = 10  # longer messages say what they ask
SHORT = 5  # this short, a message leans on what was said before
RATIO = 2.0  # the context's best over its runner-up
FLOOR = 0.05  # the context's best, at least (geometric mean of two probabilities)
OVERRIDE = 0.1  # ... to replace a confident answer to the message alone
BEYOND = 0.35  # the model's out-of-scope probability for the message alone, at most
SUPPORT = 0.03  # the chosen answer's probability for the message alone, at least
# folded words that open a follow-up ("còn cao đẳng thì sao", "thế nếu học trường tư")
_LEADS = frozenset({"con", "the", "vay", "z", "neu", "zay", "vay thi"})
# folded endings of a follow-up question
_TAILS = (("thi", "sao"), ("thi", "the", "nao"), ("thi", "nhu", "nao"), ("the", "nao"))
# words pointing back, as typed (with diacritics: folded "do" is also "đỏ", "đồ"...)
_POINTING = frozenset({"đó", "ấy", "đấy", "này", "kia"})
# closing particles left out before reading the ending ("thì sao ạ", "thi sao z")
_PARTICLES = frozenset({"a", "ak", "ah", "vay", "z", "nhi", "nhe", "ha", "ta", "day"})


@dataclass(frozen=True)
class InContext(Match):
    """A confident answer chosen because of the answer before (the reply says so)."""


def is_follow_up(text: str) -> bool:
    """Whether a message reads as a follow-up to what was just said."""
    words = fold(text).split()
    if not words or len(words) > MAX_WORDS:
        return False
    while len(words) > 1 and words[-1] in _PARTICLES:
        words.pop()
    if len(words) <= SHORT or words[0] in _LEADS:
        return True
    if any(tuple(words[-len(tail) :]) == tail for tail in _TAILS):
        return True
    typed = {w.strip("?.,!") for w in text.lower().split()}
    return bool(typed & _POINTING)


def in_context(
    matcher: Matcher,
    previous_id: str,
    previous_question: str,
    text: str,
    plain: Match | Suggestions | None,
    keep: Callable[[str], bool] | None = None,
) -> Match | Suggestions | None:
    """The decision for `text` right after the answer `previous_id` (whose question is
    `previous_question`), given `plain`, the decision on the text alone."""
    model = matcher.intent
    if model is None or not is_follow_up(text):
        return plain
    alone = model.probabilities(matcher.topic_tokens(text))
    beyond = sum(p for c, p in zip(model.classes, alone, strict=True) if c.startswith(OUT_OF_SCOPE))
    if beyond >= BEYOND:
        return plain  # out of scope on its own words: the context does not bring it in
    together = model.probabilities(matcher.topic_tokens(f"{previous_question} {text}"))
    allowed = keep or (lambda _: True)
    ranked = sorted(
        (
            (math.sqrt(a * b), a, ident)
            for ident, a, b in zip(model.classes, alone, together, strict=True)
            if ident != previous_id and (ident.startswith(OUT_OF_SCOPE) or allowed(ident))
        ),
        reverse=True,
    )
    if len(ranked) < 2:
        return plain
    (best, own, ident), (second, _, _) = ranked[0], ranked[1]
    if own < SUPPORT:
        return plain  # the context alone speaks for it ("asdfgh", "ngu thật")
    label = matcher.label(ident)
    if ident.startswith(OUT_OF_SCOPE) or label is None:
        return plain  # out of scope in context too
    if best < FLOOR or best < RATIO * second:
        return plain
    if isinstance(plain, Match) and (plain.id == ident or best < OVERRIDE):
        return plain
    return InContext(ident, label, round(best, 4))
