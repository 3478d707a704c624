"""Real questions as extra training data for the intent model (content/train/*.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.catalog.check import check_directory
from bot.matching.intent import MODEL_FILE, ranked
from bot.matching.intent_train import train
from bot.matching.matcher import Matcher, Target
from bot.matching.normalize import Normalizer
from bot.matching.train_data import (
    TRAIN_DIR,
    extra_docs,
    load_train,
    train_fingerprint,
)

NORM = Normalizer({"ko": "khong", "dc": "duoc"}, {})
TARGETS = [
    Target("faq:vay", "Vay vốn", ("sinh viên học nghề có được vay vốn không", "mức vay vốn")),
    Target("faq:noi_tru", "Nội trú", ("trường có ký túc xá không", "học nghề có ở nội trú không")),
]


def _write(folder: Path, rows: object, name: str = "a.yaml") -> None:
    (folder / TRAIN_DIR).mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump({"version": 1, "questions": rows}, allow_unicode=True)
    (folder / TRAIN_DIR / name).write_text(text, encoding="utf-8")


def test_rows_teach_their_first_answer(tmp_path: Path) -> None:
    _write(
        tmp_path,
        [
            {"q": "nha e ngheo vay tien hoc dc ko", "source": "s1", "expect": ["faq:vay"]},
            # to decline: checked, not taught (README, Quality)
            {"q": "điểm chuẩn đại học bách khoa", "source": "s2", "expect": None},
            {"q": "học điều dưỡng ra làm gì", "source": "s3", "expect": None, "gap": "nursing"},
            # a province is answered by the resolver, not the model
            {"q": "truong nghe o hue", "source": "s4", "expect": ["province:hue"]},
        ],
    )
    found, problems = load_train(tmp_path, {"faq:vay", "faq:noi_tru"})
    assert problems == []
    assert [(q.q, q.target) for q in found] == [
        ("nha e ngheo vay tien hoc dc ko", "faq:vay"),
    ]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"source": "s"}, "`q`"),
        ({"q": "  ", "source": "s"}, "`q`"),
        ({"q": "vay vốn", "expect": ["faq:vay"]}, "`source`"),
        ({"q": "vay vốn", "source": "s", "expect": "faq:vay"}, "`expect`"),
        ({"q": "vay vốn", "source": "s", "expect": []}, "`expect`"),
        ({"q": "vay vốn", "source": "s", "expect": ["faq:khong_co"]}, "faq:khong_co"),
        ("just a string", "`q`"),
    ],
)
def test_bad_rows_are_problems(tmp_path: Path, row: object, message: str) -> None:
    _write(tmp_path, [row])
    found, problems = load_train(tmp_path, {"faq:vay"})
    assert found == []
    assert len(problems) == 1 and message in problems[0].message
    assert problems[0].file == f"{TRAIN_DIR}/a.yaml"


def test_unreadable_files_are_problems(tmp_path: Path) -> None:
    (tmp_path / TRAIN_DIR).mkdir()
    (tmp_path / TRAIN_DIR / "a.yaml").write_text("questions: [unclosed", encoding="utf-8")
    (tmp_path / TRAIN_DIR / "b.yaml").write_text("- a list", encoding="utf-8")
    found, problems = load_train(tmp_path, set())
    assert found == [] and [p.file for p in problems] == ["train/a.yaml", "train/b.yaml"]


def test_no_folder_no_questions(tmp_path: Path) -> None:
    assert load_train(tmp_path, set()) == ([], [])
    assert train_fingerprint([]) == ""


def test_a_model_learns_the_askers_register(tmp_path: Path) -> None:
    rows = [
        {"q": q, "source": "s", "expect": ["faq:vay"]}
        for q in ("e muon muon tien nha nuoc de di hoc", "muon tien di hoc co phai tra lai ko")
    ]
    _write(tmp_path, rows)
    bare = Matcher(TARGETS, NORM)
    extra, problems = extra_docs(bare, tmp_path)
    assert problems == [] and {ident for ident, _ in extra} == {"faq:vay"}
    before = train(bare.training_docs, steps=150)
    model = train(bare.training_docs, steps=150, extra=extra)
    assert model.extra_on == train_fingerprint(extra) != before.extra_on == ""
    matcher = Matcher(TARGETS, NORM, intent=model)
    assert matcher.intent is not None  # extra questions do not make the model stale at run time
    tokens = matcher.query_tokens("tra lai tien")  # words only the real questions have
    assert dict(ranked(before, tokens, 2))["faq:vay"] < 0.5
    assert dict(ranked(model, tokens, 2))["faq:vay"] > 0.5


def test_content_check_reports_training_questions(content_copy: Path) -> None:
    assert not [p for p in check_directory(content_copy) if p.file == MODEL_FILE]
    _write(
        content_copy, [{"q": "học phí trung cấp", "source": "s", "expect": ["faq:nope"]}], "z.yaml"
    )
    problems = [str(p) for p in check_directory(content_copy)]
    assert any(p.startswith("train/z.yaml:questions[0]") and "faq:nope" in p for p in problems)
    # a valid new question: the model must be retrained to learn it
    _write(
        content_copy,
        [{"q": "cho em hỏi học phí trung cấp", "source": "s", "expect": ["faq:hp_thcs_trung_cap"]}],
        "z.yaml",
    )
    problems = [str(p) for p in check_directory(content_copy)]
    assert any(p.startswith(MODEL_FILE) and "train/ changed" in p for p in problems)
