"""Benchmark: exporting 100,000 leads through GET /api/leads of a real `huongnghiep serve`.

Stores the leads for one school through the storage layer (bot.storage.bulk.submit_many: the
rows SqlLeadSink.submit writes, in multi-row INSERTs), starts `huongnghiep serve` on a free
127.0.0.1 port with a temporary data directory, and downloads CSV, XLSX and JSON. Prints each
time, the CSV time over a baseline (csv.writer over a plain sqlite3 SELECT of the same rows, in
this process), and the server's resident memory before, after and at its peak for each format
(VmRSS, VmHWM in /proc/PID/status). Run: `make bench` or `.venv/bin/python bench/export.py
[--leads N]`. Not part of the test run.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import functools
import http.client
import io
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.catalog import load_catalog  # noqa: E402
from bot.core.messages import ConversationKey  # noqa: E402
from bot.core.ports import Submission  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.storage.bulk import submit_many  # noqa: E402
from bot.storage.db import make_engine  # noqa: E402
from bot.storage.migrate import upgrade  # noqa: E402
from bot.storage.schools import SchoolStore  # noqa: E402

print = functools.partial(print, flush=True)  # progress shows at once, even into a file
SCHOOL = "cd_long_an"
PER_TRANSACTION = 5000
REPEAT = 3  # CSV export and baseline: the best of this many runs
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Võ", "Đặng", "Bùi", "Đỗ"]
MIDDLE = ["Văn", "Thị", "Minh", "Ngọc", "Gia", "Thanh", "Hữu", "Thu"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Giang", "Hạnh", "Khoa", "Linh", "Nam", "Phúc", "Quỳnh"]
HOSTILE = ['=HYPERLINK("http://x","bấm")', "+84 gọi ngay", "Tên\x00lạ\uffff", "@SUM(A1)"]

BASELINE_SQL = """
SELECT l.id, l.created_at, r.survey_id, r.grade, r.channel, r.answers, c.data,
       r.parent_confirmed, k.text_version, k.recorded_at
FROM leads l
JOIN responses r ON r.id = l.response_id
JOIN contacts c ON c.response_id = r.id
LEFT JOIN consents k ON k.response_id = r.id AND k.school_id = l.school_id
     AND k.purpose = 'forward_to_school'
WHERE l.school_id = ? AND l.status = 'active'
ORDER BY l.created_at, l.id
"""


def submissions(count: int, seed: int = 7) -> list[Submission]:
    """`count` consenting grade 9 and grade 12 students who chose SCHOOL."""
    catalog = load_catalog(ROOT / "content")
    rng = random.Random(seed)
    trades = sorted(catalog.trades)
    provinces = sorted(catalog.provinces)
    start = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    out = []
    for n in range(count):
        grade = rng.choice((9, 12))
        at = start + dt.timedelta(seconds=n * 37)
        name = " ".join((rng.choice(FAMILY), rng.choice(MIDDLE), rng.choice(GIVEN)))
        if n % 1000 == 0:
            name = HOSTILE[(n // 1000) % len(HOSTILE)]
        personal = {
            "name": name,
            "school_class": f"THCS Lê Lợi, {grade}A{rng.randint(1, 9)}",
            "phone": f"+849{rng.randint(10_000_000, 99_999_999)}",
        }
        if grade == 9:
            personal["parent_consent"] = f"+849{rng.randint(10_000_000, 99_999_999)}"
        out.append(
            Submission(
                key=ConversationKey("web", f"bench-{n}"),
                run_id=uuid.uuid4().hex,
                survey_id="lop9" if grade == 9 else "lop12",
                grade=grade,
                answers={
                    "plan": "trung_cap" if grade == 9 else "cao_dang",
                    "trades": rng.sample(trades, rng.randint(1, 3)),
                    "province": rng.choice(provinces),
                    "commune": f"Phường {rng.randint(1, 12)}",
                },
                personal=personal,
                schools=(SCHOOL,),
                consent_version="2026-11-v1",
                consent_given=True,
                consent_at=at,
                parent_confirmed=True if grade == 9 else None,
                submitted_at=at,
            )
        )
    return out


async def store(url: str, count: int) -> str:
    """Store the leads (PER_TRANSACTION submissions a transaction) and return a new API token
    of SCHOOL."""
    engine = make_engine(url)
    pending = submissions(count)
    for first in range(0, len(pending), PER_TRANSACTION):
        await submit_many(engine, pending[first : first + PER_TRANSACTION])
    token = await SchoolStore(engine).new_token("school", SCHOOL, dt.datetime.now(dt.UTC))
    await engine.dispose()
    return token


def baseline(db_file: Path) -> tuple[float, float, int]:
    """csv.writer over a plain sqlite3 SELECT of the same rows: seconds, CPU seconds, rows."""
    start, cpu = time.perf_counter(), time.process_time()
    conn = sqlite3.connect(db_file)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    rows = 0
    for row in conn.execute(BASELINE_SQL, (SCHOOL,)):
        writer.writerow(row)
        rows += 1
    buffer.getvalue().encode("utf-8-sig")
    conn.close()
    return time.perf_counter() - start, time.process_time() - cpu, rows


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of a process, in KiB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def reset_peak(pid: int) -> None:
    """Start VmHWM again from the current RSS (Linux: write 5 to clear_refs)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def get(port: int, path: str, token: str | None = None) -> tuple[int, int, float]:
    """GET path: status, body bytes (read in chunks, not kept), seconds."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    start = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    size = 0
    while chunk := response.read(1 << 16):
        size += len(chunk)
    conn.close()
    return response.status, size, time.perf_counter() - start


def wait_ready(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("serve exited before it was ready")
        try:
            if get(port, "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("serve did not answer /healthz in time")


def serve_command() -> list[str]:
    script = Path(sys.executable).with_name("huongnghiep")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot"]


def mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=100_000)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="huongnghiep-bench-"))
    try:
        settings = Settings(data_dir=data)
        upgrade(settings.db_url)
        start = time.perf_counter()
        token = asyncio.run(store(settings.db_url, args.leads))
        print(f"stored {args.leads:,} leads in {time.perf_counter() - start:.1f} s")
        db_file = data / "huongnghiep.db"
        runs = [baseline(db_file) for _ in range(REPEAT)]
        base_wall, base_cpu = min(r[0] for r in runs), min(r[1] for r in runs)
        print(
            f"baseline (sqlite3 + csv.writer): {base_wall:.2f} s, {base_cpu:.2f} s CPU, "
            f"{runs[0][2]:,} rows"
        )

        port = free_port()
        env = {**os.environ, "HUONGNGHIEP_DATA_DIR": str(data), "HUONGNGHIEP_LOG_LEVEL": "WARNING"}
        command = [*serve_command(), "serve", "--host", "127.0.0.1", "--port", str(port)]
        server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
        try:
            wait_ready(port, server)
            print(f"server RSS at start: {mib(memory(server.pid)['VmRSS'])}")
            print(
                f"{'format':<6} {'seconds':>8} {'CPU s':>6} {'MiB':>6} {'RSS before':>11} "
                f"{'after':>9} {'peak':>9} {'growth':>8}"
            )
            wall: dict[str, float] = {}
            cpu: dict[str, float] = {}
            for fmt in ("csv", "xlsx", "json"):
                get(port, f"/api/leads?format={fmt}&since=2100-01-01", token)  # warm-up
                before = memory(server.pid)["VmRSS"]
                reset_peak(server.pid)
                for _ in range(REPEAT if fmt == "csv" else 1):
                    used = cpu_seconds(server.pid)
                    status, size, seconds = get(port, f"/api/leads?format={fmt}", token)
                    if status != 200:
                        raise SystemExit(f"{fmt}: HTTP {status}")
                    used = cpu_seconds(server.pid) - used
                    wall[fmt] = min(wall.get(fmt, seconds), seconds)
                    cpu[fmt] = min(cpu.get(fmt, used), used)
                after = memory(server.pid)
                print(
                    f"{fmt:<6} {wall[fmt]:8.2f} {cpu[fmt]:6.2f} {size / 2**20:6.1f} "
                    f"{mib(before):>11} {mib(after['VmRSS']):>9} {mib(after['VmHWM']):>9} "
                    f"{mib(after['VmHWM'] - before):>8}"
                )
            again = [baseline(db_file) for _ in range(REPEAT)]
            base_wall = min(base_wall, *(r[0] for r in again))
            base_cpu = min(base_cpu, *(r[1] for r in again))
            print(f"baseline, best of {2 * REPEAT}: {base_wall:.2f} s, {base_cpu:.2f} s CPU")
            print(
                f"CSV / baseline: {wall['csv'] / base_wall:.1f}x in time, "
                f"{cpu['csv'] / base_cpu:.1f}x in CPU (best of {REPEAT} CSV exports; other "
                "load on the machine slows both)"
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
