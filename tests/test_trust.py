"""Trust rules of `content check` (bot/catalog/trust.py), each with a case that must fail, and
what the bot shows instead of invented data (issue 10 part 5)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.catalog import Catalog, load_catalog
from bot.catalog.check import check_directory
from bot.catalog.models import Policy
from bot.catalog.text_keys import T
from bot.catalog.trust import (
    answer_sources,
    cite,
    document_identity,
    document_keys,
    is_local_document,
    is_wh_question,
    placeholder,
    same_document,
)
from bot.core.engine import Engine
from bot.core.flows.render import Renderer
from bot.core.memory import MemoryConversationStore
from bot.core.messages import Inbound
from bot.matching.targets import build_matcher
from tests.conftest import CONTENT, FixedClock, edit_yaml

TODAY = dt.date(2026, 11, 22)


def _problems(directory: Path) -> list[str]:
    return [str(p) for p in check_directory(directory, TODAY)]


def _item(items: list[dict[str, Any]], ident: str) -> dict[str, Any]:
    return next(i for i in items if i["id"] == ident)


def _faq_file(content: Path, ident: str) -> Path:
    for path in sorted((content / "faq").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if any(f["id"] == ident for f in data["faq"]):
            return path
    raise AssertionError(ident)


def _edit_faq(content: Path, ident: str, change: Callable[[dict[str, Any]], None]) -> str:
    path = _faq_file(content, ident)
    edit_yaml(path, lambda d: change(_item(d["faq"], ident)))
    return f"faq/{path.name}:faq.{ident}"


# -- the real content passes every rule --------------------------------------------------------


def test_real_content_passes_the_trust_rules() -> None:
    rules = ("names document", "cites one document", "issued later", "opens with", "example")
    found = [p for p in _problems(CONTENT) if any(r in p for r in rules)]
    assert found == []


# -- validity windows --------------------------------------------------------------------------


def test_window_that_ended_but_is_marked_current_fails(content_copy: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        _item(d["policies"], "ho_tro_chap_hanh_an")["status"] = "current"
        _item(d["policies"], "nq31_long_an")["status"] = "current"

    edit_yaml(content_copy / "policies.yaml", change)
    problems = _problems(content_copy)
    where = "policies.yaml:policies"
    assert f"{where}.ho_tro_chap_hanh_an.status: ended 2024 but still marked current" in problems
    assert f"{where}.nq31_long_an.status: ended 2025-2026 but still marked current" in problems


def test_national_current_policy_resting_on_a_ward_plan_fails(content_copy: Path) -> None:
    # the audit's finding: support for people after prison, from Dị Sử's 2024 plan alone
    def change(d: dict[str, Any]) -> None:
        policy = _item(d["policies"], "ho_tro_chap_hanh_an")
        policy.update(scope="national", status="current")
        policy.pop("window_ends")

    edit_yaml(content_copy / "policies.yaml", change)
    why = "marked national and current but every source is a local document"
    assert f"policies.yaml:policies.ho_tro_chap_hanh_an.scope: {why}" in _problems(content_copy)


def test_local_and_national_documents() -> None:
    for local in (
        "Kế hoạch triển khai hoạt động giáo dục nghề nghiệp phường Dị Sử năm 2024 (tỉnh Hưng Yên)",
        "Nghị quyết 31/NQ-HĐND của HĐND tỉnh Long An",
        "Quyết định 7562/QĐ-UBND của UBND tỉnh Long An",
    ):
        assert is_local_document(local), local
    for national in (
        "Nghị định 238/2025/NĐ-CP",
        "Chỉ thị 21-CT/TW của Ban Bí thư",
        "Nghị quyết 202/2025/QH15 về sắp xếp đơn vị hành chính cấp tỉnh",
    ):
        assert not is_local_document(national), national


def test_school_year_window_ends_when_the_next_school_year_begins(catalog: Catalog) -> None:
    nq31 = catalog.policies["nq31_long_an"]
    assert nq31.window_ends == "2025-2026"
    assert nq31.effective_to is None  # no source gives a last day: none is shown
    assert nq31.window_over_after() == dt.date(2026, 8, 31)
    assert catalog.policies["phan_luong_522"].window_over_after() == dt.date(2025, 12, 31)
    assert catalog.policies["huong_nghiep_525"].status == "current"


def test_window_ends_must_be_a_year_or_a_school_year() -> None:
    base = {
        "id": "x_policy",
        "title": "Thử",
        "group": "khac",
        "summary": "Một chính sách thử để kiểm tra trường window_ends.",
        "sources": [{"document": "Quyết định 1/2020/QĐ-TTg"}],
        "confidence": "high",
        "reviewed": "2026-11-30",
    }
    for good in ("2025", "2025-2026"):
        assert Policy.model_validate({**base, "window_ends": good}).window_ends == good
    for bad in ("2025-2027", "25-26", "năm 2025", "2025/2026"):
        with pytest.raises(ValidationError):
            Policy.model_validate({**base, "window_ends": bad})


def test_historical_policy_without_its_window_fails(content_copy: Path) -> None:
    edit_yaml(
        content_copy / "policies.yaml",
        lambda d: _item(d["policies"], "phan_luong_522").pop("window"),
    )
    assert "policies.yaml:policies.phan_luong_522.window: historical policy needs its window" in (
        _problems(content_copy)
    )


# -- citations ---------------------------------------------------------------------------------


def test_citation_with_no_source_fails(content_copy: Path) -> None:
    def change(f: dict[str, Any]) -> None:
        f["answer"] += " Xem thêm Nghị định 999/2024/NĐ-CP."

    where = _edit_faq(content_copy, "hp_muc_hoc_phi", change)
    # and a policy summary naming a document none of its sources names
    edit_yaml(
        content_copy / "policies.yaml",
        lambda d: _item(d["policies"], "noi_tru").update(
            summary=_item(d["policies"], "noi_tru")["summary"] + " Xem Thông tư 77/2030/TT-BGDĐT."
        ),
    )
    problems = _problems(content_copy)
    assert f"{where}.answer: names document 999/2024 but no cited source backs it" in "\n".join(
        problems
    )
    assert any(
        p.startswith("policies.yaml:policies.noi_tru.summary: names document 77/2030")
        for p in problems
    )


def test_a_source_note_can_vouch_for_a_document_it_names(content_copy: Path) -> None:
    # NĐ 238/2025's note says it replaced NĐ 81/2021: the answer may name 81/2021
    assert "81/2021" in document_keys(load_catalog(content_copy).faq["hp_thcs_trung_cap"].answer)
    assert not [p for p in _problems(content_copy) if "hp_thcs_trung_cap" in p]

    def drop_note(d: dict[str, Any]) -> None:
        _item(d["policies"], "mien_hp_thcs_trung_cap")["sources"][0]["note"] = "Hiệu lực 03/9/2025."

    edit_yaml(content_copy / "policies.yaml", drop_note)
    assert any(
        "hp_thcs_trung_cap.answer: names document 81/2021" in p for p in _problems(content_copy)
    )


def test_one_document_cited_twice_in_an_answer_fails(content_copy: Path) -> None:
    # two articles of one decree through two policies, and one plan under two spellings
    first = _edit_faq(
        content_copy,
        "hp_dan_toc",
        lambda f: f.update(policies=["mien_hp_doi_tuong_khac", "giam_hoc_phi"], sources=[]),
    )

    def respell(f: dict[str, Any]) -> None:
        f["sources"] = [
            {
                "document": "Kế hoạch triển khai hoạt động giáo dục nghề nghiệp phường Dị Sử năm "
                "2024, UBND phường Dị Sử (Hưng Yên)",
                "note": "Kế hoạch năm 2024",
            }
        ]

    second = _edit_faq(content_copy, "ho_tro_chap_hanh_an", respell)
    problems = "\n".join(_problems(content_copy))
    assert f"{first}.answer: cites one document twice: 'Nghị định 238/2025/NĐ-CP" in problems
    assert f"{second}.answer: cites one document twice: 'Kế hoạch triển khai" in problems


def test_answer_with_its_own_sources_line_fails(content_copy: Path) -> None:
    # the reply adds "📄 Căn cứ: ..." from the sources: a second one in the text repeats it
    def change(f: dict[str, Any]) -> None:
        f["answer"] += " Căn cứ: Quyết định 05/2022/QĐ-TTg."

    where = _edit_faq(content_copy, "vay_von_thu_tuc", change)
    assert f"{where}.answer: has its own 'Căn cứ:' line: list the documents in sources instead" in (
        _problems(content_copy)
    )


def test_the_same_citation_repeated_exactly_is_shown_once_and_passes(content_copy: Path) -> None:
    # both policies cite NĐ 238/2025, Điều 15: the reply shows it once, so no problem
    where = _edit_faq(
        content_copy,
        "hp_doi_tuong_mien",
        lambda f: f.update(policies=["mien_hp_doi_tuong_khac", "mien_hp_thcs_trung_cap"]),
    )
    assert not [p for p in _problems(content_copy) if p.startswith(where)]


def test_check_sees_the_citations_the_reply_shows(catalog: Catalog) -> None:
    renderer = Renderer(catalog)
    for faq in catalog.faq.values():
        shown = list(dict.fromkeys(cite(s) for s in answer_sources(catalog, faq)))
        text = renderer.faq(faq, TODAY).text
        line = catalog.text(T.SOURCES, sources="; ".join(shown))
        assert (line in text) == bool(shown), faq.id


def test_document_numbers_and_identities() -> None:
    text = "Theo Nghị định 238/2025/NĐ-CP ngày 03/9/2025 và Nghị quyết 31/NQ-HĐND ngày 12/7/2023"
    assert document_keys(text) == {"238/2025", "31-NQ"}
    assert document_keys("Chỉ thị 21-CT/TW, Quyết định 05/2022/QĐ-TTg") == {"21-CT", "5/2022"}
    assert document_keys("từ 01/01/2026, 4.000.000 đồng/tháng, năm học 2023-2024") == set()
    plan = document_identity("Kế hoạch của UBND một huyện (tỉnh Lào Cai) triển khai Chỉ thị 21-CT")
    directive = document_identity("Chỉ thị 21-CT/TW của Ban Bí thư")
    assert directive == "#21-CT"
    assert not same_document(plan, directive)  # a plan implementing a directive is not it
    assert same_document(
        document_identity("Luật Giáo dục nghề nghiệp số 124/2025/QH15"),
        document_identity("Luật 124/2025/QH15"),
    )
    assert not same_document(
        document_identity("Nghị định 238/2025/NĐ-CP"), document_identity("Nghị định 81/2021/NĐ-CP")
    )


# -- dates -------------------------------------------------------------------------------------


def test_answer_dated_before_every_source_it_cites_fails(content_copy: Path) -> None:
    # the old answer on the ministry: "Từ 01/3/2025 ..." resting on a law of 10/12/2025
    def old_citation(f: dict[str, Any]) -> None:
        f.update(policies=["trung_hoc_nghe"], sources=[])

    where = _edit_faq(content_copy, "co_quan_quan_ly_gdnn", old_citation)
    why = "says 'Từ 01/3/2025' but every dated source it cites was issued later"
    assert f"{where}.answer: {why}" in _problems(content_copy)


def test_ministry_change_is_cited_to_the_decree_in_force_then(catalog: Catalog) -> None:
    sources = answer_sources(catalog, catalog.faq["co_quan_quan_ly_gdnn"])
    decree = next(s for s in sources if s.document.startswith("Nghị định 37/2025"))
    assert decree.issued == dt.date(2025, 2, 26)
    assert all("124/2025" not in s.document for s in sources)


# -- yes/no openers ----------------------------------------------------------------------------


def test_yes_opener_on_a_question_that_is_not_yes_no_fails(content_copy: Path) -> None:
    def change(f: dict[str, Any]) -> None:
        f["answer"] = "Có. " + f["answer"]

    where = _edit_faq(content_copy, "ho_tro_ho_ngheo", change)  # "... được hỗ trợ gì?"
    assert any(p.startswith(f"{where}.answer: opens with 'Có.'") for p in _problems(content_copy))


def test_yes_opener_is_fine_when_every_phrasing_is_yes_no(content_copy: Path) -> None:
    def change(f: dict[str, Any]) -> None:
        f["answer"] = "Có. " + f["answer"]
        f["phrasings"] = ["có được miễn không", "co mien hoc phi ko", "được miễn học phí không"]
        f["question"] = "Người khuyết tật có được miễn học phí không?"

    where = _edit_faq(content_copy, "hp_khuyet_tat", change)
    assert not [p for p in _problems(content_copy) if p.startswith(where) and "opens with" in p]


def test_wh_questions() -> None:
    assert is_wh_question("Hộ nghèo học nghề được hỗ trợ gì?")
    assert is_wh_question("vay von toi da bao nhieu")
    assert is_wh_question("hoc o dau dc")
    assert not is_wh_question("Học xong lớp 9 lên trung cấp có miễn học phí không?")
    assert not is_wh_question("co duoc vay von ko")


# -- invented data -----------------------------------------------------------------------------


def test_example_school_fails(example_content: Path) -> None:
    problems = _problems(example_content)
    where = "schools/examples.yaml:schools.vd_tay_ninh"
    assert any(p.startswith(f"{where}: example school") for p in problems)
    assert f"{where}.contact: example contact: remove it" in problems
    fake = f"{where}: placeholder phone or website '0276 000 0000'"
    assert any(p.startswith(fake) for p in problems)


def test_school_named_as_an_example_fails_even_unflagged(example_content: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        school = d["schools"][0]
        school["example"] = False
        school["contact"] = {}

    edit_yaml(example_content / "schools" / "examples.yaml", change)
    assert any(
        p.startswith("schools/examples.yaml:schools.vd_tay_ninh: example school")
        for p in _problems(example_content)
    )


def test_placeholder_or_unsourced_contact_fails(content_copy: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        _item(d["schools"], "cd_long_an")["contact"] = {"phone": "0272 000 0000"}
        _item(d["schools"], "cd_lao_cai")["contact"] = {"website": "https://caodang.example.vn"}
        _item(d["schools"], "cd_yen_bai")["contact"] = {"phone": "0216 3852 771"}  # no source

    edit_yaml(content_copy / "schools.yaml", change)
    problems = _problems(content_copy)
    assert any("cd_long_an: placeholder phone or website '0272 000 0000'" in p for p in problems)
    assert any("cd_lao_cai: placeholder phone or website" in p for p in problems)
    unsourced = "contact without `source` and `checked`: give both, or leave it empty"
    assert f"schools.yaml:schools.cd_yen_bai.contact: {unsourced}" in problems
    assert not any("cd_yen_bai: placeholder" in p for p in problems)  # a real-looking number


def test_sourced_contact_passes(content_copy: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        _item(d["schools"], "cd_yen_bai")["contact"] = {
            "phone": "0216 3852 771",
            "source": "Thông báo tuyển sinh của trường",
            "checked": "2026-11-30",
        }

    edit_yaml(content_copy / "schools.yaml", change)
    assert not [p for p in _problems(content_copy) if "cd_yen_bai" in p]


def test_placeholder_anywhere_a_user_reads_fails(content_copy: Path) -> None:
    _edit_faq(
        content_copy,
        "gap_tu_van_vien",
        lambda f: f.update(answer=f["answer"] + " Gọi 0909 xxx xxx để được tư vấn."),
    )
    edit_yaml(
        content_copy / "texts.yaml",
        lambda d: d["texts"].update(counsellor="Xem https://tuvan.example.com nhé."),
    )
    edit_yaml(content_copy / "events.yaml", lambda d: d["events"][0].update(example_dates=True))
    problems = "\n".join(_problems(content_copy))
    assert "faq.gap_tu_van_vien: placeholder phone or website '0909 xxx xxx'" in problems
    assert "texts.yaml:texts.counsellor: placeholder 'tuvan.example.com'" in problems
    assert "events.ngay_hoi_tu_van.example_dates: example dates are invented" in problems


def test_placeholder_patterns() -> None:
    for fake in ("0272 000 0000", "0909 xxx xxx", "+84 912 222 2222", "caodang.example.vn"):
        assert placeholder(f"Liên hệ: {fake}.") is not None, fake
    for fine in ("0216 3852 771", "Gọi 111 hoặc 113", "năm học 2025-2026", "lac.edu.vn"):
        assert placeholder(fine) is None, fine


@given(st.text(max_size=200))
def test_placeholder_scan_never_breaks_on_any_text(text: str) -> None:
    found = placeholder(text)
    assert found is None or found in text


# -- what a user sees --------------------------------------------------------------------------


def test_shipped_schools_are_real_and_have_no_invented_contact(catalog: Catalog) -> None:
    assert catalog.schools
    for school in catalog.schools.values():
        assert not school.example and "ví dụ" not in school.name
        assert not school.contact.example
        for detail in school.contact.details():
            assert placeholder(detail) is None


def test_school_without_a_contact_says_so(catalog: Catalog) -> None:
    text = Renderer(catalog).school(catalog.schools["cd_long_an"]).text
    assert catalog.text(T.DIR_NO_CONTACT, province="Tây Ninh") in text  # and whom to ask
    assert "chưa có số liên hệ" in text
    assert "000 0000" not in text and "example" not in text


async def test_example_schools_of_a_fixture_are_never_offered(example_content: Path) -> None:
    catalog = load_catalog(example_content)
    example = catalog.schools["vd_tay_ninh"]
    engine = Engine(catalog, build_matcher(catalog), MemoryConversationStore(), FixedClock())
    trade = await engine.handle(Inbound("test", "u", payload="trade:han"))
    assert example.name not in trade[0].text
    assert "school:vd_tay_ninh" not in [b.payload for b in trade[0].buttons]
    assert "school:cd_lao_cai" in [b.payload for b in trade[0].buttons]  # its source names Hàn
    asked = await engine.handle(Inbound("test", "u", text="Học phí trường nghề ở Tây Ninh"))
    assert all("vd_tay_ninh" not in b.payload for r in asked for b in r.buttons)
