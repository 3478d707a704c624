"""The eligibility check's content (content/eligibility.yaml): questions, rules tied to policies,
papers, the detector's phrases, and the content checks that keep them honest."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator, model_validator

from bot.catalog.models import Model, Policy, Source, _check_id
from bot.matching.eligibility import EligibilityDetector, People, Whose
from bot.matching.eligibility_words import NotSaid
from bot.matching.normalize import Normalizer

if TYPE_CHECKING:  # load.py imports this module: no import of it at run time
    from bot.catalog.load import Catalog, Problem

FILE = "eligibility.yaml"
OutcomeKind = Literal["exempt", "reduced", "support", "boarding", "loan", "training", "provincial"]
Facts = dict[str, str | list[str]]  # question id -> option id (or ids, for a multi question)


class EligOption(Model):
    """One answer to a question; `note` is said in the result whenever it is chosen."""

    id: str
    label: str = Field(min_length=1)
    note: str | None = None
    synonyms: list[str] = Field(default_factory=list)  # typed ways to pick it (flowfix)
    # eligfix: when it counts ("cả cha và mẹ của người học đều đã mất"), said when a message
    # named it but it was not ticked
    only_if: str | None = None

    _id = field_validator("id")(_check_id)


class EligQuestion(Model):
    """A question of the check: choices (one, or several with `multi`), or a province."""

    id: str
    prompt: str = Field(min_length=5)
    type: Literal["choice", "province"] = "choice"
    multi: bool = False
    none: str | None = None  # for a multi question: the option that means "none of these"
    options: list[EligOption] = Field(default_factory=list)

    _id = field_validator("id")(_check_id)

    @model_validator(mode="after")
    def _shape(self) -> EligQuestion:
        if self.type == "choice" and len(self.options) < 2:
            raise ValueError("a choice question needs at least 2 options")
        if self.type == "province" and (self.options or self.multi):
            raise ValueError("a province question takes a province, not options")
        if self.none is not None and (not self.multi or self.none not in self.option_ids()):
            raise ValueError("`none` must be one of the options of a multi question")
        if len(set(self.option_ids())) != len(self.options):
            raise ValueError("option ids must be unique")
        return self

    def option_ids(self) -> list[str]:
        return [o.id for o in self.options]

    def option(self, ident: str) -> EligOption | None:
        return next((o for o in self.options if o.id == ident), None)


class Outcome(Model):
    """A kind of answer, in display order, with what is said when no rule of it applies."""

    id: OutcomeKind
    title: str
    none: str | None = None
    moot_after: OutcomeKind | None = None  # when that outcome applies, `moot` replaces `none`
    moot: str | None = None

    @model_validator(mode="after")
    def _moot_said(self) -> Outcome:
        if (self.moot_after is None) != (self.moot is None):
            raise ValueError("moot_after and moot go together")
        return self


class EligRule(Model):
    """One fact: who (when / all_of) gets what (outcome), on which policy and article."""

    id: str
    outcome: OutcomeKind
    policy: str
    # the source cited: the policy's source naming this document (default: its first source)
    document: str | None = None
    article: str | None = None  # must be an article that source gives
    when: dict[str, list[str]] = Field(default_factory=dict)  # every question: any of these
    all_of: dict[str, list[str]] = Field(default_factory=dict)  # every option ticked
    says: str = Field(min_length=20)
    sure: bool = True  # False: a point the sources leave open, shown as "cần hỏi thêm"
    historical: bool = False  # its policy's window is over
    papers: list[str] = Field(default_factory=list)

    _id = field_validator("id")(_check_id)

    def matches(self, facts: Facts) -> bool:
        """Whether every condition holds for these answers (an unanswered question: no)."""
        for question, wanted in self.when.items():
            if not set(wanted) & _values(facts.get(question)):
                return False
        for question, needed in self.all_of.items():
            if not set(needed) <= _values(facts.get(question)):
                return False
        return True

    def asks(self) -> set[str]:
        """The questions this rule depends on."""
        return set(self.when) | set(self.all_of)


def _values(value: str | list[str] | None) -> set[str]:
    if value is None:
        return set()
    return {value} if isinstance(value, str) else set(value)


class Paper(Model):
    """A paper to bring."""

    id: str
    label: str

    _id = field_validator("id")(_check_id)


class DetectorExample(Model):
    """A message the detector must read, and what it must find (eligfix: and leave unticked,
    and which answers it offers)."""

    text: str
    facts: Facts
    unsure: dict[str, list[str]] = Field(default_factory=dict)
    offers: list[str] = Field(default_factory=list)


class DetectorPeople(Model):
    """Words naming people, normalized, by who they are to the student (eligfix)."""

    student: list[str] = Field(default_factory=list)
    parent: list[str] = Field(default_factory=list)
    relative: list[str] = Field(default_factory=list)
    parent_or_not: list[str] = Field(default_factory=list)
    writer: list[str] = Field(default_factory=list)
    after_possessor: list[str] = Field(default_factory=list)
    none: list[str] = Field(default_factory=list)
    parent_writing: list[str] = Field(default_factory=list)

    def all(self) -> list[tuple[str, str]]:
        """(field, phrase) for every phrase."""
        return [(name, p) for name, phrases in self.model_dump().items() for p in phrases]


class DetectorNotSaid(Model):
    """Words that say a circumstance named is not the student's (eligfix2), normalized:
    see bot/matching/eligibility_words.py."""

    names: list[str] = Field(default_factory=list)  # offices, places, days: never read
    groups: list[str] = Field(default_factory=list)  # "học sinh" before a phrase: a group
    links: list[str] = Field(default_factory=list)  # "là" before that noun: the student's
    reported: list[str] = Field(default_factory=list)  # "nghe nói": someone's words
    only: list[str] = Field(default_factory=list)  # "chỉ có" … `only_after` ("mới")
    only_after: list[str] = Field(default_factory=list)
    asking: list[str] = Field(default_factory=list)  # "(em) hỏi": the person asks
    own_only: dict[str, list[str]] = Field(default_factory=dict)  # someone else's says nothing

    def words(self) -> list[tuple[str, str]]:
        """(field, phrase) for every phrase."""
        fields = ("names", "groups", "links", "reported", "only", "only_after", "asking")
        return [(name, p) for name in fields for p in getattr(self, name)]


class DetectorExamples(Model):
    fire: list[DetectorExample] = Field(default_factory=list)
    quiet: list[str] = Field(default_factory=list)


class DetectorContent(Model):
    """Normalized phrases: question id -> option id -> phrases; `topic` words mark a question
    about money; a phrase right after a negator does not count."""

    topic: list[str] = Field(min_length=1)
    negators: list[str] = Field(default_factory=list)
    phrases: dict[str, dict[str, list[str]]]
    # questions whose phrases start the check; the others only fill in what it knows
    triggers: list[str] = Field(default_factory=lambda: ["household", "circumstances"])
    # FAQ answers (ids without "faq:") that answer a detail the check does not ask about (how
    # much a loan is, its interest, when to repay): when the matcher is sure of one of them, it
    # answers, and the check is offered after it instead of starting
    answer_first: list[str] = Field(default_factory=list)
    # eligfix: whose circumstance a phrase is, and phrases that name one without ticking it
    people: DetectorPeople = Field(default_factory=DetectorPeople)
    child_of: dict[str, list[str]] = Field(default_factory=dict)  # a parent's status
    family: dict[str, list[str]] = Field(default_factory=dict)  # shared with the parents
    vague: dict[str, dict[str, list[str]]] = Field(default_factory=dict)  # not enough to tick
    ended: dict[str, dict[str, list[str]]] = Field(default_factory=dict)  # over, anywhere
    past: list[str] = Field(default_factory=list)  # just before an ended option's phrase
    offers: dict[str, str] = Field(default_factory=dict)  # option -> FAQ, when a parent's
    not_said: DetectorNotSaid = Field(default_factory=DetectorNotSaid)  # eligfix2
    examples: DetectorExamples = Field(default_factory=DetectorExamples)

    def whose(self) -> Whose:
        """The detector's view of these fields."""
        people = People(**self.people.model_dump())
        not_said = NotSaid(**self.not_said.model_dump())
        return Whose(
            people,
            self.child_of,
            self.family,
            self.vague,
            self.ended,
            self.past,
            self.offers,
            not_said,
        )


class Eligibility(Model):
    """content/eligibility.yaml."""

    questions: list[EligQuestion] = Field(min_length=1)
    outcomes: list[Outcome] = Field(min_length=1)
    rules: list[EligRule] = Field(min_length=1)
    papers: list[Paper] = Field(default_factory=list)
    detector: DetectorContent

    def question(self, ident: str) -> EligQuestion | None:
        return next((q for q in self.questions if q.id == ident), None)

    def outcome(self, ident: str) -> Outcome | None:
        return next((o for o in self.outcomes if o.id == ident), None)

    def paper(self, ident: str) -> Paper | None:
        return next((p for p in self.papers if p.id == ident), None)

    def detector_for(self, normalize: Normalizer) -> EligibilityDetector:
        """The detector over these phrases (multi questions give lists)."""
        multi = {q.id for q in self.questions if q.multi}
        d = self.detector
        return EligibilityDetector(
            normalize, d.phrases, d.topic, d.negators, d.triggers, multi, d.whose()
        )


def source_of(rule: EligRule, policy: Policy) -> Source:
    """The source a rule cites: the one naming its document and article, else the first."""
    for source in policy.sources:
        if rule.document is not None and source.document != rule.document:
            continue
        if rule.article is None or rule.article in (source.article or ""):
            return source
    return policy.sources[0]


def policy_ended(policy: Policy, today: dt.date) -> bool:
    """Whether a policy can no longer answer as current (marked so, or its window is over)."""
    over = policy.window_over_after()
    return policy.status == "historical" or (over is not None and over < today)


def eligibility_problems(catalog: Catalog, today: dt.date) -> list[Problem]:
    """Rules tied to known policies and articles, known questions and values, an ended policy
    never answering as current, phrases written normalized, the detector's examples."""
    from bot.catalog.load import Problem

    elig = catalog.eligibility
    if elig is None:
        return []
    out: list[Problem] = []

    def bad(key: str, message: str) -> None:
        out.append(Problem(FILE, key, message))

    known: dict[str, set[str]] = {}
    for q in elig.questions:
        if q.id in known:
            bad(f"questions.{q.id}", "duplicate question id")
        known[q.id] = set(catalog.provinces) if q.type == "province" else set(q.option_ids())
    level = elig.question("level")
    if level is not None:
        for option in level.options:
            if option.id not in catalog.levels:
                bad(f"questions.level.{option.id}", "not a level of levels.yaml")
    outcomes = {o.id for o in elig.outcomes}
    for o in elig.outcomes:
        if o.moot_after is not None and o.moot_after not in outcomes:
            bad(f"outcomes.{o.id}.moot_after", f"unknown outcome '{o.moot_after}'")
    for faq in elig.detector.answer_first:
        if faq not in catalog.faq:
            bad("detector.answer_first", f"unknown FAQ '{faq}'")
    for offered, faq in elig.detector.offers.items():
        if faq not in catalog.faq:
            bad(f"detector.offers.{offered}", f"unknown FAQ '{faq}'")
    papers = {p.id for p in elig.papers}
    seen: set[str] = set()
    for rule in elig.rules:
        key = f"rules.{rule.id}"
        if rule.id in seen:
            bad(key, "duplicate rule id")
        seen.add(rule.id)
        if rule.outcome not in outcomes:
            bad(f"{key}.outcome", f"outcome '{rule.outcome}' is not in outcomes")
        for field, conditions in (("when", rule.when), ("all_of", rule.all_of)):
            for question, values in conditions.items():
                if question not in known:
                    bad(f"{key}.{field}.{question}", "unknown question")
                    continue
                for value in values:
                    if value not in known[question]:
                        bad(f"{key}.{field}.{question}", f"unknown value '{value}'")
        if not rule.asks():
            bad(key, "a rule needs at least one condition")
        for paper in rule.papers:
            if paper not in papers:
                bad(f"{key}.papers", f"unknown paper '{paper}'")
        policy = catalog.policies.get(rule.policy)
        if policy is None:
            bad(f"{key}.policy", f"unknown policy id '{rule.policy}'")
            continue
        if rule.document is not None and source_of(rule, policy).document != rule.document:
            bad(f"{key}.document", f"policy {policy.id} does not cite '{rule.document}'")
        cited = source_of(rule, policy)
        if rule.article is not None and rule.article not in (cited.article or ""):
            why = f"'{rule.article}' is not an article {cited.document} is cited with"
            bad(f"{key}.article", f"{why} in policy {policy.id}")
        ended = policy_ended(policy, today)
        if ended and not rule.historical:
            bad(f"{key}.historical", f"policy {policy.id} has ended: it cannot answer as current")
        if rule.historical and not ended:
            bad(f"{key}.historical", f"policy {policy.id} is current, not historical")
    out.extend(_detector_problems(catalog, known))
    return out


def _detector_problems(catalog: Catalog, known: dict[str, set[str]]) -> list[Problem]:
    from bot.catalog.load import Problem

    elig = catalog.eligibility
    assert elig is not None
    normalize = Normalizer(catalog.abbreviations.tokens, catalog.abbreviations.phrases)
    out: list[Problem] = []
    d = elig.detector
    words = [("topic", w) for w in d.topic] + [("negators", w) for w in d.negators]
    words += [("past", w) for w in d.past] + [(f"people.{k}", w) for k, w in d.people.all()]
    words += [(f"not_said.{k}", w) for k, w in d.not_said.words()]
    tables = [("phrases", d.phrases), ("vague", d.vague), ("ended", d.ended)]
    for name, table in tables:
        for question, options in table.items():
            if question not in known:
                out.append(Problem(FILE, f"detector.{name}.{question}", "unknown question"))
                continue
            for option, phrases in options.items():
                if option not in known[question]:
                    key = f"detector.{name}.{question}.{option}"
                    out.append(Problem(FILE, key, "unknown value"))
                words.extend((f"{name}.{question}.{option}", p) for p in phrases)
    own_only = ("not_said.own_only", d.not_said.own_only)
    for name, lists in (("child_of", d.child_of), ("family", d.family), own_only):
        for question, values in lists.items():
            for value in values:
                if value not in known.get(question, set()):
                    out.append(Problem(FILE, f"detector.{name}.{question}", f"unknown '{value}'"))
    named = {o for options in d.phrases.values() for o in options}
    for option in d.offers:
        if option not in named:
            out.append(Problem(FILE, f"detector.offers.{option}", "no phrase names it"))
    for trigger in d.triggers:
        if trigger not in d.phrases:
            out.append(Problem(FILE, "detector.triggers", f"'{trigger}' has no phrases"))
    for where, phrase in words:
        if normalize(phrase) != phrase:
            msg = f"write '{phrase}' normalized: '{normalize(phrase)}'"
            out.append(Problem(FILE, f"detector.{where}", msg))
    detector = elig.detector_for(normalize)
    for index, example in enumerate(d.examples.fire):
        reading = detector.read(example.text)
        if reading is None:
            out.append(Problem(FILE, f"detector.examples.fire[{index}]", "not detected"))
            continue
        got = (reading.facts, reading.unsure, reading.offers)
        wanted = (example.facts, example.unsure, example.offers)
        if got != wanted:
            msg = f"found {got[0]}, expected {wanted[0]}"
            if got[1:] != wanted[1:]:
                msg = f"found {got}, expected {wanted} (facts, unsure, offers)"
            out.append(Problem(FILE, f"detector.examples.fire[{index}]", msg))
    for index, text in enumerate(d.examples.quiet):
        quiet = detector.read(text)
        if quiet is not None:
            out.append(Problem(FILE, f"detector.examples.quiet[{index}]", f"fired: {quiet.facts}"))
    return out
