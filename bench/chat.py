"""Benchmark: chat turns through the real `serve` against a bare aiohttp JSON echo server.

Starts `huongnghiep serve` (a subprocess, temporary data directory, free 127.0.0.1 port; SQLite,
or with --pg a fresh PostgreSQL database next to TEST_DATABASE_URL) and an echo
server (a subprocess that parses the JSON body and answers a JSON reply). One aiohttp client
drives both the same way at each concurrency (one session per worker), for two scenarios:

- faq: typed questions from tests/eval/questions.yaml that the bot answers (the matcher runs);
- survey: a grade-9 survey walked step by step (each step saves the conversation), cancelled
  and begun again.

Each measurement alternates echo and bot runs (--rounds) and shows the median round: requests/s,
the ratio to the echo's, p50/p99 latency and p99 over the echo's, the server's CPU per request
(user + system, from /proc) and its RSS now and at peak. Every run is bounded by a number of
requests and a time. Run: `make bench` or `.venv/bin/python bench/chat.py [--requests N]
[--seconds S] [--rounds R] [--concurrency 1,8,32] [--scenarios faq,survey] [--stores sqlite,pg]`.
Not part of the test run; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from pgdb import pg_database

ROOT = Path(__file__).resolve().parents[1]
ERROR_MARK = "Xin lỗi, mình gặp trục trặc"  # start of T.ERROR: the engine failed a turn
Body = dict[str, str]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the echo server (runs in its own process: `bench/chat.py --echo PORT`) ----------------------


def run_echo(port: int) -> None:
    """A bare aiohttp app: POST /api/chat parses the JSON and answers a reply of the same shape."""
    from aiohttp import web

    async def chat(request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        text = body.get("text") or body.get("payload") or ""
        return web.json_response({"replies": [{"text": text, "buttons": []}]})

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/api/chat", chat)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


# -- processes ---------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    proc: asyncio.subprocess.Process
    base: str

    def cpu_seconds(self) -> float:
        """User + system CPU the server process has used so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> tuple[float, float]:
        """Current and peak resident memory in MiB."""
        values: dict[str, float] = {}
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024
        return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


async def start(name: str, args: Sequence[str], env: dict[str, str], port: int) -> Server:
    proc = await asyncio.create_subprocess_exec(
        *args, cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            if proc.returncode is not None:
                err = await proc.stderr.read() if proc.stderr else b""
                raise SystemExit(f"{name} exited: {err.decode()[-2000:]}")
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"{base}/healthz") as r:
                    if r.status == 200:
                        return Server(name, proc, base)
            await asyncio.sleep(0.1)
    proc.kill()
    raise SystemExit(f"{name} did not come up")


async def stop(server: Server) -> None:
    if server.proc.returncode is None:
        server.proc.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(server.proc.wait(), 10)
        except TimeoutError:
            server.proc.kill()
            await server.proc.wait()


# -- scenarios ---------------------------------------------------------------------------------


def faq_bodies(limit: int) -> list[Body]:
    """Distinct questions the bot answers with a FAQ entry (typed text: the matcher runs)."""
    data = yaml.safe_load((ROOT / "tests" / "eval" / "questions.yaml").read_text("utf-8"))
    items = data["questions"] if isinstance(data, dict) else data
    out = [
        {"text": str(item["q"])}
        for item in items
        if str(item.get("expect") or "").startswith("faq:")
    ]
    return out[:limit]


# The grade-9 survey as a student walks it: ("payload", p), ("press", label) or ("text", t).
SURVEY_WALK = [
    ("payload", "sv:begin:lop9"),
    ("press", "Học trung cấp"),
    ("text", "điện công nghiệp"),
    ("press", "Trường Cao đẳng Long An"),
    ("press", "✔ Xong"),
    ("text", "Long An"),
    ("press", "Đúng"),
    ("press", "Bỏ qua"),
    ("press", "Đồng ý"),
    ("text", "Nguyễn Văn An"),
    ("text", "THCS Lê Lợi, 9A"),
    ("payload", "sv:cancel:yes"),
]


async def record_survey(http: aiohttp.ClientSession, base: str) -> list[Body]:
    """The request bodies of one survey walk, recorded against the bot (labels -> payloads),
    so both servers are sent exactly the same requests."""
    session = f"bench-probe-{uuid.uuid4().hex[:8]}"
    bodies: list[Body] = []
    last: list[dict[str, Any]] = []
    for kind, value in SURVEY_WALK:
        if kind == "press":
            buttons = {b["label"]: b["payload"] for r in last for b in r["buttons"]}
            if value not in buttons:
                raise SystemExit(f"survey walk: no button {value!r} in {list(buttons)}")
            body = {"payload": buttons[value]}
        else:
            body = {kind: value}
        bodies.append(body)
        async with http.post(f"{base}/api/chat", json={"session": session, **body}) as r:
            last = (await r.json())["replies"]
        if r.status != 200 or any(ERROR_MARK in reply["text"] for reply in last):
            raise SystemExit(f"survey walk: step {kind} {value!r} failed: {last}")
    if os.environ.get("BENCH_SHOW_WALK"):
        print(json.dumps(bodies, ensure_ascii=False), last, sep="\n")
    return bodies


# -- the load ----------------------------------------------------------------------------------


@dataclass
class Result:
    requests: int
    seconds: float
    latencies: list[float]
    errors: int
    cpu: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else 0.0


async def drive(
    server: Server, bodies: list[Body], concurrency: int, requests: int, seconds: float, tag: str
) -> Result:
    """`concurrency` users, each replaying `bodies` in a loop, until `requests` or `seconds`."""
    latencies: list[float] = []
    errors = 0
    remaining = requests
    url = f"{server.base}/api/chat"
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def user(index: int) -> None:
            nonlocal remaining, errors
            session = f"bench-{tag}-{index}-{uuid.uuid4().hex[:8]}"
            step = 0
            while remaining > 0 and time.perf_counter() < deadline:
                remaining -= 1
                body = {"session": session, **bodies[step % len(bodies)]}
                step += 1
                began = time.perf_counter()
                async with http.post(url, json=body) as r:
                    reply = await r.json()
                latencies.append(time.perf_counter() - began)
                if r.status != 200 or ERROR_MARK in reply["replies"][0]["text"]:
                    errors += 1

        cpu0 = server.cpu_seconds()
        began = time.perf_counter()
        await asyncio.gather(*(user(i) for i in range(concurrency)))
        elapsed = time.perf_counter() - began
        cpu = server.cpu_seconds() - cpu0
    return Result(len(latencies), elapsed, latencies, errors, cpu)


def median_result(results: list[Result]) -> Result:
    """The round with the median throughput (its latencies and CPU with it)."""
    return sorted(results, key=lambda r: r.rps)[len(results) // 2]


def row(label: str, res: Result, echo: Result | None, rss: tuple[float, float]) -> str:
    ratio = f"{res.rps / echo.rps:6.1%}" if echo and echo.rps else "     -"
    p99x = f"{res.pct(0.99) / echo.pct(0.99):5.1f}x" if echo and echo.pct(0.99) else "     -"
    cpu_ms = res.cpu / res.requests * 1e3 if res.requests else 0.0
    p50, p99 = res.pct(0.5) * 1e3, res.pct(0.99) * 1e3
    return (
        f"{label:<16} {res.rps:7.0f} {ratio:>7} {p50:7.1f} {p99:7.1f} {p99x:>6} {cpu_ms:6.2f}"
        f" {rss[0]:6.0f} {rss[1]:6.0f} {res.errors:4d}"
    )


async def bench(args: argparse.Namespace, database_url: str | None) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-chat-"))
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["HUONGNGHIEP_DATA_DIR"] = str(tmp / "var")
    if args.log_level:
        env["HUONGNGHIEP_LOG_LEVEL"] = args.log_level
    if database_url:
        env["DATABASE_URL"] = database_url
    bot_port, echo_port = free_port(), free_port()
    bot = await start(
        "serve", [sys.executable, "-m", "bot", "serve", "--port", str(bot_port)], env, bot_port
    )
    echo = await start("echo", [sys.executable, __file__, "--echo", str(echo_port)], env, echo_port)
    try:
        async with aiohttp.ClientSession() as http:
            survey = await record_survey(http, bot.base)
        scenarios = {"faq": faq_bodies(args.questions), "survey": survey}
        store = "PostgreSQL" if database_url else "SQLite"
        print(
            f"store: {store}; {args.rounds} rounds of echo then bot, each up to {args.requests} "
            f"requests or {args.seconds:g} s; the median round shown; "
            f"{len(scenarios['faq'])} FAQ questions; a survey walk of {len(survey)} steps"
        )
        print(
            f"{'run':<16} {'req/s':>7} {'/echo':>7} {'p50 ms':>7} {'p99 ms':>7} {'p99/e':>6} "
            f"{'cpu ms':>6} {'rss MB':>6} {'peak':>6} {'err':>4}"
        )
        for name in args.scenarios:
            bodies = scenarios[name]
            # warm-up: every body once through the bot (caches, connections, first inserts)
            await drive(bot, bodies, 2, len(bodies) * 2, 30, "warm")
            for conc in args.concurrency:
                echoes, bots = [], []
                for i in range(args.rounds):  # alternated, so a noisy moment hits both
                    tag = f"{name}{conc}r{i}"
                    echoes.append(
                        await drive(echo, bodies, conc, args.requests, args.seconds, "e" + tag)
                    )
                    bots.append(await drive(bot, bodies, conc, args.requests, args.seconds, tag))
                e, b = median_result(echoes), median_result(bots)
                print(row(f"echo c={conc}", e, None, echo.rss_mb()))
                print(row(f"{name} c={conc}", b, e, bot.rss_mb()), flush=True)
    finally:
        await stop(bot)
        await stop(echo)
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--echo", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--requests", type=int, default=3000, help="per run (default 3000)")
    parser.add_argument("--seconds", type=float, default=4.0, help="per run (default 4)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each (default 3)")
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--scenarios", default="faq,survey")
    parser.add_argument("--questions", type=int, default=200, help="distinct FAQ questions")
    parser.add_argument("--log-level", help="the server's log level (default: its own)")
    parser.add_argument(
        "--stores",
        default="sqlite",
        help="sqlite, pg or sqlite,pg (pg: a new database next to TEST_DATABASE_URL)",
    )
    parser.add_argument("--pg", action="store_true", help="the same as --stores sqlite,pg")
    args = parser.parse_args()
    if args.echo:
        run_echo(args.echo)
        return
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    args.scenarios = [s for s in args.scenarios.split(",") if s]

    stores = ["sqlite", "pg"] if args.pg else args.stores.split(",")
    admin = os.environ.get("TEST_DATABASE_URL")
    if "pg" in stores and not admin:
        raise SystemExit("PostgreSQL needs TEST_DATABASE_URL (an admin URL; a database is made)")

    async def run_all() -> None:
        if "sqlite" in stores:
            await bench(args, None)
        if "pg" in stores and admin:
            async with pg_database(admin) as url:
                await bench(args, url)

    asyncio.run(run_all())


if __name__ == "__main__":
    main()
