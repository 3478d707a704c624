"""Server-rendered pages of the portal and dashboard: escaping, the page frame, responses."""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from aiohttp import web

NO_STORE = {"Cache-Control": "no-store", "X-Frame-Options": "DENY"}


def esc(value: object) -> str:
    """Text as HTML (quotes too: safe inside attributes)."""
    return escape(str(value), quote=True)


def query(params: dict[str, str]) -> str:
    """`?a=b&…` of the non-empty parameters (empty string when none)."""
    kept = {k: v for k, v in params.items() if v}
    return "?" + urlencode(kept) if kept else ""


def document(
    title: str, heading: str, body: str, top: str = "", skip: str = "", css: tuple[str, ...] = ()
) -> str:
    """A whole page: Vietnamese, phone-first, our stylesheets only (no script at all); `css`
    names more files of /static/ (the dashboard's)."""
    skip_link = f'<a class="skip" href="#main">{esc(skip)}</a>' if skip else ""
    more = "".join(f'<link rel="stylesheet" href="/static/{esc(name)}">' for name in css)
    return (
        '<!doctype html>\n<html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{esc(title)}</title>"
        f'<link rel="stylesheet" href="/static/portal.css">{more}</head><body>'
        f'{skip_link}<header class="top"><div class="bar"><h1>{esc(heading)}</h1>{top}</div>'
        f'</header><main id="main">{body}</main></body></html>'
    )


def page(html: str, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """An HTML response nobody caches (it shows personal data)."""
    response = web.Response(
        text=html, status=status, content_type="text/html", charset="utf-8", headers=NO_STORE
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def notice(title: str, message: str, status: int) -> web.Response:
    """A page with one message (sign-in needed, link used, not found)."""
    return page(document(title, title, f'<p class="notice">{esc(message)}</p>'), status)


def see_other(location: str) -> web.Response:
    """303 to `location` (after a POST: a reload does not post again)."""
    return web.Response(status=303, headers={"Location": location, **NO_STORE})
