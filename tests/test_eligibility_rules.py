"""The eligibility rules of content/eligibility.yaml, case by case against the decree's own list
of groups as CONTENT_BRIEF.md gives it (Nghị định 238/2025/NĐ-CP: Điều 15 exempt, Điều 16 reduced,
Điều 17 support), the student-credit and boarding decisions, and the provincial resolution."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from bot.catalog import Catalog
from bot.catalog.eligibility import Eligibility, Facts
from bot.core.flows.eligibility_result import ResultView, Verdict, evaluate
from bot.core.flows.render import Renderer

TODAY = dt.date(2026, 11, 30)
NONE: list[str] = ["khong_co"]


def facts(level: str = "trung_cap", circ: list[str] | None = None, **more: str) -> Facts:
    """Answers of a whole check, defaults: public trung cấp, after THPT, no listed household."""
    base: Facts = {
        "level": level,
        "school": "cong_lap",
        "prior": "thpt",
        "household": "khong",
        "circumstances": circ or NONE,
    }
    base.update(more)
    return base


def elig(catalog: Catalog) -> Eligibility:
    assert catalog.eligibility is not None
    return catalog.eligibility


def verdict(catalog: Catalog, answers: Facts) -> Verdict:
    return evaluate(elig(catalog), catalog, answers, TODAY)


def sure(catalog: Catalog, answers: Facts) -> dict[str, set[str]]:
    """outcome -> ids of the rules said as fact."""
    out: dict[str, set[str]] = {}
    for rule in verdict(catalog, answers).sure:
        out.setdefault(rule.outcome, set()).add(rule.id)
    return out


def result(catalog: Catalog, answers: Facts) -> str:
    view = ResultView(catalog, Renderer(catalog), elig(catalog))
    return view.full(answers, verdict(catalog, answers)).text


# (answers, the rule said as fact under `exempt`, or None): one case per group of the list
EXEMPT_CASES = [
    # Điều 15: THCS graduates continuing to trung cấp
    (facts(prior="thcs"), "thcs_len_trung_cap"),
    # Điều 15: the same group does not cover THPT graduates, nor cao đẳng after THCS
    (facts(prior="thpt"), None),
    (facts("cao_dang", prior="thcs"), None),
    # Điều 15: people under the revolutionary-merit ordinance: children of martyrs
    (facts(circ=["con_liet_si"]), "con_liet_si"),
    (facts("cao_dang", circ=["con_liet_si"]), "con_liet_si"),
    # Điều 15: people under the revolutionary-merit ordinance (others)
    (facts(circ=["nguoi_co_cong"]), "nguoi_co_cong"),
    # Điều 15: students with disabilities
    (facts("cao_dang", circ=["khuyet_tat"]), "khuyet_tat"),
    # Điều 15: orphaned trung cấp / cao đẳng students without support
    (facts(circ=["mo_coi"]), "mo_coi"),
    # Điều 15: cử tuyển students
    (facts(circ=["cu_tuyen"]), "cu_tuyen"),
    # Điều 15: ethnic-minority students from poor or near-poor households
    (facts(circ=["dan_toc_thieu_so"], household="ho_ngheo"), "dtts_ho_ngheo"),
    (facts("cao_dang", circ=["dan_toc_thieu_so"], household="ho_can_ngheo"), "dtts_ho_ngheo"),
    # Điều 15 names poor ethnic-minority students: neither alone is enough
    (facts(circ=["dan_toc_thieu_so"], household="ho_trung_binh"), None),
    (facts(household="ho_ngheo"), None),
    # Điều 15: the brief names no exemption for leaving military service or for traditional arts
    (facts(circ=["xuat_ngu"]), None),
    (facts(circ=["nghe_thuat"]), None),
]


@pytest.mark.parametrize(("answers", "rule"), EXEMPT_CASES)
def test_exempt_groups_of_article_15(catalog: Catalog, answers: Facts, rule: str | None) -> None:
    said = sure(catalog, answers)
    assert said.get("exempt", set()) == ({rule} if rule else set())
    text = result(catalog, answers)
    if rule is not None:
        assert "✅ Được miễn học phí" in text
        assert "Nghị định 238/2025/NĐ-CP ngày 03/9/2025, Điều 15" in text
    else:
        assert "✅ Được miễn học phí" not in text
        # what does not apply, with the whole list of the article, never a guess
        assert "chưa thuộc nhóm được miễn theo Nghị định 238/2025/NĐ-CP (Điều 15)" in text


REDUCED_CASES = [
    # Điều 16: 70% for ethnic-minority students living in especially difficult communes
    (facts(circ=["dan_toc_thieu_so", "vung_dbkk"]), "dtts_dbkk", "70%"),
    # Điều 16: living in such a commune is not enough without being of an ethnic minority
    (facts(circ=["vung_dbkk"]), None, None),
    # Điều 16: 70% for traditional arts
    (facts("cao_dang", circ=["nghe_thuat"]), "nghe_thuat", "70%"),
    # Điều 16: 50% for children of parents on a regular occupational-accident allowance
    (facts(circ=["con_tnld"]), "con_tnld", "50%"),
]


@pytest.mark.parametrize(("answers", "rule", "share"), REDUCED_CASES)
def test_reduced_groups_of_article_16(
    catalog: Catalog, answers: Facts, rule: str | None, share: str | None
) -> None:
    said = sure(catalog, answers)
    assert said.get("reduced", set()) == ({rule} if rule else set())
    text = result(catalog, answers)
    if share is not None:
        assert f"giảm {share} học phí" in text
        assert "Điều 16" in text


def test_heavy_trades_are_only_possible_because_their_list_is_unverified(
    catalog: Catalog,
) -> None:
    # Điều 16: 70% for "some heavy/toxic/dangerous trades": the list is not in the brief
    answers = facts(circ=["nghe_doc_hai"])
    found = verdict(catalog, answers)
    assert "reduced" not in found.outcomes()
    assert [r.id for r in found.open] == ["nghe_doc_hai"]
    assert "❓ Có thể áp dụng, cần hỏi thêm" in result(catalog, answers)


def test_children_of_war_invalids_are_not_stated_as_certain(catalog: Catalog) -> None:
    # Điều 15 names the ordinance's subjects; which children of war invalids it covers is open
    found = verdict(catalog, facts(circ=["con_thuong_binh"]))
    assert "exempt" not in found.outcomes()
    assert "con_thuong_binh" in {r.id for r in found.open}


def test_no_reduction_is_said_once_exempt(catalog: Catalog) -> None:
    # Điều 15 (ethnic minority, poor household) and Điều 16 (especially difficult commune)
    answers = facts(circ=["dan_toc_thieu_so", "vung_dbkk"], household="ho_ngheo")
    text = result(catalog, answers)
    assert "✅ Được miễn học phí" in text
    assert "✅ Được giảm học phí" not in text
    assert "không cần xét, vì bạn đã được miễn học phí" in text


def test_learning_cost_support_of_article_17_is_never_stated_as_certain(
    catalog: Catalog,
) -> None:
    # Điều 17: groups and amounts in vocational education are UNVERIFIED
    for answers in (facts(household="ho_ngheo"), facts(circ=["khuyet_tat"])):
        found = verdict(catalog, answers)
        assert "support" not in found.outcomes()
        assert any(r.outcome == "support" for r in found.open)
        assert "Điều 17" in result(catalog, answers)


def test_student_loan_up_to_four_million_for_the_three_households(catalog: Catalog) -> None:
    # QĐ 157/2007/QĐ-TTg as amended by QĐ 05/2022/QĐ-TTg
    for household in ("ho_ngheo", "ho_can_ngheo", "ho_trung_binh"):
        answers = facts("cao_dang", household=household)
        assert sure(catalog, answers).get("loan") == {"vay_von"}
        text = result(catalog, answers)
        assert "4.000.000 đồng mỗi tháng" in text
        assert "Quyết định 05/2022/QĐ-TTg" in text
    assert "loan" not in sure(catalog, facts("cao_dang"))


def test_boarding_is_for_public_schools_and_its_groups_are_open(catalog: Catalog) -> None:
    # QĐ 53/2015/QĐ-TTg: public trung cấp / cao đẳng; groups and amounts unverified
    public = verdict(catalog, facts(household="ho_ngheo"))
    assert any(r.outcome == "boarding" for r in public.open)
    private = verdict(catalog, facts(household="ho_ngheo", school="tu_thuc"))
    assert not any(r.outcome == "boarding" for r in private.all())


def test_long_an_resolution_has_ended(catalog: Catalog) -> None:
    # Nghị quyết 31/NQ-HĐND: enrolment years 2023-2024 to 2025-2026 only
    answers = facts("cao_dang", province="tay_ninh")
    found = verdict(catalog, answers)
    assert [r.id for r in found.ended] == ["nq31_long_an"]
    assert not any(r.outcome == "provincial" for r in (*found.sure, *found.open))
    text = result(catalog, answers)
    assert "⌛ Đã hết thời gian áp dụng" in text
    assert "2023-2024 đến 2025-2026" in text


def test_a_policy_whose_window_passed_never_answers_as_current(catalog: Catalog) -> None:
    """Even if the file were not updated, a rule of an ended policy is said as ended."""
    policy = catalog.policies["mien_hp_doi_tuong_khac"]
    ended = policy.model_copy(update={"effective_to": dt.date(2026, 1, 1)})
    changed = dataclasses.replace(
        catalog, policies={**catalog.policies, "mien_hp_doi_tuong_khac": ended}
    )
    found = verdict(changed, facts(circ=["con_liet_si"]))
    assert "con_liet_si" in {r.id for r in found.ended}
    assert "exempt" not in found.outcomes()


def test_a_family_with_no_listed_circumstance_hears_what_does_not_apply(
    catalog: Catalog,
) -> None:
    answers = facts("cao_dang", province="ha_noi")
    found = verdict(catalog, answers)
    assert not found.sure and not found.open
    text = result(catalog, answers)
    for part in (
        "➖ Chưa thấy áp dụng với bạn",
        "Điều 15",  # the exempt groups listed
        "Điều 16",  # the reduced groups listed
        "Quyết định 05/2022/QĐ-TTg",  # who may borrow
        "Quyết định 53/2015/QĐ-TTg",  # boarding
        "Chính sách riêng của Hà Nội",
        "chưa thấy bạn thuộc diện miễn, giảm học phí hay hỗ trợ nào",
    ):
        assert part in text, part
    assert "✅" not in text


def test_levels_without_a_source_get_their_note_not_a_no(catalog: Catalog) -> None:
    for level in ("so_cap", "trung_hoc_nghe"):
        text = result(catalog, facts(level, circ=["con_liet_si"]))
        assert "chưa thuộc nhóm được miễn" not in text  # that would be a guess
        assert "ℹ️" in text


def test_every_rule_cites_its_policy_source(catalog: Catalog) -> None:
    view = ResultView(catalog, Renderer(catalog), elig(catalog))
    for rule in elig(catalog).rules:
        line = view.line(rule)
        policy = catalog.policies[rule.policy]
        assert any(s.document in line for s in policy.sources), rule.id
        if rule.article is not None:
            assert rule.article in line or rule.article.replace("Điều ", "") in line, rule.id
