"""Split labelled real-question files into real_dev.yaml and real_holdout.yaml.

Rule (fixed, so that questions from one source stay together): a question goes to the HOLDOUT
when the first hex digit of sha256(source.encode()) is in 89abcdef, else to dev.

Usage (from the repository root):
    python tests/eval/split_real.py [--faq-dir DIR ...] LABELLED.yaml ...
Each input has `questions:` whose items already carry `expect` (list of ids or null), `category`
and, for in-scope questions no entry answers, `gap`. The items are appended to the existing
tests/eval/real_dev.yaml / real_holdout.yaml (an item with the same q and source is not added
twice); ids are checked against content/ (and any extra --faq-dir). Prints counts only.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT / "tests" / "eval"
CATEGORIES = {
    "hoc_phi",
    "ho_tro",
    "tin_dung",
    "cap_hoc",
    "tuyen_sinh",
    "lien_thong",
    "phan_luong",
    "viec_lam",
    "nganh_nghe",
    "truong",
    "dia_phuong",
    "nghia_vu_quan_su",
    "bot",
    "van_ban",
    "out_of_scope",
}
ORDER = ["q", "source", "style", "register", "scope", "gist", "expect", "category", "gap", "note"]
HEADER = """\
# Real questions written by other people, collected from public sources (collectors realq-a,
# realq-b, realq-c; see their notes in git history: tests/eval/real_a.yaml, real_b.yaml,
# real_c.yaml), labelled by independent labellers (realq-label; realq-label2 for real_c, whose
# `headline: true` items are editors' question headlines, not readers' own words) against the
# content, without running the bot; file last written on {day}.
# expect: every faq:/trade:/school: id whose answer really answers the question (best first), or
#   null when the bot should decline (out of scope, or in scope but no entry answers it: then
#   `gap` says what content is missing). category: the question's topic. note: labeller's doubts.
# Split by source: HOLDOUT when the first hex digit of sha256(source) is in 89abcdef, else dev
#   (tests/eval/split_real.py).
{extra}"""
RULE = (
    "# real_dev.yaml may be read and tuned on. real_holdout.yaml must NEVER be read or tuned on:\n"
    "#   measure it only with `huongnghiep eval --figures-only tests/eval/real_holdout.yaml`.\n"
)
DEV_EXTRA = RULE + "# This file is DEV.\n"
HOLD_EXTRA = RULE + "# This file is the HOLDOUT.\n"


def is_holdout(source: str) -> bool:
    return hashlib.sha256(source.encode()).hexdigest()[0] in "89abcdef"


def known_ids(faq_dirs: list[Path]) -> set[str]:
    ids = set()
    for d in [ROOT / "content" / "faq", *faq_dirs]:
        for f in sorted(d.glob("*.yaml")):
            ids |= {f"faq:{e['id']}" for e in (yaml.safe_load(f.read_text()) or {}).get("faq", [])}
    ids |= {
        f"trade:{t['id']}"
        for t in yaml.safe_load((ROOT / "content/trades.yaml").read_text())["trades"]
    }
    ids |= {
        f"school:{s['id']}"
        for s in yaml.safe_load((ROOT / "content/schools.yaml").read_text())["schools"]
    }
    return ids


def check(item: dict, known: set[str]) -> None:
    where = item.get("q", "?")[:40]
    assert "expect" in item and item.get("category") in CATEGORIES, f"unlabelled: {where}"
    exp = item["expect"]
    assert exp is None or (isinstance(exp, list) and exp), f"expect must be a list or null: {where}"
    for i in exp or []:
        assert i in known, f"unknown id {i}: {where}"
    if exp is not None or item["category"] == "out_of_scope":
        assert "gap" not in item, f"gap on an answered or out-of-scope question: {where}"
    else:
        assert item.get("gap"), f"in-scope null needs a gap: {where}"


def ordered(item: dict) -> dict:
    out = {k: item[k] for k in ORDER if k in item}
    out.update({k: v for k, v in item.items() if k not in out})
    return out


def write(path: Path, items: list[dict], extra: str) -> None:
    body = yaml.safe_dump(
        {"questions": [ordered(i) for i in items]}, allow_unicode=True, sort_keys=False, width=100
    )
    path.write_text(
        "version: 1\n" + HEADER.format(day=date.today().isoformat(), extra=extra) + body
    )


def load(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return yaml.safe_load(path.read_text())["questions"]


def counts(name: str, items: list[dict]) -> None:
    ins = [i for i in items if i["expect"]]
    print(
        f"{name}: {len(items)} questions, {len(ins)} answerable, "
        f"{len(items) - len(ins)} decline ({sum(1 for i in items if i.get('gap'))} gaps), "
        f"sources {len({i['source'] for i in items})}"
    )
    print("  categories:", dict(sorted(Counter(i["category"] for i in items).items())))
    print(
        "  labels per answerable question:",
        dict(sorted(Counter(len(i["expect"]) for i in ins).items())),
    )
    print("  collector scope in/out:", dict(Counter(i.get("scope") for i in items)))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--faq-dir", action="append", default=[], type=Path)
    ap.add_argument("inputs", nargs="*", type=Path)
    args = ap.parse_args()
    known = known_ids(args.faq_dir)
    dev, hold = load(EVAL / "real_dev.yaml"), load(EVAL / "real_holdout.yaml")
    seen = {(i["q"], i["source"]) for i in dev + hold}
    for path in args.inputs:
        for item in yaml.safe_load(path.read_text())["questions"]:
            check(item, known)
            if (item["q"], item["source"]) in seen:
                continue
            seen.add((item["q"], item["source"]))
            (hold if is_holdout(item["source"]) else dev).append(item)
    for item in dev + hold:
        check(item, known)
    write(EVAL / "real_dev.yaml", dev, DEV_EXTRA)
    write(EVAL / "real_holdout.yaml", hold, HOLD_EXTRA)
    counts("real_dev", dev)
    counts("real_holdout", hold)


if __name__ == "__main__":
    sys.exit(main())
