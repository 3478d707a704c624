"""The eligibility detector: a typed question that already states a family's circumstances
("em là con liệt sĩ, học trung cấp có được miễn học phí không") -> what it says, as the check's
answers.

Pure and small: phrases come from content/eligibility.yaml, already normalized (folded,
teencode expanded); a phrase counts only as whole words and not right after a negator.
negation: nor inside a negation's scope ("nhà em chưa được công nhận hộ cận nghèo", "chả
phải"): bot/matching/negation.py.
eligfix: a circumstance is ticked only when it is the student's own and current. The person a
phrase is about is the nearest person named before it ("ông ngoại em là liệt sĩ": a
grandparent); a phrase that is someone else's, vague ("mồ côi mẹ") or over ("năm nay thoát
nghèo rồi") is never ticked: it is reported as `unsure`, and the check asks.
eligfix2: in a question (not an answer typed at a step), a phrase that speaks of a group
("học sinh mồ côi", "con thương binh học trung cấp…" with nobody named), repeats a report or a
restriction ("chỉ có hộ nghèo mới…") or is someone else's where only the student's own counts
("anh trai em vừa xuất ngũ") is neither ticked nor asked about: the FAQ answers it. Names of
offices, places and days ("Phòng Lao động - Thương binh và Xã hội") are never read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from bot.matching.eligibility_words import NotSaid, NotTheStudents
from bot.matching.negation import negated, spell_negations

MAX_CHARS = 4096  # like the care detector: a question is short; the rest is not read
NEGATION_GAP = 2  # words allowed between a negator and the phrase it negates
PAST_GAP = 3  # words allowed between "năm ngoái", "trước đây" and the status it puts in the past
LOOK_BACK = 6  # words searched before a phrase for the person it is about
LONGEST_PERSON = 3  # words in the longest person phrase ("ong ba ngoai")

Facts = dict[str, str | list[str]]

# who a phrase is about
STUDENT = "student"  # the student, named by themselves or by a parent ("em", "con tôi", "cháu")
PARENT = "parent"  # a parent of the student ("bố em", "mẹ cháu", "chồng tôi")
RELATIVE = "relative"  # anyone else ("ông ngoại em", "anh trai")
PARENT_OR_NOT = "parent_or_not"  # folded, unclear: "ba" is bố or bà, "ma" is má or mà
WRITER = "writer"  # "em", "tôi": the student, or a parent when the message shows one writing
AFTER_POSSESSOR = "after_possessor"  # a relative only before "em", "tôi" ("chi": chị or chỉ)
NOBODY = "none"  # starts like a person, is not one ("bộ đội")
CONNECTORS = frozenset({"nha", "cua"})  # "cháu nhà tôi", "mẹ của em"
OBJECT_OF = frozenset({"voi", "cung", "theo", "cho", "nuoi"})  # "ở với bà": not who it is about
CONJUNCTIONS = frozenset({"hay", "hoac", "va", "lan", "voi"})  # a negation carries over them
ENDED = "ended"  # said to be over, or said of the past
GENERAL = "general"  # eligfix2: a group, a report or a restriction: not about the student
OTHERS = "others"  # eligfix2: someone else's, where only the student's own counts
QUIET = frozenset({GENERAL, OTHERS})  # neither ticked nor asked about
CHILD_WORD = "con"  # "con liệt sĩ": the student is the child of the status that follows
# eligfix2: "con (của) người khuyết tật": the status is a parent's
CHILD_OF_SOMEONE = (["con", "nguoi"], ["con", "cua", "nguoi"])


@dataclass(frozen=True)
class People:
    """Words naming people (normalized), by who they are to the student."""

    student: list[str] = field(default_factory=list)
    parent: list[str] = field(default_factory=list)
    relative: list[str] = field(default_factory=list)
    parent_or_not: list[str] = field(default_factory=list)
    writer: list[str] = field(default_factory=list)
    after_possessor: list[str] = field(default_factory=list)
    none: list[str] = field(default_factory=list)
    parent_writing: list[str] = field(default_factory=list)  # "con tôi": a parent writes


@dataclass(frozen=True)
class Whose:
    """Which options are whose: `child_of` options name a parent's status ("liệt sĩ"),
    `family` ones are shared with the parents (a household); the rest are the student's own.
    `vague` phrases name an option without saying enough; `ended` ones say it is over, and
    `past` words just before a phrase of an ended option make that mention a past one;
    `offers`: option -> FAQ answering it when it is a parent's."""

    people: People = field(default_factory=People)
    child_of: Mapping[str, list[str]] = field(default_factory=dict)
    family: Mapping[str, list[str]] = field(default_factory=dict)
    vague: Mapping[str, Mapping[str, list[str]]] = field(default_factory=dict)
    ended: Mapping[str, Mapping[str, list[str]]] = field(default_factory=dict)
    past: list[str] = field(default_factory=list)
    offers: Mapping[str, str] = field(default_factory=dict)
    not_said: NotSaid = field(default_factory=NotSaid)  # eligfix2


@dataclass(frozen=True)
class Scene:
    """eligfix2: where a message names people, and whether it opens a conversation (a
    question) rather than answers a step of the check (where nobody named is the student)."""

    persons: list[tuple[int, int]]
    opening: bool


@dataclass
class Reading:
    """What a message says: `facts` (the student's own, current), `unsure` (question -> options
    named but not ticked), `offers` (FAQ ids answering a parent's circumstance), `quiet`
    (eligfix2: options named of a group, in a report, or as someone else's: left alone)."""

    facts: Facts = field(default_factory=dict)
    unsure: dict[str, list[str]] = field(default_factory=dict)
    offers: list[str] = field(default_factory=list)
    quiet: list[str] = field(default_factory=list)


def _keep(old: str | None, new: str) -> str:
    """Who a mention is about, over earlier ones: someone named beats a group or a report
    (asked about rather than left alone)."""
    return new if old is None or (old in QUIET and new not in QUIET) else old


def _find(words: list[str], phrase: list[str]) -> Iterable[int]:
    """Start indexes of `phrase` as whole words in `words`."""
    size = len(phrase)
    for start in range(len(words) - size + 1):
        if words[start : start + size] == phrase:
            yield start


def _ends_before(words: list[str], end: int, phrases: list[list[str]], gap: int) -> bool:
    """Some phrase ends at most `gap` words before `end`."""
    for phrase in phrases:
        size = len(phrase)
        for stop in range(max(end - gap, 0), end + 1):
            if stop - size >= 0 and words[stop - size : stop] == phrase:
                return True
    return False


class EligibilityDetector:
    """Reads the circumstances a message states; None when it states none or asks nothing
    about money (then the matcher answers as before)."""

    def __init__(
        self,
        normalize: Callable[[str], str],
        phrases: Mapping[str, Mapping[str, list[str]]],
        topic: list[str],
        negators: list[str],
        triggers: list[str],
        multi: set[str],
        whose: Whose | None = None,
    ) -> None:
        self._normalize = normalize
        self._phrases = {
            q: {o: [p.split() for p in ps] for o, ps in options.items()}
            for q, options in phrases.items()
        }
        self._topic = [t.split() for t in topic]
        self._negators = [n.split() for n in negators]
        self._triggers = list(triggers)
        self._multi = set(multi)
        self._whose = whose or Whose()
        w = self._whose
        self._vague = {
            q: {o: [p.split() for p in ps] for o, ps in options.items()}
            for q, options in w.vague.items()
        }
        self._ended = {
            q: {o: [p.split() for p in ps] for o, ps in options.items()}
            for q, options in w.ended.items()
        }
        self._past = [p.split() for p in w.past]
        self._people: dict[tuple[str, ...], str] = {}
        for kind, words in (
            (STUDENT, w.people.student),
            (PARENT, w.people.parent),
            (RELATIVE, w.people.relative),
            (PARENT_OR_NOT, w.people.parent_or_not),
            (WRITER, w.people.writer),
            (AFTER_POSSESSOR, w.people.after_possessor),
            (NOBODY, w.people.none),
        ):
            self._people.update((tuple(p.split()), kind) for p in words)
        self._parent_writing = [p.split() for p in w.people.parent_writing]
        self._not_theirs = NotTheStudents(w.not_said)
        self._all_phrases = sorted(
            {tuple(p) for options in self._phrases.values() for ps in options.values() for p in ps},
            key=len,
            reverse=True,
        )

    def detect(self, text: str) -> Facts | None:
        """The answers a message gives (question id -> option id, or ids for a multi
        question), when it names a trigger circumstance and asks about money; else None."""
        reading = self.read(text)
        return reading.facts if reading is not None else None

    def read(self, text: str, need_topic: bool = True) -> Reading | None:
        """What a message says, when it names a trigger circumstance (ticked or not) and asks
        about money (`need_topic`: a question, where a group or a report is not the student's;
        without it, an answer typed at a step of the check); else None."""
        words = self._not_theirs.mask(self._normalize(spell_negations(text[:MAX_CHARS])).split())
        if need_topic and not any(True for t in self._topic for _ in _find(words, t)):
            return None
        parent_writes = any(True for p in self._parent_writing for _ in _find(words, p))
        # a question: at a step, one asking about money ("người khuyết tật có được miễn không")
        asking = need_topic or any(True for t in self._topic for _ in _find(words, t))
        scene = Scene(self._persons(words), need_topic) if asking else None
        reading = Reading()
        for question, options in self._phrases.items():
            whose = question in self._triggers
            found: list[str] = []
            for option, phrases in options.items():
                said = self._said(words, question, option, phrases, whose, parent_writes, scene)
                if said is True:
                    found.append(option)
                elif said in QUIET:
                    reading.quiet.append(option)
                elif said is not None:
                    reading.unsure.setdefault(question, []).append(option)
                    offer = self._whose.offers.get(option)
                    if said in (PARENT, PARENT_OR_NOT) and offer and offer not in reading.offers:
                        reading.offers.append(offer)
            for option, phrases in self._vague.get(question, {}).items():
                named = option in found or option in reading.unsure.get(question, [])
                if not named and any(self._free(words, p, question, scene) for p in phrases):
                    reading.unsure.setdefault(question, []).append(option)
            if question in self._multi and found:
                reading.facts[question] = found
            elif len(found) == 1:  # two levels named ("trung cấp hay cao đẳng"): not known
                reading.facts[question] = found[0]
        if not any(q in reading.facts or q in reading.unsure for q in self._triggers):
            return None
        return reading

    def _said(
        self,
        words: list[str],
        question: str,
        option: str,
        phrases: list[list[str]],
        whose: bool,
        parent_writes: bool,
        scene: Scene | None = None,
    ) -> bool | str | None:
        """True: said as the student's own and current; None: not said; else who it is about
        (or "ended", or QUIET) when said but not ticked; `scene`: a question's."""
        if any(
            True for p in self._ended.get(question, {}).get(option, []) for _ in _find(words, p)
        ):
            return ENDED
        other: str | None = None
        for phrase in phrases:
            for start in _find(words, phrase):
                if self._negated(words, start):
                    continue
                if self._past_at(words, start, question):
                    other = other or ENDED
                    continue
                if not whose:
                    return True
                if self._general(words, start, start + len(phrase), scene):
                    other = _keep(other, GENERAL)
                    continue
                holder = self._holder_of(words, question, option, phrase, start, parent_writes)
                if holder is True:
                    return True
                if (
                    scene is not None
                    and scene.opening
                    and holder in (PARENT, RELATIVE, PARENT_OR_NOT)
                    and self._not_theirs.own_only(question, option)
                ):
                    holder = OTHERS
                other = _keep(other, str(holder))
        return other

    def _general(self, words: list[str], start: int, end: int, scene: Scene | None) -> bool:
        """eligfix2: in a question, a mention of a group ("học sinh mồ côi"), a report or a
        restriction ("chỉ có hộ nghèo mới…"), or one in a message naming nobody at all
        ("con thương binh học trung cấp có được miễn không")."""
        if scene is None:
            return False
        return self._not_theirs.general(words, start, end, scene.persons, scene.opening)

    def _persons(self, words: list[str]) -> list[tuple[int, int]]:
        """Where a message names someone (begin, end), outside the circumstances' own words
        ("con" of "con liệt sĩ") and besides whoever asks ("cho em hỏi")."""
        inside: set[int] = set()
        for question in self._triggers:
            tables = [self._phrases.get(question, {}), self._vague.get(question, {})]
            for phrases in (p for table in tables for p in table.values()):
                for phrase in phrases:
                    for start in _find(words, phrase):
                        inside.update(range(start, start + len(phrase)))
        out: list[tuple[int, int]] = []
        at = 0
        while at < len(words):
            sizes = range(LONGEST_PERSON, 0, -1)
            size = next((n for n in sizes if tuple(words[at : at + n]) in self._people), 0)
            if not size:
                at += 1
                continue
            kind = self._people[tuple(words[at : at + size])]
            mine = kind not in (AFTER_POSSESSOR, NOBODY) and not inside & set(range(at, at + size))
            if mine and not self._not_theirs.asks(words, at + size):
                out.append((at, at + size))
            at += size
        return out

    def _free(
        self,
        words: list[str],
        phrase: list[str],
        question: str,
        scene: Scene | None = None,
    ) -> bool:
        return any(
            self._free_at(words, start, question)
            and not self._general(words, start, start + len(phrase), scene)
            for start in _find(words, phrase)
        )

    def _free_at(self, words: list[str], start: int, question: str) -> bool:
        """Not negated, and not in the past for a status that can end."""
        if self._negated(words, start):
            return False
        return not self._past_at(words, start, question)

    def _negated(self, words: list[str], start: int, depth: int = 0) -> bool:
        """A negator just before, or before a negated phrase joined by "hay", "và"…: "không có
        sổ hộ nghèo hay cận nghèo" negates both."""
        if _ends_before(words, start, self._negators, NEGATION_GAP) or negated(words, start):
            return True  # negation: the content's negators, or the scope of one (negation.py)
        if depth > 3 or start < 2 or words[start - 1] not in CONJUNCTIONS:
            return False
        for phrase in self._all_phrases:
            begin = start - 1 - len(phrase)
            if begin >= 0 and tuple(words[begin : start - 1]) == phrase:
                return self._negated(words, begin, depth + 1)
        return False

    def _past_at(self, words: list[str], start: int, question: str) -> bool:
        """ "năm ngoái (nhà em là) hộ nghèo": a status that can end, said of the past."""
        return question in self._ended and _ends_before(words, start, self._past, PAST_GAP)

    def _holder_of(
        self,
        words: list[str],
        question: str,
        option: str,
        phrase: list[str],
        start: int,
        parent_writes: bool,
    ) -> bool | str:
        """True when this mention is the student's; else who it is about."""
        if option in self._whose.child_of.get(question, []):
            child = phrase[0] == CHILD_WORD
            if not child and start > 0 and words[start - 1] == CHILD_WORD:
                child, start = True, start - 1
            elif not child and words[max(start - 2, 0) : start] == [CHILD_WORD, "cua"]:
                child, start = True, start - 2
            if child:  # "em là con liệt sĩ": the student is the child; "bố em là con…": not
                who = self._person(words, start, start + len(phrase), parent_writes)
                return True if who in (None, STUDENT) else who
            who = self._person(words, start, start + len(phrase), parent_writes)
            return True if who == PARENT else (who or STUDENT)
        if any(words[max(start - len(c), 0) : start] == c for c in CHILD_OF_SOMEONE):
            who = PARENT
            return True if option in self._whose.family.get(question, []) else who
        who = self._person(words, start, start + len(phrase), parent_writes)
        if who in (None, STUDENT):
            return True
        if who == PARENT and option in self._whose.family.get(question, []):
            return True
        assert who is not None
        return who

    def _person(self, words: list[str], start: int, end: int, parent_writes: bool) -> str | None:
        """Who the words from `start` to `end` are about: "X là/của <person>" after them, else
        the nearest person named before them."""
        if end < len(words) - 1 and words[end] in ("la", "cua"):
            found = self._person_from(words, end + 1)
            if found is not None:
                return self._resolve(self._owner(words, *found)[0], parent_writes)
        stop = start
        while stop > max(start - LOOK_BACK, 0):
            found = self._person_until(words, stop)
            if found is None or found[0] == AFTER_POSSESSOR:
                stop -= 1
                continue
            if found[0] == NOBODY:
                stop = found[1]
                continue
            kind, begin = self._owner(words, *found)
            if begin > 0 and words[begin - 1] in OBJECT_OF:  # "ở với bà ngoại": not the subject
                stop = begin - 1
                continue
            return self._resolve(kind, parent_writes)
        return None

    def _person_until(self, words: list[str], stop: int) -> tuple[str, int] | None:
        """The longest person phrase ending right before `stop`: (kind, its start)."""
        for size in range(min(LONGEST_PERSON, stop), 0, -1):
            kind = self._people.get(tuple(words[stop - size : stop]))
            if kind is not None:
                return kind, stop - size
        return None

    def _person_from(self, words: list[str], begin: int) -> tuple[str, int] | None:
        """The longest person phrase starting at `begin`, as (kind, start of its owner)."""
        for size in range(LONGEST_PERSON, 0, -1):
            kind = self._people.get(tuple(words[begin : begin + size]))
            if kind is not None and kind not in (AFTER_POSSESSOR, NOBODY):
                return kind, begin
        return None

    def _owner(self, words: list[str], kind: str, begin: int) -> tuple[str, int]:
        """A possessor names the person before it: "mẹ em", "bố cháu", "cháu nhà tôi"."""
        if kind not in (WRITER, STUDENT):
            return kind, begin
        at = begin - 1 if begin > 0 and words[begin - 1] in CONNECTORS else begin
        before = self._person_until(words, at)
        if before is None or before[0] == NOBODY:
            return kind, begin
        if words[begin] == CHILD_WORD and before[0] == AFTER_POSSESSOR:  # "có con": not "cô"
            return kind, begin
        owner = RELATIVE if before[0] == AFTER_POSSESSOR else before[0]
        return (STUDENT if owner == WRITER else owner), before[1]

    @staticmethod
    def _resolve(kind: str, parent_writes: bool) -> str:
        if kind == WRITER:
            return PARENT if parent_writes else STUDENT
        return kind
