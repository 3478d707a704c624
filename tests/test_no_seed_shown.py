"""Internal names of the project's source files ("seed 000") never reach a user: every card
and answer a user can open (school, FAQ, policy, trade, level, event, legal document, former
district, directory screens) is shown without them; content keeps its sources."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.catalog import Catalog
from bot.catalog.check import check_directory
from bot.catalog.models import public_source, readable_source
from bot.core.engine import Engine
from bot.core.messages import Reply
from tests.conftest import TODAY, edit_yaml

SEED = re.compile(r"\bseeds?\b", re.IGNORECASE)


def _payloads(catalog: Catalog) -> list[str]:
    payloads = [f"school:{i}" for i in catalog.schools]
    payloads += [f"faq:{i}" for i in catalog.faq]
    payloads += [f"policy:{i}" for i in catalog.policies]
    payloads += [f"trade:{i}" for i in catalog.trades]
    payloads += [f"level:{i}" for i in catalog.levels]
    payloads += [f"event:{i}" for i in catalog.events]
    payloads += [f"doc:{i}" for i in catalog.documents]
    payloads += [f"province:{i}" for i in catalog.provinces]
    payloads += [f"district:{i}" for i in catalog.districts]
    return payloads


def _shown(reply: Reply) -> str:
    labels = [b.label for b in reply.buttons]
    return "\n".join([reply.text, reply.title or "", reply.source or "", *labels])


def test_no_card_shows_a_seed(engine: Engine, catalog: Catalog) -> None:
    opened = 0
    for payload in _payloads(catalog):
        reply = engine.menus.screen(payload, TODAY.date())
        if reply is None:
            continue
        opened += 1
        assert not SEED.search(_shown(reply)), f"{payload}: {_shown(reply)}"
    assert opened > len(catalog.schools) + len(catalog.faq)


@pytest.mark.parametrize("kind", ["school", "faq"])
def test_every_school_and_faq_has_a_card(engine: Engine, catalog: Catalog, kind: str) -> None:
    items = catalog.schools if kind == "school" else catalog.faq
    for ident in items:
        assert engine.menus.screen(f"{kind}:{ident}", TODAY.date()) is not None, ident


def test_the_school_card_names_the_seeds_document(engine: Engine) -> None:
    reply = engine.menus.screen("school:cd_long_an", TODAY.date())
    assert reply is not None and reply.source is not None
    assert reply.source.startswith("Nguồn: Kế hoạch năm 2025 của tỉnh Long An (xem ngày")
    assert reply.source in reply.text


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("seed 000 (Kế hoạch năm 2025 của tỉnh Long An)", "Kế hoạch năm 2025 của tỉnh Long An"),
        ("seed 000: Quyết định số 522/QĐ-TTg", "Quyết định số 522/QĐ-TTg"),
        ("seeds 001 and 004 (Kế hoạch tuyển sinh)", "Kế hoạch tuyển sinh"),
        ("Seed 003", None),
        ("https://example.vn/truong", "https://example.vn/truong"),
        ("the school's site (2024, lac.edu.vn)", "the school's site (2024, lac.edu.vn)"),
    ],
)
def test_public_source(source: str, shown: str | None) -> None:
    assert public_source(source) == shown


def _problems_with_source(content_copy: Path, source: str) -> list[str]:
    """content check's problems once cd_long_an's source is `source`."""

    def change(data: dict[str, Any]) -> None:
        school = next(s for s in data["schools"] if s["id"] == "cd_long_an")
        school["source"] = source

    edit_yaml(content_copy / "schools.yaml", change)
    return [str(p) for p in check_directory(content_copy, TODAY.date())]


def test_content_check_refuses_a_school_whose_only_source_is_a_bare_seed(
    content_copy: Path,
) -> None:
    problems = _problems_with_source(content_copy, "seed 000 ; seed 004")
    assert any("source" in p and "no source a user may see" in p for p in problems), problems


@pytest.mark.parametrize(
    ("shown", "readable"),
    [
        ("Kế hoạch năm 2025 của tỉnh Long An", True),
        ("https://vietnamnet.vn/tphcm-du-kien", True),
        ("Trang web của trường (hic.edu.vn, trang cũ)", True),
        ("the school's site (older page, hic.edu.vn, not re-verified)", False),
        ("github:Ti4nL4/Vietnamese-Travel-Chatbot data/Cơ sở đào tạo.csv", False),
        ("https://a.vn ; not a link", False),
    ],
)
def test_a_source_shown_reads_as_one(shown: str, readable: bool) -> None:
    assert readable_source(shown) is readable


def test_no_card_shows_an_english_or_internal_source(engine: Engine, catalog: Catalog) -> None:
    """A reviewer saw "github:Ti4nL4/…csv" and "the school's site (older page…)" on cards."""
    for ident in catalog.schools:
        reply = engine.menus.screen(f"school:{ident}", TODAY.date())
        assert reply is not None and reply.source is not None
        assert "github:" not in reply.source and "school's site" not in reply.source, reply.source


def test_content_check_refuses_an_english_first_source(content_copy: Path) -> None:
    source = "the school's site (2024, lac.edu.vn) ; seed 000 (Kế hoạch)"
    problems = _problems_with_source(content_copy, source)
    assert any("cd_long_an.source" in p and "Vietnamese" in p for p in problems), problems
