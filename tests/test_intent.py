"""The matcher's learned model: training, its file, staleness, and the decision that reads it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.catalog import Catalog
from bot.catalog.check import check_directory
from bot.matching.intent import MODEL_FILE, data_fingerprint, parse_model, ranked
from bot.matching.intent_train import train
from bot.matching.matcher import Match, Matcher, Scored, Suggestions, Target
from bot.matching.normalize import Normalizer
from bot.matching.targets import build_matcher

NORM = Normalizer({"ko": "khong", "dc": "duoc"}, {})
TARGETS = [
    Target(
        "faq:vay",
        "Vay vốn đi học",
        (
            "sinh viên học nghề có được vay vốn không",
            "vay tiền ngân hàng chính sách để đi học",
            "mức vay vốn học sinh sinh viên bao nhiêu",
            "nhà nghèo vay tiền đi học được không",
        ),
    ),
    Target(
        "faq:noi_tru",
        "Ở nội trú",
        (
            "trường có ký túc xá cho học sinh ở không",
            "học nghề có được ở nội trú không",
            "chỗ ở cho học sinh xa nhà",
            "ký túc xá mỗi tháng bao nhiêu tiền",
        ),
    ),
    Target(
        "oos:thoi_tiet",
        "thoi_tiet",
        ("thời tiết hôm nay thế nào", "trời có mưa không", "dự báo thời tiết ngày mai"),
    ),
]


def _docs(matcher: Matcher) -> list[tuple[str, list[str]]]:
    return [(ident, list(toks)) for ident, toks in matcher.training_docs]


@pytest.fixture(scope="module")
def small() -> Matcher:
    bare = Matcher(TARGETS, NORM)
    model = train(bare.training_docs, steps=150)
    return Matcher(TARGETS, NORM, intent=model)


def test_trained_model_ranks_an_unseen_paraphrase(small: Matcher) -> None:
    assert small.intent is not None
    top = ranked(small.intent, small.query_tokens("e o xa nha, truong co cho o ko"), 3)
    assert top[0][0] == "faq:noi_tru"
    top = ranked(small.intent, small.query_tokens("nha e ngheo muon vay tien hoc nghe"), 3)
    assert top[0][0] == "faq:vay"


def test_model_file_round_trips(small: Matcher) -> None:
    assert small.intent is not None
    again = parse_model(small.intent.to_json())
    assert again == small.intent
    tokens = small.query_tokens("ky tuc xa bao nhieu tien")
    assert ranked(again, tokens, 2) == ranked(small.intent, tokens, 2)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        '{"version": 99}',
        '{"version": 1, "classes": ["a"], "bias": [0, 1], "idf": {}, "weights": {},'
        ' "trained_on": "x"}',
        '{"version": 1, "classes": ["a"], "bias": [0], "idf": {}, "weights": {"w:x": [[3, 1]]},'
        ' "trained_on": "x"}',
    ],
)
def test_malformed_model_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_model(text)


def test_model_trained_on_other_phrasings_is_ignored(small: Matcher) -> None:
    changed = [*TARGETS[:2], Target("faq:moi", "Mới", ("câu hỏi mới hoàn toàn",))]
    assert Matcher(changed, NORM, intent=small.intent).intent is None
    # the same phrasings in another order are the same training data
    assert Matcher(list(reversed(TARGETS)), NORM, intent=small.intent).intent is not None
    assert data_fingerprint(_docs(small)) == data_fingerprint(list(reversed(_docs(small))))


def test_shipped_model_is_fresh(catalog: Catalog) -> None:
    # content/intent_model.json was trained on today's phrasings: after editing content, run
    # `huongnghiep match train` (content check says so too)
    assert build_matcher(catalog).intent is not None


def test_content_check_reports_a_stale_or_broken_model(content_copy: Path) -> None:
    faq = content_copy / "faq" / "bot.yaml"
    faq.write_text(faq.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert not [p for p in check_directory(content_copy) if p.file == MODEL_FILE]
    text = faq.read_text(encoding="utf-8")
    marker = "    phrasings:\n"
    assert marker in text
    faq.write_text(text.replace(marker, marker + '      - "câu mới để mô hình cũ"\n', 1))
    problems = [p for p in check_directory(content_copy) if p.file == MODEL_FILE]
    assert problems and "huongnghiep match train" in problems[0].message
    (content_copy / MODEL_FILE).write_text("{", encoding="utf-8")
    problems = [p for p in check_directory(content_copy) if p.file == MODEL_FILE]
    assert problems and "invalid JSON" in problems[0].message


def _s(ident: str, score: float) -> Scored:
    return Scored(ident, ident, score)


def test_decision_with_the_model(small: Matcher) -> None:
    decide = small.decide_learned
    # nothing in the content resembles the question: declined, whatever the model says
    assert decide([_s("faq:vay", 0.1)], [_s("faq:vay", 0.9)]) is None
    # the model is sure and the words support it
    got = decide([_s("faq:vay", 0.3), _s("faq:noi_tru", 0.28)], [_s("faq:vay", 0.6)])
    assert isinstance(got, Match) and got.id == "faq:vay"
    # sure, but the lexical ranking does not have it among its first three: ask back
    lexical = [_s("faq:noi_tru", 0.3), _s("faq:x", 0.29), _s("faq:y", 0.28), _s("faq:vay", 0.27)]
    got = decide(lexical, [_s("faq:vay", 0.6), _s("faq:noi_tru", 0.1)])
    assert isinstance(got, Suggestions)
    assert [o.id for o in got.options][:2] == ["faq:vay", "faq:noi_tru"]
    # the model's best guess is an out-of-scope topic: declined
    assert decide([_s("faq:vay", 0.3)], [_s("oos:thoi_tiet", 0.5), _s("faq:vay", 0.2)]) is None
    # a sure and clear lexical answer stands though the model spreads thin
    got = decide([_s("faq:noi_tru", 0.7), _s("faq:vay", 0.2)], [_s("faq:vay", 0.04)])
    assert isinstance(got, Match) and got.id == "faq:noi_tru"
    # unsure: the model's likely answers first, then the lexical ones, each once
    got = decide(
        [_s("faq:noi_tru", 0.3), _s("faq:vay", 0.29)],
        [_s("faq:vay", 0.2), _s("oos:thoi_tiet", 0.1), _s("faq:noi_tru", 0.01)],
    )
    assert isinstance(got, Suggestions)
    assert [o.id for o in got.options] == ["faq:vay", "faq:noi_tru"]


def test_a_weak_out_of_scope_guess_asks_back_when_the_content_shares_the_words(
    small: Matcher,
) -> None:
    decide = small.decide_learned
    lexical = [_s("faq:noi_tru", 0.38), _s("faq:vay", 0.3), _s("faq:x", 0.19)]
    # the model's best is out of scope but weak, and the words resemble the content: ask back,
    # in-scope options only, never a confident answer
    got = decide(lexical, [_s("oos:dai_hoc", 0.1), _s("faq:vay", 0.06), _s("oos:x", 0.05)])
    assert isinstance(got, Suggestions)
    assert [o.id for o in got.options] == ["faq:vay", "faq:noi_tru"]
    # a sure out-of-scope guess still declines
    assert decide(lexical, [_s("oos:dai_hoc", 0.3), _s("faq:vay", 0.06)]) is None
    # so do a lexical ranking led by an out-of-scope topic, and words the content hardly shares
    assert decide([_s("oos:dai_hoc", 0.4), *lexical], [_s("oos:dai_hoc", 0.1)]) is None
    assert decide([_s("faq:noi_tru", 0.22)], [_s("oos:dai_hoc", 0.1), _s("faq:vay", 0.06)]) is None
