"""Shared fixtures: the real catalog, a matcher, engines with a fixed clock, a live web server."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from bot.catalog import Catalog, load_catalog
from bot.core.engine import Engine
from bot.core.memory import MemoryConversationStore
from bot.matching.matcher import Matcher
from bot.matching.targets import build_matcher
from bot.settings import Settings
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


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog(CONTENT)


@pytest.fixture(scope="session")
def matcher(catalog: Catalog) -> Matcher:
    return build_matcher(catalog)


@pytest.fixture
def engine(catalog: Catalog, matcher: Matcher) -> Engine:
    return Engine(catalog, matcher, MemoryConversationStore(), FixedClock())


@pytest.fixture
async def server(catalog: Catalog, engine: Engine) -> AsyncIterator[TestServer]:
    """The real aiohttp app on 127.0.0.1, a random port."""
    app = create_app(Settings(), catalog, engine)
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
