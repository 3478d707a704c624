"""The dashboard's tables kept per filter, so that the page and each export under one filter
are computed once: an entry is used only while the data it was computed from is unchanged
(bot.storage.stats.data_version, read before the data), so a page never shows stale figures.
The runs in progress (the funnel's first stage) are counted afresh on every request."""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.stats import StatsFilter, counted_people, data_version, in_progress
from bot.web.dashboard_tables import Table, Tables

log = logging.getLogger(__name__)

KEPT = 32  # filters kept (each a few dozen small tables); the least recently used goes first


@dataclass(frozen=True)
class _Entry:
    version: tuple[Any, ...]
    tables: list[Table]  # every table but the funnel
    funnel: tuple[int, int, int, int, int]  # Tables.funnel_counts


class TablesCache:
    """Every table of the dashboard under a filter, computed again only when the data changed."""

    def __init__(self, db: AsyncEngine, tables: Tables, kept: int = KEPT) -> None:
        self.db = db
        self.tables = tables
        self.kept = kept
        self._entries: OrderedDict[StatsFilter, _Entry] = OrderedDict()
        self.computed = 0  # how many times the tables were computed (tests, logs)

    async def get(self, where: StatsFilter) -> list[Table]:
        """Every table under `where`, the funnel first, as of now."""
        # the version is read before the data: a change in between makes the entry look
        # older than it is (computed again next time), never newer
        version = await data_version(self.db)
        entry = self._entries.get(where)
        if entry is None or entry.version != version:
            people = await counted_people(self.db, where)
            entry = _Entry(
                version, self.tables.of_people(people), self.tables.funnel_counts(people)
            )
            self.computed += 1
            log.debug("dashboard tables computed", extra={"people": len(people)})
            self._entries[where] = entry
            while len(self._entries) > self.kept:
                self._entries.popitem(last=False)
        self._entries.move_to_end(where)
        running = await in_progress(self.db, where)
        return [self.tables.funnel_of(entry.funnel, running), *entry.tables]
