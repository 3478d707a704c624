"""Survey answers: parsing typed answers per step type, and showing stored answers."""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from rapidfuzz import fuzz, process

from bot.catalog import Catalog
from bot.catalog.text_keys import T
from bot.core.flows.survey_words import strip_name_frame
from bot.matching.entities import ProvinceIndex
from bot.matching.matcher import Matcher
from bot.matching.normalize import fold

MAX_TEXT_ANSWER = 120  # a name, a school and class, a commune: never longer
# items of a list answer read at most (each is matched against the catalog: "a, a, a, …" of
# 1,000 characters held the loop for 120 ms); a question allows at most 10 choices
MAX_PARTS = 12
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
# between items of a list answer; no \s* around it (a run of spaces would be tried at every
# start: quadratic), the parts are stripped instead
_SPLIT = re.compile(r"[,;/+\n]|\b(?:và|va|voi|với)\b", re.IGNORECASE)
YES = frozenset(
    "co;dong y;dung;dung vay;chuan;u;uh;uhm;um;uk;ok;oke;okie;okay;yes;y;vang;da;da co;dc;duoc;"
    "co chu;phai".split(";")
)
NO = frozenset(
    "khong;ko;k;kg;hong;no;n;tu choi;sai;chua dung;khong phai;nhap lai;thoi;khong can".split(";")
)
_NEGATIONS = ("khong ", "ko ", "k ", "kg ", "hong ", "chua ", "tu choi")
_PRONOUNS = frozenset("em toi minh con me bo ba ma chau".split())
_PARTICLES = frozenset("a ak nha nhe nhen r roi luon do nhi day ha".split())
UNSURE = frozenset(
    "chua biet;chua bt;ko bt;khong biet;ko biet;ko bit;chua bit;chua ro;ko bt nua;khong biet nua;"
    "chua nghi;chua quyet dinh;j cung dc;gi cung duoc;sao cung duoc".split(";")
)
AUTO_SCHOOL = frozenset(
    "truong phu hop;phu hop;goi y;goi y giup;khong biet;chua biet;tuy;truong nao cung duoc".split(
        ";"
    )
)


@dataclass(frozen=True)
class Parsed:
    """The outcome of reading one typed answer."""

    value: Any = None
    error: str | None = None  # text key of the complaint; the question is asked again
    error_values: dict[str, object] = field(default_factory=dict)
    confirm: str | None = None  # a yes/no question to ask before the value is kept


def clean_text(text: str) -> str:
    """NFC, without control or format characters, single spaces."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Co", "Cs"))
    return " ".join(text.split())


def yes_no(text: str) -> bool | None:
    """True for yes, False for no, None when the text is neither.

    Pronouns before and particles after are ignored: "em đồng ý nha", "ko đồng ý ạ", "đúng r".
    """
    words = fold(text).split()
    while words and words[0] in _PRONOUNS:
        words.pop(0)
    while words and words[-1] in _PARTICLES:
        words.pop()
    core = " ".join(words)
    if core in NO or core.startswith(_NEGATIONS) or core.endswith((" khong cho", " ko cho")):
        return False
    if core in YES or core.removesuffix(" het") in YES:
        return True
    return None


def parse_text(text: str) -> Parsed:
    """A short free-text answer: letters required, at most MAX_TEXT_ANSWER characters, and not
    a question or a refusal (those are not names or places)."""
    cleaned = clean_text(text)
    if len(cleaned) > MAX_TEXT_ANSWER:
        return Parsed(error=T.SURVEY_TOO_LONG, error_values={"limit": MAX_TEXT_ANSWER})
    if not _LETTER.search(cleaned):
        return Parsed(error=T.SURVEY_NEED_LETTERS)
    folded = fold(cleaned)
    if cleaned.endswith("?") or yes_no(cleaned) is not None or folded in UNSURE:
        return Parsed(error=T.SURVEY_NOT_AN_ANSWER)
    return Parsed(cleaned)


# A word of a name: letters (any script, with or without diacritics), maybe joined by an
# apostrophe or a hyphen inside ("H'Hen", "Y-Moan"); no digits, no signs. The joiners are not
# letters (U+02BC "ʼ" is one, so the letter class takes it): each match has one parse.
_NAME_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)
_JOINERS = "'’-"
MAX_NAME_WORDS = 6
# Words of questions and sentences that are not syllables of a Vietnamese name when written
# with their diacritics ("Thị", "Minh", "Khổng", "Lã", "Đỗ", "Thế", "Ba" are names: not here).
_FUNCTION_WORDS = frozenset(
    "không ko k kg hông hok hem có gì j sao nào học nghề nghe e em tôi mình là thì mà vậy rồi r "
    "được đc dc chết muốn làm đi cho bố mẹ má bạn ơi à ạ ừ nha nhé hả hay cái này đó kia nhiêu "
    "vì nếu phải biết bt hỏi lớp trượt của với và ở ai đâu sợ tên mấy".split()
)
# The same words typed without diacritics, less those that fold onto a name syllable
# ("la" is also "Lã", "ma" also "Mã", "a" also "A" of "Nguyễn Văn A").
_NAME_SYLLABLES = frozenset("a ba bao do ha la lam ma minh nhu tai the thi truong vi".split())
_FUNCTION_FOLDED = frozenset(fold(w) for w in _FUNCTION_WORDS) - _NAME_SYLLABLES
# folded phrases that make a question whatever the other words are
_QUESTION_PHRASES = (
    "bao nhieu", "the nao", "tai sao", "vi sao", "la gi", "o dau", "khi nao", "bao gio",
    "duoc khong", "duoc ko", "co phai", "hay khong", "hay ko", "co khong", "co ko",
)  # fmt: skip
# words of an address that are not part of a sentence ("xã Tân Phú, huyện Đồng Phú")
_ADDRESS_WORDS = frozenset(
    "xa phuong thi tran huyen quan tinh thanh pho tp tx ap thon xom to khu ban so duong".split()
)
MAX_COMMUNE_WORDS = 6  # words besides those of _ADDRESS_WORDS


def _asks(folded: str) -> bool:
    """Whether folded text holds a question phrase ("bao nhiêu", "thế nào", "có … không")."""
    padded = f" {folded} "
    return any(f" {phrase} " in padded for phrase in _QUESTION_PHRASES)


def is_question(text: str) -> bool:
    """Whether a typed message asks something ("học phí bao nhiêu", "…?")."""
    return clean_text(text).strip().endswith("?") or _asks(fold(text))


def _has_marks(text: str) -> bool:
    """Whether the text is written with Vietnamese diacritics (then "Thị" is not "thì")."""
    decomposed = unicodedata.normalize("NFD", text.casefold())
    return "đ" in decomposed or any(unicodedata.combining(ch) for ch in decomposed)


def _name_word(word: str) -> bool:
    """Letters (and their combining marks), joined inside by an apostrophe or a hyphen."""
    return bool(_NAME_WORD.fullmatch(word)) and all(
        ch.isalpha() or ch in _JOINERS or unicodedata.category(ch).startswith("M") for ch in word
    )


def parse_name(text: str) -> Parsed:
    """A person's name: a short text answer (parse_text) of 1-6 words of letters, not a sentence
    or a question ("nghề hàn có nguy hiểm không", "em là Hoa")."""
    # flowfix: "e ten la nong van a", "tên em là …", "mình là …": only the name is kept
    parsed = parse_text(strip_name_frame(clean_text(text).strip(" .,!")))
    if parsed.error is not None:
        return parsed
    words = str(parsed.value).split()
    if len(words) > MAX_NAME_WORDS or not all(_name_word(w) for w in words):
        return Parsed(error=T.SURVEY_BAD_NAME)
    folded = [fold(w) for w in words]
    if len(folded) > 1 and folded[0] in _PRONOUNS and folded[1] in ("la", "ten"):
        return Parsed(error=T.SURVEY_BAD_NAME)  # "em là Hoa", "tôi tên Lan": a sentence
    if _has_marks(parsed.value):
        function = sum(w.casefold() in _FUNCTION_WORDS for w in words)
    else:
        function = sum(w in _FUNCTION_FOLDED for w in folded)
    if 2 * function >= len(words) or _asks(fold(parsed.value)):
        return Parsed(error=T.SURVEY_BAD_NAME)
    if _sentence(words):
        return Parsed(error=T.SURVEY_NAME_SENTENCE)
    return parsed


# parentsafe: words that make a sentence of what looks like a name ("Tôi đồng ý thay cho
# cháu"): never syllables of a name. With diacritics as written; without them only where the
# folded word is no name syllable ("khong" is also "Khổng").
_SENTENCE_MARKED = frozenset("tôi không cháu đồng_ý".split())
_SENTENCE_FOLDED = frozenset("toi ko kg tui dong_y".split())


def _sentence(words: list[str]) -> bool:
    """Whether a name's words are a sentence: "tôi", "không", "đồng ý", … anywhere, or "em"
    anywhere but last ("Nguyễn Thị Em" is a name, "em đồng ý" is not)."""
    lowered = [w.casefold() for w in words]
    folded = [fold(w) for w in words]
    pairs = [f"{a}_{b}" for a, b in itertools.pairwise(lowered)]
    folded_pairs = [f"{a}_{b}" for a, b in itertools.pairwise(folded)]
    if any(w in _SENTENCE_MARKED for w in (*lowered, *pairs)):
        return True
    plain = [f for w, f in zip(words, folded, strict=True) if not _has_marks(w)]
    if any(f in _SENTENCE_FOLDED for f in (*plain, *folded_pairs)):
        return True
    return "em" in folded[:-1] or (len(folded) == 1 and folded[0] == "em")


def parse_commune(text: str) -> Parsed:
    """A commune or ward: a short text answer (parse_text), not a whole sentence (more than
    MAX_COMMUNE_WORDS words besides "xã", "huyện"…, a question mark, a question phrase)."""
    parsed = parse_text(text)
    if parsed.error is not None:
        return parsed
    folded = fold(parsed.value)
    words = [w for w in folded.split() if w not in _ADDRESS_WORDS]
    if "?" in parsed.value or len(words) > MAX_COMMUNE_WORDS or _asks(folded):
        return Parsed(error=T.SURVEY_BAD_COMMUNE)
    return parsed


def parse_phone(text: str) -> Parsed:
    """A Vietnamese (or international) phone number, stored in E.164."""
    cleaned = clean_text(text)
    if len(cleaned) > 40:
        return Parsed(error=T.SURVEY_BAD_PHONE)
    try:
        number = phonenumbers.parse(cleaned, "VN")
    except phonenumbers.NumberParseException:
        return Parsed(error=T.SURVEY_BAD_PHONE)
    if not phonenumbers.is_valid_number(number):
        return Parsed(error=T.SURVEY_BAD_PHONE)
    return Parsed(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def show_phone(e164: str) -> str:
    """A stored number as people write it: 0912 345 678 for Vietnam."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 84:
        return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL))
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL))


def _parts(text: str) -> list[str]:
    """The items of a list answer ("hàn, điện và cơ khí") that have a letter, the first
    MAX_PARTS of them."""
    parts = (p.strip() for p in _SPLIT.split(clean_text(text)))
    return list(itertools.islice((p for p in parts if _LETTER.search(p)), MAX_PARTS))


def pick_label(text: str, labels: dict[str, str]) -> str | None:
    """The id whose label the text names (exactly, or closely enough to be unambiguous)."""
    folded = fold(text)
    if not folded:
        return None
    by_fold = {fold(label): ident for ident, label in labels.items()}
    if folded in by_fold:
        return by_fold[folded]
    found = process.extract(folded, list(by_fold), scorer=fuzz.token_set_ratio, limit=2)
    if not found or found[0][1] < 85:
        return None
    if len(found) > 1 and found[1][1] >= found[0][1] - 5:
        return None  # two labels fit about as well: ask again rather than guess
    return by_fold[found[0][0]]


class AnswerReader:
    """Reads typed answers against the catalog (trades, schools, provinces)."""

    def __init__(self, catalog: Catalog, matcher: Matcher, provinces: ProvinceIndex) -> None:
        self.catalog = catalog
        self.matcher = matcher
        self.provinces = provinces
        self._province_names: dict[str, tuple[str, str | None]] = {}
        for p in catalog.provinces.values():
            self._province_names[fold(p.name)] = (p.id, None)
            for former in p.absorbed:
                self._province_names.setdefault(fold(former), (p.id, former))

    def trades(self, text: str) -> tuple[list[str], list[str]]:
        """Trade ids named in the text (comma- or "và"-separated), and the parts not understood."""
        found: list[str] = []
        unknown: list[str] = []
        threshold = self.matcher.thresholds.suggest
        for part in _parts(text):
            best = next(
                (
                    c
                    for c in self.matcher.rank(part, limit=8)
                    if c.id.startswith("trade:") and c.score >= threshold
                ),
                None,
            )
            if best is None:
                unknown.append(part[:40])
            elif best.id.removeprefix("trade:") not in found:
                found.append(best.id.removeprefix("trade:"))
        return found, unknown

    def schools(self, text: str, allowed: list[str]) -> tuple[list[str], list[str]]:
        """School ids (among `allowed`) named in the text, and the parts not understood."""
        names: dict[str, str] = {}
        for ident in allowed:
            school = self.catalog.schools[ident]
            names[fold(school.name)] = ident
            for keyword in school.keywords:
                names.setdefault(fold(keyword), ident)
        found: list[str] = []
        unknown: list[str] = []
        for part in _parts(text):
            best = process.extractOne(fold(part), list(names), scorer=fuzz.token_set_ratio)
            if best is None or best[1] < 80:
                unknown.append(part[:40])
            elif names[best[0]] not in found:
                found.append(names[best[0]])
        return found, unknown

    def province(self, text: str) -> tuple[str, str | None] | None:
        """(province id, former name typed or None), from a typed name, old name or alias."""
        mentions = self.provinces.mentions(self.matcher.normalize(clean_text(text)))
        if mentions:
            first = mentions[0]
            return first.province_id, first.name if first.former else None
        folded = fold(text).removeprefix("tinh ").removeprefix("thanh pho ").removeprefix("tp ")
        best = process.extractOne(folded, list(self._province_names), scorer=fuzz.ratio)
        if best is None or best[1] < 85:
            return None
        return self._province_names[best[0]]
