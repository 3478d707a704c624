"""Property-based: hostile queries and cookies sent to the officials' dashboard (/so, /so/xuat)
get a page, a file or a 4xx, never a 500 or a logged error; a count from 1 to 4 is never
shown, and a school's cookie never opens it. The real app runs in a thread (SQLite and
PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.storage.access import AccessStore
from bot.web.app import DB
from tests.hostile_core import ANY_CHAR, HOSTILE
from tests.test_hostile_http import HEADER_VALUES, LiveServer, _quote, assert_quiet_log, live
from tests.test_portal import make_leads

__all__ = ["live"]  # the module-scoped live server of test_hostile_http, reused here

SMALL_CELL = re.compile(r'<td class="num[^"]*"[^>]*>[1-4]</td>')


class Signed:
    """An official's and a school's session cookies, over a few leads."""

    def __init__(self, live: LiveServer) -> None:
        now = dt.datetime.now(dt.UTC)
        live.run(make_leads(live.app[DB]))
        access = AccessStore(live.app[DB])
        cookies = []
        for role, school in (("official", None), ("school", "cd_long_an")):
            opened = live.run(access.redeem(live.run(access.new_invite(role, school, now)), now))
            assert opened is not None
            cookies.append(opened[0])
        self.official, self.school = cookies


@pytest.fixture(scope="module")
def signed(live: LiveServer) -> Iterator[Signed]:
    yield Signed(live)


VALUES = st.one_of(
    st.sampled_from(["lop9", "lop12", "2025-2026", "2024-2025", "1999-2000", "tay_ninh",
                     "2026-11-30", "0001-01-01", "9999-12-31", "-1", "csv", "xlsx", "json",
                     "pheu", "chi-tieu", "theo-tinh", "theo-xa", "../../etc"]),
    st.text(ANY_CHAR, max_size=40).map(_quote),
)  # fmt: skip
QUERY = st.lists(
    st.tuples(
        st.sampled_from(["khao_sat", "nam_hoc", "tu", "den", "tinh", "bang", "dinh_dang", "x"]),
        VALUES,
    ),
    max_size=6,
)
COOKIES = st.one_of(
    st.sampled_from(["official", "school"]),
    st.none(),
    HEADER_VALUES,
    st.text(ANY_CHAR, max_size=40).map(_quote),
)


def _headers(signed: Signed, cookie: Any) -> list[tuple[str, str | bytes]]:
    if cookie in ("official", "school"):
        return [("Cookie", f"hn_phien={getattr(signed, cookie)}")]
    if cookie is None:
        return []
    value = cookie if isinstance(cookie, bytes) else cookie.encode()
    return [("Cookie", b"hn_phien=" + value)]


@HOSTILE
@given(path=st.sampled_from(["/so", "/so/xuat"]), query=QUERY, cookie=COOKIES)
def test_dashboard_with_any_query_and_cookie(
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
    assert status < 500, f"{target}: {status} {body[:300]!r}"
    if cookie == "official":
        assert status in (200, 404), target  # 404: an unknown table to export
    else:
        assert status == (403 if cookie == "school" else 401), target
    if ctype.startswith("text/html"):
        text = body.decode("utf-8")
        assert '<html lang="vi">' in text and not SMALL_CELL.search(text), target
    elif ctype.startswith("text/csv"):
        lines = body.decode("utf-8-sig").splitlines()[2:]
        assert not any(re.search(r",[1-4](,|$)", line) for line in lines), target
    assert_quiet_log(caplog)
