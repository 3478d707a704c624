"""Property-based: hostile requests to the portal's pages and forms (any query, any path
segment, any body, any cookie) get a 2xx, 3xx or 4xx page, never a 500 or a logged error, and
never reach another school's leads. The real app runs in a thread (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import logging
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.storage.access import AccessStore
from bot.storage.lead_status import count_by_status
from bot.web.app import DB
from tests.hostile_core import ANY_CHAR, HOSTILE
from tests.test_hostile_http import HEADER_VALUES, LiveServer, _quote, assert_quiet_log, live
from tests.test_portal import NAME_A, NAME_B, make_leads
from tests.test_portal_parent import THEIRS, WAITING, waiting_leads

__all__ = ["live"]  # the module-scoped live server of test_hostile_http, reused here


class Signed:
    """A signed-in school A (cookie, CSRF token) and the lead ids."""

    def __init__(self, live: LiveServer) -> None:
        now = dt.datetime.now(dt.UTC)
        self.leads: dict[str, str] = live.run(make_leads(live.app[DB]))
        # portal2: leads waiting for a parent, of school A and of school B
        self.leads |= live.run(waiting_leads(live.app[DB]))
        access = AccessStore(live.app[DB])
        secret = live.run(access.new_invite("school", "cd_long_an", now))
        opened = live.run(access.redeem(secret, now))
        assert opened is not None
        self.cookie, session = opened
        self.csrf = session.csrf


@pytest.fixture(scope="module")
def signed(live: LiveServer) -> Iterator[Signed]:
    found = Signed(live)
    yield found
    # whatever was posted, school B's lead was never touched
    counts = live.run(count_by_status(live.app[DB], "cd_lao_cai"))
    assert counts["moi"] == 1 and sum(counts.values()) == 1
    assert live.run(_state(live, found.leads[THEIRS])) == "awaiting_parent"


async def _state(live: LiveServer, lead_id: str) -> str | None:
    from sqlalchemy import select

    from bot.storage.models import LeadRow

    async with live.app[DB].connect() as conn:
        return await conn.scalar(select(LeadRow.status).where(LeadRow.id == lead_id))


def check_page(status: int, ctype: str, body: bytes, where: str) -> None:
    """A page or a JSON error; never a 500; another school's student never shown."""
    assert status < 500, f"{where}: {status} {body[:300]!r}"
    if ctype.startswith("text/html"):
        text = body.decode("utf-8")
        assert '<html lang="vi">' in text, where
        assert NAME_B not in text, where
    elif status >= 400:
        assert ctype.startswith("application/json"), f"{where}: {ctype}"


VALUES = st.one_of(
    st.sampled_from(["9", "12", "lop9", "han", "moi", "rut_lai", "2026-11-30", "0001-01-01",
                     "9999-12-31", "-1", "0", "99999999999999999999", "csv", "xlsx", "json"]),
    st.text(ANY_CHAR, max_size=40).map(_quote),
)  # fmt: skip
QUERY = st.lists(
    st.tuples(
        st.sampled_from(["khao_sat", "lop", "nghe", "tu", "den", "trang_thai", "trang",
                         "dinh_dang", "luu", "ma", "school_id", "x"]),
        VALUES,
    ),
    max_size=5,
)  # fmt: skip
COOKIES = st.one_of(
    st.just("valid"), st.none(), HEADER_VALUES, st.text(ANY_CHAR, max_size=40).map(_quote)
)


def _headers(signed: Signed, cookie: Any) -> list[tuple[str, str | bytes]]:
    if cookie == "valid":
        return [("Cookie", f"hn_phien={signed.cookie}")]
    if cookie is None:
        return []
    value = cookie if isinstance(cookie, bytes) else cookie.encode()
    return [("Cookie", b"hn_phien=" + value)]


@HOSTILE
@given(
    path=st.sampled_from(["/truong", "/truong/xuat", "/dang-nhap", "/dang-xuat"]),
    query=QUERY,
    cookie=COOKIES,
)
def test_pages_with_any_query_and_cookie(
    live: LiveServer,
    signed: Signed,
    caplog: pytest.LogCaptureFixture,
    path: str,
    query: list[tuple[str, str]],
    cookie: Any,
) -> None:
    caplog.clear()
    target = path + "?" + "&".join(f"{k}={v}" for k, v in query)
    with caplog.at_level(logging.INFO):
        status, ctype, body = live.request("GET", target, None, _headers(signed, cookie))
    check_page(status, ctype, body, target)
    if path != "/dang-nhap" and cookie != "valid":
        assert status in (200, 401) and (status == 401 or path == "/dang-xuat"), target
    assert_quiet_log(caplog)


FORM_KEYS = st.sampled_from(
    ["csrf", "trang_thai", "ghi_chu", "school_id", "lead_id", "ma", "pre", "y_kien"]
)
FORM_VALUES = st.one_of(
    st.sampled_from(
        [
            "da_lien_he",
            "khong_quan_tam",
            "moi",
            "cd_lao_cai",
            "VALID_CSRF",
            "dong_y",
            "khong_dong_y",
        ]
    ),
    st.text(ANY_CHAR, max_size=60),
    st.just("ệ" * 3000),
)


@st.composite
def bodies(draw: st.DrawFn) -> tuple[bytes, str | None]:
    kind = draw(st.sampled_from(["form", "form", "bytes", "multipart"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200)), draw(
            st.sampled_from([None, "application/x-www-form-urlencoded", "text/plain"])
        )
    fields = draw(st.lists(st.tuples(FORM_KEYS, FORM_VALUES), max_size=5))
    if kind == "multipart":
        parts = b"".join(
            b"--b\r\nContent-Disposition: form-data; name=\"" + k.encode() + b'"\r\n\r\n'
            + v.encode("utf-8", "surrogatepass") + b"\r\n"
            for k, v in fields
        ) + b"--b--\r\n"  # fmt: skip
        return parts, "multipart/form-data; boundary=b"
    encoded = "&".join(
        f"{k}={urllib.parse.quote(v.encode('utf-8', 'surrogatepass'), safe='')}" for k, v in fields
    )
    return encoded.encode(), "application/x-www-form-urlencoded"


@HOSTILE
@given(
    target=st.sampled_from(
        # portal2: *_parent, a parent's answer recorded by the school
        [
            "mine",
            "theirs",
            "withdrawn",
            "random",
            "/dang-nhap",
            "/dang-xuat",
            "mine_parent",
            "theirs_parent",
            "random_parent",
        ]
    ),
    segment=st.text(ANY_CHAR, min_size=1, max_size=40).map(_quote),
    body=bodies(),
    cookie=COOKIES,
)
def test_forms_with_any_body(
    live: LiveServer,
    signed: Signed,
    caplog: pytest.LogCaptureFixture,
    target: str,
    segment: str,
    body: tuple[bytes, str | None],
    cookie: Any,
) -> None:
    caplog.clear()
    lead = {"mine": NAME_A, "theirs": NAME_B, "withdrawn": "Người Rút"}.get(target)
    parent = {"mine_parent": WAITING, "theirs_parent": THEIRS}.get(target)
    if lead is not None:
        path = f"/truong/hs/{signed.leads[lead]}"
    elif parent is not None:
        path = f"/truong/hs/{signed.leads[parent]}/phu-huynh"
    elif target == "random":
        path = f"/truong/hs/{segment}"
    elif target == "random_parent":
        path = f"/truong/hs/{segment}/phu-huynh"
    else:
        path = target
    raw, ctype = body
    raw = raw.replace(b"VALID_CSRF", signed.csrf.encode())
    # signing out for real would leave the later examples only 401s to explore
    headers = _headers(signed, None if target == "/dang-xuat" and cookie == "valid" else cookie)
    if ctype is not None:
        headers.append(("Content-Type", ctype))
    with caplog.at_level(logging.INFO):
        status, answer_type, answer = live.request("POST", path, raw, headers)
    check_page(status, answer_type, answer, f"POST {path}")
    if target in ("theirs", "theirs_parent"):
        # 413: a body over the limit is refused before anything is looked up (nothing leaks)
        assert status in (401, 403, 404, 400, 413), status
    assert_quiet_log(caplog)
