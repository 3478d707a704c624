"""Command line: serve, chat, ask, content check, eval. Parsing and printing only.

Each command imports what it needs when it runs: `ask` and `content check` start without the
web app, SQLAlchemy, python-telegram-bot or openpyxl (a test holds them to it).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import json
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import urlsplit

from bot.catalog import Catalog, CatalogError, load_catalog
from bot.logs import configure as configure_logging
from bot.settings import Settings, SettingsError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from bot.core.engine import Engine
    from bot.matching.targets import Built


def _load(settings: Settings) -> Catalog:
    try:
        return load_catalog(settings.content_dir)
    except CatalogError as exc:
        _exit_on(exc)


def _load_built(settings: Settings) -> Built:
    """The catalog and its matcher, from the content cache under the data directory."""
    from bot.matching.targets import load_built

    try:
        return load_built(settings.content_dir, _cache_dir(settings))
    except CatalogError as exc:
        _exit_on(exc)


def _cache_dir(settings: Settings) -> Path:
    return settings.data_dir / "cache"


def _exit_on(exc: CatalogError) -> NoReturn:
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
    from bot.core.engine import Engine, ask
    from bot.core.memory import MemoryConversationStore

    built = _load_built(settings)
    engine = Engine(built.catalog, built.matcher, MemoryConversationStore())
    result = ask(engine, args.question)
    if args.json:
        print(json.dumps(dataclasses.asdict(result), ensure_ascii=False))
    else:
        print(result.answer)
        for label in result.suggestions:
            print(f"- {label}")
    return 0


def cmd_content_check(args: argparse.Namespace, settings: Settings) -> int:
    from bot.catalog.cache import load_catalog_cached
    from bot.catalog.check import check_catalog

    directory = Path(args.dir) if args.dir else settings.content_dir
    try:  # as check_directory, with the catalog from the cache when nothing changed
        catalog = load_catalog_cached(directory, _cache_dir(settings))
        problems = check_catalog(catalog, dt.date.today())
    except CatalogError as exc:
        problems = exc.problems
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"content OK: {directory}")
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from bot.evaluate import (
        care_share,
        evaluate,
        evaluate_care,
        is_care_set,
        load_care_set,
        load_questions,
    )
    from bot.matching.care import CareDetector

    built = _load_built(settings)
    detector = CareDetector(built.catalog.safety)
    if is_care_set(args.file):
        care = evaluate_care(detector, load_care_set(args.file))
        print(care.summary())
        if care.misses and not args.figures_only:
            print(f"\nwrong ({len(care.misses)}):")
            for message in care.misses:
                wanted = "care" if message.care else "no care"
                print(f"  [{message.kind}] {message.q!r}: expected {wanted}")
        return 0
    from bot.core.engine import Engine
    from bot.core.memory import MemoryConversationStore

    questions = load_questions(args.file)
    engine = Engine(built.catalog, built.matcher, MemoryConversationStore())
    topics = {f"faq:{f.id}": f.topic for f in built.catalog.faq.values()}
    report = evaluate(engine.match, questions, topics)  # the decision users get
    print(report.summary())
    flagged, total = care_share(detector, questions)
    print(f"care answer to ordinary questions: {flagged / total:.1%} ({flagged}/{total})")
    if report.misses and not args.figures_only:
        print(f"\nnot correct ({len(report.misses)}):")
        for miss in report.misses:
            wanted = ", ".join(miss.expect) or "decline"
            head = f"  [{miss.outcome}; {miss.score:.2f}] {miss.q!r}"
            print(f"{head}: expected {wanted}, got {miss.got}")
    return 0


def cmd_care_train(args: argparse.Namespace, settings: Settings) -> int:
    from bot.matching.care_model import MODEL_FILE
    from bot.matching.care_train import build

    catalog = _load(settings)
    root = Path(args.root) if args.root else catalog.directory.parent
    try:
        model = build(root, catalog, progress=lambda line: print(line, flush=True))
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 2
    path = catalog.directory / MODEL_FILE
    path.write_text(model.to_json(), encoding="utf-8")
    print(f"threshold {model.threshold}, with patterns {model.with_patterns}")
    for name, value in model.figures.items():
        print(f"  cv {name}: {value:.1%}")
    print(f"{len(model.weights)} weights written to {path}")
    return 0


def cmd_match_train(_args: argparse.Namespace, settings: Settings) -> int:
    from bot.matching.intent import MODEL_FILE
    from bot.matching.targets import build_matcher
    from bot.matching.train_data import extra_docs

    try:
        from bot.matching.intent_train import train
    except ImportError:  # numpy: pip install -e '.[train]'
        print("training needs numpy: pip install -e '.[train]'", file=sys.stderr)
        return 2
    catalog = _load(settings)
    matcher = build_matcher(catalog)
    extra, problems = extra_docs(matcher, catalog.directory)
    if problems:
        _exit_on(CatalogError(problems))
    model = train(matcher.training_docs, extra=extra)
    path = catalog.directory / MODEL_FILE
    path.write_text(model.to_json(), encoding="utf-8")
    weights = sum(len(cw) for cw in model.weights.values())
    phrasings = len(matcher.training_docs)
    print(f"{len(model.classes)} targets, {phrasings} phrasings, {len(extra)} real questions,")
    print(f"{weights} weights: {path}")
    return 0


def cmd_db_upgrade(_args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage.migrate import upgrade

    upgrade(settings.db_url)
    print("database is up to date")
    return 0


def _with_db(settings: Settings, work: Callable[[AsyncEngine], Awaitable[int]]) -> int:
    """Migrate, then run `work` with a database engine."""
    from bot.storage.db import make_engine
    from bot.storage.migrate import upgrade

    upgrade(settings.db_url)

    async def run() -> int:
        db = make_engine(settings.db_url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(run())


def _known_school(settings: Settings, school_id: str) -> bool:
    catalog = _load(settings)
    if school_id in catalog.schools:
        return True
    print(f"unknown school id: {school_id}", file=sys.stderr)
    print("known: " + ", ".join(sorted(catalog.schools)), file=sys.stderr)
    return False


MAX_EXPIRES_DAYS = 3650


def _expiry(days: int | None) -> dt.datetime | str | None:
    """The expiry `--expires-days` asks for, or why it is refused (a str)."""
    if days is None:
        return None
    if not 1 <= days <= MAX_EXPIRES_DAYS:
        return f"--expires-days must be between 1 and {MAX_EXPIRES_DAYS}, not {days}"
    return _utcnow() + dt.timedelta(days=days)


def _new_token(kind: str, school_id: str | None, days: int | None, settings: Settings) -> int:
    expires = _expiry(days)
    if isinstance(expires, str):
        print(expires, file=sys.stderr)
        return 2

    async def work(db: AsyncEngine) -> int:
        from bot.storage.schools import SchoolStore

        print(await SchoolStore(db).new_token(kind, school_id, _utcnow(), expires))
        if school_id is not None:
            await _participation_note(db, school_id)
        if expires is not None:
            print(f"expires {_when(expires)}", file=sys.stderr)
        return 0

    return _with_db(settings, work)


def _when(moment: dt.datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment is not None else "-"


def _list_tokens(kind: str, school_id: str | None, settings: Settings) -> int:
    from bot.storage.schools import SchoolStore

    async def work(db: AsyncEngine) -> int:
        tokens = await SchoolStore(db).tokens(kind, school_id)
        if not tokens:
            print(f"no {kind} tokens" + (f" for {school_id}" if school_id else ""))
            return 0
        print("id\tcreated (UTC)\tlast used\texpires\trevoked")
        for t in tokens:
            print(
                f"{t.id}\t{_when(t.created_at)}\t{_when(t.last_used_at)}"
                f"\t{_when(t.expires_at)}\t{_when(t.revoked_at)}"
            )
        return 0

    return _with_db(settings, work)


def _revoke(kind: str, token_id: int, settings: Settings) -> int:
    from bot.storage.schools import SchoolStore

    async def work(db: AsyncEngine) -> int:
        done = await SchoolStore(db).revoke(token_id, kind, _utcnow())
        if not done.found:
            print(f"no {kind} token with id {token_id} (see `{kind} tokens`)", file=sys.stderr)
            return 2
        if done.already:
            print(f"token {token_id} was already revoked ({_when(done.revoked_at)} UTC)")
        else:
            print(f"token {token_id} revoked: it no longer opens anything")
        return 0

    return _with_db(settings, work)


def cmd_school_token(args: argparse.Namespace, settings: Settings) -> int:
    if not _known_school(settings, args.school_id):
        return 2
    return _new_token("school", args.school_id, args.expires_days, settings)


def cmd_school_tokens(args: argparse.Namespace, settings: Settings) -> int:
    if not _known_school(settings, args.school_id):
        return 2
    return _list_tokens("school", args.school_id, settings)


def cmd_school_revoke(args: argparse.Namespace, settings: Settings) -> int:
    return _revoke("school", args.token_id, settings)


def cmd_school_link(args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage.schools import LINK_CODE_TTL, SchoolStore

    if not _known_school(settings, args.school_id):
        return 2

    async def work(db: AsyncEngine) -> int:
        store = SchoolStore(db)
        if args.remove:
            done = await store.unlink_chat(args.school_id, "telegram")
            print("Telegram group unlinked" if done else "no Telegram group was linked")
            return 0
        code = await store.new_link_code(args.school_id, _utcnow())
        hours = int(LINK_CODE_TTL.total_seconds() // 3600)
        print(code)
        print(
            f"Add the bot to the school's Telegram staff group and send there: /link {code}\n"
            "Once linked, the school receives leads (unless switched off: school participate).\n"
            f"The code works once, within {hours} hours. Linking another group moves the link.",
            file=sys.stderr,
        )
        return 0

    return _with_db(settings, work)


# -- task directory: which schools receive leads ------------------------------------------------


async def _participation_note(db: AsyncEngine, school_id: str) -> None:
    """Whether the school now receives leads: configuring a token, webhook or Telegram group
    switches a school on, unless an operator switched it off."""
    from bot.storage.participation import ParticipationStore

    if school_id in await ParticipationStore(db).participating():
        print(f"{school_id} receives leads (stop: school participate --off)", file=sys.stderr)
    else:
        print(f"{school_id} is switched off: no leads (start: school participate)", file=sys.stderr)


def cmd_school_participate(args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage.participation import ParticipationStore

    if not _known_school(settings, args.school_id):
        return 2

    async def work(db: AsyncEngine) -> int:
        on = not args.off
        changed = await ParticipationStore(db).switch(args.school_id, on, "participate", _utcnow())
        state = "receives leads" if on else "receives no leads"
        print(f"{args.school_id} {state}" + ("" if changed else " (unchanged)"))
        return 0

    return _with_db(settings, work)


def cmd_school_participating(_args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage.participation import ParticipationStore

    async def work(db: AsyncEngine) -> int:
        switches = await ParticipationStore(db).switches()
        if not switches:
            print("no school receives leads yet")
        for sw in switches:
            state = "on" if sw.participates else "off"
            print(f"{sw.school_id}	{state}	{sw.reason}	{_when(sw.changed_at)}")
        return 0

    return _with_db(settings, work)


# -- handoff (issue 12): the counsellors' Telegram group --
def cmd_counsellors_link(args: argparse.Namespace, settings: Settings) -> int:
    from bot.channels.handoff_desk import COUNSELLORS
    from bot.storage.schools import LINK_CODE_TTL, SchoolStore

    async def work(db: AsyncEngine) -> int:
        store = SchoolStore(db)
        if args.remove:
            done = await store.unlink_chat(COUNSELLORS, "telegram")
            print("counsellors' group unlinked" if done else "no counsellors' group was linked")
            return 0
        code = await store.new_link_code(COUNSELLORS, _utcnow())
        hours = int(LINK_CODE_TTL.total_seconds() // 3600)
        print(code)
        print(
            f"Add the bot to the counsellors' Telegram group (a supergroup with topics on, the "
            f"bot an admin who may manage topics; else replies thread the talks) and send there: "
            f"/link {code}\nThe code works once, within {hours} hours.",
            file=sys.stderr,
        )
        return 0

    return _with_db(settings, work)


# -- portal (issue 12, deliver 4): a one-time sign-in link to the school portal --
def cmd_school_invite(args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage.access import INVITE_TTL, AccessStore
    from bot.web.auth import invite_link

    if not _known_school(settings, args.school_id):
        return 2

    async def work(db: AsyncEngine) -> int:
        secret = await AccessStore(db).new_invite("school", args.school_id, _utcnow(), args.label)
        hours = int(INVITE_TTL.total_seconds() // 3600)
        print(invite_link(settings, secret))
        print(
            f"Send this link to one staff member of {args.school_id}: it opens the school portal\n"
            f"(/truong) once, within {hours} hours. Only its hash is stored.",
            file=sys.stderr,
        )
        await _participation_note(db, args.school_id)
        return 0

    return _with_db(settings, work)


# -- dashboard (issue 12, deliver 5): a one-time sign-in link to the officials' dashboard --
def cmd_admin_invite(args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage.access import INVITE_TTL, AccessStore
    from bot.web.auth import invite_link

    async def work(db: AsyncEngine) -> int:
        secret = await AccessStore(db).new_invite("official", None, _utcnow(), args.label)
        hours = int(INVITE_TTL.total_seconds() // 3600)
        print(invite_link(settings, secret))
        print(
            f"Send this link to one official: it opens the officials' dashboard (/so) once,\n"
            f"within {hours} hours. Only its hash is stored.",
            file=sys.stderr,
        )
        return 0

    return _with_db(settings, work)


def cmd_admin_token(args: argparse.Namespace, settings: Settings) -> int:
    return _new_token("admin", None, args.expires_days, settings)


def cmd_admin_tokens(_args: argparse.Namespace, settings: Settings) -> int:
    return _list_tokens("admin", None, settings)


def cmd_admin_revoke(args: argparse.Namespace, settings: Settings) -> int:
    return _revoke("admin", args.token_id, settings)


def cmd_school_webhook(args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage.schools import SchoolStore

    if not _known_school(settings, args.school_id):
        return 2
    if args.remove:

        async def remove(db: AsyncEngine) -> int:
            done = await SchoolStore(db).remove_webhook(args.school_id)
            print("webhook removed" if done else "no webhook was set")
            return 0

        return _with_db(settings, remove)
    url = urlsplit(args.url or "")
    if url.scheme not in ("http", "https") or not url.netloc:
        print("URL must start with https:// (or http://)", file=sys.stderr)
        return 2

    async def work(db: AsyncEngine) -> int:
        secret = await SchoolStore(db).set_webhook(args.school_id, args.url, _utcnow())
        await _participation_note(db, args.school_id)
        print(f"webhook set for {args.school_id}: {args.url}")
        print(f"signing secret (shown once): {secret}")
        return 0

    return _with_db(settings, work)


def cmd_outbox_list(args: argparse.Namespace, settings: Settings) -> int:
    from bot.leads.outbox import outbox_rows

    async def work(db: AsyncEngine) -> int:
        rows = await outbox_rows(db, args.status)
        for r in rows[: args.limit]:
            print(
                f"{r.id}\t{r.kind}\t{r.event}\t{r.target}\t{r.status}\tattempts={r.attempts}"
                f"\tnext={r.next_attempt_at:%Y-%m-%d %H:%M:%S}\t{r.last_error or ''}"
            )
        counts: dict[str, int] = {}
        for r in rows:
            counts[r.status] = counts.get(r.status, 0) + 1
        print(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "outbox is empty")
        return 0

    return _with_db(settings, work)


def cmd_outbox_retry(args: argparse.Namespace, settings: Settings) -> int:
    from bot.leads.outbox import retry_dead

    async def work(db: AsyncEngine) -> int:
        count = await retry_dead(db, args.ids or None)
        print(f"{count} dead delivery(ies) queued again")
        return 0

    return _with_db(settings, work)


def cmd_data_purge(args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage.retention import check_months, purge

    # the setting was checked with the others when it was read (Settings.validate)
    months = args.months if args.months is not None else settings.retention_months
    problem = check_months(months)
    if problem is not None:
        print(f"--months: {problem}; nothing deleted", file=sys.stderr)
        return 2

    async def work(db: AsyncEngine) -> int:
        done = await purge(db, _utcnow(), months)
        print(
            f"personal data deleted from {done.responses} survey(s); "
            f"{done.conversations} conversation(s) deleted (older than {months} months); "
            f"{done.events} seen platform event(s) pruned"
        )
        return 0

    return _with_db(settings, work)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# -- parent (issue 12): a parent's confirmation the school got on the phone --
def cmd_parent_confirm(args: argparse.Namespace, settings: Settings) -> int:
    from bot.leads.parent import record_parent_confirmation

    async def work(db: AsyncEngine) -> int:
        done = await record_parent_confirmation(db, args.lead_id, args.school_id, args.how)
        if not done:
            print("no lead of this school waits for a parent with that id", file=sys.stderr)
            return 1
        print("parent confirmation recorded: the lead goes to the school")
        return 0

    return _with_db(settings, work)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="huongnghiep", description="Trợ lý hướng nghiệp")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="start the web chat and configured channels")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("chat", help="talk to the bot in the terminal")
    p.set_defaults(func=cmd_chat, quiet_logs=True)
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
    p = sub.add_parser("school", help="school access: API tokens, webhooks, Telegram groups")
    ssub = p.add_subparsers(dest="school_command", required=True)
    c = ssub.add_parser("token", help="print a new API token for a school (only its hash is kept)")
    c.add_argument("school_id")
    c.add_argument("--expires-days", type=int, help="the token stops working after N days")
    c.set_defaults(func=cmd_school_token)
    c = ssub.add_parser("tokens", help="list a school's tokens: id, created, last used, expiry")
    c.add_argument("school_id")
    c.set_defaults(func=cmd_school_tokens)
    c = ssub.add_parser("revoke", help="revoke a school token by its id (see `school tokens`)")
    c.add_argument("token_id", type=int)
    c.set_defaults(func=cmd_school_revoke)
    c = ssub.add_parser("webhook", help="send a school's new leads to URL (prints the secret)")
    c.add_argument("school_id")
    c.add_argument("url", nargs="?")
    c.add_argument("--remove", action="store_true", help="stop webhook deliveries")
    c.set_defaults(func=cmd_school_webhook)
    c = ssub.add_parser("link", help="print a one-time code that links a Telegram staff group")
    c.add_argument("school_id")
    c.add_argument("--remove", action="store_true", help="unlink the school's Telegram group")
    c.set_defaults(func=cmd_school_link)
    # portal (issue 12, deliver 4)
    c = ssub.add_parser("invite", help="print a one-time sign-in link to the school portal (24 h)")
    c.add_argument("school_id")
    c.add_argument("--label", help="who the link is for, shown in the portal's audit log")
    c.set_defaults(func=cmd_school_invite)
    # task directory: a school receives leads only when switched on
    c = ssub.add_parser("participate", help="switch a school on to receive leads (or --off)")
    c.add_argument("school_id")
    c.add_argument("--off", action="store_true", help="stop sending the school new leads")
    c.set_defaults(func=cmd_school_participate)
    c = ssub.add_parser("participating", help="list the schools switched on or off")
    c.set_defaults(func=cmd_school_participating)
    # -- handoff (issue 12) --
    p = sub.add_parser("counsellors", help="the counsellors' Telegram group (talk to a person)")
    csub = p.add_subparsers(dest="counsellors_command", required=True)
    c = csub.add_parser("link", help="print a one-time code that links the counsellors' group")
    c.add_argument("--remove", action="store_true", help="unlink the counsellors' group")
    c.set_defaults(func=cmd_counsellors_link)
    p = sub.add_parser("admin", help="officials' access")
    asub = p.add_subparsers(dest="admin_command", required=True)
    c = asub.add_parser("token", help="print a new token for the officials' dashboard")
    c.add_argument("--expires-days", type=int, help="the token stops working after N days")
    c.set_defaults(func=cmd_admin_token)
    c = asub.add_parser("tokens", help="list the officials' tokens: id, created, last used")
    c.set_defaults(func=cmd_admin_tokens)
    c = asub.add_parser("revoke", help="revoke an officials' token by its id")
    c.add_argument("token_id", type=int)
    c.set_defaults(func=cmd_admin_revoke)
    # dashboard (issue 12, deliver 5)
    c = asub.add_parser("invite", help="print a one-time sign-in link to the dashboard /so (24 h)")
    c.add_argument("--label", help="who the link is for (an official's name and office)")
    c.set_defaults(func=cmd_admin_invite)
    p = sub.add_parser("outbox", help="lead deliveries")
    osub = p.add_subparsers(dest="outbox_command", required=True)
    c = osub.add_parser("list", help="list deliveries, newest first")
    c.add_argument("--status", choices=["pending", "delivered", "dead", "cancelled"])
    c.add_argument("--limit", type=int, default=50)
    c.set_defaults(func=cmd_outbox_list)
    c = osub.add_parser("retry", help="queue dead-lettered deliveries again")
    c.add_argument("ids", nargs="*", type=int, help="outbox ids (default: every dead one)")
    c.set_defaults(func=cmd_outbox_retry)
    p = sub.add_parser("data", help="personal data")
    dsub2 = p.add_subparsers(dest="data_command", required=True)
    c = dsub2.add_parser("purge", help="delete personal data older than the retention period")
    c.add_argument("--months", type=int, help="retention period, 1 to 120 (default: the setting)")
    c.set_defaults(func=cmd_data_purge)
    # -- parent (issue 12) --
    p = sub.add_parser("parent", help="leads waiting for a parent's confirmation")
    psub = p.add_subparsers(dest="parent_command", required=True)
    c = psub.add_parser("confirm", help="record a parent's confirmation given to the school")
    c.add_argument("lead_id")
    c.add_argument("school_id")
    c.add_argument("--how", choices=["school_phone", "bot"], default="school_phone")
    c.set_defaults(func=cmd_parent_confirm)
    p = sub.add_parser(
        "eval", help="run a question set or a care set (messages:) and print its figures"
    )
    p.add_argument("file")
    p.add_argument(
        "--figures-only",
        action="store_true",
        help="print the figures, not the messages (for a holdout set nobody may tune on)",
    )
    p.set_defaults(func=cmd_eval)
    p = sub.add_parser("care", help="the care detector's learned model")
    csub = p.add_subparsers(dest="care_command", required=True)
    c = csub.add_parser("train", help="cross-validate, train and write content/care_model.json")
    c.add_argument("--root", help="the repository holding tests/eval (default: above content)")
    c.set_defaults(func=cmd_care_train)
    p = sub.add_parser("match", help="the matcher's learned model")
    msub = p.add_subparsers(dest="match_command", required=True)
    c = msub.add_parser("train", help="train on the content's phrasings: content/intent_model.json")
    c.set_defaults(func=cmd_match_train)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `huongnghiep` command."""
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"huongnghiep: {exc}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `huongnghiep eval … | head` ends quietly
    level = settings.log_level
    if getattr(args, "quiet_logs", False) and "HUONGNGHIEP_LOG_LEVEL" not in os.environ:
        level = "WARNING"  # the terminal is the conversation: only problems are shown there
    configure_logging(level)
    return int(args.func(args, settings))
