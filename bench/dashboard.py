"""Benchmark: the officials' dashboard (/so) and its exports with N stored survey responses.

Stores N responses (default 20,000) through the storage layer (bot.storage.bulk.submit_many:
the rows SqlLeadSink.submit writes), a realistic mix: grades 9 and 12 over two school years,
every province, communes typed freely or naming a former district, a third anonymous, one in
twenty a resubmission by the same person, leads with parents' answers and the schools' portal
statuses, and a conversation row per person (some with a survey still in progress). Then starts
`huongnghiep serve` (a subprocess on a free 127.0.0.1 port; SQLite in a temporary data
directory, or with `--stores pg` a fresh PostgreSQL database next to TEST_DATABASE_URL), signs
in as an official with a one-time link, and times, through HTTP:

- the page `/so` with no filter and with a filter (survey, school year, province), first after
  the data changed and again;
- officials downloading several tables in a row under one filter (CSV and XLSX);
- the page after a new response is stored by another process (this one): it must count it.

Each time is printed with its ratio to a baseline measured in the same run: a plain SQL count
over the same table (`SELECT survey_id, grade, count(*) FROM responses GROUP BY …` on the
bench's own connection), and the server's CPU for each request (from /proc). Run: `make bench`
or `.venv/bin/python bench/dashboard.py [--responses N] [--repeat R] [--stores sqlite,pg]`.
Not part of the test run; it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import functools
import os
import random
import re
import shutil
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, insert, select, text, update

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pgdb import pg_database  # noqa: E402

from bot.catalog import Catalog, load_catalog  # noqa: E402
from bot.catalog.documents import former_provinces  # noqa: E402
from bot.core.messages import ConversationKey  # noqa: E402
from bot.core.ports import Submission  # noqa: E402
from bot.storage.access import AccessStore  # noqa: E402
from bot.storage.bulk import submit_many  # noqa: E402
from bot.storage.db import make_engine  # noqa: E402
from bot.storage.migrate import upgrade  # noqa: E402
from bot.storage.models import (  # noqa: E402
    ConversationRow,
    LeadRow,
    LeadStatusRow,
    ResponseRow,
)

print = functools.partial(print, flush=True)  # progress shows at once, even into a file
PER_TRANSACTION = 5000
FIRST_DAY = dt.datetime(2025, 9, 1, 1, tzinfo=dt.UTC)  # two school years: 2025-26, 2026-27
DAYS = 450
FILTER = "khao_sat=lop9&nam_hoc=2026-2027&tinh=tay_ninh"  # Tây Ninh absorbed Long An
EXPORTED = ("theo-lop", "theo-tinh", "chi-tieu", "du-dinh-lop9", "theo-nghe", "pheu")
COUNTED = re.compile(
    r'id="theo-lop".*?<th scope="row">Tổng cộng</th><td[^>]*>([^<]*)</td>', re.DOTALL
)


# -- the data ------------------------------------------------------------------------------------


def submissions(catalog: Catalog, count: int, seed: int = 11) -> list[Submission]:
    """`count` survey submissions; one in twenty is a resubmission of an earlier person."""
    rng = random.Random(seed)
    provinces = sorted(catalog.provinces)
    former = former_provinces(catalog)
    districts: dict[str, list[str]] = {}
    for district in catalog.districts.values():
        today = former.get(district.province, ("", ""))[1]
        if today:
            districts.setdefault(today, []).append(district.name)
    trades = sorted(catalog.trades)
    schools = sorted(catalog.schools)[:40]
    plans = {
        s.id: [o.id for st in s.steps if st.id == "plan" for o in st.options]
        for s in catalog.surveys.values()
    }
    out: list[Submission] = []
    for n in range(count):
        again = n > 100 and rng.random() < 0.05
        person = rng.randrange(n) if again else n
        grade = 9 if person % 5 < 3 else 12
        survey = "lop9" if grade == 9 else "lop12"
        province = rng.choice(provinces)
        roll = rng.random()
        if roll < 0.3 and districts.get(province):
            commune = rng.choice(districts[province])  # a former district by name
        elif roll < 0.85:
            commune = f"Xã {rng.choice(['An', 'Bình', 'Tân', 'Phú', 'Long'])} {rng.randint(1, 40)}"
        else:
            commune = None
        answers: dict[str, Any] = {
            "plan": rng.choice(plans[survey]),
            "trades": rng.sample(trades, rng.randint(0, 3)),
            "province": province,
        }
        if commune:
            answers["commune"] = commune
        forward = person % 3 != 0  # a third anonymous: no consent, no school
        at = FIRST_DAY + dt.timedelta(days=rng.uniform(0, DAYS))
        personal = {"name": "Nguyễn Văn An", "school_class": f"{grade}A1", "phone": "+84900000000"}
        out.append(
            Submission(
                key=ConversationKey("web", f"bench-{person}"),
                run_id=uuid.uuid4().hex,
                survey_id=survey,
                grade=grade,
                answers=answers,
                personal=personal if forward else {},
                schools=tuple(rng.sample(schools, rng.randint(1, 2))) if forward else (),
                consent_version="2026-11-v1",
                consent_given=forward,
                consent_at=at if forward else None,
                parent_confirmed=(True if grade == 9 else None) if forward else None,
                submitted_at=at,
            )
        )
    out.sort(key=lambda s: s.submitted_at)
    return out


def conversation(rng: random.Random, survey: str, at: dt.datetime) -> dict[str, Any]:
    """A conversation's state: a few web turns, sometimes a survey run still in progress."""
    data: dict[str, Any] = {
        "web_turns": [{"who": "me", "text": "khảo sát"}, {"who": "bot", "text": "Câu 1/5." * 20}]
    }
    if rng.random() < 0.05:
        data["survey"] = {
            "id": survey,
            "run": uuid.uuid4().hex,
            "active": True,
            "answers": {"plan": "trung_cap", "province": "tay_ninh"},
            "started": at.isoformat(),
        }
    return {"menu": None, "data": data, "updated_at": at.isoformat()}


async def store(url: str, catalog: Catalog, count: int) -> tuple[int, str]:
    """Store the responses, what became of their leads and the conversations; return the
    number of leads and a one-time sign-in link's secret for an official."""
    engine = make_engine(url)
    pending = submissions(catalog, count)
    leads = 0
    for first in range(0, len(pending), PER_TRANSACTION):
        leads += await submit_many(engine, pending[first : first + PER_TRANSACTION])
    rng = random.Random(5)
    async with engine.begin() as conn:
        lead_ids = sorted(await conn.scalars(select(LeadRow.id)))
        states = ["awaiting_parent", "declined", "withdrawn"]
        for state in states:  # 5 % of the leads each
            chosen = rng.sample(lead_ids, len(lead_ids) // 20)
            await conn.execute(update(LeadRow).where(LeadRow.id.in_(chosen)).values(status=state))
        marks = ["da_lien_he", "da_dang_ky", "khong_lien_lac_duoc"]
        now = dt.datetime.now(dt.UTC)
        marked = rng.sample(lead_ids, len(lead_ids) * 3 // 10)
        await conn.execute(
            insert(LeadStatusRow),
            [{"lead_id": i, "status": rng.choice(marks), "updated_at": now} for i in marked],
        )
        people = {(s.key.user_key, s.survey_id, s.submitted_at) for s in pending}
        rows = {
            user: {
                "channel": "web",
                "user_key": user,
                "state": conversation(rng, survey, at),
                "version": 1,
                "updated_at": at,
            }
            for user, survey, at in sorted(people)
        }
        values = list(rows.values())
        for first in range(0, len(values), PER_TRANSACTION):
            await conn.execute(insert(ConversationRow), values[first : first + PER_TRANSACTION])
    secret = await AccessStore(engine).new_invite("official", None, dt.datetime.now(dt.UTC))
    await engine.dispose()
    return leads, secret


async def add_response(url: str, catalog: Catalog, n: int) -> None:
    """One more grade 9 response, stored by this process as the bot would store it."""
    engine = make_engine(url)
    sub = submissions(catalog, 1, seed=1000 + n)[0]
    late = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    fresh = Submission(
        **{
            **sub.__dict__,
            "key": ConversationKey("web", f"bench-new-{n}"),
            "run_id": uuid.uuid4().hex,
            "submitted_at": late,
            "consent_at": late if sub.consent_at else None,
        }
    )
    await submit_many(engine, [fresh])
    await engine.dispose()


# -- the server ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User and system CPU a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def wait_ready(base: str, process: asyncio.subprocess.Process) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(600):
            if process.returncode is not None:
                raise SystemExit("serve exited before it was ready")
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"{base}/healthz") as r:
                    if r.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise SystemExit("serve did not answer /healthz in time")


@contextlib.asynccontextmanager
async def serving(env: dict[str, str]) -> AsyncIterator[tuple[str, int]]:
    port = free_port()
    command = [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)]
    server = await asyncio.create_subprocess_exec(
        *command, env=env, cwd=ROOT, stdout=asyncio.subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(base, server)
        yield base, server.pid
    finally:
        if server.returncode is None:
            server.terminate()
            await asyncio.wait_for(server.wait(), 30)


async def sign_in(http: aiohttp.ClientSession, base: str, secret: str) -> None:
    async with http.get(f"{base}/dang-nhap?ma={secret}") as r:
        html = await r.text()
    form = {
        name: re.search(rf'name="{name}" value="([^"]*)"', html).group(1)  # type: ignore[union-attr]
        for name in ("ma", "pre")
    }
    async with http.post(f"{base}/dang-nhap", data=form, allow_redirects=False) as r:
        if r.status != 303:
            raise SystemExit(f"sign-in failed: HTTP {r.status}")


# -- the measurements ----------------------------------------------------------------------------


class Timer:
    """Times HTTP GETs of the signed-in official and the server's CPU for each."""

    def __init__(self, http: aiohttp.ClientSession, base: str, pid: int) -> None:
        self.http, self.base, self.pid = http, base, pid

    async def get(self, path: str) -> tuple[float, float, str]:
        cpu = cpu_seconds(self.pid)
        began = time.perf_counter()
        async with self.http.get(self.base + path, allow_redirects=False) as r:
            body = await r.read()
            if r.status != 200:
                raise SystemExit(f"{path}: HTTP {r.status}")
        wall = time.perf_counter() - began
        text_ = body.decode("utf-8", "replace") if path.startswith("/so?") or path == "/so" else ""
        return wall, cpu_seconds(self.pid) - cpu, text_


async def baseline(url: str, repeat: int) -> float:
    """A plain SQL count over the same table, on this process's own connection (best of)."""
    engine = make_engine(url)
    counts = select(ResponseRow.survey_id, ResponseRow.grade, func.count()).group_by(
        ResponseRow.survey_id, ResponseRow.grade
    )
    best = float("inf")
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
        for _ in range(repeat):
            began = time.perf_counter()
            list(await conn.execute(counts))
            best = min(best, time.perf_counter() - began)
    await engine.dispose()
    return best


def line(label: str, walls: list[float], cpus: list[float], base: float) -> str:
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    return f"{label:<44} {wall * 1e3:9.1f} {cpu * 1e3:9.1f} {wall / base:10.0f}x  (n={len(walls)})"


async def bench(url: str, env: dict[str, str], args: argparse.Namespace, name: str) -> None:
    catalog = load_catalog(ROOT / "content")
    await asyncio.to_thread(upgrade, url)
    began = time.perf_counter()
    leads, secret = await store(url, catalog, args.responses)
    print(
        f"[{name}] stored {args.responses:,} responses ({leads:,} leads) in "
        f"{time.perf_counter() - began:.1f} s"
    )
    base = await baseline(url, 20)
    print(f"[{name}] baseline (SQL count by survey and grade): {base * 1e3:.2f} ms")
    print(f"{'run':<44} {'ms':>9} {'CPU ms':>9} {'/baseline':>11}")
    async with serving(env) as (root, pid):
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            await sign_in(http, root, secret)
            timer = Timer(http, root, pid)
            results: dict[str, tuple[list[float], list[float]]] = {}

            def note(label: str, wall: float, cpu: float) -> None:
                walls, cpus = results.setdefault(label, ([], []))
                walls.append(wall)
                cpus.append(cpu)

            async def changed(n: int) -> None:
                await add_response(url, catalog, n)

            step = 0
            for _ in range(args.repeat):
                step += 1
                await changed(step)  # every round starts after a change: nothing cached fits
                wall, cpu, html = await timer.get("/so")
                note("/so, first after a change", wall, cpu)
                wall, cpu, _ = await timer.get("/so")
                note("/so, again", wall, cpu)
                wall, cpu, _ = await timer.get(f"/so?{FILTER}")
                note("/so filtered, first", wall, cpu)
                for table in EXPORTED:
                    for fmt in ("csv", "xlsx"):
                        q = f"/so/xuat?{FILTER}&bang={table}&dinh_dang={fmt}"
                        wall, cpu, _ = await timer.get(q)
                        note(f"export {fmt.upper()}, filtered, after the page", wall, cpu)
                wall, cpu, _ = await timer.get(f"/so?{FILTER}")
                note("/so filtered, again", wall, cpu)
                # a new response by another process: the next page must count it
                before = COUNTED.search(html)
                step += 1
                await changed(step)
                wall, cpu, after_html = await timer.get("/so")
                note("/so after a new response", wall, cpu)
                after = COUNTED.search(after_html)
                shown = (before.group(1) if before else "?", after.group(1) if after else "?")
                if shown[0] == shown[1]:
                    raise SystemExit(f"the page did not count the new response: {shown}")
            for label, (walls, cpus) in results.items():
                print(line(label, walls, cpus, base))
            print(f"[{name}] the page counted each new response (last: {shown[0]} → {shown[1]})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--responses", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3, help="rounds (default 3)")
    parser.add_argument(
        "--stores",
        default="sqlite",
        help="sqlite, pg or sqlite,pg (pg: a new database next to TEST_DATABASE_URL)",
    )
    args = parser.parse_args()
    stores = args.stores.split(",")
    admin = os.environ.get("TEST_DATABASE_URL")
    if "pg" in stores and not admin:
        raise SystemExit("PostgreSQL needs TEST_DATABASE_URL (an admin URL; a database is made)")

    async def run(store: str) -> None:
        data = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env |= {"HUONGNGHIEP_DATA_DIR": str(data), "HUONGNGHIEP_LOG_LEVEL": "WARNING"}
        try:
            if store == "pg" and admin:
                async with pg_database(admin) as url:
                    await bench(url, {**env, "DATABASE_URL": url}, args, "PostgreSQL")
            else:
                url = f"sqlite+aiosqlite:///{data / 'huongnghiep.db'}"
                await bench(url, env, args, "SQLite")
        finally:
            shutil.rmtree(data, ignore_errors=True)

    runs: list[Callable[[], Coroutine[Any, Any, None]]] = [
        functools.partial(run, s) for s in stores if s in ("sqlite", "pg")
    ]
    for one in runs:
        asyncio.run(one())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
