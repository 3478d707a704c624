"""The calmer care answer for everyday pressure over a study choice (content/safety.yaml
`everyday`, bot/core/care.py): heard, without the crisis answer; danger keeps the full one."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.catalog import Catalog
from bot.catalog.text_keys import T
from bot.core.engine import Engine
from bot.core.messages import Inbound
from bot.evaluate import EVERYDAY_KINDS, evaluate_care, load_care_set
from bot.matching.care import CareDetector
from tests.conftest import edit_yaml

EVAL = Path(__file__).parent / "eval"

# written for these tests, the way students type
EVERYDAY = [
    ("bố mẹ ép em vào c3 mà em không muốn, em phải làm sao", "faq:hoc_nghe_hay_thpt"),
]
# the same pressure with danger, an act now, or a word the rule keeps for the full answer
FULL = [
    "bo me ep e hoc, e ko chiu noi nua, muon bien mat",
    "me e bat e nghi hoc di lam thue",
    "bố mẹ ép em vào c3, em đang đứng trên sân thượng",
    "bố mẹ ép em vào c3 mà em không muốn, em khóc cả đêm",
    "bố mẹ ép em vào c3 mà em không muốn, bố đánh em",
]


@pytest.fixture(scope="module")
def detector(catalog: Catalog) -> CareDetector:
    return CareDetector(catalog.safety)


@pytest.mark.parametrize(("text", "offer"), EVERYDAY)
def test_everyday_pressure_gets_the_calmer_answer(
    detector: CareDetector, text: str, offer: str
) -> None:
    hit = detector.detect(text)
    assert hit is not None  # still heard: this is about the answer, never about recall
    assert detector.everyday(text, hit) == offer


@pytest.mark.parametrize("text", FULL)
def test_danger_keeps_the_full_answer(detector: CareDetector, text: str) -> None:
    hit = detector.detect(text)
    assert hit is not None
    assert detector.everyday(text, hit) is None


def test_a_long_message_keeps_the_full_answer(detector: CareDetector) -> None:
    text = EVERYDAY[0][0] + ". " + "em không biết nói sao nữa " * 10
    hit = detector.detect(text)
    assert hit is not None and len(text) > 200
    assert detector.everyday(text, hit) is None


async def test_the_calmer_answer_in_a_chat(engine: Engine) -> None:
    replies = await engine.handle(Inbound("test", "calm", text=EVERYDAY[0][0]))
    assert len(replies) == 1
    text = replies[0].text
    assert text.startswith(engine.catalog.text(T.CARE_EVERYDAY))
    assert "111" in text
    for alarm in ("113", "115", engine.catalog.text(T.CARE_SELF)):
        assert alarm not in text
    assert [b.payload for b in replies[0].buttons] == ["faq:hoc_nghe_hay_thpt", "home"]


def test_ask_gives_the_calmer_answer(engine: Engine) -> None:
    result = engine.ask(EVERYDAY[0][0])
    assert not result.matched and "111" in result.answer and "113" not in result.answer


def test_no_care_set_gives_the_calmer_answer_to_danger(detector: CareDetector) -> None:
    """Over every care set (labels only; the messages are not read here): a message labelled with
    a kind of danger never gets the calmer answer."""
    for path in sorted(EVAL.glob("care_*.yaml")):
        report = evaluate_care(detector, load_care_set(path))
        danger = {k: n for k, n in report.calmer.items() if k not in EVERYDAY_KINDS}
        if path.name == "care_own.yaml":  # its kinds are batches: nothing calmer at all
            danger = dict(report.calmer)
        assert not danger, (path.name, danger)
        assert "calmer answer:" in report.summary()


def test_content_check_runs_the_everyday_examples(content_copy: Path) -> None:
    from bot.catalog.check import check_directory

    def swap(data: dict) -> None:
        examples = data["examples"]
        examples["everyday"], examples["not_everyday"] = (
            examples["not_everyday"],
            examples["everyday"],
        )

    edit_yaml(content_copy / "safety.yaml", swap)
    problems = [str(p) for p in check_directory(content_copy)]
    assert any("examples.everyday[0]" in p and "full care answer" in p for p in problems)
    assert any("examples.not_everyday[0]" in p and "calmer" in p for p in problems)
