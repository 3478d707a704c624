"""Schools' and officials' tokens: listed, revoked and expiring from the command line; the leads
API refuses revoked and expired ones and records each token's last use (at most once a minute)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.catalog import Catalog
from bot.cli import main
from bot.settings import Settings
from bot.storage.db import make_engine
from bot.storage.schools import SchoolStore
from bot.web.app import create_app
from tests.test_cli import run

NOW = dt.datetime.now(dt.UTC)


class Cli:
    """`huongnghiep …` run through main() on a temporary data directory."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    monkeypatch.setenv("HUONGNGHIEP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HUONGNGHIEP_LOG_LEVEL", "WARNING")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("HUONGNGHIEP_RETENTION_MONTHS", raising=False)
    return Cli(capsys)


def _table(out: str) -> list[list[str]]:
    lines = out.strip().splitlines()
    assert lines[0].split("\t") == ["id", "created (UTC)", "last used", "expires", "revoked"]
    return [line.split("\t") for line in lines[1:]]


def test_school_tokens_are_listed_revoked_and_may_expire(cli: Cli) -> None:
    code, first, err = cli("school", "token", "cd_long_an", "--expires-days", "30")
    assert code == 0 and first.strip().startswith("hns_")
    expected = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).date().isoformat()
    assert f"expires {expected}" in err
    code, second, _ = cli("school", "token", "cd_long_an")
    assert code == 0 and second.strip() != first.strip()
    assert cli("school", "token", "cd_lao_cai")[0] == 0

    code, out, _ = cli("school", "tokens", "cd_long_an")
    assert code == 0
    assert first.strip() not in out and second.strip() not in out  # never the token
    rows = _table(out)
    assert [r[0] for r in rows] == ["1", "2"]  # cd_lao_cai's token is not listed
    assert rows[0][3].startswith(expected) and rows[1][3] == "-"
    assert all(r[2] == "-" and r[4] == "-" for r in rows)  # never used, not revoked

    code, out, _ = cli("school", "revoke", "1")
    assert code == 0 and "token 1 revoked" in out
    code, out, _ = cli("school", "revoke", "1")  # idempotent
    assert code == 0 and "already revoked" in out
    assert _table(cli("school", "tokens", "cd_long_an")[1])[0][4] != "-"
    for unknown in ("99", "0", "-4", "99999999999999"):
        code, out, err = cli("school", "revoke", unknown)
        assert code == 2 and f"no school token with id {unknown}" in err, unknown

    for bad in ("0", "-1", "3651"):
        code, out, err = cli("school", "token", "cd_long_an", "--expires-days", bad)
        assert code == 2 and "--expires-days must be between 1 and 3650" in err and out == ""
    code, _, err = cli("school", "tokens", "no_such_school")
    assert code == 2 and "unknown school id" in err


def test_admin_tokens_are_listed_and_revoked_apart_from_schools(cli: Cli) -> None:
    assert cli("school", "token", "cd_long_an")[0] == 0  # id 1
    code, out, err = cli("admin", "token", "--expires-days", "7")
    assert code == 0 and out.strip().startswith("hna_") and "expires" in err
    assert cli("admin", "token")[0] == 0
    assert [r[0] for r in _table(cli("admin", "tokens")[1])] == ["2", "3"]
    code, _, err = cli("admin", "revoke", "1")  # a school's token is not an official's
    assert code == 2 and "no admin token with id 1" in err
    code, _, err = cli("school", "revoke", "2")
    assert code == 2 and "no school token with id 2" in err
    assert cli("admin", "revoke", "2")[0] == 0
    assert _table(cli("admin", "tokens")[1])[0][4] != "-"
    assert _table(cli("school", "tokens", "cd_long_an")[1])[0][4] == "-"


def test_data_purge_refuses_absurd_retention_periods(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    for months in ("0", "-3", "121", "100000"):
        code, out, err = cli("data", "purge", "--months", months)
        assert code == 2 and out == "", months
        assert err.startswith("--months: ") and "nothing deleted" in err
    code, out, _ = cli("data", "purge", "--months", "120")
    assert code == 0 and "older than 120 months" in out and "seen platform event(s)" in out
    monkeypatch.setenv("HUONGNGHIEP_RETENTION_MONTHS", "0")
    code, _, err = cli("data", "purge")
    # refused with the other settings, before any command runs (tests/test_settings.py)
    assert code == 2 and "HUONGNGHIEP_RETENTION_MONTHS=0" in err and "between 1 and 120" in err


def test_the_real_command_exits_2_on_an_unknown_token_or_a_zero_retention(tmp_path: Path) -> None:
    env = {"HUONGNGHIEP_DATA_DIR": str(tmp_path), "HUONGNGHIEP_LOG_LEVEL": "WARNING"}
    revoked = run("school", "revoke", "12345", env=env)
    assert revoked.returncode == 2 and "no school token with id 12345" in revoked.stderr
    purged = run("data", "purge", "--months", "0", env=env)
    assert purged.returncode == 2 and "at least 1 month" in purged.stderr


# -- the leads API ----------------------------------------------------------------------------


@pytest.fixture
async def stack(
    catalog: Catalog, database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[str, AsyncEngine]]:
    settings = Settings(data_dir=tmp_path, database_url=database_url)
    server = TestServer(create_app(settings, catalog), host="127.0.0.1")
    await server.start_server()
    db = make_engine(database_url)
    try:
        yield str(server.make_url("/api/leads")), db
    finally:
        await server.close()
        await db.dispose()


async def _status(url: str, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as response:
        return response.status


async def test_revoked_and_expired_tokens_are_refused(
    stack: tuple[str, AsyncEngine],
) -> None:
    url, db = stack
    schools = SchoolStore(db)
    day = dt.timedelta(days=1)
    valid = await schools.new_token("school", "cd_long_an", NOW - day, expires_at=NOW + day)
    expired = await schools.new_token("school", "cd_long_an", NOW - 2 * day, expires_at=NOW - day)
    forever = await schools.new_token("school", "cd_long_an", NOW)
    assert await _status(url, valid) == 200
    assert await _status(url, expired) == 401
    assert await _status(url, forever) == 200
    [info] = [t for t in await schools.tokens("school", "cd_long_an") if t.id == 3]
    assert (await schools.revoke(info.id, "school", NOW)).found
    assert await _status(url, forever) == 401
    assert await _status(url, valid) == 200  # the other tokens still work


async def test_last_use_is_recorded_at_most_once_a_minute(
    stack: tuple[str, AsyncEngine],
) -> None:
    url, db = stack
    schools = SchoolStore(db)
    token = await schools.new_token("school", "cd_long_an", NOW)

    async def last_used() -> dt.datetime | None:
        [info] = await schools.tokens("school", "cd_long_an")
        return info.last_used_at

    assert await last_used() is None
    assert await _status(url, token) == 200
    first = await last_used()
    assert first is not None
    for _ in range(3):
        assert await _status(url, token) == 200
    assert await last_used() == first  # a busy client does not write on every request
    later = first + dt.timedelta(seconds=61)
    assert await schools.authenticate(token, now=later) is not None
    assert await last_used() == later
    assert await schools.authenticate(token, now=later + dt.timedelta(seconds=30)) is not None
    assert await last_used() == later
    assert await _status(url, "hns_not-a-token") == 401
