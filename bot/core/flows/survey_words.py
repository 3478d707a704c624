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
