"""Words a student types at the survey's steps that are not answers themselves (flowfix):
a child who cannot give a parent's number."""

from __future__ import annotations

from bot.matching.normalize import fold

# folded phrases: no parents, living with grandparents or a guardian, afraid to give the number
_NO_PARENT = (
    "ko co bo me", "khong co bo me", "k co bo me", "ko co ba me", "khong co ba me", "mo coi",
    "ko co bo", "khong co bo", "ko co me", "khong co me", "o voi ba", "o voi ong", "song voi ba",
    "song voi ong", "o voi co", "o voi di", "o voi chu", "o voi bac", "o voi cau", "o voi mo",
    "ko dam", "khong dam", "k dam", "so bo", "so me", "so ba", "bo me o xa", "bo me di lam xa",
    "bo me di xa", "ba me o xa", "ko co so bo", "ko co so me", "khong co so", "ko co so",
    "ko biet so", "khong biet so", "ko nho so", "khong nho so", "nguoi giam ho", "ko lien lac",
    "khong lien lac", "bo me ly hon", "bo me bo",
)  # fmt: skip


def no_parent_number(text: str) -> bool:
    """Whether a typed answer to the parent's-number question says the child cannot give one
    ("e ko co bo me, e o voi ba", "e ko dam dua so bo")."""
    padded = f" {fold(text)} "
    return any(f" {phrase} " in padded for phrase in _NO_PARENT)


_SELF = frozenset("e em toi minh to tui con chau".split())
_OPENING = frozenset("da vang chao".split())
_POLITE_END = frozenset("ạ ak ah nha nhé nhe nhen".split())  # "a" without its dot may be a name


def strip_name_frame(text: str) -> str:
    """A name without the sentence around it: "e ten la nong van a", "tên em là Hoa",
    "mình là Lan ạ" -> the name; text without such a frame comes back unchanged."""
    words = text.split()
    folded = [fold(w) for w in words]
    if not words or not all(folded):
        return text
    i = 0
    while i < len(words) - 1 and folded[i] in _OPENING:
        i += 1
    start = i
    if folded[i : i + 2] == ["ho", "ten"]:
        i += 2
    elif folded[i : i + 3] == ["ho", "va", "ten"]:
        i += 3
    elif folded[i] == "ten":
        i += 1
    elif folded[i] in _SELF and i + 1 < len(words) and folded[i + 1] in ("ten", "la"):
        i += 1
        i += folded[i] == "ten"
    else:
        return text
    if i < len(words) and folded[i] == "cua":
        i += 1
    if i < len(words) and folded[i] in _SELF and i > start:
        i += 1
    if i < len(words) and folded[i] == "la":
        i += 1
    name = words[i:]
    while name and name[-1].casefold().strip(".,!") in _POLITE_END:
        name.pop()
    return " ".join(name) if name else text
