"""Validated, frozen models for everything in content/: policies, levels, trades, schools, ..."""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.matching.care_model import CareModel
from bot.matching.care_patterns import class_names, parse_pattern, phrase_words

ID_RE = re.compile(r"^[a-z0-9][a-z0-9_]{1,39}$")


class Model(BaseModel):
    """Base: frozen, no unknown keys (a typo in a key is an error, not a silent default)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


def related_payload(rel: str) -> str:
    """The payload an entry's `related` item names: a bare id names an FAQ entry."""
    return rel if ":" in rel else f"faq:{rel}"


def _check_id(value: str) -> str:
    if not ID_RE.match(value):
        raise ValueError("id must be 2-40 chars of a-z, 0-9 and _ (short: used in button payloads)")
    return value


class Source(Model):
    """A document an answer rests on."""

    document: str = Field(min_length=3)  # "Nghị định 238/2025/NĐ-CP"
    issued: dt.date | None = None  # date the document was signed
    article: str | None = None  # "Điều 15, khoản 1"
    note: str | None = None


Confidence = Literal["high", "medium", "low"]


class Policy(Model):
    """A support policy (tuition, credit, boarding, ...) with its legal source and validity."""

    id: str
    title: str
    group: Literal[
        "hoc_phi",
        "ho_tro",
        "tin_dung",
        "noi_tru",
        "lien_thong",
        "dia_phuong",
        "dao_tao_nghe",
        "lao_dong",
        "khac",
    ]
    summary: str = Field(min_length=20)  # the answer a user reads, Vietnamese, phone-sized
    who: list[str] = Field(default_factory=list)  # who is covered, one line each
    sources: list[Source] = Field(min_length=1)
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None  # last day it applies, as a source gives it
    window: str | None = None  # "các khóa tuyển sinh 2023-2024 đến 2025-2026"
    # the last year ("2025") or school year ("2025-2026") the window covers, in the source's own
    # words, when the source gives no last day: never shown to users, it lets `content check`
    # tell that the window is over (a year after its 31/12, a school year after its 31/8: the
    # next school year has begun)
    window_ends: str | None = Field(default=None, pattern=r"^\d{4}(-\d{4})?$")
    status: Literal["current", "historical"] = "current"
    confidence: Confidence
    unverified: list[str] = Field(default_factory=list)  # points not to state as certain
    refer_to: str | None = None  # where to ask for exact figures
    scope: str = "national"  # "national" or a province id
    reviewed: dt.date

    _id = field_validator("id")(_check_id)

    @field_validator("window_ends")
    @classmethod
    def _school_year(cls, value: str | None) -> str | None:
        if value and "-" in value:
            first, last = (int(y) for y in value.split("-"))
            if last != first + 1:
                raise ValueError("a school year is two consecutive years, e.g. 2025-2026")
        return value

    def window_over_after(self) -> dt.date | None:
        """The last day the policy can still apply: effective_to, else the end of window_ends
        (31/12 of a year, 31/8 of a school year's second year), else None (open-ended)."""
        if self.effective_to is not None:
            return self.effective_to
        if self.window_ends:
            year = int(self.window_ends[-4:])
            return dt.date(year, 8, 31) if "-" in self.window_ends else dt.date(year, 12, 31)
        return None


class Level(Model):
    """A level of vocational training (sơ cấp, trung cấp, cao đẳng, trung học nghề)."""

    id: str
    name: str
    duration: str
    entry: str  # who may enter
    qualification: str
    leads_to: str
    summary: str
    sources: list[Source] = Field(min_length=1)
    confidence: Confidence
    reviewed: dt.date

    _id = field_validator("id")(_check_id)


Sector = Literal["cong_nghiep", "nong_nghiep", "dich_vu"]
Riasec = Literal["R", "I", "A", "S", "E", "C"]


class Trade(Model):
    """A trade (nghề) a student can train for."""

    id: str
    name: str
    sector: Sector
    levels: list[str] = Field(min_length=1)  # level ids
    description: str = Field(min_length=40)  # plain words: what the work is
    work_places: str | None = None  # where graduates work
    riasec: list[Riasec] = Field(min_length=1, max_length=3)
    keywords: list[str] = Field(min_length=2)  # words students type for it
    seed: str | None = None  # which seed document names it

    _id = field_validator("id")(_check_id)


class Contact(Model):
    """How to reach a school. Every detail comes from a source checked on a date; with none,
    the bot says it has no contact (`content check` refuses invented or unsourced details)."""

    phone: str | None = None
    website: str | None = None
    address: str | None = None
    source: str | None = None  # where the details were found ("website of the school, 2026")
    checked: dt.date | None = None  # the day they were last verified
    example: bool = False  # made-up data: test fixtures only, never in content/

    def details(self) -> list[str]:
        """The details a user would read, in display order."""
        return [d for d in (self.address, self.phone, self.website) if d]


# content names the project's source files "seed NNN", an internal name: "seed 000 (Kế hoạch
# năm 2025 của tỉnh Long An)", "seed 000: Quyết định số …"; users see the document only
_SEED = re.compile(
    r"^seeds?\s+\d+(?:\s*(?:,|and|và)\s*\d+)*\s*(?:\((?P<title>[^()]+)\)|:(?P<after>.+))?$",
    re.IGNORECASE,
)


def public_source(source: str) -> str | None:
    """One source as a user may see it: a seed's document title without "seed NNN"; None for
    a seed named without its document (or an empty source)."""
    found = _SEED.match(source.strip())
    if found is None:
        return source.strip() or None
    title = found.group("title") or found.group("after")
    return title.strip() if title else None


def shown_source(source: str) -> str | None:
    """The first of the " ; "-separated sources a user may see (a card shows that one)."""
    return next((s for part in source.split(" ; ") if (s := public_source(part))), None)


_VIETNAMESE_MARKS = set("ăâđêôơưáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ")


def readable_source(shown: str) -> bool:
    """Whether a source shown to users reads as one: a web address, or Vietnamese words
    (a reviewer saw "github:Ti4nL4/…csv" and "the school's site (older page…)" on cards)."""
    text = shown.strip()
    if text.startswith(("http://", "https://")):
        return " " not in text
    return "github:" not in text.lower() and bool(_VIETNAMESE_MARKS & set(text.lower()))


class School(Model):
    """A vocational school of the directory. Every detail comes from `source`, read on
    `checked`; trades, summary and contact only where a source gives them. Whether a school
    receives leads is not content: an operator switches it on (`huongnghiep school participate`)."""

    id: str
    name: str
    province: str  # province id (after 01/7/2025)
    former_province: str | None = None  # former province id, e.g. long_an
    kind: Literal["cao_dang", "trung_cap", "trung_hoc_nghe", "trung_tam", "phan_hieu_dai_hoc"]
    levels: list[str] = Field(min_length=1)
    trades: list[str] = Field(default_factory=list)  # trade ids a source names for it
    trades_named: list[str] = Field(default_factory=list)  # trades as the source words them
    ownership: Literal["public", "private", "unknown"] = "unknown"
    summary: str | None = None
    contact: Contact = Field(default_factory=Contact)
    source: str = Field(min_length=8)  # where the entry was found (URLs, "; "-separated)
    checked: dt.date  # the day the source was read
    note: str | None = None  # for editors (caveats, mergers), never shown
    example: bool = False  # invented: test fixtures only, never in content/
    details_verified: bool = False  # trades/levels confirmed by the school
    keywords: list[str] = Field(default_factory=list)

    _id = field_validator("id")(_check_id)


class SchoolField(Model):
    """A field of study people search the directory by ("y", "điện", "du lịch"): the words
    that ask for it, and what in a school's entry shows that the school teaches it."""

    id: str
    name: str  # shown: "Y tế, điều dưỡng"
    words: list[str] = Field(min_length=1)  # folded phrases a question uses for it
    trades: list[str] = Field(default_factory=list)  # trade ids of this field
    named: list[str] = Field(default_factory=list)  # folded words in a school's trades_named
    school_names: list[str] = Field(default_factory=list)  # folded words in a school's name

    _id = field_validator("id")(_check_id)


class Province(Model):
    """A province or city since 01/7/2025, with the former provinces it absorbed."""

    id: str
    name: str
    kind: Literal["tinh", "thanh_pho"]
    absorbed: list[str] = Field(default_factory=list)  # former province names
    aliases: list[str] = Field(default_factory=list)  # other ways people type it

    _id = field_validator("id")(_check_id)


class Event(Model):
    """A recurring guidance event (ngày hội tư vấn, một ngày làm công nhân)."""

    id: str
    name: str
    summary: str
    when: str  # what the source says about dates ("kế hoạch không nêu ngày; ...")
    where: str
    example_dates: bool = False  # invented dates: test fixtures only, never in content/
    seed: str | None = None

    _id = field_validator("id")(_check_id)


class Faq(Model):
    """A question users ask, its phrasings, and the answer."""

    id: str
    topic: str
    question: str  # canonical question, shown as a suggestion chip
    phrasings: list[str] = Field(min_length=3)
    keywords: list[str] = Field(default_factory=list)
    answer: str = Field(min_length=20)
    policies: list[str] = Field(default_factory=list)  # sources appended from these policies
    sources: list[Source] = Field(default_factory=list)
    related: list[str] = Field(default_factory=list)  # faq ids or payloads ("trade:han")
    # the entry is about these provinces only: not given when a message names another province
    provinces: list[str] = Field(default_factory=list)

    _id = field_validator("id")(_check_id)


class OutOfScope(Model):
    """A topic the bot does not cover; matching one gives the honest fallback, or this topic's
    own pointer (where such questions are answered) with buttons to related entries."""

    id: str
    phrasings: list[str] = Field(min_length=2)
    answer: str | None = None
    related: list[str] = Field(default_factory=list)  # faq ids

    _id = field_validator("id")(_check_id)


CareKind = Literal[
    "suicide",
    "self_harm",
    "depression",
    "pressure",
    "abuse",
    "sexual",
    "threat",
    "bullying",
    "neglect",
    "distress",  # context that only adds to other evidence (fear, crying, secrecy)
]


def _check_patterns(patterns: list[str]) -> list[str]:
    for index, source in enumerate(patterns):
        try:
            parse_pattern(source, None)  # class names are checked by Safety
        except ValueError as exc:
            raise ValueError(f"patterns[{index}] '{source}': {exc}") from None
    return patterns


class SafetySignal(Model):
    """Patterns that are evidence of one kind of danger, each worth `weight`."""

    kind: CareKind
    weight: int = Field(ge=1, le=3)
    concept: str | None = None  # a facet of the writer's state (sad, alone, exhausted...)
    patterns: list[str] = Field(min_length=1)

    _patterns = field_validator("patterns")(_check_patterns)


class SafetyBlocker(Model):
    """Patterns that cancel any signal sharing a word with them (hyperbole, topic, other sense)."""

    why: Literal["hyperbole", "mention", "other_meaning", "accident"]
    kinds: list[CareKind] = Field(default_factory=list)  # signals it cancels (empty: all)
    patterns: list[str] = Field(min_length=1)

    _patterns = field_validator("patterns")(_check_patterns)


class SafetyEmoticons(Model):
    """Marks looked for in the raw text: sad ones add evidence, laughing ones mean a joke."""

    sad: list[str] = Field(default_factory=list)
    laugh: list[str] = Field(default_factory=list)
    # in a message without a single letter: harm marks mean self-harm, sad ones distress
    alone_harm: list[str] = Field(default_factory=list)
    alone_sad: list[str] = Field(default_factory=list)


class SafetyExamples(Model):
    """Messages `content check` runs through the detector (care: must fire; not_care: must not)."""

    care: list[str] = Field(default_factory=list)
    not_care: list[str] = Field(default_factory=list)
    everyday: list[str] = Field(default_factory=list)  # care, with the calmer answer
    not_everyday: list[str] = Field(default_factory=list)  # care, never the calmer answer


class EverydayTopic(Model):
    """A study choice everyday pressure may be about, and the answer it is offered."""

    offer: str = Field(pattern=r"^faq:[a-z0-9_]+$")
    patterns: list[str] = Field(min_length=1)

    _patterns = field_validator("patterns")(_check_patterns)


class SafetyEveryday(Model):
    """When a message heard with care gets the calmer answer: everyday pressure over a study
    choice, no danger (content/safety.yaml explains the rule)."""

    longest: int = Field(default=200, ge=20, le=1000)
    pressure: list[str] = Field(default_factory=list)
    topics: list[EverydayTopic] = Field(default_factory=list)
    veto: list[str] = Field(default_factory=list)

    _patterns = field_validator("pressure", "veto")(_check_patterns)


class Safety(Model):
    """What makes a message get the care answer before anything else (bot/matching/care.py)."""

    threshold: int = Field(ge=1, le=9)
    lead_weight: int = Field(default=2, ge=1, le=3)  # the strongest signal weighs at least this
    concepts_needed: int = Field(default=2, ge=1, le=9)  # distinct facets that suffice together
    minor_concepts: list[str] = Field(default_factory=list)  # facets that count half
    writer: list[str] = Field(min_length=1)  # patterns: the writer speaks of themself
    question_frames: list[str] = Field(default_factory=list)  # a study question: one facet more
    mention_frames: list[str] = Field(default_factory=list)  # a story, news, an essay: no care
    tokens: dict[str, str]  # teencode -> folded words ("e" -> "em", "bme" -> "bo me")
    negators: list[str] = Field(min_length=1)  # folded: "khong", "chua"
    negation_fillers: list[str] = Field(default_factory=list)  # "không (hề) muốn chết"
    emoticons: SafetyEmoticons = Field(default_factory=SafetyEmoticons)
    classes: dict[str, list[str]]  # name -> entries (words with diacritics)
    signals: list[SafetySignal] = Field(min_length=1)
    blockers: list[SafetyBlocker] = Field(default_factory=list)
    examples: SafetyExamples = Field(default_factory=SafetyExamples)
    # folded phrases saying the danger is happening now ("dang chay mau"): the care answer then
    # opens with 115/113 (bot/core/care.py); they decide nothing about whether care is given
    now: list[str] = Field(default_factory=list)
    everyday: SafetyEveryday = Field(default_factory=SafetyEveryday)
    # the learned model, read from content/care_model.json by load_catalog (never from YAML)
    learned: CareModel | None = Field(default=None, exclude=True)

    @field_validator("learned", mode="before")
    @classmethod
    def _not_from_yaml(cls, value: object) -> object:
        if value is not None and not isinstance(value, CareModel):
            raise ValueError("the model is generated into care_model.json, not written here")
        return value

    @field_validator("classes")
    @classmethod
    def _entries(cls, classes: dict[str, list[str]]) -> dict[str, list[str]]:
        for name, entries in classes.items():
            if not entries:
                raise ValueError(f"class '{name}' is empty")
            for index, entry in enumerate(entries):
                try:
                    phrase_words(entry)
                except ValueError as exc:
                    raise ValueError(f"{name}[{index}] '{entry}': {exc}") from None
        return classes

    _frames = field_validator("writer", "question_frames", "mention_frames")(_check_patterns)

    @model_validator(mode="after")
    def _classes_exist(self) -> Safety:
        groups = [(f"signals[{i}].patterns", g.patterns) for i, g in enumerate(self.signals)]
        groups += [(f"blockers[{i}].patterns", b.patterns) for i, b in enumerate(self.blockers)]
        groups += [
            ("writer", self.writer),
            ("question_frames", self.question_frames),
            ("mention_frames", self.mention_frames),
            ("everyday.pressure", self.everyday.pressure),
            ("everyday.veto", self.everyday.veto),
        ]
        groups += [
            (f"everyday.topics[{i}]", t.patterns) for i, t in enumerate(self.everyday.topics)
        ]
        for section, patterns in groups:
            for number, source in enumerate(patterns):
                for name in class_names(source):
                    if name not in self.classes:
                        raise ValueError(f"{section}[{number}] '{source}': unknown class <{name}>")
        return self


class Abbreviations(Model):
    """Teencode and abbreviations, folded (no diacritics), expanded before matching."""

    tokens: dict[str, str]  # one token -> its expansion ("ko" -> "khong")
    phrases: dict[str, str] = Field(default_factory=dict)  # multi-word -> canonical


class Texts(Model):
    """Every string a user reads that is not content of an answer."""

    texts: dict[str, str]


StepType = Literal[
    "single",
    "multi",
    "text",
    "phone",
    "province",
    "commune",
    "yesno",
    "trades",
    "schools",
    "consent",
    "parent_consent",
    "info",
]


class SurveyOption(Model):
    """One choice of a single- or multiple-choice question."""

    id: str
    label: str
    synonyms: list[str] = Field(default_factory=list)  # typed ways to pick it (flowfix)

    _id = field_validator("id")(_check_id)


class SurveyStep(Model):
    """One question (or notice) of a survey."""

    id: str
    type: StepType
    prompt: str
    label: str | None = None  # short name in the summary ("Họ tên"); defaults to the id
    example: str | None = None  # shown again with the question when an answer is not valid
    options: list[SurveyOption] = Field(default_factory=list)
    max_choices: int = Field(default=3, ge=1, le=10)
    optional: bool = False
    personal: bool = False  # personal data: asked only after consent, deleted on request
    when: dict[str, list[str]] = Field(default_factory=dict)  # ask only if earlier answers match
    policy: str | None = None  # for "info": the policy whose summary is shown

    _id = field_validator("id")(_check_id)


class Survey(Model):
    """An intention survey (grade 9 or grade 12), run by the core's generic survey flow."""

    id: str
    title: str
    intro: str
    grade: Literal[9, 12]
    minor: bool  # respondents under 16: a parent or guardian must consent before forwarding
    consent_version: str  # recorded with every consent; change it when the consent text changes
    steps: list[SurveyStep] = Field(min_length=3)

    _id = field_validator("id")(_check_id)
