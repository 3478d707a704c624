"""Parent codes as people write them (issue 12): "PH-ABCD-2345", read back from any message."""

from __future__ import annotations

import re
import unicodedata

LENGTH = 8  # characters of a code's body (32^8 = 2^40 codes)
_BODY = re.compile(r"^[a-z0-9]{8}$")
_SQUEEZE = re.compile(r"[\s\-_.]+")


def shown(body: str) -> str:
    """How a code is written for people: PH-ABCD-2345."""
    return f"PH-{body[:4]}-{body[4:]}"


def compact(body: str) -> str:
    """The code in a link (t.me/…?start=, ?ma=): PHABCD2345."""
    return f"PH{body}"


def shaped(body: str) -> bool:
    """Whether 8 characters look like a code's: letters and digits both (every code has both:
    bot/storage/parent_codes.py), so a name ("Pham Van Duc", "Phuong Thao") never does."""
    return any(c.isdigit() for c in body) and any(c.isalpha() for c in body)


def parent_code(text: str) -> str | None:
    """The code's 8 characters (upper case) in a short message that is only a code
    ("PH-ABCD-2345", any case and spacing, after "/start" too; folded text works), else None.
    Only the printed form (with its dashes) or 8 characters holding a digit and a letter count
    (parentsafe: "Pham Van Duc" is a name, not a wrong code)."""
    if len(text) > 40:
        return None
    rest = _SQUEEZE.sub("", text.casefold()).removeprefix("/").removeprefix("start")
    if len(rest) != LENGTH + 2 or not rest.startswith("ph"):
        return None
    body = rest[2:]
    if not _BODY.match(body):
        return None
    # parentsafe: the printed form, dashes and all ("PH-ABCD-2345", after "/start" too)
    typed = text.strip().casefold().removeprefix("/").removeprefix("start").strip()
    printed = len(typed) == LENGTH + 4 and typed.startswith("ph-") and typed[7] == "-"
    return body.upper() if printed or shaped(body) else None


# -- flowfix: codes inside a sentence or without "PH", and a parent's typed decision --
ALPHABET = frozenset("abcdefghjklmnpqrstuvwxyz23456789")  # as bot/storage/parent_codes.py


def _joined(tokens: list[str]) -> str | None:
    """A code's 8 characters from the first folded tokens, when they split only where a code
    is written apart (after 4 characters) or where fold() splits letters from digits."""
    body = ""
    for token in tokens:
        if body and len(body) != 4 and body[-1].isdigit() == token[0].isdigit():
            return None
        body += token
        if len(body) >= LENGTH:
            break
    if len(body) != LENGTH or not set(body) <= ALPHABET:
        return None
    return body


_NON_CODE = re.compile(r"[^a-z0-9]+")
_LETTER_DIGIT = re.compile(r"(?<=[a-z])(?=[0-9])|(?<=[0-9])(?=[a-z])")


def fold_code(text: str) -> str:
    """Text folded as fold() does (lower case, no diacritics, words of letters and digits,
    letters split from digits) but with repeated letters kept: fold() shortens "aaab12cd" to
    "ab 12 cd", which is no longer the code (tradestep)."""
    text = unicodedata.normalize("NFC", text).casefold().replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(_LETTER_DIGIT.sub(" ", _NON_CODE.sub(" ", stripped)).split())


def code_in(folded: str) -> str | None:
    """The code's 8 characters (upper case) in a folded message: after "ph" anywhere in a short
    sentence ("chao bot, con toi gui ma ph llnq 78cf"), or without "PH" when it has a code's
    shape (8 letters and digits, both present) and is the whole message ("llnq78cf") or
    follows the word "mã" ("mã của con là llnq78cf")."""
    tokens = folded.split()
    if len(tokens) > 16:
        return None
    said_code = "ma" in tokens or "code" in tokens
    for index, word in enumerate(tokens):
        rest = tokens[index:]
        if word == "ph":
            rest = tokens[index + 1 :]
        elif word.startswith("ph") and len(word) > 2:  # "phllnq78cf", folded apart from digits
            rest = [word[2:], *tokens[index + 1 :]]
        elif not (said_code or index == 0):
            continue
        body = _joined(rest)
        if body is None:
            continue
        whole = index == 0 and len("".join(tokens)) == LENGTH
        # parentsafe: after "ph" too, a code holds a digit ("ph thao ngoc" is no code)
        if shaped(body) and (said_code or whole or word.startswith("ph")):
            return body.upper()
    return None


_OPENERS = frozenset("vang da u uh uhm um ok oke thi the".split())
_PEOPLE = frozenset("toi em minh chi anh co chu bac me bo ba chung gia dinh".split())
_ENDINGS = frozenset("a ak nha nhe nhen roi r luon do day ha nhi".split())
_FOR = ("cho chau", "cho con", "cho em", "cho chau no", "cho no", "voi", "het", "nhe")
LATER_WORDS = (
    "chua dong y", "chua quyet", "suy nghi", "hoi y kien", "hoi bo", "hoi me", "hoi ong",
    "hoi ba", "ban voi", "de sau", "de toi hoi", "de toi xem", "tu tu", "chua chac", "tinh sau",
    "xem lai", "xem da", "chua biet", "hoi lai", "bao sau", "cho toi hoi",
)  # fmt: skip
DECLINE_WORDS = frozenset(
    "khong dong y;ko dong y;k dong y;kg dong y;khong;ko;k;khong dau;ko dau;tu choi;khong cho;"
    "ko cho;khong muon;ko muon;khong chiu;ko chiu;khong dong y dau;ko dong y dau".split(";")
)
AGREE_WORDS = frozenset(
    "dong y;co;co dong y;vang;da;duoc;ok;oke;dong y het;toi dong y;chap nhan;xac nhan;"
    "dong y roi;duoc roi;cho phep;vang dong y;da dong y".split(";")
)


def parent_decision(folded: str) -> str | None:
    """A parent's typed answer to a request: "agree", "decline" (a clear no), "later" (not
    yet: "chưa đồng ý", "để tôi hỏi ý kiến bố cháu đã"), or None."""
    if folded in AGREE_WORDS:
        return "agree"
    padded = f" {folded} "
    if any(f" {words} " in padded for words in LATER_WORDS):
        return "later"
    words = folded.split()
    while words and words[0] in _OPENERS | _PEOPLE:
        words.pop(0)
    while words and words[-1] in _ENDINGS:
        words.pop()
    core = " ".join(words)
    for tail in _FOR:
        core = core.removesuffix(" " + tail)
    if core in DECLINE_WORDS or core.startswith(("khong dong y", "ko dong y", "k dong y")):
        return "decline"
    if core in AGREE_WORDS or (not core and folded.split()[:1] in (["vang"], ["da"])):
        return "agree"
    return None


# -- datarights (review3 C3): a parent filling in the survey for the child --------------------
_WHO = frozenset("toi minh em chi anh co chu bac tui".split())  # "tôi là …"
_PARENT = frozenset("me bo ba cha ong di co chu bac cau mo anh chi".split())  # "… là mẹ"
_CHILD = frozenset("chau con be".split())
_DOING = frozenset("lam dien khai nhap".split())  # "làm", "điền", "khai", "nhập" ("trả lời")
_ON_BEHALF = frozenset("giup ho thay cho".split())  # "giúp/hộ/thay/cho" the child
_FORM = frozenset("dien khai phieu form".split())  # the survey's form ("khảo sát" as a pair)


def _is_parent(words: list[str], i: int) -> bool:
    """ "tôi là mẹ", "mình là phụ huynh", "em là người giám hộ" from word i."""
    if words[i] not in _WHO or words[i + 1 : i + 2] != ["la"]:
        return False
    said = words[i + 2 : i + 5]
    return bool(said) and (
        said[0] in _PARENT or said[:2] == ["phu", "huynh"] or said == ["nguoi", "giam", "ho"]
    )


def _for_child(words: list[str], i: int) -> bool:
    """ "làm (khảo sát) giúp cháu", "điền hộ con", "trả lời thay cho cháu" from word i."""
    doing = words[i] in _DOING or words[i : i + 2] == ["tra", "loi"]
    near = range(i + 1, min(i + 6, len(words) - 1))  # within a few words ("làm khảo sát giúp")
    return doing and any(words[j] in _ON_BEHALF and words[j + 1] in _CHILD for j in near)


def parent_helping(folded: str) -> bool:
    """Whether a message says a parent is the one typing for the child: "Tôi là mẹ của cháu…
    tôi làm khảo sát giúp cháu được không ạ?" (a parent, of "cháu"/"con", or doing it for the
    child). Words only, no pattern: linear in the message."""
    if len(folded) > 300 or any(len(w) >= 6 and w.isdigit() for w in folded.split()):
        return False  # a phone number in it is an answer to the question asked
    words = folded.split()
    if any(_for_child(words, i) for i in range(len(words))):
        return True
    # a parent who says so AND speaks of the survey: a parent asking about fees ("Tôi là phụ
    # huynh của cháu…, có phải đóng học phí không ạ?") asks a question, not to fill in for it
    child = any(w in ("chau", "con") for w in words)
    form = any(w in _FORM for w in words) or "khao sat" in folded
    return child and form and any(_is_parent(words, i) for i in range(len(words)))
