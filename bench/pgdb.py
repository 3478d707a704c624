"""A fresh PostgreSQL database for one benchmark run (bench/chat.py, bench/dashboard.py)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator


@contextlib.asynccontextmanager
async def pg_database(admin_url: str) -> AsyncIterator[str]:
    """A new, empty PostgreSQL database for the run, dropped afterwards."""
    import asyncpg

    name = f"bench_{uuid.uuid4().hex[:12]}"
    plain = admin_url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(plain)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        conn = await asyncpg.connect(plain)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
