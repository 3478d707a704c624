"""A school's CRM webhook receiver: records every POST and answers as scripted.

Behaviours, taken in order (the last one repeats): "ok" (200), "fail" (500), "timeout"
(never answers within the client's timeout), "hang" (waits until released), "redirect" (302)
or "redirect:301" / ":303" / ":307" / ":308" (to `elsewhere_url`, which records whatever follows
it), and "huge" (200 with a body streamed until the client stops reading, up to HUGE bytes).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.leads.signing import EVENT_HEADER, IDEMPOTENCY_HEADER, SIGNATURE_HEADER, verify

HUGE = 4 * 2**30  # a "huge" body: 4 GiB, far more than any client can read in its timeout
CHUNK = b"x" * 2**20


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    method: str = "POST"

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def key(self) -> str | None:
        return self.headers.get(IDEMPOTENCY_HEADER)

    @property
    def event(self) -> str | None:
        return self.headers.get(EVENT_HEADER)

    def signed_with(self, secret: str) -> bool:
        return verify(secret, self.body, self.headers.get(SIGNATURE_HEADER))


@dataclass
class FakeSchool:
    behaviours: list[str] = field(default_factory=lambda: ["ok"])
    received: list[Received] = field(default_factory=list)
    elsewhere: list[Received] = field(default_factory=list)  # requests that followed a redirect
    streamed: list[int] = field(default_factory=list)  # bytes of each huge body sent
    released: asyncio.Event = field(default_factory=asyncio.Event)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    server: TestServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/crm/leads"))

    @property
    def elsewhere_url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/crm/elsewhere"))

    def events(self, event: str) -> list[Received]:
        return [r for r in self.received if r.event == event]

    async def handle(self, request: web.Request) -> web.StreamResponse:
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
        if behaviour.startswith("redirect"):
            status = int(behaviour.partition(":")[2] or 302)
            return web.Response(status=status, headers={"Location": self.elsewhere_url})
        if behaviour == "huge":
            return await self._huge(request)
        return web.json_response({"ok": True})

    async def _huge(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=200, headers={"Content-Type": "text/plain"})
        response.content_length = HUGE
        await response.prepare(request)
        sent = 0
        try:
            while sent < HUGE:
                await response.write(CHUNK)
                sent += len(CHUNK)
        except (ConnectionError, RuntimeError):
            pass  # the client stopped reading and closed the connection: as it should
        finally:
            self.streamed.append(sent)
        return response

    async def follow(self, request: web.Request) -> web.Response:
        self.elsewhere.append(
            Received(dict(request.headers), await request.read(), method=request.method)
        )
        self.arrived.set()
        return web.json_response({"ok": True})

    async def start(self) -> FakeSchool:
        app = web.Application()
        app.router.add_post("/crm/leads", self.handle)
        app.router.add_route("*", "/crm/elsewhere", self.follow)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
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
