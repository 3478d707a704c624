"""A school's CRM webhook receiver: records every POST and answers as scripted.

Behaviours, taken in order (the last one repeats): "ok" (200), "fail" (500), "timeout"
(never answers within the client's timeout), "hang" (waits until released).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.leads.signing import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, verify
from tests.fakes import serve_post


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def key(self) -> str | None:
        return self.headers.get(IDEMPOTENCY_HEADER)

    def signed_with(self, secret: str) -> bool:
        return verify(secret, self.body, self.headers.get(SIGNATURE_HEADER))


@dataclass
class FakeSchool:
    behaviours: list[str] = field(default_factory=lambda: ["ok"])
    received: list[Received] = field(default_factory=list)
    released: asyncio.Event = field(default_factory=asyncio.Event)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    server: TestServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/crm/leads"))

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append(Received(dict(request.headers), await request.read()))
        self.arrived.set()
        index = min(len(self.received), len(self.behaviours)) - 1
        behaviour = self.behaviours[index]
        if behaviour == "fail":
            return web.json_response({"error": "database down"}, status=500)
        if behaviour == "timeout":
            await asyncio.sleep(30)
        if behaviour == "hang":
            await self.released.wait()
        return web.json_response({"ok": True})

    async def start(self) -> FakeSchool:
        self.server = await serve_post("/crm/leads", self.handle)
        return self

    async def close(self) -> None:
        self.released.set()
        if self.server is not None:
            await self.server.close()

    async def wait_for(self, count: int, timeout: float = 15.0) -> None:  # noqa: ASYNC109
        """Until `count` requests have arrived."""
        async with asyncio.timeout(timeout):
            while len(self.received) < count:
                self.arrived.clear()
                await self.arrived.wait()
