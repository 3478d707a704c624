"""What a priority group is entitled to nationally rests on a national text, not on a district's or
a ward's plan (task trust); and the quiz's social (S) results offer social trades."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from bot.catalog import Catalog, load_catalog
from bot.catalog.quiz import fitting_trades
from bot.catalog.trust import answer_sources, document_keys, is_local_document
from bot.core.flows.render import Renderer
from bot.matching.matcher import Match, Matcher
from tests.conftest import edit_yaml

TODAY = dt.date(2026, 11, 30)
# the answers on what a group gets (hộ nghèo, dân tộc thiểu số, khuyết tật, lao động nông thôn,
# bộ đội xuất ngũ, người chấp hành xong án phạt tù, người mất việc)
ENTITLEMENTS = (
    "ho_tro_ho_ngheo",
    "ho_tro_dan_toc",
    "ho_tro_khuyet_tat",
    "ho_tro_lao_dong_nong_thon",
    "ho_tro_bo_doi_xuat_ngu",
    "ho_tro_chap_hanh_an",
    "ho_tro_mat_viec",
)
SOCIAL_TRADES = (
    "quan_tri_khach_san",
    "quan_tri_nha_hang",
    "giao_duc_mam_non",
    "cham_soc_nguoi_cao_tuoi",
)


def national_first_problems(catalog: Catalog) -> list[str]:
    """A current national policy whose first source (the one an answer's "Căn cứ" line shows) is
    a local plan, and an answer for the whole country that links such policies but shows a local
    document first."""
    out: list[str] = []
    for policy in catalog.policies.values():
        national = policy.scope == "national" and policy.status == "current"
        if national and is_local_document(policy.sources[0].document):
            out.append(f"policy {policy.id}: first source '{policy.sources[0].document}' is local")
    for faq in catalog.faq.values():
        linked = [catalog.policies[p] for p in faq.policies if p in catalog.policies]
        if faq.provinces or not any(p.scope == "national" for p in linked):
            continue
        shown = answer_sources(catalog, faq)
        if shown and is_local_document(shown[0].document):
            out.append(f"faq {faq.id}: shows '{shown[0].document}' first")
    return out


def test_national_entitlements_cite_a_national_text_first(catalog: Catalog) -> None:
    assert national_first_problems(catalog) == []


def test_a_local_plan_put_first_is_found(content_copy: Path) -> None:
    # the audit's finding: hộ nghèo's support rested on a Lào Cai district's plan
    def plan_first(data: dict[str, Any]) -> None:
        policy = next(p for p in data["policies"] if p["id"] == "ho_tro_ho_ngheo")
        local = [s for s in policy["sources"] if s["document"].startswith("Kế hoạch")]
        policy["sources"] = local + [s for s in policy["sources"] if s not in local]

    edit_yaml(content_copy / "policies.yaml", plan_first)
    found = national_first_problems(load_catalog(content_copy))
    assert any(p.startswith("policy ho_tro_ho_ngheo: first source 'Kế hoạch") for p in found)
    assert any(p.startswith("faq ho_tro_ho_ngheo: shows 'Kế hoạch") for p in found)


@pytest.mark.parametrize("ident", ENTITLEMENTS)
def test_each_entitlement_answer_names_its_national_text(catalog: Catalog, ident: str) -> None:
    faq = catalog.faq[ident]
    shown = answer_sources(catalog, faq)
    national = [s for s in shown if not is_local_document(s.document)]
    assert national, ident
    assert not is_local_document(shown[0].document), ident
    named = document_keys(faq.answer)
    assert named & document_keys(" ".join(s.document for s in national)), ident
    # what cannot be verified is said, with where to ask
    assert "hỏi" in faq.answer, ident


def test_people_after_prison_get_the_national_loan_and_the_ward_plan_as_history(
    catalog: Catalog,
) -> None:
    reply = Renderer(catalog).faq(catalog.faq["ho_tro_chap_hanh_an"], TODAY)
    assert "Quyết định 22/2023/QĐ-TTg ngày 17/8/2023" in reply.text
    assert "khoản vay" in reply.text
    assert "áp dụng cho năm 2024, theo kế hoạch của phường Dị Sử" in reply.text
    policy = catalog.policies["tin_dung_chap_hanh_an"]
    assert policy.scope == "national" and policy.effective_from == dt.date(2023, 10, 10)
    assert catalog.policies["ho_tro_chap_hanh_an"].scope == "hung_yen"


def test_rural_workers_are_not_promised_meals_and_travel(catalog: Catalog) -> None:
    # QĐ 46/2015 Điều 5 pays meals and travel to priority groups only, not to rural workers as such
    answer = catalog.faq["ho_tro_lao_dong_nong_thon"].answer
    assert "tiền ăn" not in answer and "chi phí đào tạo" in answer


# -- social trades ---------------------------------------------------------------------------


def test_social_results_offer_social_trades(catalog: Catalog) -> None:
    assert catalog.quiz is not None
    social = {t.id for t in catalog.trades.values() if "S" in t.riasec}
    assert set(SOCIAL_TRADES) <= social
    for second in ("R", "I", "A", "E", "C"):
        offered = fitting_trades(catalog.trades.values(), ["S", second], catalog.quiz.max_trades)
        assert sum(t.id in social for t in offered) >= 6, second
        assert set(SOCIAL_TRADES) <= {t.id for t in offered}, second


@pytest.mark.parametrize(
    ("text", "trade"),
    [
        ("hoc quan tri khach san o dau", "quan_tri_khach_san"),
        ("em thich lam le tan khach san", "quan_tri_khach_san"),
        ("hoc nghiep vu nha hang", "quan_tri_nha_hang"),
        ("em muon lam giao vien mam non", "giao_duc_mam_non"),
        ("nghề chăm sóc người già", "cham_soc_nguoi_cao_tuoi"),
        ("nghe cham soc nguoi gia", "cham_soc_nguoi_cao_tuoi"),
    ],
)
def test_students_reach_the_social_trades_as_they_type(
    matcher: Matcher, text: str, trade: str
) -> None:
    found = matcher.match(text)
    assert isinstance(found, Match) and found.id == f"trade:{trade}", found


def test_social_trades_show_the_schools_their_sources_name(catalog: Catalog) -> None:
    renderer = Renderer(catalog)
    hotel = renderer.trade(catalog.trades["quan_tri_khach_san"])
    assert {"school:cd_lao_cai", "school:cd_quang_nam"} <= {b.payload for b in hotel.buttons}
    preschool = renderer.trade(catalog.trades["giao_duc_mam_non"])
    assert "school:phan_hieu_tnu_dien_bien" in {b.payload for b in preschool.buttons}
