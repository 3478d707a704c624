"""The suite keeps nothing a test made: an app, a normalizer and what they hold are freed after it.

The suite once grew to 9 GB and 45 minutes on CI's machine because aiohttp's module-wide middleware
cache and a functools cache on a method kept every app and normalizer alive (tests/conftest.py,
bot/matching/normalize.py). These tests fail if that comes back, e.g. when aiohttp renames its
cache and the conftest's clearing silently stops working.
"""

from __future__ import annotations

import gc
import weakref

from aiohttp import web_app
from aiohttp.test_utils import TestClient, TestServer

from bot.catalog import Catalog
from bot.core.engine import Engine
from bot.core.memory import MemoryConversationStore
from bot.matching.matcher import Matcher
from bot.matching.normalize import Normalizer
from bot.matching.targets import build_matcher
from bot.settings import Settings
from bot.web.app import create_app
from tests.conftest import FixedClock, forget_apps


def test_aiohttp_still_has_the_cache_the_conftest_clears() -> None:
    cached = getattr(web_app, "_cached_build_middleware", None)
    assert cached is not None and hasattr(cached, "cache_clear"), (
        "aiohttp renamed its middleware cache: find what keeps apps alive and clear that instead"
    )


async def test_an_app_that_served_a_request_is_freed_once_forgotten(
    catalog: Catalog, matcher: Matcher, settings: Settings
) -> None:
    engine = Engine(catalog, matcher, MemoryConversationStore(), FixedClock())
    app = create_app(settings, catalog, engine)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        response = await client.get("/healthz")
        assert response.status == 200
    finally:
        await client.close()
    app_ref, engine_ref = weakref.ref(app), weakref.ref(engine)
    del app, engine, client
    gc.collect()
    assert app_ref() is not None, "aiohttp no longer caches apps: this test and forget_apps go"
    forget_apps()
    gc.collect()
    assert app_ref() is None and engine_ref() is None


def test_a_normalizer_is_freed_after_use(catalog: Catalog) -> None:
    built = build_matcher(catalog)
    normalizer = built.normalize
    assert isinstance(normalizer, Normalizer)
    assert normalizer("Học phí bao nhiêu") == normalizer("hoc phi bao nhieu")  # cached
    ref = weakref.ref(normalizer)
    del built, normalizer
    gc.collect()
    assert ref() is None
