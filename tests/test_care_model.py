"""The care detector's learned model: its training data, training, file and combination."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.catalog import Catalog
from bot.catalog.check import check_directory
from bot.core.engine import Engine
from bot.core.messages import Inbound
from bot.matching.care import CareDetector
from bot.matching.care_model import (
    MODEL_FILE,
    TRAINING_SETS,
    CareModel,
    parse_model,
    stale,
    text_features,
    vector,
)
from bot.matching.care_patterns import tokenize
from bot.matching.care_train import decide, train
from tests.conftest import CONTENT, ROOT


@pytest.fixture(scope="module")
def model(catalog: Catalog) -> CareModel:
    assert catalog.safety.learned is not None, "content/care_model.json is missing"
    return catalog.safety.learned


@pytest.mark.parametrize("name", TRAINING_SETS)
def test_training_data_validates(name: str) -> None:
    data = yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))
    messages = data["messages"]
    assert len(messages) >= 100
    for index, item in enumerate(messages):
        where = f"{name}: messages[{index}]"
        assert isinstance(item.get("q"), str) and item["q"].strip(), where
        assert isinstance(item.get("care"), bool), where
        assert isinstance(item.get("kind"), str) and item["kind"], where
    # the holdouts measure the detector: they are never training data
    assert "holdout" not in name


def test_the_model_is_in_sync_with_its_training_data(model: CareModel) -> None:
    assert stale(model, ROOT, CONTENT) == [], "run `huongnghiep care train`"
    assert set(model.trained_on) >= set(TRAINING_SETS)


def test_training_is_deterministic() -> None:
    texts = ["e muon chet", "bo danh em", "hoc phi bao nhieu", "truong nghe o dau", "e buon qua"]
    labels = [True, True, False, False, True]
    vectors = [vector(text_features(tokenize(t, {"e": "em"}))) for t in texts]
    first = train(vectors, labels)
    assert first == train(vectors, labels)
    assert first[1]["w:chet"] > 0 > first[1]["w:phi"]


def test_a_message_with_no_known_features_scores_low(model: CareModel) -> None:
    assert model.probability([]) < model.with_patterns
    assert model.probability(["w:qxzjv", "c:qxz"]) < model.with_patterns
    assert model.bias < 0


def test_the_model_file_round_trips(model: CareModel) -> None:
    again = parse_model(model.to_json())
    assert again == model
    assert again.to_json() == (CONTENT / MODEL_FILE).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("{", "invalid JSON"),
        ('{"version": 1}', "malformed model"),
        ('{"version": 7}', "version 1"),
    ],
)
def test_a_broken_model_file_is_rejected(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        parse_model(text)


def test_the_model_hears_what_the_patterns_miss(catalog: Catalog) -> None:
    combined = CareDetector(catalog.safety)
    patterns = CareDetector(catalog.safety, model=False)
    assert patterns.model is None and combined.model is not None
    # indirect wording no pattern names (written for this test)
    for text in (
        "e de lai het sach vo cho em gai roi, chac e ko can nua",
        "toi nao ba duong cung vao phong e, e so lam",
    ):
        assert patterns.detect(text) is None
        hit = combined.detect(text)
        assert hit is not None and hit.evidence == (hit.evidence[0],)
        assert hit.evidence[0].startswith("model:")  # names no word of the message: loggable


def test_the_combination_rule(model: CareModel) -> None:
    from bot.matching.care_train import Example, Scored

    ex = Example("x", True, "s", "k")
    between = (model.with_patterns + model.threshold) / 2
    if model.with_patterns < model.threshold:
        assert decide(Scored(ex, between, True), model.threshold, model.with_patterns)
        assert not decide(Scored(ex, between, False), model.threshold, model.with_patterns)
    assert decide(Scored(ex, model.threshold, False), model.threshold, model.with_patterns)
    assert not decide(Scored(ex, 0.0, True), model.threshold, model.with_patterns)


def test_content_check_flags_a_stale_model(tmp_path: Path) -> None:
    shutil.copytree(CONTENT, tmp_path / "content")
    for name in TRAINING_SETS:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    assert check_directory(tmp_path / "content") == []
    with (tmp_path / TRAINING_SETS[0]).open("a", encoding="utf-8") as out:
        out.write('  - {q: "một câu mới", care: false, kind: ordinary}\n')
    problems = [str(p) for p in check_directory(tmp_path / "content")]
    assert problems == [f"{MODEL_FILE}:{TRAINING_SETS[0]}: " + problems[0].split(": ", 1)[1]]
    assert "huongnghiep care train" in problems[0]
    # a broken model file is a load problem, named by its file
    (tmp_path / "content" / MODEL_FILE).write_text("{", encoding="utf-8")
    problems = [str(p) for p in check_directory(tmp_path / "content")]
    assert problems and problems[0].startswith(f"{MODEL_FILE}:-: invalid JSON"), problems


async def test_the_engine_answers_with_care_on_the_models_word(engine: Engine) -> None:
    text = "e de lai het sach vo cho em gai roi, chac e ko can nua"
    assert engine.care.model is not None
    replies = await engine.handle(Inbound("test", "model-only", text=text))
    assert len(replies) == 1 and "111" in replies[0].text
    assert [b.payload for b in replies[0].buttons] == ["home"]


def test_a_wish_to_die_read_by_the_patterns_needs_a_surer_veto(model: CareModel) -> None:
    from bot.matching.care import SEVERE_WITH_PATTERNS, pattern_bar
    from bot.matching.care_train import Example, Scored

    ex = Example("x", True, "s", "k")
    assert pattern_bar("suicide", 0.8) == SEVERE_WITH_PATTERNS == pattern_bar("self_harm", 0.8)
    assert pattern_bar("abuse", 0.8) == 0.8
    # between the severe bar and the ordinary pattern bar: heard only when the patterns read
    # suicide or self-harm
    between = (SEVERE_WITH_PATTERNS + 0.8) / 2
    assert decide(Scored(ex, between, True, True), 0.9, 0.8)
    assert not decide(Scored(ex, between, True, False), 0.9, 0.8)
    assert not decide(Scored(ex, SEVERE_WITH_PATTERNS - 0.01, True, True), 0.9, 0.8)


def test_thanks_then_a_wish_to_die_gets_care(catalog: Catalog) -> None:
    detector = CareDetector(catalog.safety)
    for text in ("em cảm ơn bot, nhưng em muốn chết", "cam on bot nhung e muon chet"):
        hit = detector.detect(text)
        assert hit is not None and hit.kind == "suicide", text


@pytest.fixture(scope="module")
def detector(catalog: Catalog) -> CareDetector:
    return CareDetector(catalog.safety)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789 .,-+()/", max_size=40))
def test_digits_alone_are_never_care(detector: CareDetector, text: str) -> None:
    """Numbers typed in pieces ("2.3 4 5 6.7" scored 0.90) are no words for the model, and
    no distress, right after a care answer either."""
    assert detector.detect(text) is None, text
    assert detector.heard_after(text, 0.0) is None, text


def test_thresholds_in_use_are_kept_while_they_meet_the_targets() -> None:
    """A retrain keeps the thresholds in use unless, out of fold, they flag over 1% of either
    kind of ordinary message or hear over a point less than the best feasible pair."""
    from bot.matching.care_train import Example, Scored, choose, keeps

    def scored(ps: list[float], care: bool, source: str) -> list[Scored]:
        return [Scored(Example(f"m{i}", care, source, "k"), p, False) for i, p in enumerate(ps)]

    needs = scored([0.95] * 180 + [0.89] * 20, True, "tests/eval/x.yaml")
    # 200 hard negatives: one at 0.885 and one at 0.895; 0.75% allows one alarm at most
    hard = scored([0.1] * 198 + [0.885, 0.895], False, "tests/eval/x.yaml")
    easy = scored([0.05] * 300, False, "faq")
    data = needs + hard + easy
    best = choose(data)
    assert best[0] > 0.885  # the fresh choice moves above the second hard negative
    # 0.88 flags two of 200 (1.0%) and hears all 200: kept
    assert keeps(data, (0.88, 0.55), best)
    # 0.86 with a third alarm (1.5%) breaks the 1% target: chosen afresh
    worse = data + scored([0.87], False, "tests/eval/x.yaml")
    assert not keeps(worse, (0.86, 0.55), choose(worse))
    # 0.96 hears 0 of 200: far under the best recall
    assert not keeps(data, (0.96, 0.55), best)
    # nonsense thresholds are never kept
    assert not keeps(data, (0.5, 0.7), best)
