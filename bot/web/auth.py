"""Sign-in for the web pages with one-time links: the sign-in page, sessions in an HttpOnly,
SameSite=Strict cookie (Secure over https), CSRF tokens on every form, sign-out. The school
portal (/truong) uses it with role "school"; the officials' dashboard (/so) with "official"."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable, Mapping

from aiohttp import web

from bot.catalog import Catalog
from bot.catalog.text_keys import T
from bot.leads.cells import VIETNAM
from bot.settings import Settings
from bot.storage.access import AccessStore, Session, same
from bot.web.html import document, esc, notice, page, see_other

log = logging.getLogger(__name__)

COOKIE = "hn_phien"
PRE_COOKIE = "hn_vao"  # double-submit token of the sign-in form (before any session exists)
SIGN_IN_PATH = "/dang-nhap"
SIGN_OUT_PATH = "/dang-xuat"
HOME = {"school": "/truong", "official": "/so"}
CSRF_FIELD = "csrf"


def base_url(settings: Settings) -> str:
    """Where people reach this server: the public URL, else host and port."""
    return settings.public_url or f"http://{settings.host}:{settings.port}"


def invite_link(settings: Settings, secret: str) -> str:
    """The one-time sign-in link of an invite secret."""
    return f"{base_url(settings)}{SIGN_IN_PATH}?ma={secret}"


def csrf_input(session: Session) -> str:
    """The hidden field every form of a signed-in page carries."""
    return f'<input type="hidden" name="{CSRF_FIELD}" value="{esc(session.csrf)}">'


async def read_form(request: web.Request) -> dict[str, str] | None:
    """The posted form's text fields (the first of each name), or None when the body is no
    readable form."""
    try:
        form = await request.post()
    except (ValueError, UnicodeDecodeError, AssertionError):
        return None
    fields: dict[str, str] = {}
    for name, value in form.items():
        if isinstance(value, str):
            fields.setdefault(name, value)
    return fields


class Auth:
    """Sessions for the pages of one application."""

    def __init__(
        self,
        settings: Settings,
        catalog: Catalog,
        access: AccessStore,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.settings = settings
        self.catalog = catalog
        self.access = access
        self.now = clock or (lambda: dt.datetime.now(dt.UTC))
        self.idle = dt.timedelta(minutes=settings.portal_idle_minutes)

    def text(self, key: str, **values: object) -> str:
        return self.catalog.texts[key].format(**values)

    def secure(self, request: web.Request) -> bool:
        """Whether cookies get the Secure flag: served over https, or deployed behind an
        https public URL (a proxy ends TLS before us)."""
        return request.secure or (self.settings.public_url or "").startswith("https://")

    def _cookie(
        self, response: web.StreamResponse, request: web.Request, name: str, value: str
    ) -> None:
        response.set_cookie(
            name,
            value,
            path="/",
            httponly=True,
            samesite="Strict",
            secure=self.secure(request),
        )

    async def session(self, request: web.Request, role: str) -> Session | None:
        """The request's live session of this role, or None."""
        cookie = request.cookies.get(COOKIE, "")
        if not cookie:
            return None
        found = await self.access.session(cookie, self.now(), self.idle)
        if found is None or found.role != role:
            return None
        if role == "school" and found.school_id not in self.catalog.schools:
            return None  # a school taken out of the content since
        return found

    @staticmethod
    def csrf_ok(session: Session, form: Mapping[str, str]) -> bool:
        """Whether the form carries the session's CSRF token (compared in constant time)."""
        return same(form.get(CSRF_FIELD, ""), session.csrf)

    def need_sign_in(self) -> web.Response:
        return notice(self.text(T.PORTAL_TITLE), self.text(T.PORTAL_NEED_SIGN_IN), 401)

    def forbidden(self) -> web.Response:
        return notice(self.text(T.PORTAL_TITLE), self.text(T.PORTAL_FORBIDDEN), 403)

    def _who(self, role: str, school_id: str | None) -> str:
        if role == "school" and school_id in self.catalog.schools:
            return self.catalog.schools[school_id].name
        return self.text(T.PORTAL_OFFICIALS)

    def _invalid_link(self) -> web.Response:
        return notice(self.text(T.PORTAL_SIGN_IN_TITLE), self.text(T.PORTAL_LINK_INVALID), 410)

    async def sign_in_page(self, request: web.Request) -> web.Response:
        """GET /dang-nhap?ma=…: what the link opens, and a button that spends it (a link
        preview fetching the page does not sign anyone in or use the link up)."""
        secret = request.query.get("ma", "")
        invite = await self.access.invite(secret, self.now())
        if invite is None:
            return self._invalid_link()
        pre = secrets.token_urlsafe(24)
        until = invite.expires_at.astimezone(VIETNAM)
        intro = self.text(
            T.PORTAL_SIGN_IN_INTRO,
            who=self._who(invite.role, invite.school_id),
            until=f"{until:%H:%M %d/%m/%Y}",
        )
        body = (
            f'<section class="panel"><p>{esc(intro)}</p>'
            f'<form method="post" action="{SIGN_IN_PATH}">'
            f'<input type="hidden" name="ma" value="{esc(secret)}">'
            f'<input type="hidden" name="pre" value="{esc(pre)}">'
            f'<button class="primary" type="submit">{esc(self.text(T.PORTAL_SIGN_IN_BUTTON))}'
            "</button></form></section>"
        )
        title = self.text(T.PORTAL_SIGN_IN_TITLE)
        response = page(document(title, self.text(T.PORTAL_TITLE), body))
        self._cookie(response, request, PRE_COOKIE, pre)
        return response

    async def sign_in(self, request: web.Request) -> web.Response:
        """POST /dang-nhap: spend the link, open a session, go to the role's home page."""
        form = await read_form(request)
        if form is None:
            return self._invalid_link()
        pre = request.cookies.get(PRE_COOKIE, "")
        if not pre or not same(form.get("pre", ""), pre):
            return self.forbidden()
        opened = await self.access.redeem(form.get("ma", ""), self.now())
        if opened is None:
            return self._invalid_link()
        cookie, session = opened
        log.info(
            "portal sign-in",
            extra={"role": session.role, "school": session.school_id, "invite": session.invite_id},
        )
        response = see_other(HOME[session.role])
        self._cookie(response, request, COOKIE, cookie)
        response.del_cookie(PRE_COOKIE, path="/")
        return response

    async def sign_out(self, request: web.Request) -> web.Response:
        """POST /dang-xuat: end the session (its CSRF token needed), forget the cookie."""
        cookie = request.cookies.get(COOKIE, "")
        found = await self.access.session(cookie, self.now(), self.idle) if cookie else None
        if found is not None:
            form = await read_form(request)
            if form is None or not self.csrf_ok(found, form):
                return self.forbidden()
            await self.access.end(cookie, self.now())
        response = see_other(SIGN_OUT_PATH)
        response.del_cookie(COOKIE, path="/")
        return response

    async def signed_out(self, _request: web.Request) -> web.Response:
        """GET /dang-xuat: the page after signing out."""
        return notice(self.text(T.PORTAL_TITLE), self.text(T.PORTAL_SIGNED_OUT), 200)

    def sign_out_form(self, session: Session) -> str:
        """The sign-out button of a signed-in page's header."""
        return (
            f'<form method="post" action="{SIGN_OUT_PATH}" class="out">{csrf_input(session)}'
            f'<button type="submit">{esc(self.text(T.PORTAL_SIGN_OUT))}</button></form>'
        )

    def register(self, router: web.UrlDispatcher) -> None:
        router.add_get(SIGN_IN_PATH, self.sign_in_page)
        router.add_post(SIGN_IN_PATH, self.sign_in)
        router.add_get(SIGN_OUT_PATH, self.signed_out)
        router.add_post(SIGN_OUT_PATH, self.sign_out)
