"""Command line: the parser and `main`; the commands live beside it. Parsing and printing only.

chat.py (serve, chat, ask), content.py (content check, eval, care and match train), schools.py
(school and officials' access), data.py (outbox, purge, parent confirm, db upgrade),
questions.py (questions the bot could not answer), common.py.
Each command imports what it needs when it runs: `ask` and `content check` start without the
web app, SQLAlchemy, python-telegram-bot or openpyxl (a test holds them to it).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence

from bot.cli.chat import cmd_ask, cmd_chat, cmd_serve
from bot.cli.content import (
    cmd_care_train,
    cmd_content_check,
    cmd_eval,
    cmd_match_cv,
    cmd_match_train,
)
from bot.cli.data import (
    cmd_data_purge,
    cmd_db_upgrade,
    cmd_outbox_list,
    cmd_outbox_retry,
    cmd_parent_confirm,
)
from bot.cli.questions import cmd_questions_export, cmd_questions_list
from bot.cli.schools import (
    cmd_admin_invite,
    cmd_admin_revoke,
    cmd_admin_token,
    cmd_admin_tokens,
    cmd_counsellors_link,
    cmd_school_invite,
    cmd_school_link,
    cmd_school_participate,
    cmd_school_participating,
    cmd_school_revoke,
    cmd_school_token,
    cmd_school_tokens,
    cmd_school_webhook,
)
from bot.logs import configure as configure_logging
from bot.settings import Settings, SettingsError

__all__ = ["build_parser", "main"]


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
    p = sub.add_parser("questions", help="questions the bot could not answer, kept for review")
    qsub = p.add_subparsers(dest="questions_command", required=True)
    c = qsub.add_parser("list", help="list the kept questions, oldest first, and count them")
    c.add_argument("--since", help="only those asked since this day (YYYY-MM-DD)")
    c.add_argument("--limit", type=int, default=100, help="the newest N (0: all)")
    c.set_defaults(func=cmd_questions_list)
    c = qsub.add_parser("export", help="write them as content/train rows to review (YAML)")
    c.add_argument("file")
    c.add_argument("--since", help="only those asked since this day (YYYY-MM-DD)")
    c.set_defaults(func=cmd_questions_export)
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
    c.add_argument(
        "--rechoose",
        action="store_true",
        help="choose the thresholds afresh (by default those in use are kept while they meet "
        "the targets out of fold)",
    )
    c.set_defaults(func=cmd_care_train)
    p = sub.add_parser("match", help="the matcher's learned model")
    msub = p.add_subparsers(dest="match_command", required=True)
    c = msub.add_parser("train", help="train on the content's phrasings: content/intent_model.json")
    c.set_defaults(func=cmd_match_train)
    c = msub.add_parser(
        "cv", help="cross-validate the decision on the real training questions (content/train)"
    )
    c.add_argument("--folds", type=int, default=5, help="folds, split by source (default 5)")
    c.add_argument("--misses", action="store_true", help="print the out-of-fold misses")
    c.set_defaults(func=cmd_match_cv)
    return parser


def run() -> int:
    """The `huongnghiep` program: `main` in a process of its own.

    Only here does a closed pipe end the process quietly (`huongnghiep eval … | head`). `main` is
    also called inside other processes (the tests), where that setting would let any write to a
    closed socket kill the whole process.
    """
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    return main()


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run one command; changes no process-wide setting."""
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"huongnghiep: {exc}", file=sys.stderr)
        return 2
    level = settings.log_level
    if getattr(args, "quiet_logs", False) and "HUONGNGHIEP_LOG_LEVEL" not in os.environ:
        level = "WARNING"  # the terminal is the conversation: only problems are shown there
    configure_logging(level)
    return int(args.func(args, settings))
