"""Training the care model: labelled messages in, weights and thresholds out (`care train`).

Training data: the labelled care sets (TRAINING_SETS, `messages: [{q, care, kind}]`) and, as
ordinary messages, every FAQ question and phrasing and every out-of-scope phrasing of the
content. Near-duplicates are grouped (the phrasings of one FAQ answer; messages sharing most of
their words) so that cross-validation never trains on a message's twin. Logistic regression,
L2-regularised, trained by AdaGrad in a fixed order: the same data gives the same weights.
The two thresholds are chosen on the out-of-fold probabilities of a k-fold cross-validation.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.catalog import Catalog
from bot.evaluate import load_care_set
from bot.matching.care import SEVERE_KINDS, CareDetector, pattern_bar
from bot.matching.care_model import TRAINING_SETS, CareModel, fingerprint, sigmoid, vector

FOLDS = 5
EPOCHS = 12
RATE = 0.5
L2 = 3e-4  # chosen by cross-validation among 1e-6 to 3e-3
MIN_DF = 2  # a feature must occur in this many training messages (chosen by cross-validation)
KEEP = 1e-3  # weights smaller than this are dropped from the file (they change no decision)
SIMILAR = 0.6  # word-set Jaccard from which two messages count as near-duplicates
FALSE_CARE_TARGET = 0.0075  # on the sets' ordinary messages in CV, leaving room for unseen text
# Thresholds in use are kept on a retrain while, out of fold, they flag at most KEEP_FALSE_CARE of
# either kind of ordinary message (the product's target, 1%) and hear within KEEP_RECALL of the
# best feasible pair's recall. Measured 2026-12-02: two FAQ phrasings moved a fresh choice from
# 0.88/0.55 to 0.90/0.85 or 0.92/0.60 (one hard negative crossed the 0.75% line) and the holdouts'
# recall fell 1 to 8 points; the weights changed far less than the choice did.
KEEP_FALSE_CARE = 0.01
KEEP_RECALL = 0.01


@dataclass(frozen=True)
class Example:
    """One training message: its text, label, where it came from and its near-duplicate group."""

    q: str
    care: bool
    source: str  # a file, or "faq" / "out_of_scope"
    kind: str
    group: int = 0


def load_examples(root: Path, catalog: Catalog) -> list[Example]:
    """All training messages, grouped."""
    examples: list[Example] = []
    for name in TRAINING_SETS:
        path = root / name
        if not path.exists():
            raise FileNotFoundError(f"training set {name} not found under {root}")
        examples += [Example(m.q, m.care, name, m.kind) for m in load_care_set(path)]
    faq_groups: list[list[str]] = [[f.question, *f.phrasings] for f in catalog.faq.values()]
    oos_groups = [list(o.phrasings) for o in catalog.out_of_scope.values()]
    fixed: list[list[int]] = []  # indices that belong together whatever their words
    for source, groups in (("faq", faq_groups), ("out_of_scope", oos_groups)):
        for texts in groups:
            start = len(examples)
            examples += [Example(t, False, source, source) for t in texts]
            fixed.append(list(range(start, len(examples))))
    return _grouped(examples, fixed, catalog)


def _grouped(examples: list[Example], fixed: list[list[int]], catalog: Catalog) -> list[Example]:
    """Union of the fixed groups and of near-duplicate pairs (word-set Jaccard >= SIMILAR)."""
    parent = list(range(len(examples)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        parent[find(a)] = find(b)

    for members in fixed:
        for other in members[1:]:
            union(members[0], other)
    detector = CareDetector(catalog.safety, model=False)
    words = [frozenset(t.text for t in detector.tokens(e.q) if t.text != "|") for e in examples]
    index: dict[str, list[int]] = defaultdict(list)
    for i, ws in enumerate(words):
        for w in ws:
            index[w].append(i)
    for i, ws in enumerate(words):
        # a near-duplicate shares at least one of this message's rarer words
        rare = sorted(ws, key=lambda w: len(index[w]))[:3]
        candidates = {j for w in rare for j in index[w] if j > i}
        for j in candidates:
            union_size = len(ws | words[j])
            if union_size and len(ws & words[j]) / union_size >= SIMILAR:
                union(i, j)
    roots: dict[int, int] = {}
    return [
        Example(e.q, e.care, e.source, e.kind, roots.setdefault(find(i), len(roots)))
        for i, e in enumerate(examples)
    ]


def featurize(detector: CareDetector, examples: Sequence[Example]) -> list[list[str]]:
    """Each message's features (the patterns' signals included)."""
    return [detector.analyse(e.q).features() for e in examples]


def vectors_for(features: Sequence[list[str]], train_on: Sequence[int]) -> list[dict[str, float]]:
    """Feature vectors over the vocabulary of the training messages `train_on`: a feature seen
    in fewer than MIN_DF of them is left out (it would only learn that one message)."""
    df: Counter[str] = Counter(f for i in train_on for f in set(features[i]))
    known = {f for f, n in df.items() if n >= MIN_DF}
    return [vector(f, known) for f in features]


def train(
    vectors: Sequence[dict[str, float]],
    labels: Sequence[bool],
    seed: int = 9,
    keys: Sequence[str] = (),
) -> tuple[float, dict[str, float]]:
    """Logistic regression by AdaGrad, classes weighted to balance; deterministic. Each epoch
    visits the messages in the order of a hash of (seed, epoch, key), a message's key being its
    text: a message added or edited takes its own place and leaves the others' order as it was
    (a shuffled list of indices reordered every message when one was added)."""
    positives = sum(labels)
    negatives = len(labels) - positives
    class_weight = {True: len(labels) / (2 * max(positives, 1))}
    class_weight[False] = len(labels) / (2 * max(negatives, 1))
    weights: dict[str, float] = defaultdict(float)
    squares: dict[str, float] = defaultdict(lambda: 1e-8)
    bias, bias_square = 0.0, 1e-8
    names = list(keys) if keys else [str(i) for i in range(len(vectors))]
    for epoch in range(EPOCHS):
        order = sorted(range(len(vectors)), key=lambda i: _place(seed, epoch, names[i], i))
        for i in order:
            x, y = vectors[i], labels[i]
            z = bias + sum(weights[f] * v for f, v in x.items())
            g = (sigmoid(z) - (1.0 if y else 0.0)) * class_weight[y]
            bias_square += g * g
            bias -= RATE * g / math.sqrt(bias_square)
            for f, v in x.items():
                gf = g * v + L2 * weights[f]
                squares[f] += gf * gf
                weights[f] -= RATE * gf / math.sqrt(squares[f])
    kept = {f: round(w, 4) for f, w in sorted(weights.items()) if abs(w) >= KEEP}
    return round(bias, 4), kept


def _place(seed: int, epoch: int, key: str, index: int) -> tuple[bytes, int]:
    return hashlib.sha256(f"{seed}:{epoch}:{key}".encode()).digest()[:8], index


def _score(bias: float, weights: dict[str, float], x: dict[str, float]) -> float:
    return sigmoid(bias + sum(weights.get(f, 0.0) * v for f, v in x.items()))


@dataclass(frozen=True)
class Scored:
    """An example's out-of-fold probability and the patterns' verdict on it."""

    example: Example
    p: float
    patterns: bool
    severe: bool = False  # the patterns read suicide or self-harm (care.SEVERE_KINDS)


def cross_validate(
    examples: Sequence[Example],
    features: Sequence[list[str]],
    patterns: Sequence[bool],
    progress: Callable[[str], None] = lambda _: None,
    severe: Sequence[bool] = (),
) -> list[Scored]:
    """Out-of-fold probabilities: groups are dealt to FOLDS folds, never split. A group's fold
    follows from the hash of its first message, so adding or editing a few messages moves only
    their own groups and the chosen thresholds stay put (dealing numbered groups in shuffled
    order moved every group, and a three-phrasing FAQ edit moved the threshold 0.87 -> 0.89)."""
    first: dict[int, str] = {}
    for e in examples:
        if e.group not in first or e.q < first[e.group]:
            first[e.group] = e.q
    fold_of = {
        g: int.from_bytes(hashlib.sha256(q.encode()).digest()[:4], "big") % FOLDS
        for g, q in first.items()
    }
    out: list[Scored | None] = [None] * len(examples)
    for fold in range(FOLDS):
        progress(f"fold {fold + 1}/{FOLDS}")
        train_idx = [i for i, e in enumerate(examples) if fold_of[e.group] != fold]
        vectors = vectors_for(features, train_idx)
        bias, weights = train(
            [vectors[i] for i in train_idx],
            [examples[i].care for i in train_idx],
            keys=[examples[i].q for i in train_idx],
        )
        for i, e in enumerate(examples):
            if fold_of[e.group] == fold:
                bad = bool(severe) and severe[i]
                out[i] = Scored(e, _score(bias, weights, vectors[i]), patterns[i], bad)
    return [s for s in out if s is not None]


def decide(s: Scored, threshold: float, with_patterns: float) -> bool:
    """The combination rule of CareDetector.detect."""
    if s.p >= threshold:
        return True
    if s.severe:
        return s.p >= pattern_bar("suicide", with_patterns)
    return s.patterns and s.p >= with_patterns


def rates(scored: Sequence[Scored], threshold: float, with_patterns: float) -> dict[str, float]:
    """Recall and false care overall, on the labelled sets' ordinary messages and per source."""
    out: dict[str, float] = {}
    buckets: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    for s in scored:
        said = decide(s, threshold, with_patterns)
        buckets["all"].append((s.example.care, said))
        buckets[s.example.source].append((s.example.care, said))
        if s.example.source.startswith("tests/"):
            buckets["sets"].append((s.example.care, said))
    for name, pairs in sorted(buckets.items()):
        care = [said for needs, said in pairs if needs]
        ordinary = [said for needs, said in pairs if not needs]
        label = Path(name).stem
        if care:
            out[f"{label}.recall"] = round(sum(care) / len(care), 4)
        if ordinary:
            out[f"{label}.false_care"] = round(sum(ordinary) / len(ordinary), 4)
    return out


def keeps(
    scored: Sequence[Scored], current: tuple[float, float], best: tuple[float, float]
) -> bool:
    """Whether the thresholds in use still meet the targets out of fold (see KEEP_FALSE_CARE)."""
    threshold, with_patterns = current
    if not 0.0 < with_patterns <= threshold < 1.0:
        return False
    care = [s for s in scored if s.example.care]
    for sets in (True, False):
        ordinary = [
            s
            for s in scored
            if not s.example.care and s.example.source.startswith("tests/") == sets
        ]
        if sum(decide(s, threshold, with_patterns) for s in ordinary) > KEEP_FALSE_CARE * len(
            ordinary
        ):
            return False
    heard = sum(decide(s, threshold, with_patterns) for s in care)
    best_heard = sum(decide(s, *best) for s in care)
    return heard >= best_heard - KEEP_RECALL * len(care)


def choose(scored: Sequence[Scored]) -> tuple[float, float]:
    """The thresholds with the best recall whose false care on the sets' ordinary messages and
    on the content's questions stays within FALSE_CARE_TARGET. Ties: fewer false alarms, then
    the stricter bar for the model alone and the more lenient one where the patterns say care.
    (Ties went to the stricter pair on both: where lowering the pattern bar gained nothing in
    cross-validation, it rose to 0.80 and the model vetoed "em cảm ơn bot, nhưng em muốn chết",
    whose patterns read "muốn chết", at 0.73.)"""
    care = [s for s in scored if s.example.care]
    hard = [s for s in scored if not s.example.care and s.example.source.startswith("tests/")]
    easy = [s for s in scored if not s.example.care and not s.example.source.startswith("tests/")]
    fine = [round(0.01 * k, 2) for k in range(5, 100)]
    coarse = [round(0.05 * k, 2) for k in range(1, 20)]
    best: tuple[int, int, float, float] | None = None
    for threshold in fine:
        for with_patterns in sorted({w for w in coarse if w < threshold} | {threshold}):
            if sum(decide(s, threshold, with_patterns) for s in hard) > FALSE_CARE_TARGET * len(
                hard
            ) or sum(decide(s, threshold, with_patterns) for s in easy) > FALSE_CARE_TARGET * len(
                easy
            ):
                continue
            heard = sum(decide(s, threshold, with_patterns) for s in care)
            alarms = sum(decide(s, threshold, with_patterns) for s in hard)
            key = (heard, -alarms, threshold, -with_patterns)
            if best is None or key > best:
                best = key
    if best is None:
        return 0.99, 0.99
    return best[2], -best[3]


def build(
    root: Path,
    catalog: Catalog,
    progress: Callable[[str], None] = print,
    current: tuple[float, float] | None = None,
) -> CareModel:
    """Cross-validate, choose the thresholds (or keep `current`, the ones in use, while they
    still meet the targets: `keeps`), train on everything: the model to write."""
    examples = load_examples(root, catalog)
    progress(f"{len(examples)} messages, {len({e.group for e in examples})} groups")
    detector = CareDetector(catalog.safety, model=False)
    hits = [detector.detect(e.q) for e in examples]
    patterns = [h is not None for h in hits]
    severe = [h is not None and h.kind in SEVERE_KINDS for h in hits]
    features = featurize(detector, examples)
    scored = cross_validate(examples, features, patterns, progress, severe)
    threshold, with_patterns = choose(scored)
    if current is not None and current != (threshold, with_patterns):
        if keeps(scored, current, (threshold, with_patterns)):
            progress(f"kept thresholds {current} (a fresh choice: {threshold}, {with_patterns})")
            threshold, with_patterns = current
        else:
            progress(f"thresholds in use {current} miss the targets out of fold: chosen afresh")
    figures = rates(scored, threshold, with_patterns)
    progress("training on all messages")
    vectors = vectors_for(features, range(len(examples)))
    bias, weights = train(vectors, [e.care for e in examples], keys=[e.q for e in examples])
    return CareModel(
        bias=bias,
        weights=weights,
        threshold=threshold,
        with_patterns=with_patterns,
        trained_on=fingerprint(root, catalog.directory),
        figures=figures,
    )
