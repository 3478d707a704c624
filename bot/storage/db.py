"""Database engine: SQLite (WAL) under the data directory by default, PostgreSQL by URL."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

log = logging.getLogger(__name__)

# Execution option for a long read (an export): on SQLite it begins DEFERRED, not IMMEDIATE
READ_ONLY = "huongnghiep_read_only"
# INSERT with ON CONFLICT for the engine's dialect (both have on_conflict_do_nothing/_update)
Insert = Callable[[Any], postgresql.Insert | sqlite.Insert]


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str) -> AsyncEngine:
    """An async engine; for SQLite, WAL mode and write transactions that lock at BEGIN."""
    if not is_sqlite(url):
        return create_async_engine(url, pool_pre_ping=True)
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # take transaction control away from the driver: we emit BEGIN ourselves below
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # freed space is overwritten with zeros, so deleted personal data does not stay readable
        # in the file (some builds, Debian's among them, do this by default; others do not)
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE: a transaction that will write takes the lock now, not at its first write,
        # so two processes never read the same conversation and then both write it. A long
        # read marked READ_ONLY begins DEFERRED: in WAL mode it reads a snapshot, blocking no one
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def dialect_insert(engine: AsyncEngine) -> Insert:
    """`insert` of PostgreSQL or SQLite, whichever the engine speaks."""
    return postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert


async def checkpoint(engine: AsyncEngine) -> bool:
    """On SQLite, copy the write-ahead log into the database file and truncate it, so deleted
    data does not linger in the -wal file. False when readers kept it from finishing (the
    hourly purge tries again); True when done, and always on PostgreSQL."""
    if engine.dialect.name != "sqlite":
        return True
    async with engine.connect() as conn:
        # on the driver itself: through SQLAlchemy the statement would run inside the
        # BEGIN IMMEDIATE that _on_begin issues, and SQLite refuses a checkpoint there
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        async with driver.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cursor:
            row = await cursor.fetchone()
    busy = bool(row and row[0])
    if busy:
        log.warning("wal checkpoint could not finish: readers busy")
    return not busy
