"""Commands that talk: serve (the web app and channels), chat (the terminal) and ask."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
from typing import TYPE_CHECKING

from bot.cli.common import _load, _load_built, _with_db
from bot.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from bot.core.engine import Engine


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
    from bot.storage.conversations import SqlConversationStore
    from bot.storage.leads import SqlLeadSink
    from bot.storage.participation import ParticipationStore
    from bot.web.app import build_engine

    catalog = _load(settings)

    async def work(db: AsyncEngine) -> int:
        leads = SqlLeadSink(db, ParticipationStore(db))  # only schools switched on get leads
        await _converse(build_engine(catalog, SqlConversationStore(db), leads))
        return 0

    return _with_db(settings, work)


async def _converse(engine: Engine) -> None:
    """The terminal conversation: one line in, the replies out, until end of input."""
    from bot.catalog.text_keys import T
    from bot.channels.base import numbered_text
    from bot.core.messages import Inbound
    from bot.matching.normalize import fold

    hint = engine.catalog.text(T.NUMBER_HINT)

    async def say(inbound: Inbound) -> None:
        for reply in await engine.handle(inbound):
            print(numbered_text(reply, hint if reply.buttons else None), end="\n\n", flush=True)

    await say(Inbound("cli", "terminal", payload="start"))
    print(engine.catalog.text(T.CLI_EXIT_HINT), end="\n\n", flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, _read_line)
        if line is None:
            return
        if fold(line.strip().removeprefix("/")) in EXIT_WORDS:
            print(engine.catalog.text(T.CLI_BYE), flush=True)
            return
        await say(Inbound("cli", "terminal", text=line))


# Words that end `huongnghiep chat` (folded): the terminal's own, never sent to the bot.
EXIT_WORDS = frozenset(("thoat", "exit", "quit"))


def _read_line() -> str | None:
    try:
        return input("> ")
    except (EOFError, KeyboardInterrupt):
        print()
        return None


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from bot.core.engine import Engine
    from bot.core.memory import MemoryConversationStore

    built = _load_built(settings)
    engine = Engine(built.catalog, built.matcher, MemoryConversationStore())
    result = engine.ask(args.question)
    if args.json:
        print(json.dumps(dataclasses.asdict(result), ensure_ascii=False))
    else:
        print(result.answer)
        for label in result.suggestions:
            print(f"- {label}")
    return 0
