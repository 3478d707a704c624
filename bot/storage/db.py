"""Database engine: SQLite (WAL) under the data directory by default, PostgreSQL by URL."""

from __future__ import annotations

import logging
import os
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


# Every SQLite connection: WAL (readers never wait for the writer); synchronous=NORMAL, which in
# WAL mode loses no committed transaction when the process dies (kill -9), only possibly the last
# ones on a power cut; foreign keys; a wait for the write lock instead of an error; and freed
# space overwritten with zeros, so deleted personal data does not stay readable in the file (some
# builds, Debian's among them, do this by default; others do not).
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=30000",
    "PRAGMA secure_delete=ON",
)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sqlite_file(engine: AsyncEngine) -> Path | None:
    """The database file of a SQLite engine; None for PostgreSQL or SQLite in memory."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return None  # URI filenames (shared memory and the like): no plain file to lock beside
    return Path(database).resolve()


def private_file(path: Path) -> None:
    """Create the database file readable by its owner only (names and phones of minors are in
    it; SQLite gives its -wal and -shm files the same mode), in a folder only the owner can
    enter when we create it. An existing folder's mode is the operator's choice and is kept."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))


def make_engine(url: str) -> AsyncEngine:
    """An async engine; for SQLite, WAL mode and write transactions that lock at BEGIN."""
    if not is_sqlite(url):
        return create_async_engine(url, pool_pre_ping=True)
    path = url.split("///", 1)[-1]
    if path and path != ":memory:" and not path.startswith("file:"):
        private_file(Path(path.split("?", 1)[0]))
    engine = create_async_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # take transaction control away from the driver: we emit BEGIN ourselves below
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
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
