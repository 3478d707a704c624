"""Care detector: does a message say that a child may be in danger or in crisis?

Evidence comes from content/safety.yaml:
- weighted signal patterns: 3 is an explicit statement (a self-harm expression, a family or
  school actor hitting the writer, a threat to spread photos), 2 and 1 need company;
- facets of the writer's state (sad, alone, exhausted, sleepless...), which together mean
  distress even when no single phrase does;
- blockers that cancel the signals they overlap: hyperbole ("chán muốn chết"), a topic ("trẻ em
  bị bạo hành" in a question about careers), another meaning ("đánh giá"); a negation just
  before a signal ("không muốn chết") and laughter (=)) cancel it too;
- frames of the whole message: a study question asks for more evidence, a story, the news or an
  essay is a topic, not an event.
Pure functions over tokens (see care_patterns), linear in the message.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import get_args

from bot.catalog.models import CareKind, Safety
from bot.matching.care_model import CareModel, text_features
from bot.matching.care_patterns import Pattern, Token, match_at, parse_pattern, tokenize
from bot.matching.normalize import fold

ALL_KINDS = frozenset(get_args(CareKind))
MAX_SCAN = 4096  # characters looked at, which bounds the cost: see scanned()
LONG = 400  # longer than any message the model was trained on: the patterns' verdict stands
# Where the patterns read the writer's own wish to die or to hurt themselves ("muốn chết"), the
# model's veto needs it to be fairly sure the message is ordinary: the pattern-supported bar is
# at most SEVERE_WITH_PATTERNS. Cross-validated (README, Care): recall 92.3% -> 93.3% (+14
# messages), false care on the sets' ordinary messages 10 -> 11 of 1,403; "em cảm ơn bot, nhưng
# em muốn chết" (0.73) had been vetoed under a bar of 0.80.
SEVERE_KINDS = frozenset({"suicide", "self_harm"})
SEVERE_WITH_PATTERNS = 0.6


def pattern_bar(kind: str, with_patterns: float) -> float:
    """The model probability a message needs when the patterns say care of this kind."""
    return min(with_patterns, SEVERE_WITH_PATTERNS) if kind in SEVERE_KINDS else with_patterns


def scanned(text: str) -> str:
    """What the detector reads of a message: all of it up to MAX_SCAN characters, else its
    beginning and its end (a long outpouring often says the worst in its last lines: a reviewer's
    "Em không muốn sống nữa." after 4,600 characters was missed), parted by a line break so no
    pattern spans the cut."""
    if len(text) <= MAX_SCAN:
        return text
    half = MAX_SCAN // 2
    return text[:half] + "\n" + text[-half:]


def _found(patterns: list[Pattern], tokens: list[Token]) -> bool:
    """Whether one of the patterns matches somewhere in the tokens."""
    present = frozenset(t.text for t in tokens)
    return any(
        pattern.possible(present) and match_at(pattern, tokens, start) is not None
        for pattern in patterns
        for start in range(len(tokens))
    )


def _bare(text: str) -> str:
    """Text without emoji variation selectors, so "☠️" and "☠" are one mark."""
    return text.replace("\ufe0f", "").replace("\ufe0e", "")


@dataclass(frozen=True)
class CareHit:
    """Why a message gets the care answer: its kind, score and the patterns that matched.

    The evidence names patterns of content/safety.yaml, never the user's words, so it may be
    logged.
    """

    kind: str
    score: int
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class Reading:
    """What the patterns make of a message: its tokens, their verdict and their signals."""

    tokens: list[Token]
    hit: CareHit | None
    signals: tuple[str, ...]
    kind: str | None = None  # of the strongest signal seen, even one too weak to decide

    def features(self) -> list[str]:
        """The learned model's features of this message."""
        return text_features(self.tokens) + list(self.signals)


@dataclass(frozen=True)
class _Rule:
    kind: str
    weight: int
    concept: str | None
    pattern: Pattern


@dataclass(frozen=True)
class _Found:
    rule: _Rule
    core: tuple[int, ...]


WRITER, QUESTION, MENTION = "writer", "question", "mention"


class CareDetector:
    """Built once from the Safety content; `detect` is called on every message.

    With a learned model (content/care_model.json, loaded with the catalog), a message gets the
    care answer when the model's probability reaches `threshold`, or reaches the lower
    `with_patterns` while the patterns say care; without one, the patterns decide alone.
    """

    def __init__(self, safety: Safety, model: CareModel | bool | None = True) -> None:
        """`model`: True for the catalog's model (if any), False for the patterns alone."""
        if model is True:
            model = safety.learned
        self.model: CareModel | None = model or None
        classes = safety.classes
        self.threshold = safety.threshold
        self.lead_weight = safety.lead_weight
        self.concepts_needed = safety.concepts_needed
        self._minor = frozenset(safety.minor_concepts)
        self._expand = {k: v for k, v in safety.tokens.items()}
        self._negators = frozenset(safety.negators)
        self._fillers = frozenset(safety.negation_fillers)
        self._sad = tuple(safety.emoticons.sad)
        self._laugh = tuple(safety.emoticons.laugh)
        self._now = tuple(f" {phrase} " for phrase in safety.now)
        self._alone = (
            ("self_harm", tuple(_bare(m) for m in safety.emoticons.alone_harm)),
            ("depression", tuple(_bare(m) for m in safety.emoticons.alone_sad)),
        )
        self._rules: dict[str, list[_Rule]] = defaultdict(list)
        self._blockers: dict[str, list[tuple[Pattern, frozenset[str]]]] = defaultdict(list)
        self._frames: dict[str, list[tuple[str, Pattern]]] = defaultdict(list)
        for group in safety.signals:
            for source in group.patterns:
                pattern = parse_pattern(source, classes)
                rule = _Rule(group.kind, group.weight, group.concept, pattern)
                for word in pattern.first_words():
                    self._rules[word].append(rule)
        for blocker in safety.blockers:
            kinds = frozenset(blocker.kinds)
            for source in blocker.patterns:
                pattern = parse_pattern(source, classes)
                for word in pattern.first_words():
                    self._blockers[word].append((pattern, kinds))
        daily = safety.everyday
        self._everyday_longest = daily.longest
        self._everyday_pressure = [parse_pattern(p, classes) for p in daily.pressure]
        self._everyday_veto = [parse_pattern(p, classes) for p in daily.veto]
        self._everyday_topics = [
            (topic.offer, [parse_pattern(p, classes) for p in topic.patterns])
            for topic in daily.topics
        ]
        frames = [(WRITER, safety.writer), (QUESTION, safety.question_frames)]
        frames.append((MENTION, safety.mention_frames))
        for role, sources in frames:
            for source in sources:
                pattern = parse_pattern(source, classes)
                for word in pattern.first_words():
                    self._frames[word].append((role, pattern))

    def tokens(self, text: str) -> list[Token]:
        """The message as the detector sees it (for tests)."""
        return tokenize(scanned(text), self._expand, self._negators)

    def happening_now(self, text: str) -> bool:
        """Whether a message says the danger is happening now ("e dang chay mau"): a `now`
        phrase of safety.yaml, on whole folded words. It decides only how the care answer opens."""
        folded = f" {fold(scanned(text))} "
        return any(phrase in folded for phrase in self._now)

    def everyday(self, text: str, hit: CareHit) -> str | None:
        """For a message heard with care: the payload of the topic to offer when it speaks of
        everyday pressure over a study choice and of no danger (the calmer answer; the rule is
        content/safety.yaml's `everyday`), else None (the full care answer)."""
        if len(text) > self._everyday_longest or hit.evidence[:1] == (f"emoji:{hit.kind}",):
            return None
        if self.happening_now(text):
            return None
        reading = self.analyse(text)
        for signal in reading.signals:  # p:<kind>:<weight> of every care pattern found: weak ones
            parts = signal.split(":")
            if len(parts) == 3 and parts[1] in ALL_KINDS and parts[2] != "1":
                return None
        tokens = reading.tokens
        if _found(self._everyday_veto, tokens) or not _found(self._everyday_pressure, tokens):
            return None
        return next((offer for offer, ps in self._everyday_topics if _found(ps, tokens)), None)

    def detect(self, text: str) -> CareHit | None:
        """A CareHit when the message should get the care answer, else None."""
        marks = self._marks_only(text)
        if marks is not None:
            return marks
        reading = self.analyse(text)
        if self.model is None:
            return reading.hit
        hit = reading.hit
        if hit is not None and len(text) > LONG:
            # the model learned from chat-length messages (the longest ~300 characters): a long
            # message dilutes its features, so "e muon chet" inside a long outpouring was missed.
            # There the patterns decide alone.
            return CareHit(hit.kind, hit.score, (*hit.evidence, "long"))
        p = self.model.probability(reading.features())
        if hit is not None and p >= pattern_bar(hit.kind, self.model.with_patterns):
            return CareHit(hit.kind, hit.score, (*hit.evidence, f"model:{p:.2f}"))
        # the model alone (the patterns saw too little), on words: a message of digits and
        # dots alone ("2.3 4 5 6.7", a phone number typed in pieces) scored 0.90
        if p >= self.model.threshold and _has_letters(text):
            return CareHit(reading.kind or "distress", 0, (f"model:{p:.2f}",))
        return None

    def heard_after(self, text: str, bar: float) -> CareHit | None:
        """Right after a care answer (bot/core/care_after.py): a CareHit when the model's
        probability reaches `bar`, lower than its usual threshold; None without a model."""
        if self.model is None or not _has_letters(text):
            return None
        reading = self.analyse(text)
        p = self.model.probability(reading.features())
        return CareHit(reading.kind or "distress", 0, (f"after:{p:.2f}",)) if p >= bar else None

    def _marks_only(self, text: str) -> CareHit | None:
        """Emoji with no word at all: a harm or crying mark is heard as such."""
        head = scanned(text)
        if not head.strip() or any(ch.isalnum() for ch in head):
            return None
        bare = _bare(head)
        for kind, marks in self._alone:
            if any(mark in bare for mark in marks):
                return CareHit(kind, 3, (f"emoji:{kind}",))
        return None

    def analyse(self, text: str) -> Reading:
        """What the patterns see in a message: their verdict, and the signals behind it (the
        learned model's `p:` features)."""
        head = scanned(text)
        tokens = tokenize(head, self._expand, self._negators)
        # position -> (words a blocker covers, kinds it cancels) for each blocker on it
        blocked: dict[int, list[tuple[frozenset[int], frozenset[str]]]] = defaultdict(list)
        found: list[_Found] = []
        frames: set[str] = set()
        present = frozenset(t.text for t in tokens)
        for start, token in enumerate(tokens):
            for role, pattern in self._frames.get(token.text, ()):
                if (
                    role not in frames
                    and pattern.possible(present)
                    and match_at(pattern, tokens, start) is not None
                ):
                    frames.add(role)
            for pattern, cancels in self._blockers.get(token.text, ()):
                if not pattern.possible(present):
                    continue
                core = match_at(pattern, tokens, start)
                if core is not None:  # a blocker covers its gaps too ("có bị … không")
                    span = frozenset(range(start, core[-1] + 1))
                    for pos in span:
                        blocked[pos].append((span, cancels or ALL_KINDS))
            for rule in self._rules.get(token.text, ()):
                if not rule.pattern.possible(present):
                    continue
                core = match_at(rule.pattern, tokens, start)
                if core is not None:
                    found.append(_Found(rule, core))
        if MENTION in frames:  # a film, a story, the news, an essay: a topic, not an event
            return Reading(tokens, None, ("p:frame:mention",))
        lowered = head.casefold()
        laughing = any(mark in lowered for mark in self._laugh)
        kept = [
            f
            for f in found
            if not _blocked(f, blocked)
            and not self._negated(tokens, f.core[0])
            and not (laughing and f.rule.weight < self.threshold)
        ]
        # strongest (then longest) first; a signal within the words of one counted already
        # ("khóc" inside "đêm nào cũng khóc") adds nothing, nor does a pattern matched twice on
        # the same words ("e thấy mình vô dụng": "<self> * vô dụng" from "e" and from "mình")
        kept.sort(key=lambda f: (-f.rule.weight, -len(f.core)))
        # position -> (rule, words) of the signals counted on it
        counted: dict[int, list[tuple[_Rule, frozenset[int]]]] = defaultdict(list)
        score = 0
        evidence: list[str] = []
        kinds: list[str] = []
        # facets count once each, whichever pattern shows them
        concepts = {f.rule.concept for f in kept if f.rule.concept is not None}
        for f in kept:
            words = frozenset(f.core)
            # within the words of a counted signal, or the same pattern again on shared words
            if any(words <= seen or rule is f.rule for pos in words for rule, seen in counted[pos]):
                continue
            for pos in words:
                counted[pos].append((f.rule, words))
            score += f.rule.weight
            kinds.append(f.rule.kind)
            evidence.append(f"{f.rule.kind}:{f.rule.pattern.source}")
        if not laughing and any(mark in lowered for mark in self._sad):
            score += 1
            evidence.append("distress:emoticon")
        question = QUESTION in frames
        lead = kept[0].rule.weight if kept else 0
        # in a study or career question, evidence short of an explicit statement needs more
        threshold = self.threshold + (question and lead < self.threshold)
        strong = score >= threshold and lead >= self.lead_weight
        # several facets of the writer's state together (sad, alone, exhausted, sleepless...)
        # mean distress even when no single one does; a study question needs one facet more
        needed = self.concepts_needed + question
        weight = sum(0.5 if c in self._minor else 1.0 for c in concepts)
        facets = WRITER in frames and weight >= needed
        signals = [f"p:frame:{role}" for role in sorted(frames)]
        signals += sorted({f"p:{f.rule.kind}:{f.rule.weight}" for f in kept})
        signals += [f"p:facet:{c}" for c in sorted(concepts)]
        signals.append(f"p:score:{min(score, 6)}")
        if laughing:
            signals.append("p:laugh")
        if not (strong or facets):
            return Reading(tokens, None, tuple(signals), kinds[0] if kinds else None)
        signals.append("p:care")
        if facets:
            evidence.append("facets:" + ",".join(sorted(concepts)))
        return Reading(tokens, CareHit(kinds[0], score, tuple(evidence)), tuple(signals))

    def _negated(self, tokens: list[Token], start: int) -> bool:
        """Whether a negation stands just before position `start` ("không (hề) muốn chết")."""
        pos = start - 1
        skipped = 0
        while pos >= 0 and tokens[pos].text in self._fillers and skipped < 3:
            pos -= 1
            skipped += 1
        return pos >= 0 and tokens[pos].text in self._negators


def _blocked(
    found: _Found, blocked: dict[int, list[tuple[frozenset[int], frozenset[str]]]]
) -> bool:
    """Whether a blocker cancels a signal: it shares a word with it and cancels its kind, unless
    the signal holds all the blocker's words and more (a more specific reading: "bố mẹ đánh
    nhau" is not the "đánh nhau" of a question about martial arts)."""
    core = frozenset(found.core)
    for pos in found.core:
        for span, kinds in blocked.get(pos, ()):
            if found.rule.kind in kinds and not (span < core):
                return True
    return False


def _has_letters(text: str) -> bool:
    """Whether a message holds a letter at all (the model reads words; digits, dots and
    emoji alone are no words: emoji are heard by `_marks_only`)."""
    return any(ch.isalpha() for ch in text)
