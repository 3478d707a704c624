"""An export sent as it is read: CSV and JSON batch by batch into the response, XLSX written
row by row into a temporary file (in a worker thread, so chats go on) and then sent."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
from collections.abc import AsyncGenerator, Awaitable, Callable
from pathlib import Path
from typing import cast

from aiohttp import web

from bot.leads.export import CsvWriter, JsonWriter, XlsxWriter
from bot.leads.records import Names
from bot.storage.schools import LeadRecord

log = logging.getLogger(__name__)

Batches = AsyncGenerator[list[LeadRecord], None]
Done = Callable[[int], Awaitable[None]]  # told the number of leads sent, once
_END = object()
FILE_CHUNK = 256 * 1024


async def read_ahead(batches: Batches) -> Batches:
    """What `batches` yields, the next batch read while the caller works on this one: the
    database (its thread, or its server) works while Python formats. At most three batches
    are held: one being read, one waiting, one with the caller."""
    queue: asyncio.Queue[object] = asyncio.Queue(maxsize=1)

    async def pump() -> None:
        try:
            async with contextlib.aclosing(batches) as source:
                async for batch in source:
                    await queue.put(batch)
            await queue.put(_END)
        except Exception as exc:  # handed to the caller, raised there
            await queue.put(exc)

    task = asyncio.create_task(pump())
    try:
        while (item := await queue.get()) is not _END:
            if isinstance(item, Exception):
                raise item
            yield cast(list[LeadRecord], item)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class LeadExport:
    """One export of a lead list. `done` is told how many leads were sent (for the export
    log) before the response ends, or when it breaks off (a client gone mid-way)."""

    def __init__(
        self, batches: Batches, fmt: str, names: Names, done: Done, portal: bool = False
    ) -> None:
        self.batches = batches
        self.fmt = fmt
        self.names = names
        self.portal = portal  # portal2: the school portal's columns (status, note) too
        self.rows = 0
        self._done: Done | None = done

    async def _finish(self) -> None:
        done, self._done = self._done, None
        if done is not None:
            await done(self.rows)

    async def send(self, request: web.Request, headers: dict[str, str]) -> web.StreamResponse:
        """Send the export as the response to `request`. The first batch is read before
        anything is sent, so a database that cannot answer still gets a plain 500."""
        response = web.StreamResponse(headers=headers)
        try:
            async with contextlib.aclosing(read_ahead(self.batches)) as batches:
                first: list[LeadRecord] = await anext(batches, [])
                if self.fmt == "xlsx":
                    await self._xlsx(request, response, first, batches)
                    return response
                writer = (
                    CsvWriter(self.names, self.portal)
                    if self.fmt == "csv"
                    else JsonWriter(self.names)
                )
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
        except ConnectionResetError:
            # the client went away mid-list: nothing left to send, and nothing went wrong here
            log.info("export abandoned by the client", extra={"rows": self.rows})
            return response
        finally:
            await self._finish()

    async def _xlsx(
        self,
        request: web.Request,
        response: web.StreamResponse,
        first: list[LeadRecord],
        rest: Batches,
    ) -> None:
        with tempfile.TemporaryDirectory(prefix="huongnghiep-export-") as folder:
            path = Path(folder) / "leads.xlsx"
            writer = await asyncio.to_thread(XlsxWriter, self.names, path, self.portal)
            await asyncio.to_thread(writer.rows, first)
            async for batch in rest:
                await asyncio.to_thread(writer.rows, batch)
            await asyncio.to_thread(writer.close)
            self.rows = writer.count
            await self._finish()
            response.content_length = (await asyncio.to_thread(path.stat)).st_size
            await response.prepare(request)
            file = await asyncio.to_thread(path.open, "rb")
            try:
                while chunk := await asyncio.to_thread(file.read, FILE_CHUNK):
                    await response.write(chunk)
            finally:
                file.close()
            await response.write_eof()
