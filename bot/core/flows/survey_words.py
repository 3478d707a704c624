"""Words a student types at the survey's steps that are not answers themselves: those that
start, leave or move through a survey (split from survey.py by surveyinput), and (flowfix) a
child who cannot give a parent's number."""

from __future__ import annotations

from bot.core.flows.typed import PARTICLES
from bot.matching.normalize import fold

START = "survey:start"  # the survey menu: resume, or choose a grade

_GRADE_9 = ("9", "lop 9", "sau lop 9", "het lop 9", "xong lop 9", "lop 9 sap len 10")
_GRADE_12 = ("12", "lop 12", "sau lop 12", "het lop 12", "xong lop 12")

# Typed words (folded, without diacritics) that start a survey, outside one.
START_WORDS = {
    **dict.fromkeys(
        [
            "khao sat",
            "lam khao sat",
            "khaosat",
            "khao sat nguyen vong",
            "nguyen vong",
            "em muon lam khao sat",
            "toi muon lam khao sat",
            "khao xat",
        ],
        START,
    ),
    **dict.fromkeys(["khao sat lop 9", "lam khao sat lop 9", *_GRADE_9], "sv:begin:lop9"),
    **dict.fromkeys(["khao sat lop 12", "lam khao sat lop 12", *_GRADE_12], "sv:begin:lop12"),
}
# a grade, only after the grade question ("sau lop 9" there left the survey for the article on
# what to do after grade 9: a reviewer)
GRADE_ONLY = frozenset((*_GRADE_9, *_GRADE_12))
# Typed words that act inside a survey (where "ok" means yes, not thanks).
SURVEY_WORDS = {
    **dict.fromkeys(["quay lai", "tro lai", "back", "lui"], "sv:back"),
    **dict.fromkeys(
        # not "dung": without diacritics "dừng" (stop) is "đúng" (right)
        ["huy", "huy bo", "huy khao sat", "dung lai", "thoat", "cancel"],
        "sv:cancel",
    ),
    **dict.fromkeys(["start", "menu", "trang chu", "ve trang chu", "home"], "home"),
    # a greeting (say, the next day) is not an answer: the waiting question is asked again
    **dict.fromkeys(
        ["hi", "hello", "alo", "chao", "xin chao", "chao ban", "chao bot", "bat dau", "tiep tuc"],
        "sv:resume",
    ),
    **dict.fromkeys(["bo qua", "skip", "qua cau nay"], "sv:skip"),
    **dict.fromkeys(["xong", "xong roi", "done", "het", "vay thoi"], "sv:done"),
    # flowfix: the summary's "✅ Gửi" typed
    **dict.fromkeys(["gui", "gui di", "gui luon", "gui nhe", "nop", "nop di"], "sv:submit"),
}
# flowfix: words around "khảo sát" in a request to start one ("e muon lam khao sat", "cho em
# làm khảo sát"): only these, so a question about surveys still reaches the matcher
ASKING = frozenset(
    "e em toi minh mk mik muon mun lam cho duoc dc voi vs di nao bat dau thu giup ad".split()
)

# A wish to stop typed inside the survey ("thôi em không làm nữa đâu", "ko lam nua", "dừng
# khảo sát"): read as "hủy" (its question first, never an immediate cancel). Phrases of the
# matcher's normalized text (teencode expanded: "hok", "ko" -> "khong"), found inside a short
# message; never "không" alone, an answer to a yes/no question.
_STOP_PHRASES = (
    "khong lam nua", "khong lam tiep", "khong muon lam nua", "khong muon lam tiep",
    "khong muon lam khao sat", "thoi khong lam", "khong lam khao sat", "dung khao sat",
    "ngung khao sat", "dung lam khao sat", "bo khao sat",
)  # fmt: skip
# found only as the whole message (with particles): a name or a commune could hold them
_STOP_ALONE = frozenset(("thoi", "dung lai", "thoi dung lai", "ngung lai"))
_STOP_TOKENS = {"thui": "thoi", "nx": "nua"}  # teencode the matcher does not expand
_STOP_MAX_WORDS = 10


def wants_to_stop(normalized: str, free_text: bool = False) -> bool:
    """Whether a typed message (normalized: folded, teencode expanded) says the student does not
    want to go on with the survey. `free_text`: the waiting question takes a name or a commune
    and "thôi" was not typed with its accent: "thoi" alone may be "Thới", an answer."""
    words = [_STOP_TOKENS.get(w, w) for w in normalized.split()]
    if not words or len(words) > _STOP_MAX_WORDS:
        return False
    padded = f" {' '.join(words)} "
    if any(f" {phrase} " in padded for phrase in _STOP_PHRASES):
        return True
    while len(words) > 1 and words[-1] in PARTICLES | {"dau"}:
        words.pop()
    while len(words) > 1 and words[0] in ("da", "vang", "uhm", "hmm", "um"):
        words.pop(0)
    said = " ".join(words)
    return said in _STOP_ALONE and not (free_text and said == "thoi")


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
