"""SIGKILL of a real `serve` process mid-survey and mid-delivery: nothing is lost.

Each test runs the real command line in a subprocess against SQLite and PostgreSQL; the school's
CRM is a fake webhook server in this process.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.storage.db import make_engine
from bot.storage.models import ContactRow, LeadRow, OutboxRow, ResponseRow
from tests.conftest import switch_on
from tests.fakes.school_webhook import FakeSchool
from tests.test_school_api import GRADE9, WebUser, play, submit_and_confirm

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Serve:
    """`python -m bot serve` in a subprocess, on one database."""

    def __init__(self, database_url: str, tmp: Path, **env: str) -> None:
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "HUONGNGHIEP_DATA_DIR": str(tmp / "var"),
            "HUONGNGHIEP_OUTBOX_POLL_SECONDS": "0.1",
            "HUONGNGHIEP_RETRY_BASE_SECONDS": "0.2",
            **env,
        }
        self.proc: asyncio.subprocess.Process | None = None
        self.base = ""

    async def cli(self, *args: str) -> str:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", *args, cwd=ROOT, env=self.env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
        return out.decode()

    async def start(self) -> None:
        port = _free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "serve", "--port", str(port), cwd=ROOT, env=self.env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        async with aiohttp.ClientSession() as http:
            for _ in range(150):
                assert self.proc.returncode is None, "serve exited"
                try:
                    async with http.get(f"{self.base}/healthz") as r:
                        if r.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)
        raise AssertionError("serve did not come up")

    async def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no flushing, like a power cut."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGINT)
            await self.proc.wait()


@pytest.fixture
async def serve(database_url: str, tmp_path: Path) -> AsyncIterator[Serve]:
    proc = Serve(database_url, tmp_path, HUONGNGHIEP_WEBHOOK_TIMEOUT="1.5")
    yield proc
    await proc.stop()


async def _counts(database_url: str) -> dict[str, int]:
    db = make_engine(database_url)
    try:
        async with db.connect() as conn:
            return {
                table.__tablename__: int(
                    await conn.scalar(select(func.count()).select_from(table)) or 0
                )
                for table in (ResponseRow, ContactRow, LeadRow)
            }
    finally:
        await db.dispose()


async def test_sigkill_mid_survey_loses_no_answer(serve: Serve, database_url: str) -> None:
    await serve.start()
    await switch_on(database_url)  # task directory: the school an operator switched on
    async with aiohttp.ClientSession() as http:
        user = WebUser(http, serve.base, "crash-survey-0001")
        await play(user, GRADE9[:11])  # up to and including consent
        await serve.kill()
        await serve.start()
        user.base = serve.base
        # the survey resumes at the question it stopped on (the name); a greeting is not taken
        # for an answer
        assert "Họ và tên của bạn?" in await user.send(text="xin chào")
        await play(user, GRADE9[11:])
        done = await submit_and_confirm(user)
    assert "đã được chuyển tới: Trường Cao đẳng Long An" in done
    assert await _counts(database_url) == {"responses": 1, "contacts": 1, "leads": 1}


async def test_sigkill_mid_delivery_redelivers_with_the_same_key(
    serve: Serve, database_url: str
) -> None:
    school = await FakeSchool(behaviours=["hang", "ok"]).start()
    try:
        out = await serve.cli("school", "webhook", "cd_long_an", school.url)
        secret = out.split("signing secret (shown once): ", 1)[1].strip()
        token = (await serve.cli("school", "token", "cd_long_an")).strip()
        await serve.start()
        async with aiohttp.ClientSession() as http:
            user = WebUser(http, serve.base, "crash-delivery-01")
            await play(user, GRADE9)
            await submit_and_confirm(user)
            await school.wait_for(1)  # the first delivery is in flight, unanswered...
            await serve.kill()  # ...when the process dies
            await serve.start()
            await school.wait_for(2, timeout=30)  # after the lease expires, delivered again
            first, second = school.received[:2]
            assert first.key == second.key
            assert first.signed_with(secret) and second.signed_with(secret)
            assert first.json["lead"] == second.json["lead"]
            await asyncio.sleep(0.5)  # let the worker record the success
            headers = {"Authorization": f"Bearer {token}"}
            async with http.get(f"{serve.base}/api/leads?format=csv", headers=headers) as r:
                csv_text = (await r.read()).decode("utf-8-sig")
        assert first.json["lead"]["lead_id"] in csv_text
        assert await _counts(database_url) == {"responses": 1, "contacts": 1, "leads": 1}
        db = make_engine(database_url)
        try:
            async with async_sessionmaker(db)() as session:
                [row] = list(await session.scalars(select(OutboxRow)))
            assert row.status == "delivered" and row.attempts == 2
        finally:
            await db.dispose()
        assert len(school.received) == 2
    finally:
        await school.close()
