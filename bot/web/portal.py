"""School portal API: GET /api/leads with a school's bearer token (its own leads only)."""

from __future__ import annotations

import datetime as dt
import json
import logging

from aiohttp import web

from bot.catalog import Catalog
from bot.leads.cells import VIETNAM  # a `since` without a zone is Vietnam time
from bot.leads.export import FORMATS
from bot.leads.records import Names
from bot.leads.stream import LeadExport
from bot.storage.schools import Principal, SchoolStore

log = logging.getLogger(__name__)

MAX_TOKEN = 200  # our tokens are far shorter


def _error(message: str, status: int) -> web.Response:
    response = web.json_response({"error": message}, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def parse_since(raw: str | None) -> dt.datetime | None:
    """`since` as an ISO date or date-time; ValueError when it is neither."""
    if raw is None or raw == "":
        return None
    if len(raw) > 40:
        raise ValueError(raw)
    value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "+"))
    value = value if value.tzinfo else value.replace(tzinfo=VIETNAM)
    try:
        return value.astimezone(dt.UTC)
    except OverflowError as exc:  # 0001-01-01 in Vietnam, 9999-12-31T23:59-12:00: no UTC year
        raise OutOfRange(raw) from exc


class OutOfRange(ValueError):
    """A well-formed `since` that no UTC time can hold (the first or last hours of the calendar)."""


def _token_shaped(token: str) -> bool:
    """Whether a token could be one of ours: visible ASCII, not too long. Header bytes that
    are not UTF-8 reach us as surrogates, which no hash function can encode."""
    return len(token) <= MAX_TOKEN and token.isascii() and token.isprintable() and " " not in token


def _unauthorized(message: str) -> web.HTTPUnauthorized:
    return web.HTTPUnauthorized(
        text=json.dumps({"error": message}, ensure_ascii=False),
        content_type="application/json",
        headers={"WWW-Authenticate": 'Bearer realm="huongnghiep"', "Cache-Control": "no-store"},
    )


async def school_of(request: web.Request, schools: SchoolStore, catalog: Catalog) -> Principal:
    """The school whose token the request carries; raises 401 otherwise."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("Cần mã truy cập của trường (Authorization: Bearer <token>).")
    if not _token_shaped(token):
        raise _unauthorized("Mã truy cập không hợp lệ, đã hết hạn hoặc đã bị thu hồi.")
    who = await schools.authenticate(token)
    if who is None or who.kind != "school" or who.school_id not in catalog.schools:
        raise _unauthorized("Mã truy cập không hợp lệ, đã hết hạn hoặc đã bị thu hồi.")
    return who


async def leads(request: web.Request, schools: SchoolStore, catalog: Catalog) -> web.StreamResponse:
    """GET /api/leads?format=csv|xlsx|json&since=…: the calling school's active leads."""
    who = await school_of(request, schools, catalog)
    fmt = request.query.get("format", "json").lower()
    if fmt not in FORMATS:
        return _error("format phải là csv, xlsx hoặc json.", 400)
    try:
        since = parse_since(request.query.get("since"))
    except OutOfRange:
        return _error(
            "since nằm ngoài khoảng thời gian có thể xử lý: hãy chọn một ngày gần hơn.", 400
        )
    except ValueError:
        return _error("since phải là ngày (2026-11-01) hoặc thời điểm ISO 8601.", 400)
    assert who.school_id is not None
    now = dt.datetime.now(dt.UTC)
    headers = {"Cache-Control": "no-store", "Content-Type": FORMATS[fmt]}
    if fmt != "json":
        name = f"leads-{who.school_id}-{now:%Y%m%d}.{fmt}"
        headers["Content-Disposition"] = f'attachment; filename="{name}"'

    # streamed as the rows come from the database: memory stays flat for any list length
    async def logged(rows: int) -> None:
        await schools.log_export(who, fmt, rows, since, now)
        log.info("leads exported", extra={"school": who.school_id, "format": fmt, "rows": rows})

    batches = schools.lead_batches(who.school_id, since)
    return await LeadExport(batches, fmt, Names(catalog), logged).send(request, headers)
