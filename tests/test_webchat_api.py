"""POST /api/chat contract and HTTP errors, against the real app on 127.0.0.1."""

from __future__ import annotations

import aiohttp
from aiohttp.test_utils import TestServer

SESSION = "test-session-0001"


async def post(server: TestServer, body: object | bytes, **kw: object) -> aiohttp.ClientResponse:
    async with aiohttp.ClientSession() as http:
        url = server.make_url("/api/chat")
        if isinstance(body, bytes):
            resp = await http.post(url, data=body, headers={"Content-Type": "application/json"})
        else:
            resp = await http.post(url, json=body)
        await resp.read()
        return resp


async def test_text_question_returns_contract_shape(server: TestServer) -> None:
    resp = await post(
        server, {"session": SESSION, "text": "hoc xong lop 9 hoc trung cap co mat hoc phi ko"}
    )
    assert resp.status == 200
    data = await resp.json()
    assert set(data) == {"replies"}
    reply = data["replies"][0]
    # the contract's keys, and only the additions a client may ignore (issue 11: card, role)
    assert {"text", "buttons"} <= set(reply) <= {"text", "buttons", "card"}
    assert "238/2025/NĐ-CP" in reply["text"]
    assert all(
        {"label", "payload"} <= set(b) <= {"label", "payload", "role"} for b in reply["buttons"]
    )


async def test_payload_then_number_uses_the_same_session(server: TestServer) -> None:
    first = await (await post(server, {"session": SESSION, "payload": "start"})).json()
    labels = [b["label"] for b in first["replies"][0]["buttons"]]
    second = await (await post(server, {"session": SESSION, "text": "1"})).json()
    direct = await (
        await post(server, {"session": "another-session", "payload": "menu:trades"})
    ).json()
    assert labels[0] == "Các nghề"
    assert second["replies"][0]["text"] == direct["replies"][0]["text"]


async def test_bad_requests_get_400_with_vietnamese_message(server: TestServer) -> None:
    cases: list[object | bytes] = [
        b"{not json",
        b"\xff\xfe",
        [1, 2, 3],
        {"text": "xin chao"},
        {"session": "short", "text": "x"},
        {"session": SESSION},
        {"session": SESSION, "text": 5},
        {"session": SESSION, "payload": "x" * 65},
        {"session": "<script>alert(1)</script>", "text": "x"},
    ]
    for body in cases:
        resp = await post(server, body)
        assert resp.status == 400, body
        data = await resp.json()
        assert data["error"] and data["error"][0].isupper()


async def test_oversized_body_is_413(server: TestServer) -> None:
    resp = await post(server, {"session": SESSION, "text": "a" * 20000})
    assert resp.status == 413


async def test_huge_text_within_limit_is_answered_politely(server: TestServer) -> None:
    resp = await post(server, {"session": SESSION, "text": "hoc nghe " * 1500})
    assert resp.status == 200
    assert "dài quá" in (await resp.json())["replies"][0]["text"]


async def test_page_healthz_and_security_headers(server: TestServer) -> None:
    async with aiohttp.ClientSession() as http:
        page = await http.get(server.make_url("/"))
        html = await page.text()
        assert page.status == 200 and 'lang="vi"' in html
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        assert page.headers["X-Content-Type-Options"] == "nosniff"
        health = await http.get(server.make_url("/healthz"))
        assert health.status == 200 and (await health.json())["status"] == "ok"
        js = await http.get(server.make_url("/static/chat.js"))
        assert js.status == 200 and "textContent" in await js.text()
        missing = await http.get(server.make_url("/static/../bot/settings.py"))
        assert missing.status in (403, 404)
