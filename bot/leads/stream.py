"""An export sent as it is read: CSV and JSON batch by batch into the response, XLSX written
row by row into a temporary file (in a worker thread, so chats go on) and then sent."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import AsyncGenerator, Awaitable, Callable
from pathlib import Path

from aiohttp import web

from bot.leads.export import CsvWriter, JsonWriter, XlsxWriter
from bot.leads.records import Names
from bot.storage.schools import LeadRecord

Batches = AsyncGenerator[list[LeadRecord], None]
Done = Callable[[int], Awaitable[None]]  # told the number of leads sent, once


class LeadExport:
    """One export of a lead list. `done` is told how many leads were sent (for the export
    log) before the response ends, or when it breaks off (a client gone mid-way)."""

    def __init__(self, batches: Batches, fmt: str, names: Names, done: Done) -> None:
        self.batches = batches
        self.fmt = fmt
        self.names = names
        self.rows = 0
        self._done: Done | None = done

    async def _finish(self) -> None:
        done, self._done = self._done, None
        if done is not None:
            await done(self.rows)

    async def send(self, request: web.Request, headers: dict[str, str]) -> web.StreamResponse:
        """Send the export as the response to `request`. The first batch is read before
        anything is sent, so a database that cannot answer still gets a plain 500."""
        try:
            async with contextlib.aclosing(self.batches) as batches:
                first: list[LeadRecord] = await anext(batches, [])
                if self.fmt == "xlsx":
                    return await self._xlsx(request, headers, first, batches)
                writer = CsvWriter(self.names) if self.fmt == "csv" else JsonWriter(self.names)
                response = web.StreamResponse(headers=headers)
                await response.prepare(request)
                await response.write(writer.head() + writer.rows(first))
                self.rows += len(first)
                async for batch in batches:
                    await response.write(writer.rows(batch))
                    self.rows += len(batch)
                await response.write(writer.tail())
                await self._finish()  # logged before the client holds the whole list
                await response.write_eof()
                return response
        finally:
            await self._finish()

    async def _xlsx(
        self, request: web.Request, headers: dict[str, str], first: list[LeadRecord], rest: Batches
    ) -> web.StreamResponse:
        with tempfile.TemporaryDirectory(prefix="huongnghiep-export-") as folder:
            path = Path(folder) / "leads.xlsx"
            writer = await asyncio.to_thread(XlsxWriter, self.names, path)
            await asyncio.to_thread(writer.rows, first)
            async for batch in rest:
                await asyncio.to_thread(writer.rows, batch)
            await asyncio.to_thread(writer.close)
            self.rows = writer.count
            await self._finish()
            response = web.FileResponse(path, headers=headers)
            await response.prepare(request)  # sends the whole file before the folder goes
            return response
