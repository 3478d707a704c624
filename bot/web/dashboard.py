"""The officials' dashboard at /so: what students answered (anonymous answers too) and what
became of their leads, for officials signed in with a one-time link (bot.web.auth, role
"official"); every table as CSV or XLSX. A count under 5 is never shown."""

from __future__ import annotations

import datetime as dt
import logging

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.catalog import Catalog
from bot.catalog.text_keys import T
from bot.leads.cells import VIETNAM
from bot.storage.stats import StatsFilter
from bot.web.auth import Auth
from bot.web.dashboard_cache import TablesCache
from bot.web.dashboard_export import EXPORTS, to_csv, to_xlsx
from bot.web.dashboard_tables import Places, Tables
from bot.web.dashboard_view import FILTER_FIELDS, DashboardView
from bot.web.forms import FormValues, start_of
from bot.web.html import document, esc, notice, page

log = logging.getLogger(__name__)

FIRST_SCHOOL_YEAR = 2024  # 2024-2025: the targets' year; the bot's surveys began later
YEAR_STARTS = (9, 1)  # a school year runs from 1 September (Vietnam time)


def school_years(now: dt.datetime) -> list[str]:
    """ "2024-2025" up to the school year under way, newest first."""
    local = now.astimezone(VIETNAM)
    current = local.year if (local.month, local.day) >= YEAR_STARTS else local.year - 1
    return [
        f"{y}-{y + 1}" for y in range(max(current, FIRST_SCHOOL_YEAR), FIRST_SCHOOL_YEAR - 1, -1)
    ]


def parse_filter(
    catalog: Catalog, raw: dict[str, str], years: list[str]
) -> tuple[StatsFilter, dict[str, str], bool]:
    """The filter a query asks for, the values kept (for the form and links), and whether some
    value was not understood (then left out: never an error)."""
    form = FormValues(raw)
    keep = form.keep
    survey, province, year = raw.get("khao_sat", ""), raw.get("tinh", ""), raw.get("nam_hoc", "")
    since = until = None
    if keep("nam_hoc", year in years):
        first = int(year[:4])
        since = start_of(dt.date(first, *YEAR_STARTS))
        until = start_of(dt.date(first + 1, *YEAR_STARTS))
    start, end = form.days()
    if start is not None:
        since = max(since, start) if since else start
    if end is not None:
        until = min(until, end) if until else end
    where = StatsFilter(
        survey=survey if keep("khao_sat", survey in catalog.surveys) else None,
        province=province if keep("tinh", province in catalog.provinces) else None,
        since=since,
        until=until,
    )
    return where, form.kept, form.bad


class Dashboard:
    """The dashboard's routes over the statistics queries, signed in through `auth`."""

    def __init__(self, auth: Auth, catalog: Catalog, db: AsyncEngine) -> None:
        self.auth = auth
        self.catalog = catalog
        self.db = db
        self.view = DashboardView(catalog)
        self.tables = Tables(catalog, Places(catalog))
        self.cache = TablesCache(db, self.tables)

    def _query(self, request: web.Request) -> dict[str, str]:
        return {name: request.query.get(name, "")[:40] for name in FILTER_FIELDS}

    def _caption(self, kept: dict[str, str]) -> str:
        """What the tables count, in words (the export's first line)."""
        parts = [self.view.t(T.DASH_CAPTION)]
        if kept.get("khao_sat"):
            parts.append(self.catalog.surveys[kept["khao_sat"]].title)
        if kept.get("nam_hoc"):
            parts.append(self.view.t(T.DASH_SCHOOL_YEAR) + " " + kept["nam_hoc"])
        if kept.get("tu") or kept.get("den"):
            parts.append(f"{kept.get('tu', '…')} → {kept.get('den', '…')}")
        if kept.get("tinh"):
            parts.append(self.catalog.provinces[kept["tinh"]].name)
        return " · ".join(parts)

    async def index(self, request: web.Request) -> web.Response:
        """GET /so: every table under the filter."""
        session = await self.auth.session(request, "official")
        if session is None:
            return await self._refuse(request)
        years = school_years(self.auth.now())
        where, kept, bad = parse_filter(self.catalog, self._query(request), years)
        tables = await self.cache.get(where)
        body = (
            self.view.filters(kept, bad, years)
            + f'<p class="count" role="status">{esc(self._caption(kept))}</p>'
            + self.view.contents(tables)
            + "".join(self.view.section(table, kept) for table in tables)
        )
        title = self.view.t(T.DASH_TITLE)
        html = document(
            title,
            title,
            body,
            top=self.auth.sign_out_form(session),
            skip=self.view.t(T.DASH_SKIP),
            css=("dashboard.css",),
        )
        return page(html)

    async def _refuse(self, request: web.Request) -> web.Response:
        """Not signed in as an official: a school's session gets 403, nobody's 401."""
        if await self.auth.session(request, "school") is not None:
            return notice(self.view.t(T.DASH_TITLE), self.view.t(T.DASH_FORBIDDEN), 403)
        return self.auth.need_sign_in()

    async def export(self, request: web.Request) -> web.Response:
        """GET /so/xuat?bang=…&dinh_dang=csv|xlsx&…: one table, as the page shows it."""
        session = await self.auth.session(request, "official")
        if session is None:
            return await self._refuse(request)
        fmt = request.query.get("dinh_dang", "csv")
        fmt = fmt if fmt in EXPORTS else "csv"
        years = school_years(self.auth.now())
        where, kept, _ = parse_filter(self.catalog, self._query(request), years)
        wanted = request.query.get("bang", "")
        tables = {t.id: t for t in await self.cache.get(where)}
        table = tables.get(wanted)
        if table is None:
            return notice(self.view.t(T.DASH_TITLE), self.view.t(T.DASH_NO_TABLE), 404)
        caption = f"{table.title} · {self._caption(kept)}"
        body = to_csv(table, caption) if fmt == "csv" else to_xlsx(table, caption)
        now = self.auth.now().astimezone(VIETNAM)
        name = f"so-lieu-{table.id}-{now:%Y%m%d}.{fmt}"
        log.info("dashboard export", extra={"table": table.id, "format": fmt})
        return web.Response(
            body=body,
            headers={
                "Cache-Control": "no-store",
                "Content-Type": EXPORTS[fmt],
                "Content-Disposition": f'attachment; filename="{name}"',
            },
        )

    def register(self, router: web.UrlDispatcher) -> None:
        router.add_get("/so", self.index)
        router.add_get("/so/xuat", self.export)
