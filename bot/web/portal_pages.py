"""The school portal at /truong: a school's own leads (filters, statuses with a note, the
audit log, CSV/XLSX export), for staff signed in with a one-time link (bot.web.auth)."""

from __future__ import annotations

import logging
import math

from aiohttp import web

from bot.catalog import Catalog
from bot.catalog.text_keys import T
from bot.leads import parent
from bot.leads.cells import VIETNAM
from bot.leads.stream import LeadExport
from bot.storage.access import Session
from bot.storage.lead_status import STATUSES, WAITING, WITHDRAWN, LeadFilter, LeadStatusStore
from bot.web.auth import Auth, read_form
from bot.web.forms import FormValues
from bot.web.html import document, notice, page, see_other
from bot.web.portal_view import FILTER_FIELDS, PortalView

log = logging.getLogger(__name__)

PER_PAGE = 50
EXPORTS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MAX_PAGE = 100_000
# portal2: the parent's answer on the phone (form value -> agreed), and the message shown
# after recording it (by outcome, see bot.leads.parent)
ANSWERS = {"dong_y": True, "khong_dong_y": False}
PARENT_MESSAGES = {
    parent.CONFIRMED: T.PORTAL_PARENT_DONE_YES,
    parent.DECLINED: T.PORTAL_PARENT_DONE_NO,
    parent.ALREADY_CONFIRMED: T.PORTAL_PARENT_DONE_BEFORE,
    parent.ENDED: T.PORTAL_PARENT_DONE_ENDED,
}


def parse_filter(catalog: Catalog, raw: dict[str, str]) -> tuple[LeadFilter, dict[str, str], bool]:
    """The filter a query asks for, the values kept (for the form and links), and whether
    some value was not understood (it is then left out, never an error)."""
    form = FormValues(raw)
    keep = form.keep
    survey = raw.get("khao_sat", "")
    grade = raw.get("lop", "")
    grades = {str(s.grade) for s in catalog.surveys.values()}
    trade = raw.get("nghe", "")
    status = raw.get("trang_thai", "")
    start, end = form.days()
    where = LeadFilter(
        survey=survey if keep("khao_sat", survey in catalog.surveys) else None,
        grade=int(grade) if keep("lop", grade in grades) else None,
        trade=trade if keep("nghe", trade in catalog.trades) else None,
        since=start,
        until=end,
        status=status if keep("trang_thai", status in (*STATUSES, WAITING, WITHDRAWN)) else None,
    )
    return where, form.kept, form.bad


class SchoolPortal:
    """The portal's routes over the lead-status store, signed in through `auth`."""

    def __init__(self, auth: Auth, catalog: Catalog, store: LeadStatusStore) -> None:
        self.auth = auth
        self.catalog = catalog
        self.store = store
        self.view = PortalView(catalog)

    def _frame(self, school_id: str, body: str, top: str) -> str:
        school = self.catalog.schools[school_id].name
        heading = self.view.t(T.PORTAL_SCHOOL_HEADING, school=school)
        return document(
            f"{heading} · {self.view.t(T.PORTAL_TITLE)}",
            heading,
            body,
            top=top,
            skip=self.view.t(T.PORTAL_SKIP),
        )

    def _query(self, request: web.Request) -> dict[str, str]:
        return {name: request.query.get(name, "")[:40] for name in (*FILTER_FIELDS, "trang")}

    async def index(self, request: web.Request) -> web.Response:
        """GET /truong: the school's leads, filtered, a page at a time."""
        session = await self.auth.session(request, "school")
        if session is None:
            return self.auth.need_sign_in()
        assert session.school_id is not None
        raw = self._query(request)
        where, kept, bad = parse_filter(self.catalog, raw)
        leads = await self.store.leads(session.school_id, where)
        pages = max(1, math.ceil(len(leads) / PER_PAGE))
        try:
            page_no = min(max(1, int(raw["trang"] or "1")), pages, MAX_PAGE)
        except ValueError:
            page_no, bad = 1, True
        shown = leads[(page_no - 1) * PER_PAGE : page_no * PER_PAGE]
        body = (
            self.view.filters(kept, bad)
            + self.view.exports(kept)
            + self.view.listing(shown, len(leads))
            + self.view.pager(kept, page_no, pages)
        )
        top = self.auth.sign_out_form(session)
        return page(self._frame(session.school_id, body, top))

    async def lead(self, request: web.Request) -> web.Response:
        """GET /truong/hs/{lead}: one lead, its status form and its audit log."""
        session = await self.auth.session(request, "school")
        if session is None:
            return self.auth.need_sign_in()
        assert session.school_id is not None
        found = await self.store.lead(session.school_id, request.match_info["lead"])
        if found is None:
            return self._not_found()
        saved = request.query.get("luu", "")
        message = {"1": T.PORTAL_SAVED, "0": T.PORTAL_UNCHANGED}.get(saved) or PARENT_MESSAGES.get(
            request.query.get("ph", "")
        )
        audit = await self.store.audit(session.school_id, found.record.lead_id)
        body = self.view.lead_page(found, session, audit, self.view.t(message) if message else "")
        return page(self._frame(session.school_id, body, self.auth.sign_out_form(session)))

    def _not_found(self) -> web.Response:
        return notice(self.view.t(T.PORTAL_TITLE), self.view.t(T.PORTAL_NOT_FOUND), 404)

    async def _school_form(
        self, request: web.Request
    ) -> tuple[Session, dict[str, str]] | web.Response:
        """A POSTed form of a signed-in school with a valid CSRF token, or the answer refusing
        it (sign in; forbidden)."""
        session = await self.auth.session(request, "school")
        if session is None:
            return self.auth.need_sign_in()
        form = await read_form(request)
        if form is None or not self.auth.csrf_ok(session, form):
            return self.auth.forbidden()
        return session, form

    async def update(self, request: web.Request) -> web.Response:
        """POST /truong/hs/{lead}: a new status and note (CSRF token needed). The school is
        the session's: nothing in the form can name another."""
        signed = await self._school_form(request)
        if isinstance(signed, web.Response):
            return signed
        session, form = signed
        assert session.school_id is not None
        lead_id = request.match_info["lead"]
        status = form.get("trang_thai", "")
        if status not in STATUSES:
            return notice(self.view.t(T.PORTAL_TITLE), self.view.t(T.PORTAL_BAD_STATUS), 400)
        changed = await self.store.set_status(
            session.school_id,
            lead_id,
            status,
            form.get("ghi_chu", ""),
            session.invite_id,
            self.auth.now(),
        )
        if changed is None:
            return self._not_found()
        if changed:
            log.info("lead status changed", extra={"school": session.school_id, "status": status})
        return see_other(f"/truong/hs/{lead_id}?luu={int(changed)}")

    async def parent_answer(self, request: web.Request) -> web.Response:
        """POST /truong/hs/{lead}/phu-huynh (portal2): staff record the answer a parent gave
        on the school's phone call to a lead waiting for it (CSRF token needed; the school
        is the session's). Answering twice changes nothing the second time."""
        signed = await self._school_form(request)
        if isinstance(signed, web.Response):
            return signed
        session, form = signed
        assert session.school_id is not None
        lead_id = request.match_info["lead"]
        answer = form.get("y_kien", "")
        if answer not in ANSWERS:
            return notice(self.view.t(T.PORTAL_TITLE), self.view.t(T.PORTAL_PARENT_BAD), 400)
        outcome = await parent.record_parent_answer(
            self.store.engine,
            lead_id,
            session.school_id,
            ANSWERS[answer],
            session.invite_id,
            self.auth.now(),
        )
        if outcome is None:
            return self._not_found()
        log.info("parent answer recorded", extra={"school": session.school_id, "outcome": outcome})
        return see_other(f"/truong/hs/{lead_id}?ph={outcome}")

    async def export(self, request: web.Request) -> web.StreamResponse:
        """GET /truong/xuat?dinh_dang=csv|xlsx&…: the filtered list as a file (the
        columns of GET /api/leads, then each lead's status and note; formula-like cells
        neutralised by bot.leads.export)."""
        session = await self.auth.session(request, "school")
        if session is None:
            return self.auth.need_sign_in()
        school = session.school_id
        assert school is not None
        fmt = request.query.get("dinh_dang", "csv")
        if fmt not in EXPORTS:
            fmt = "csv"
        where, _, _ = parse_filter(self.catalog, self._query(request))
        now = self.auth.now()
        name = f"hoc-sinh-{school}-{now.astimezone(VIETNAM):%Y%m%d}.{fmt}"
        headers = {
            "Cache-Control": "no-store",
            "Content-Type": EXPORTS[fmt],
            "Content-Disposition": f'attachment; filename="{name}"',
        }

        async def logged(rows: int) -> None:
            await self.store.log_export(school, session.invite_id, fmt, rows, now)
            log.info("portal export", extra={"school": school, "format": fmt, "rows": rows})

        batches = self.store.export_batches(school, where)
        export = LeadExport(batches, fmt, self.view.names, logged, portal=True)
        return await export.send(request, headers)

    def register(self, router: web.UrlDispatcher) -> None:
        router.add_get("/truong", self.index)
        router.add_get("/truong/xuat", self.export)
        router.add_get("/truong/hs/{lead}", self.lead)
        router.add_post("/truong/hs/{lead}", self.update)
        router.add_post("/truong/hs/{lead}/phu-huynh", self.parent_answer)
