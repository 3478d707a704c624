"""Command line: serve, chat, ask, content check, eval. Parsing and printing only."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.catalog import Catalog, CatalogError, load_catalog
from bot.catalog.check import check_directory
from bot.catalog.text_keys import T
from bot.channels.base import numbered_text
from bot.core.engine import ask
from bot.core.messages import Inbound
from bot.evaluate import evaluate, load_questions
from bot.settings import Settings


def _load(settings: Settings) -> Catalog:
    try:
        return load_catalog(settings.content_dir)
    except CatalogError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        raise SystemExit(2) from exc


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from aiohttp import web

    from bot.storage.migrate import upgrade
    from bot.web.app import create_app

    catalog = _load(settings)
    upgrade(settings.db_url)
    host = args.host or settings.host
    port = args.port or settings.port
    app = create_app(settings, catalog)
    print(f"huongnghiep-bot: http://{host}:{port}", flush=True)
    web.run_app(app, host=host, port=port, print=None, access_log=None)
    return 0


def cmd_chat(_args: argparse.Namespace, settings: Settings) -> int:
    from bot.web.app import build_engine

    engine = build_engine(_load(settings))
    hint = engine.catalog.text(T.NUMBER_HINT)

    async def run() -> None:
        async def say(inbound: Inbound) -> None:
            for reply in await engine.handle(inbound):
                print(numbered_text(reply, hint if reply.buttons else None), end="\n\n", flush=True)

        await say(Inbound("cli", "terminal", payload="start"))
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, _read_line)
            if line is None:
                return
            await say(Inbound("cli", "terminal", text=line))

    asyncio.run(run())
    return 0


def _read_line() -> str | None:
    try:
        return input("> ")
    except (EOFError, KeyboardInterrupt):
        print()
        return None


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from bot.web.app import build_engine

    engine = build_engine(_load(settings))
    result = ask(engine, args.question)
    if args.json:
        print(json.dumps(dataclasses.asdict(result), ensure_ascii=False))
    else:
        print(result.answer)
        for label in result.suggestions:
            print(f"- {label}")
    return 0


def cmd_content_check(args: argparse.Namespace, settings: Settings) -> int:
    directory = Path(args.dir) if args.dir else settings.content_dir
    problems = check_directory(directory)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"content OK: {directory}")
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from bot.matching.targets import build_matcher

    matcher = build_matcher(_load(settings))
    report = evaluate(matcher, load_questions(args.file))
    print(report.summary())
    if report.misses:
        print(f"\nmisses ({len(report.misses)}):")
        for miss in report.misses:
            print(f"  [{miss.score:.2f}] {miss.q!r}: expected {miss.expect}, got {miss.got}")
    return 0


def cmd_db_upgrade(_args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage.migrate import upgrade

    upgrade(settings.db_url)
    print("database is up to date")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="huongnghiep", description="Trợ lý hướng nghiệp")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="start the web chat and configured channels")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("chat", help="talk to the bot in the terminal")
    p.set_defaults(func=cmd_chat)
    p = sub.add_parser("ask", help="answer one question")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_ask)
    p = sub.add_parser("content", help="content tools")
    csub = p.add_subparsers(dest="content_command", required=True)
    c = csub.add_parser("check", help="validate content/ and list every problem")
    c.add_argument("dir", nargs="?")
    c.set_defaults(func=cmd_content_check)
    p = sub.add_parser("db", help="database tools")
    dsub = p.add_subparsers(dest="db_command", required=True)
    d = dsub.add_parser("upgrade", help="apply the migrations in db/")
    d.set_defaults(func=cmd_db_upgrade)
    p = sub.add_parser("eval", help="run a question set and print accuracy figures")
    p.add_argument("file")
    p.set_defaults(func=cmd_eval)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `huongnghiep` command."""
    args = build_parser().parse_args(argv)
    settings = Settings.from_env()
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `huongnghiep eval … | head` ends quietly
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    return int(args.func(args, settings))
