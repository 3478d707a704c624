"""What typed words say to the eligibility check (eligfix): the "el:ask:" payload a question
stating circumstances rides in, and a province typed alone before its question."""

from __future__ import annotations

from typing import Any

from bot.catalog import Catalog
from bot.catalog.eligibility import Eligibility, EligQuestion, Facts
from bot.matching.entities import MARKER, ProvinceIndex
from bot.matching.matcher import Match, Matcher, Suggestions

UNSURE = "~"  # "~circumstances=con_liet_si": named, not ticked
OFFER = "faq"  # "faq=hp_cha_me_khuyet_tat": the answer about a parent's circumstance
# words around a province typed alone ("em ở Nghệ An ạ"), after the matcher's normalizer
PROVINCE_FILLERS = frozenset(
    "em minh toi tui chau con nha o tai song que thuoc tinh thanh pho tp la a ak ah nhe nha "
    "day roi dang ve ben".split()
)


def encode(
    facts: Facts, unsure: dict[str, list[str]] | None = None, offers: list[str] | None = None
) -> str:
    """Answers as a payload tail: "level=trung_cap;circumstances=con_liet_si+khuyet_tat",
    then what was named but not ticked ("~household=ho_ngheo") and answers offered."""
    parts = []
    for question, value in facts.items():
        joined = value if isinstance(value, str) else "+".join(value)
        parts.append(f"{question}={joined}")
    parts += [f"{UNSURE}{q}={'+'.join(options)}" for q, options in (unsure or {}).items()]
    parts += [f"{OFFER}={faq}" for faq in offers or []]
    return ";".join(parts)


def decode(
    elig: Eligibility, catalog: Catalog, tail: str
) -> tuple[Facts, dict[str, list[str]], list[str]]:
    """The answers of an "el:ask:" payload that name known questions and options; those
    named but not ticked; the known answers offered."""
    facts: Facts = {}
    unsure: dict[str, list[str]] = {}
    offers: list[str] = []
    for part in tail.split(";"):
        question_id, _, joined = part.partition("=")
        if question_id == OFFER:
            if joined in elig.detector.offers.values() and joined in catalog.faq:
                offers.append(joined)
            continue
        named = question_id.startswith(UNSURE)
        question = elig.question(question_id.removeprefix(UNSURE))
        if question is None or not joined:
            continue
        values = joined.split("+")
        if question.type == "province":
            known = [v for v in values if v in catalog.provinces]
        else:
            known = [v for v in values if question.option(v) is not None]
        if known and named:
            unsure[question.id] = list(dict.fromkeys(known))
        elif known:
            facts[question.id] = known if question.multi else known[0]
    return facts, unsure, list(dict.fromkeys(offers))


def province_alone(normalized: str, provinces: ProvinceIndex) -> str | None:
    """The province a message names when it says nothing else ("Nghệ An", "em ở Hà Giang ạ");
    None for a question about it ("trường nghề ở Nghệ An") or two provinces."""
    tokens = normalized.split()
    mentions = provinces.mentions(normalized)
    if len(mentions) != 1 or MARKER not in tokens:
        return None
    key = tokens.index(MARKER)
    rest = tokens[:key] + tokens[key + 2 :]
    if any(word not in PROVINCE_FILLERS for word in rest):
        return None
    return mentions[0].province_id


# surveyinput (review3 C2): "xong" typed at a several-choice question is its "✔ Xong" (with
# nothing ticked: its "none of these"), never a question for the matcher
DONE_WORDS = frozenset(("xong", "xong roi", "done", "het", "het roi", "vay thoi", "the thoi"))
# typed words that start the check (folded), besides the menu label; that stop it
START_WORDS = frozenset(("kiem tra mien giam", "kiem tra mien giam hoc phi", "mien giam cua minh"))
STOP_WORDS = frozenset(("huy", "dung", "dung lai", "thoi", "dung kiem tra"))
# the check's own entry buttons typed while it waits ("🔎 Kiểm tra đầy đủ", "▶ Tiếp tục…"):
# the waiting question again, not a search
RESUME_WORDS = frozenset(
    ("tiep tuc", "kiem tra day du", "kiem tra tiep", "tiep tuc kiem tra", "lam tiep")
)


def answer_first(elig: Eligibility, matcher: Matcher, text: str) -> bool:
    """Whether the message asks a detail an FAQ answers better than the check ("vay tối đa bao
    nhiêu, lãi suất bao nhiêu"): then the matcher answers (moved from eligibility.py)."""
    if not elig.detector.answer_first:
        return False
    found = matcher.match(text)
    if isinstance(found, Match):
        best = found.id
    elif isinstance(found, Suggestions) and found.options:
        best = found.options[0].id  # the matcher asks back about the detail: better
    else:
        return False
    return best.removeprefix("faq:") in set(elig.detector.answer_first)


def one_province(matcher: Matcher, provinces: ProvinceIndex, text: str) -> str | None:
    """The one province a text names, if it names exactly one."""
    named = province_named(matcher, provinces, text)
    return named[0] if named is not None else None


def province_named(
    matcher: Matcher, provinces: ProvinceIndex, text: str
) -> tuple[str, str | None] | None:
    """The one province a text names, and the former province's name when that is what it
    named ("Long An": tay_ninh, "Long An"); None unless it names exactly one."""
    mentions = provinces.mentions(matcher.normalize(text))
    ids = list(dict.fromkeys(m.province_id for m in mentions))
    if len(ids) != 1:
        return None
    former = next((m.name for m in mentions if m.former), None)
    return ids[0], former


def early_province(
    elig: Eligibility, run: dict[str, Any], question: EligQuestion, province: str
) -> bool:
    """eligfix: a province typed alone before the check's province question is kept as that
    question's answer (and no longer skipped); whether there was such a question to keep it."""
    later = elig.questions[elig.questions.index(question) + 1 :]
    target = next((q for q in later if q.type == "province"), None)
    facts = run.get("facts")
    if target is None or not isinstance(facts, dict):
        return False
    facts[target.id] = province
    skipped = run.get("skipped", [])
    if target.id in skipped:
        skipped.remove(target.id)
    return True


# answers (review3 W8): what says a message at the household question is about the household
# ("nhà em nghèo nhưng không có sổ hộ nghèo") when it names no option the check can tick
# (normalized words: folded, teencode expanded)
HOUSEHOLD = "household"  # the household question's id in content/eligibility.yaml
_HOUSEHOLD_CUES = ("ngheo", "kho khan", "so ho", "giay chung nhan", "giay xac nhan", "thu nhap")


def household_talk(normalized: str) -> bool:
    """Whether a message (normalized) talks about the family's means."""
    padded = f" {normalized} "
    return any(f" {cue} " in padded for cue in _HOUSEHOLD_CUES)
