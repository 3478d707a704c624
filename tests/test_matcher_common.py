"""The matcher's shortcut (common features bring no phrasing in) decides as exhaustive scoring."""

from __future__ import annotations

import itertools
import math

import pytest
from rapidfuzz import fuzz

from bot.catalog import Catalog
from bot.evaluate import load_questions
from bot.matching.accents import Spellings, typed
from bot.matching.intent import ranked
from bot.matching.matcher import (
    BIGRAM_BOOST,
    SHORTLIST,
    Match,
    Matcher,
    Scored,
    Suggestions,
    Target,
)
from bot.matching.normalize import Normalizer
from tests.conftest import ROOT


def _features(tokens: list[str]) -> set[str]:
    return {*tokens, *(f"{a}_{b}" for a, b in itertools.pairwise(tokens))}


class Exhaustive:
    """Every phrasing of every target scored: TF-IDF cosine and coverage, then rapidfuzz."""

    def __init__(self, matcher: Matcher) -> None:
        self.matcher = matcher
        self.targets: list[list[tuple[str, set[str], float]]] = []
        for target in matcher.targets:
            docs: dict[str, tuple[str, set[str], float]] = {}
            for raw in target.texts:
                toks = matcher.normalize.tokens(raw)
                if toks and " ".join(toks) not in docs:
                    feats = _features(toks)
                    norm = math.sqrt(sum(self.weight(f) ** 2 for f in feats))
                    docs[" ".join(toks)] = (" ".join(toks), feats, norm)
            self.targets.append(list(docs.values()))
        self.spellings = Spellings(t.texts for t in matcher.targets)

    def weight(self, f: str) -> float:
        idf = self.matcher._idf.get(f)
        if idf is None:
            return self.matcher.thresholds.unknown_idf * (BIGRAM_BOOST if "_" in f else 1)
        return idf * BIGRAM_BOOST if "_" in f else idf

    def rank(self, text: str, limit: int) -> list[Scored]:
        toks = self.matcher.query_tokens(text)
        if not toks:
            return []
        th = self.matcher.thresholds
        query = {f: self.weight(f) for f in _features(toks)}
        q_norm = math.sqrt(sum(w * w for w in query.values()))

        def lexical(feats: set[str], norm: float, bad: set[str]) -> float:
            dot = sum(
                query[f] * self.weight(f)
                for f in feats & query.keys()
                if not any(part in bad for part in f.split("_"))
            )
            cos, cover = dot / (q_norm * norm), min(dot / norm**2, 1.0)
            return th.cosine * cos + (1 - th.cosine) * cover if dot else 0.0

        best: dict[int, tuple[float, set[str], float]] = {}
        for index, docs in enumerate(self.targets):
            for _text, feats, norm in docs:
                value = lexical(feats, norm, set())
                if value > best.get(index, (0.0,))[0]:
                    best[index] = (value, feats, norm)
        short = sorted(best.items(), key=lambda kv: -kv[1][0])[:SHORTLIST]
        marked = typed(text)
        scored = []
        for index, (value, feats, norm) in short:
            # a syllable typed with other diacritics than the target's takes its features out
            wrong = set(self.spellings.conflicts(index, marked)) if marked else set()
            lexical_score = lexical(feats, norm, wrong) if wrong else value
            texts = [t for t, _, _ in self.targets[index]]
            fuzzy = max(fuzz.token_sort_ratio(" ".join(toks), t) for t in texts) / 100.0
            score = (1 - th.fuzzy) * lexical_score + th.fuzzy * fuzzy * lexical_score
            target = self.matcher.targets[index]
            scored.append(Scored(target.id, target.label, round(score, 4)))
        scored.sort(key=lambda s: -s.score)
        return scored[:limit]

    def match(self, text: str) -> Match | Suggestions | None:
        # the matcher's own decision rules, over the exhaustive ranking (and the learned model's
        # ranking, which has no shortcut, when the matcher has one)
        lexical = self.rank(text, 4)
        model = self.matcher.intent
        if model is None:
            return self.matcher.decide(lexical)
        labels = {t.id: t.label for t in self.matcher.targets}
        tokens = self.matcher.topic_tokens(text)
        # typed diacritics hold back a class's word weights as in Matcher.match
        against = self.matcher._against(text)
        learned = [Scored(i, labels[i], round(p, 4)) for i, p in ranked(model, tokens, 4, against)]
        return self.matcher.decide_learned(lexical, learned)


def _same(a: Match | Suggestions | None, b: Match | Suggestions | None) -> bool:
    """Equal decisions; scores may differ in the last digit (sums in another order)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, Match) and isinstance(b, Match):
        return (a.id, [c.id for c in a.close]) == (b.id, [c.id for c in b.close]) and math.isclose(
            a.score, b.score, abs_tol=2e-4
        )
    if isinstance(a, Suggestions) and isinstance(b, Suggestions):
        return [o.id for o in a.options] == [o.id for o in b.options]
    return True


def test_every_eval_question_is_decided_as_by_exhaustive_scoring(matcher: Matcher) -> None:
    # the scoring layer (Matcher.match): the entity matcher answers document numbers and district
    # questions before it (bot/matching/resolve.py), which exhaustive scoring does not model
    questions = [
        q.q
        for name in ("questions", "holdout")
        for q in load_questions(ROOT / f"tests/eval/{name}.yaml")
    ]
    assert len(questions) > 400
    exhaustive = Exhaustive(matcher)
    assert [q for q in questions if not _same(Matcher.match(matcher, q), exhaustive.match(q))] == []


def test_every_catalog_phrasing_is_decided_as_by_exhaustive_scoring(
    matcher: Matcher, catalog: Catalog
) -> None:
    phrasings = [text for faq in catalog.faq.values() for text in (faq.question, *faq.phrasings)]
    exhaustive = Exhaustive(matcher)
    assert [q for q in phrasings if not _same(Matcher.match(matcher, q), exhaustive.match(q))] == []


def _common_catalog() -> Matcher:
    # "hoc", "nghe", "co", "khong" and "hoc_nghe" are in every target: common
    targets = [Target("faq:hoc_nghe", "Học nghề", ("học nghề có không",))]
    targets += [Target(f"faq:t{i}", f"T{i}", (f"học nghề chủ đề {i} có không",)) for i in range(9)]
    return Matcher(targets, Normalizer({}, {}))


@pytest.mark.parametrize("question", ["co hoc khong", "hoc", "khong hoc nghe"])
def test_a_question_of_common_words_only_scores_every_phrasing(question: str) -> None:
    matcher = _common_catalog()
    ranked = matcher.rank(question, limit=5)
    expected = Exhaustive(matcher).rank(question, 5)
    assert len(ranked) == 5 and [s.score for s in ranked] == [s.score for s in expected]


def test_a_rare_word_leaves_out_phrasings_sharing_only_common_ones() -> None:
    """What the shortcut gives up: runners-up that share nothing but common words."""
    matcher = _common_catalog()
    question = "hoc nghe co khong"  # "nghe_co" is in one target only
    ranked = matcher.rank(question, limit=3)
    assert [s.id for s in ranked] == ["faq:hoc_nghe"]
    assert ranked[0] == Exhaustive(matcher).rank(question, 3)[0]
