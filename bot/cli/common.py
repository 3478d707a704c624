"""Helpers the commands share: the catalog, the content cache, the database, the clock."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from bot.catalog import Catalog, CatalogError, load_catalog
from bot.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from bot.matching.targets import Built


def _load(settings: Settings) -> Catalog:
    try:
        return load_catalog(settings.content_dir)
    except CatalogError as exc:
        _exit_on(exc)


def _load_built(settings: Settings) -> Built:
    """The catalog and its matcher, from the content cache under the data directory."""
    from bot.matching.targets import load_built

    try:
        return load_built(settings.content_dir, _cache_dir(settings))
    except CatalogError as exc:
        _exit_on(exc)


def _cache_dir(settings: Settings) -> Path:
    return settings.data_dir / "cache"


def _exit_on(exc: CatalogError) -> NoReturn:
    for problem in exc.problems:
        print(problem, file=sys.stderr)
    raise SystemExit(2) from exc


def _with_db(settings: Settings, work: Callable[[AsyncEngine], Awaitable[int]]) -> int:
    """Migrate, then run `work` with a database engine."""
    from bot.storage.db import make_engine
    from bot.storage.migrate import upgrade

    # a command printing data says nothing of the migration (`db upgrade` and `serve` do)
    alembic = logging.getLogger("alembic")
    before = alembic.level
    alembic.setLevel(max(logging.WARNING, before))
    try:
        upgrade(settings.db_url)
    finally:
        alembic.setLevel(before)

    async def run() -> int:
        db = make_engine(settings.db_url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(run())


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
