"""Hostile input for the platform webhooks: raw HTTP requests (any header bytes), hypothesis
strategies for JSON of any shape and text no one types, and the log check every test makes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Modest: the whole suite must stay fast; the explicit cases in the tests cover the known traps.
HOSTILE = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Characters that break naive code: NUL, a noncharacter, direction marks, a lone surrogate
# (it arrives as the JSON escape "\ud800"), a combining mark, an emoji, a line separator.
NASTY = ["\x00", "\uffff", "\u200f", "\u202e", "\u2066", "\ud800", "\u0301", "🎓", "\u2028", "\r"]

texts = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from(NASTY), max_size=12),
    st.lists(st.sampled_from([*NASTY, "hoc nghe", " ", "1", "/start", "#hn:home"]), max_size=8).map(
        "".join
    ),
    st.builds(lambda ch, n: ch * n, st.sampled_from(["a", "ệ", "\u200f", "\x00"]), st.just(16384)),
)
numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**31, 2**53, 2**63, 10**100, 10**4000]),
    st.floats(allow_nan=False, allow_infinity=False),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, texts)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(texts, children, max_size=3)
    ),
    max_leaves=8,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document (object keys and list indexes), outermost first."""
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(_paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(_paths(child, (*prefix, index)))
    return found


def _replaced(document: Any, path: tuple[Any, ...], value: Any, delete: bool) -> Any:
    if not path:
        return value
    copy = json.loads(json.dumps(document))
    parent = copy
    for step in path[:-1]:
        parent = parent[step]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return copy


@st.composite
def mutated(draw: st.DrawFn, document: Any) -> Any:
    """`document` with one place replaced by any JSON value (or, in an object, removed)."""
    paths = _paths(document)
    path = draw(st.sampled_from(paths))
    return _replaced(document, path, draw(json_values), draw(st.booleans()))


@st.composite
def bodies(draw: st.DrawFn, documents: st.SearchStrategy[Any]) -> bytes:
    """A request body: a valid event bent out of shape, any JSON, or bytes that are not JSON."""
    kind = draw(st.sampled_from(["mutated", "mutated", "mutated", "any", "bytes", "valid"]))
    if kind == "bytes":
        return draw(st.binary(max_size=64))
    document = draw(documents)
    if kind == "mutated":
        document = draw(mutated(document))
    elif kind == "any":
        document = draw(json_values)
    return json.dumps(document).encode()  # ensure_ascii: "\ud800" stays an escape


header_values = st.binary(max_size=80).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))


async def raw_post(
    port: int, path: str, headers: list[tuple[bytes, bytes]], body: bytes
) -> int | None:
    """POST `body` with these exact header bytes (aiohttp's client would refuse or re-encode
    them); the response's status code, or None when the server refused the request line or a
    header before reading the body and closed the connection: the unread body then makes the
    kernel reset the connection, and the reset may discard the 400 already sent."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        lines = [b"POST " + path.encode() + b" HTTP/1.1", b"Host: 127.0.0.1", b"Connection: close"]
        lines += [name + b": " + value for name, value in headers]
        lines.append(b"Content-Length: %d" % len(body))
        writer.write(b"\r\n".join(lines) + b"\r\n\r\n" + body)
        await writer.drain()
        status = await reader.readline()
        await reader.read()  # the rest, until the server closes
    except (ConnectionResetError, BrokenPipeError):
        return None
    finally:
        writer.close()
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            await writer.wait_closed()
    return int(status.split()[1])


def assert_quiet(caplog: pytest.LogCaptureFixture) -> None:
    """Nothing above WARNING was logged, and no record carries a traceback."""
    loud = [r for r in caplog.records if r.levelno > logging.WARNING or r.exc_info]
    assert not loud, [f"{r.name}: {r.getMessage()}" for r in loud]
