"""Every FAQ answer offers its related entries as buttons (bare ids name FAQ entries)."""

from __future__ import annotations

import datetime as dt

from bot.catalog import Catalog
from bot.core.flows.render import Renderer

TODAY = dt.date(2026, 12, 1)


def test_every_related_entry_is_a_button(catalog: Catalog) -> None:
    renderer = Renderer(catalog)
    checked = 0
    for faq in catalog.faq.values():
        payloads = {b.payload for b in renderer.faq(faq, TODAY).buttons}
        for rel in faq.related:
            assert (rel if ":" in rel else f"faq:{rel}") in payloads, (faq.id, rel)
            checked += 1
    assert checked > 100  # bare FAQ ids had never become buttons


def test_a_fee_answer_offers_the_check_and_its_neighbours(catalog: Catalog) -> None:
    reply = Renderer(catalog).faq(catalog.faq["hp_giam"], TODAY)
    labels = [b.label for b in reply.buttons]
    assert labels[0] == "Mình có được miễn, giảm học phí không?"
    assert catalog.faq["hp_doi_tuong_mien"].question in labels
    assert labels[-1] == "🏠 Trang chủ"
