"""Shared fixtures: the real catalog, a matcher, engines with a fixed clock, a live web server."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import time
import uuid
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestServer

from bot.catalog import Catalog, load_catalog
from bot.core.engine import Engine
from bot.core.memory import MemoryConversationStore
from bot.matching.matcher import Matcher
from bot.matching.targets import build_matcher
from bot.settings import Settings
from bot.storage.migrate import upgrade
from bot.web.app import create_app

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"
TODAY = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC)


class FixedClock:
    """A clock that says what the test wants."""

    def __init__(self, now: dt.datetime = TODAY) -> None:
        self.current = now

    def now(self) -> dt.datetime:
        return self.current


def forget_apps() -> None:
    """aiohttp caches each app's middleware chain keyed by the app (1024 entries, module-wide):
    every app a test made stayed alive with its engine, catalog and care rules, and the suite
    grew to 9 GB with set-ups of 20-30 s (the collector walking it all). One process serves one
    app, so the bot itself never fills it. tests/test_suite_memory.py fails if aiohttp renames
    it."""
    from aiohttp import web_app

    cached = getattr(web_app, "_cached_build_middleware", None)
    if cached is not None:
        cached.cache_clear()


@pytest.fixture(autouse=True)
def _forget_apps() -> Iterator[None]:
    """Every test's apps are forgotten after it (see forget_apps)."""
    yield
    forget_apps()


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog(CONTENT)


@pytest.fixture(scope="session")
def matcher(catalog: Catalog) -> Matcher:
    return build_matcher(catalog)


EXAMPLE_OVERLAY = ROOT / "tests" / "fixtures" / "example_content"


@pytest.fixture
def example_content(tmp_path: Path) -> Path:
    """A copy of content/ with the invented schools of tests/fixtures/example_content added:
    test data that content/ itself may never hold."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    for path in EXAMPLE_OVERLAY.rglob("*.yaml"):
        dest = target / path.relative_to(EXAMPLE_OVERLAY)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
    return target


@pytest.fixture
def engine(catalog: Catalog, matcher: Matcher) -> Engine:
    return Engine(catalog, matcher, MemoryConversationStore(), FixedClock())


def _pg_admin(url: str, sql: str) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database: a SQLite file, or a new database on the test PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        upgrade(url)
        yield url
        return
    admin = os.environ.get("TEST_DATABASE_URL")
    if not admin:
        if os.environ.get("CI"):
            pytest.fail("TEST_DATABASE_URL is not set; `make test` sets it and starts PostgreSQL")
        pytest.skip("no PostgreSQL (TEST_DATABASE_URL); `make test` provides one")
    name = f"hn_test_{uuid.uuid4().hex[:12]}"
    _pg_admin(admin, f'CREATE DATABASE "{name}"')
    url = admin.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        _drop(admin, name)


def _drop(admin: str, name: str) -> None:
    """Drop a test database. An autovacuum worker still in it can make the forced drop fail
    for a role that may not end the server's processes (.ci/postgres grants it): wait and try
    again, and in the end leave the database rather than fail a test that passed."""
    import asyncpg

    for attempt in range(5):
        try:
            _pg_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except asyncpg.exceptions.InsufficientPrivilegeError:
            time.sleep(0.2 * (attempt + 1))
    warnings.warn(f"test database {name} left behind (autovacuum was in it)", stacklevel=1)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a migrated SQLite database in a temporary directory."""
    data = tmp_path / "var"
    result = Settings(data_dir=data)
    upgrade(result.db_url)
    return result


@pytest.fixture
async def server(catalog: Catalog, engine: Engine, settings: Settings) -> AsyncIterator[TestServer]:
    """The real aiohttp app on 127.0.0.1, a random port."""
    app = create_app(settings, catalog, engine)
    srv = TestServer(app, host="127.0.0.1")
    await srv.start_server()
    try:
        yield srv
    finally:
        await srv.close()


def chromium_path() -> str | None:
    """Debian's chromium, or None. In CI a missing browser is a failure, not a skip."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and os.environ.get("CI"):
        pytest.fail("chromium is not installed; .ci/system-deps installs it")
    return found


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A copy of the content folder that a test may edit."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    return target


def edit_yaml(path: Path, change: Callable[[Any], None]) -> None:
    """Load a YAML file, let `change` edit the data in place, write it back."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


# task directory: a school receives leads only when an operator switched it on; tests of lead
# delivery switch on the real schools their surveys pick, as an operator would
LEAD_SCHOOLS = ("cd_long_an", "cd_lao_cai", "cd_yen_bai", "cd_cn_hung_yen")


async def switch_on(database_url: str, *school_ids: str) -> None:
    """Switch these schools (default: LEAD_SCHOOLS) on to receive leads."""
    from bot.storage.db import make_engine
    from bot.storage.participation import ParticipationStore

    db = make_engine(database_url)
    try:
        store = ParticipationStore(db)
        for school_id in school_ids or LEAD_SCHOOLS:
            await store.switch(school_id, True, "participate", TODAY)
    finally:
        await db.dispose()
