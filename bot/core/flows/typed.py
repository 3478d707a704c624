"""Typed answers to a flow's choices (flowfix): fold, strip politeness particles and fillers,
then match the step's options by label, by the synonyms content gives them, and with rapidfuzz
for typos. Shared by the survey, the eligibility check and the quiz."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rapidfuzz import fuzz, process

from bot.matching.normalize import fold

# at the end of a message: politeness and filler ("chưa biết ạ", "lớp 9 nha", "chưa bít nữa")
PARTICLES = frozenset("a ak ah nha nhe nhen nhi ha day do luon nua roi r nho".split())
# at the start: fillers and hesitation ("hmm không chắc lắm", "dạ hộ nghèo")
FILLERS = frozenset("hmm hm um uhm uh o e da thi the".split())
# Emoji people answer with, as the words they stand for.
EMOJI = {
    "👍": "thich",
    "👍🏻": "thich",
    "👎": "khong thich",
    "👎🏻": "khong thich",
    "🤔": "khong chac",
}
FUZZY = 80  # rapidfuzz ratio a typed answer needs to stand for an option's word
MARGIN = 5  # and the next option must be this far behind (else: ask again, never guess)


def core(text: str) -> str:
    """Folded text without leading fillers and trailing particles: "dạ chưa biết ạ" -> "chua
    biet"; an emoji alone becomes its word."""
    stripped = text.strip()
    if stripped in EMOJI:
        return EMOJI[stripped]
    words = fold(stripped).split()
    while len(words) > 1 and words[0] in FILLERS:
        words.pop(0)
    while len(words) > 1 and words[-1] in PARTICLES:
        words.pop()
    return " ".join(words)


def _forms(label: str, synonyms: Iterable[str]) -> list[str]:
    """The folded ways an option is typed: its label, what its label puts in brackets
    ("Tốt nghiệp THCS (lớp 9)" -> "lop 9"), its synonyms."""
    forms = [fold(label)]
    if "(" in label and label.rstrip().endswith(")"):
        outside, _, inside = label.rstrip()[:-1].partition("(")
        forms += [fold(outside), fold(inside)]
    forms += [fold(s) for s in synonyms]
    return [f for f in dict.fromkeys(forms) if f]


def pick(
    text: str,
    labels: Mapping[str, str],
    synonyms: Mapping[str, Iterable[str]] | None = None,
    fuzzy: bool = True,
) -> str | None:
    """The option id a typed answer names: exactly (after `core`), or (`fuzzy`) closely enough
    to be unambiguous; None when nothing fits."""
    said = core(text)
    if not said:
        return None
    owner: dict[str, str | None] = {}
    for ident, label in labels.items():
        for form in _forms(label, (synonyms or {}).get(ident, ())):
            # a form two options share names neither
            owner[form] = ident if owner.get(form, ident) == ident else None
    if said in owner or not fuzzy:
        return owner.get(said)
    # a typo is in letters: "lop 1" is no "lop 12"
    digits = _digits(said)
    candidates = [f for f in owner if _digits(f) == digits]
    found = process.extract(said, candidates, scorer=fuzz.ratio, limit=4)
    best = [(form, score) for form, score, _ in found if owner[form] is not None]
    if not best or best[0][1] < FUZZY:
        return None
    rivals = [s for f, s in best[1:] if owner[f] != owner[best[0][0]]]
    if rivals and rivals[0] >= best[0][1] - MARGIN:
        return None
    return owner[best[0][0]]


def _digits(text: str) -> list[str]:
    return [w for w in text.split() if w.isdigit()]
