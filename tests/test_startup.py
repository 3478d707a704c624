"""Start-up: what `ask` and `content check` import, and the content cache they read."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.catalog import Catalog, load_catalog
from bot.catalog.cache import cached, content_key, load_catalog_cached, read
from bot.evaluate import load_questions
from bot.matching.targets import Built, load_built
from tests.conftest import CONTENT, ROOT

HEAVY = ("bot.web", "sqlalchemy", "telegram", "openpyxl", "aiohttp", "alembic")


def imported(*args: str, data_dir: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run the command line with -X importtime; the modules it imported."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bot", *args],
        cwd=ROOT,
        env={**os.environ, "HUONGNGHIEP_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in out.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    return out, modules


@pytest.mark.parametrize(
    "args",
    [("ask", "--json", "hoc phi trung cap"), ("content", "check")],
    ids=["ask", "content-check"],
)
@pytest.mark.parametrize("cache", ["cold", "warm"])
def test_ask_and_content_check_import_no_web_stack(
    args: tuple[str, ...], cache: str, tmp_path: Path
) -> None:
    if cache == "warm":
        imported(*args, data_dir=tmp_path)
    out, modules = imported(*args, data_dir=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "bot.catalog" in modules and "pydantic" in modules  # the listing works
    heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY or m.startswith("bot.web"))
    assert heavy == []


def test_ask_with_a_corrupt_cache_answers_and_repairs_it(tmp_path: Path) -> None:
    first, _ = imported("ask", "--json", "hoc phi trung cap", data_dir=tmp_path)
    [entry] = (tmp_path / "cache").iterdir()
    good = entry.read_bytes()
    entry.write_bytes(good[:-100] + bytes(100))  # the payload no longer matches its digest
    assert read(entry, content_key(CONTENT, "matcher"), Built) is None
    second, _ = imported("ask", "--json", "hoc phi trung cap", data_dir=tmp_path)
    assert json.loads(second.stdout) == json.loads(first.stdout)
    assert json.loads(first.stdout)["id"] == "faq:hp_thcs_trung_cap"
    assert read(entry, content_key(CONTENT, "matcher"), Built) is not None  # written again


@pytest.fixture
def content(tmp_path: Path) -> Path:
    copy = tmp_path / "content"
    shutil.copytree(CONTENT, copy)
    return copy


class Counter:
    """A build function that counts its calls."""

    def __init__(self, directory: Path) -> None:
        self.directory, self.calls = directory, 0

    def __call__(self) -> Catalog:
        self.calls += 1
        return load_catalog(self.directory)


def test_cache_is_used_while_nothing_changes_and_rebuilt_when_content_changes(
    content: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    build = Counter(content)
    first = cached(content, cache, "catalog", Catalog, build)
    again = cached(content, cache, "catalog", Catalog, build)
    assert build.calls == 1 and again == first
    texts = content / "texts.yaml"
    texts.write_text(texts.read_text(encoding="utf-8") + "\n# one more comment\n", "utf-8")
    cached(content, cache, "catalog", Catalog, build)
    assert build.calls == 2  # a byte changed in one content file
    texts.rename(content / "texts2.yaml")
    (content / "texts2.yaml").rename(texts)
    cached(content, cache, "catalog", Catalog, build)
    assert build.calls == 2  # same names, same bytes
    (content / "notes.txt").write_text("new file", encoding="utf-8")
    cached(content, cache, "catalog", Catalog, build)
    assert build.calls == 3  # a file added


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty", "garbage", "shared", "key"])
def test_a_damaged_or_foreign_cache_entry_is_ignored(
    damage: str, content: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    build = Counter(content)
    cached(content, cache, "catalog", Catalog, build)
    [entry] = cache.iterdir()
    blob = entry.read_bytes()
    if damage == "flip":
        entry.write_bytes(blob[:-1] + bytes([blob[-1] ^ 1]))
    elif damage == "truncate":
        entry.write_bytes(blob[: len(blob) // 2])
    elif damage == "empty":
        entry.write_bytes(b"")
    elif damage == "garbage":
        entry.write_bytes(os.urandom(len(blob)))
    elif damage == "shared":
        entry.chmod(0o666)  # anyone could have written it: not unpickled
    else:  # a valid entry for other content
        other = content_key(content, "other")
        entry.write_bytes(blob[:8] + other.encode() + blob[8 + 64 :])
    value = cached(content, cache, "catalog", Catalog, build)
    assert build.calls == 2
    assert value == load_catalog(content)


def test_an_unwritable_cache_directory_only_costs_the_cache(content: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the directory should be", encoding="utf-8")
    assert load_catalog_cached(content, blocker) == load_catalog(content)


def test_cached_matcher_answers_as_a_fresh_one(content: Path, tmp_path: Path) -> None:
    fresh = load_built(content, None)
    load_built(content, tmp_path / "cache")
    warm = load_built(content, tmp_path / "cache")
    assert isinstance(warm, Built) and warm.matcher is not fresh.matcher
    questions = [q.q for q in load_questions(ROOT / "tests" / "eval" / "holdout.yaml")]
    questions.append("hoc fhi trung capp")  # typos go through the rebuilt correction cache
    for question in questions:
        assert warm.matcher.match(question) == fresh.matcher.match(question)
