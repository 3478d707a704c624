"""Data commands: the lead outbox, the personal data purge, a parent's confirmation and
the database upgrade."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from bot.cli.common import _utcnow, _with_db
from bot.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine


def cmd_db_upgrade(_args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage.migrate import upgrade

    upgrade(settings.db_url)
    print("database is up to date")
    return 0


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
