"""Train the intent model (bot/matching/intent.py) on the content's phrasings.

Needs numpy (the `train` extra; the bot itself never imports this module). Multinomial logistic
regression with an L2 penalty, fitted by full-batch Adam on a dense matrix (a few thousand
phrasings by a few thousand features fit in memory). Weights too small to change a decision are
dropped so the model file stays small and scoring stays a few thousand look-ups.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from bot.matching.intent import IntentModel, data_fingerprint, features, weigh
from bot.matching.train_data import train_fingerprint

# chosen on tests/eval/real_dev.yaml and questions.yaml (README, Quality); the holdouts never
C = 30.0  # inverse strength of the L2 penalty, as in scikit-learn's LogisticRegression
MIN_DF = 2  # a feature must occur in this many phrasings
KEEP = 0.15  # weights smaller than this in absolute value are dropped (no measured loss)
STEPS = 400
RATE = 0.05


# A trade has only its name and a few keywords, so the model also learns it from them in the
# frames a student names a trade in ("em muốn học hàn"); measured on the dev sets: see README.
TRADE_FRAMES = (("em", "muon", "hoc"), ("tim", "hieu", "nghe"))


def augmented(docs: Sequence[tuple[str, Sequence[str]]]) -> list[tuple[str, list[str]]]:
    """The training documents, with each trade's names also in TRADE_FRAMES."""
    out = [(ident, list(toks)) for ident, toks in docs]
    for ident, toks in docs:
        if ident.startswith("trade:") and len(toks) <= 4:
            out.extend((ident, [*frame, *toks]) for frame in TRADE_FRAMES)
    return out


def train(
    docs: Sequence[tuple[str, Sequence[str]]],
    steps: int = STEPS,
    extra: Sequence[tuple[str, Sequence[str]]] = (),
) -> IntentModel:
    """A model from the content's (target id, normalized tokens) pairs, and `extra` real
    questions (content/train/, bot/matching/train_data.py) learned the same way."""
    trained_on = data_fingerprint(docs)
    docs = [*augmented(docs), *((ident, list(toks)) for ident, toks in extra if toks)]
    classes = tuple(sorted({ident for ident, _ in docs}))
    index = {c: i for i, c in enumerate(classes)}
    counts = [features(toks) for _, toks in docs]
    df: Counter[str] = Counter()
    for c in counts:
        df.update(c.keys())
    kept = sorted(f for f, n in df.items() if n >= MIN_DF)
    n_docs = len(docs)
    idf = {f: math.log((1 + n_docs) / (1 + df[f])) + 1.0 for f in kept}
    column = {f: j for j, f in enumerate(kept)}

    x = np.zeros((n_docs, len(kept)), dtype=np.float32)
    for i, c in enumerate(counts):
        for f, v in weigh(c, idf).items():
            x[i, column[f]] = v
    y = np.zeros((n_docs, len(classes)), dtype=np.float32)
    for i, (ident, _) in enumerate(docs):
        y[i, index[ident]] = 1.0

    # every target weighs the same in the loss whatever its number of phrasings: a trade has a
    # name and a few keywords, an FAQ a dozen phrasings, and unweighted the model learns to
    # prefer FAQs
    per_class = y.sum(axis=0)
    sample = (n_docs / (len(classes) * per_class))[y.argmax(axis=1)].astype(np.float32)
    w, b = _fit(x, y, sample, steps)
    weights: dict[str, list[tuple[int, float]]] = {}
    rows, cols = np.nonzero(np.abs(w) >= KEEP)
    for j, k in zip(rows.tolist(), cols.tolist(), strict=True):
        weights.setdefault(kept[j], []).append((k, round(float(w[j, k]), 4)))
    return IntentModel(
        classes=classes,
        bias=tuple(round(float(v), 4) for v in b),
        idf={f: round(v, 4) for f, v in idf.items()},  # all: they scale the vector
        weights={f: tuple(cw) for f, cw in weights.items()},
        trained_on=trained_on,
        settings={"C": C, "min_df": MIN_DF, "keep": KEEP, "steps": steps},
        extra_on=train_fingerprint(extra),
    )


def _fit(
    x: np.ndarray, y: np.ndarray, sample: np.ndarray, steps: int
) -> tuple[np.ndarray, np.ndarray]:
    """Weights and biases minimizing C * weighted cross-entropy + ||W||² / 2 (Adam, full
    batch)."""
    n, d = x.shape
    k = y.shape[1]
    w = np.zeros((d, k), dtype=np.float32)
    b = np.zeros(k, dtype=np.float32)
    mw, vw = np.zeros_like(w), np.zeros_like(w)
    mb, vb = np.zeros_like(b), np.zeros_like(b)
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for t in range(1, steps + 1):
        z = x @ w + b
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        err = (p - y) * sample[:, None]  # gradient of the cross-entropy with respect to z
        gw = x.T @ err + w / C
        gb = err.sum(axis=0)
        gw /= n
        gb /= n
        mw = beta1 * mw + (1 - beta1) * gw
        vw = beta2 * vw + (1 - beta2) * gw * gw
        mb = beta1 * mb + (1 - beta1) * gb
        vb = beta2 * vb + (1 - beta2) * gb * gb
        scale = RATE * math.sqrt(1 - beta2**t) / (1 - beta1**t)
        w -= scale * mw / (np.sqrt(vw) + eps)
        b -= scale * mb / (np.sqrt(vb) + eps)
    return w, b
