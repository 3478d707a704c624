"""The operator's switch (task directory): a school receives leads only once switched on, by
`school participate` or by configuring its token, webhook or Telegram group; and the directory
answers through POST /api/chat like any channel."""

from __future__ import annotations

import aiohttp
from aiohttp.test_utils import TestServer

from tests.test_tokens import Cli, cli  # noqa: F401 (the fixture)


def _switches(out: str) -> dict[str, str]:
    rows = [line.split("\t") for line in out.strip().splitlines() if "\t" in line]
    return {row[0]: row[1] for row in rows}


def test_participate_on_off_and_list(cli: Cli) -> None:  # noqa: F811
    code, out, _ = cli("school", "participating")
    assert code == 0 and "no school receives leads yet" in out
    code, out, _ = cli("school", "participate", "cd_lao_cai")
    assert code == 0 and "cd_lao_cai receives leads" in out
    assert "(unchanged)" in cli("school", "participate", "cd_lao_cai")[1]
    assert _switches(cli("school", "participating")[1]) == {"cd_lao_cai": "on"}
    code, out, _ = cli("school", "participate", "cd_lao_cai", "--off")
    assert code == 0 and "receives no leads" in out
    assert _switches(cli("school", "participating")[1]) == {"cd_lao_cai": "off"}
    code, _, err = cli("school", "participate", "truong_khong_co")
    assert code == 2 and "unknown school id" in err


def test_a_token_or_webhook_switches_a_school_on_unless_switched_off(cli: Cli) -> None:  # noqa: F811
    code, _, err = cli("school", "token", "cd_long_an")
    assert code == 0 and "cd_long_an receives leads" in err
    code, _, err = cli("school", "webhook", "cd_lao_cai", "https://truong.example.vn/hook")
    assert code == 0 and "cd_lao_cai receives leads" in err
    cli("school", "participate", "cd_long_an", "--off")
    code, _, err = cli("school", "token", "cd_long_an")  # a new token does not override it
    assert code == 0 and "cd_long_an is switched off" in err
    assert _switches(cli("school", "participating")[1]) == {"cd_lao_cai": "on", "cd_long_an": "off"}


async def test_directory_through_the_web_chat(server: TestServer) -> None:
    url = str(server.make_url("/api/chat"))
    async with aiohttp.ClientSession() as http:
        body = {"session": "dir-web-0001", "text": "truong nghe o can tho"}
        async with http.post(url, json=body) as response:
            assert response.status == 200
            [reply] = (await response.json())["replies"]
        assert "Trường Cao đẳng Nghề Cần Thơ" in reply["text"]
        payloads = [b["payload"] for b in reply["buttons"]]
        assert "menu:schools" in payloads
        school = next(p for p in payloads if p.startswith("school:"))
        body = {"session": "dir-web-0001", "payload": school}
        async with http.post(url, json=body) as response:
            [card] = (await response.json())["replies"]
        assert "Nguồn:" in card["text"] and "chưa nhận yêu cầu qua bot" in card["text"]
        body = {"session": "dir-web-0001", "payload": "dir:q:khong:co:gi:ca"}
        async with http.post(url, json=body) as response:
            assert response.status == 200  # an unknown search: a polite answer, no 500
