"""School and officials' access: tokens, invites, Telegram links, webhooks, participation,
and the counsellors' group."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot.cli.common import _load, _utcnow, _with_db
from bot.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine


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
