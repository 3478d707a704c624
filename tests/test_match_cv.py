"""`huongnghiep match cv`: the decision measured out of fold on the real training questions."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.catalog import load_catalog
from bot.evaluate import CORRECT, OUTCOMES_IN, OUTCOMES_OUT
from bot.matching.cv import cross_validate, fold_of
from bot.matching.train_data import LabelledRow, labelled_rows


def test_questions_of_one_source_share_a_fold() -> None:
    a = LabelledRow("câu một", ("faq:hoc_bong",), "https://example.org/a")
    b = LabelledRow("câu hai", (), "https://example.org/a")
    assert fold_of(a, 5) == fold_of(b, 5)
    folds = {fold_of(LabelledRow("q", (), f"https://example.org/{i}"), 5) for i in range(50)}
    assert folds == set(range(5))


def test_every_question_is_asked_once_per_threshold(content_copy: Path) -> None:
    train = content_copy / "train"
    for old in train.glob("*.yaml"):
        old.unlink()
    rows: list[dict[str, object]] = [
        {
            "q": "nhà em nghèo đi học nghề có được vay tiền không",
            "expect": ["faq:vay_von_dieu_kien"],
        },
        {"q": "học nghề có được học bổng không ạ", "expect": ["faq:hoc_bong"]},
        {"q": "điểm chuẩn đại học bách khoa năm nay", "expect": None},
        {
            "q": "học nghề xong có liên thông lên cao đẳng được không",
            "expect": ["faq:lien_thong_tc_cd"],
        },
    ]
    for i, row in enumerate(rows):
        row["source"] = f"https://example.org/{i}"
    (train / "t.yaml").write_text(
        yaml.safe_dump({"version": 1, "questions": rows}, allow_unicode=True), encoding="utf-8"
    )
    assert len(labelled_rows(content_copy)) == 4
    result = cross_validate(load_catalog(content_copy), folds=2, confident=(0.3, 0.9), steps=5)
    assert (result.questions, result.taught) == (4, 3)
    for report in result.reports.values():
        assert report.overall.n(*OUTCOMES_IN) == 3 and report.overall.n(*OUTCOMES_OUT) == 1
    # a higher bar never answers more questions confidently
    low, high = result.reports[0.3].overall, result.reports[0.9].overall
    assert high.n(CORRECT) <= low.n(CORRECT)
