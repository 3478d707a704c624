"""A name typed in a sentence ("e ten la nong van a") reaches the lead and the school's export
as the name alone (flowfix): the whole survey through the engine, the export through the app."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer

from bot.catalog import Catalog
from bot.core.engine import Engine
from bot.core.messages import Inbound, Reply
from bot.matching.matcher import Matcher
from bot.settings import Settings
from bot.storage.conversations import SqlConversationStore
from bot.storage.db import make_engine
from bot.storage.leads import SqlLeadSink
from bot.storage.participation import ParticipationStore
from bot.storage.schools import SchoolStore
from bot.web.app import create_app
from tests.conftest import FixedClock

TYPED = [
    "khao sat lop 12",
    "hoc cao dang",
    "logistics",
    "xong",  # tradestep: a typed trade is ticked; "xong" ends the step
    "truong phu hop",
    "Tây Ninh",
    "bo qua",
    "dong y",
    "e ten la nong van a",
    "THPT Tân An, 12A1",
    "0912345678",
]


async def test_the_lead_and_the_export_carry_the_name_alone(
    catalog: Catalog, matcher: Matcher, database_url: str, tmp_path: Path
) -> None:
    app = create_app(Settings(data_dir=tmp_path, database_url=database_url), catalog)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()  # runs the migrations
    db = make_engine(database_url)
    try:
        now = FixedClock().now()
        switches = ParticipationStore(db, cache_seconds=0)
        await switches.switch("cd_long_an", True, "participate", now)
        store = SqlConversationStore(db)
        engine = Engine(catalog, matcher, store, FixedClock(), SqlLeadSink(db, switches))
        replies: list[Reply] = []
        for text in TYPED:
            replies = await engine.handle(Inbound("test", "frames", text=text))
        assert "Họ tên: nong van a" in replies[-1].text, replies[-1].text
        sent = await engine.handle(Inbound("test", "frames", text="gui di"))  # "✅ Gửi"
        assert "Trường Cao đẳng Long An" in sent[0].text, sent[0].text

        token = await SchoolStore(db).new_token("school", "cd_long_an", now)
        base = str(server.make_url("")).rstrip("/")
        async with (
            aiohttp.ClientSession() as http,
            http.get(
                f"{base}/api/leads?format=csv", headers={"Authorization": f"Bearer {token}"}
            ) as answer,
        ):
            assert answer.status == 200
            rows = list(csv.reader(io.StringIO((await answer.read()).decode("utf-8-sig"))))
        names = [row[rows[0].index(h)] for row in rows[1:] for h in rows[0] if "tên" in h]
        assert names == ["nong van a"], rows
    finally:
        await db.dispose()
        await server.close()
