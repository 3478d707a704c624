"""Document numbers in messages get that document's card; no number, no card (issue 10.3)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.catalog import Catalog
from bot.catalog.check import check_directory
from bot.core.engine import Engine
from bot.core.messages import Inbound
from bot.matching.doc_numbers import scan
from bot.matching.matcher import Match, Matcher, Suggestions
from bot.matching.resolve import EntityMatcher
from tests.conftest import edit_yaml

# every way of writing a number seen in questions and in the seeds -> the card it names
FORMS = {
    "Nghị định 81/2021 còn hiệu lực không": "nd_81_2021",
    "nghị định 81": "nd_81_2021",
    "nđ 81/2021": "nd_81_2021",
    "nd81": "nd_81_2021",
    "ND 81": "nd_81_2021",
    "81/2021/NĐ-CP": "nd_81_2021",
    "Nghị định số 81/2021/NĐ-CP": "nd_81_2021",
    "nghi dinh so 81 nam 2021": "nd_81_2021",
    "NĐ 86/2015": "nd_86_2015",
    "nghị định 86/2015/NĐ-CP còn áp dụng không": "nd_86_2015",
    "238/2025": "nd_238_2025",
    "nghị định 238/2025/NĐ-CP là gì": "nd_238_2025",
    "Nghị quyết 31/NQ-HĐND": "nq_31_2023_long_an",
    "31-NQ/TU": "nq_31_2022_hung_yen",
    "nghị quyết 31 hưng yên là gì": "nq_31_2022_hung_yen",
    "QĐ 05/2022": "qd_05_2022",
    "quyết định 05/2022/QĐ-TTg": "qd_05_2022",
    "Nghị quyết 12": "nq_12_2021_long_an",
    "12-NQ/TU": "nq_12_2021_long_an",
    "luật gdnn 2014 còn hiệu lực không": "luat_74_2014",
    "Luật Giáo dục nghề nghiệp 74/2014/QH13 hết hiệu lực chưa": "luat_74_2014",
    "kế hoạch 134/KH-UBND là gì": "kh_134_2019_long_an",
    "văn bản 703/LĐTBXH-TCGDNN": "cv_703_2021",
    "Chương trình hành động 14-CTr/ThU": "ctr_14_2022_my_hao",
    "Nghị định 97/2023": "nd_97_2023",
}
# messages whose number names a document with an answer about it: that answer, card beside it
ANSWERED = {
    "qd 522": ("faq:chi_tieu_phan_luong", "qd_522_2018"),
    "QĐ 522": ("faq:chi_tieu_phan_luong", "qd_522_2018"),
    "QĐ 7562": ("faq:nq31_la_gi", "qd_7562_2023_long_an"),
    "NQ 31": ("faq:nq31_la_gi", "nq_31_2023_long_an"),
    "Chỉ thị 21": ("faq:chi_thi_21", "ct_21_2023"),
    "chi thi 21 ct tw noi gi": ("faq:chi_thi_21", "ct_21_2023"),
    "Nghị quyết 31 năm nay còn hiệu lực không ạ?": ("faq:nq31_con_ap_dung", "nq_31_2023_long_an"),
    "Luật GDNN": ("faq:luat_gdnn_moi", "luat_124_2025"),
    "Nghị định 238/2025 miễn học phí cho ai": ("faq:hp_doi_tuong_mien", "nd_238_2025"),
}


def _card(result: Match | Suggestions | None) -> str | None:
    if isinstance(result, Match) and result.id.startswith("doc:"):
        return result.id.removeprefix("doc:")
    return None


def test_the_matcher_resolves_entities(matcher: Matcher) -> None:
    assert isinstance(matcher, EntityMatcher)


def _offered(result: Match | Suggestions | None) -> str | None:
    """The card given, or offered beside an answer about that very document."""
    if isinstance(result, Match):
        cards = [c.id for c in result.close if c.id.startswith("doc:")]
        return _card(result) or (cards[0].removeprefix("doc:") if cards else None)
    return None


@pytest.mark.parametrize("text", sorted(FORMS))
def test_each_way_of_writing_a_number_gets_its_card(matcher: Matcher, text: str) -> None:
    assert _offered(matcher.match(text)) == FORMS[text]


@pytest.mark.parametrize("text", sorted(ANSWERED))
def test_an_answer_about_the_document_comes_with_its_card(matcher: Matcher, text: str) -> None:
    answer, card = ANSWERED[text]
    result = matcher.match(text)
    assert isinstance(result, Match) and result.id == answer, result
    assert f"doc:{card}" in [c.id for c in result.close]


def test_decree_81_status_question_is_its_card_not_nghi_quyet_31(engine: Engine) -> None:
    result = engine.ask("Nghị định 81/2021 còn hiệu lực không")
    assert result.matched and result.id == "doc:nd_81_2021"
    assert "Nghị định 81/2021/NĐ-CP" in result.answer
    assert "thay thế bởi Nghị định 238/2025/NĐ-CP từ ngày 03/9/2025" in result.answer
    assert "Nghị quyết 31" not in result.answer


def test_nq_31_alone_asks_which_one(matcher: Matcher) -> None:
    # two resolutions numbered 31: Long An's HĐND (2023) and Hưng Yên's party committee (2022)
    assert isinstance(matcher, EntityMatcher)
    found = matcher.documents.finder.find("NQ 31")
    assert found.choices == (("nq_31_2023_long_an", "nq_31_2022_hung_yen"),)
    result = matcher.match("nghị quyết 31/2023 hay 31/2022")
    assert isinstance(result, Suggestions)
    assert [o.id for o in result.options] == ["doc:nq_31_2023_long_an", "doc:nq_31_2022_hung_yen"]
    result = matcher.match("nghị quyết 31 về cái gì vậy")
    if isinstance(result, Suggestions):
        ids = [o.id for o in result.options]
        assert ids == ["doc:nq_31_2023_long_an", "doc:nq_31_2022_hung_yen"]
    else:  # the answer about Long An's resolution, whose phrasings name it, may take it
        assert isinstance(result, Match) and result.id.startswith("faq:nq31")


def test_several_documents_named_ask_which(matcher: Matcher) -> None:
    result = matcher.match("NĐ 81/2021 và NĐ 238/2025 khác nhau gì")
    assert isinstance(result, Suggestions)
    assert [o.id for o in result.options] == ["doc:nd_81_2021", "doc:nd_238_2025"]
    result = matcher.match("05/2022")  # a decision and a circular share number and year
    assert isinstance(result, Suggestions)
    assert {o.id for o in result.options} == {"doc:qd_05_2022", "doc:tt_05_2022"}


def test_a_province_picks_between_local_documents(matcher: Matcher) -> None:
    la = matcher.match("nghị quyết 31 long an ban hành ngày nào")
    hy = matcher.match("nghị quyết 31 của hưng yên ban hành ngày nào")
    assert _card(hy) == "nq_31_2022_hung_yen"
    assert isinstance(la, Match) and (
        la.id == "doc:nq_31_2023_long_an" or "doc:nq_31_2023_long_an" in [c.id for c in la.close]
    )


def test_a_number_we_have_no_card_for_gets_no_other_answer(matcher: Matcher) -> None:
    # issue 10: a number we do not know must not get an answer built on other documents
    for text in (
        "Nghị định 205/2004/NĐ-CP chỉ quy định hệ số lương hệ trung cấp",
        "nghị định 99/2099/NĐ-CP còn hiệu lực không",
        "Thông tư 12/2030/TT-BGDĐT học phí thế nào",
    ):
        assert matcher.match(text) is None, text


@pytest.mark.parametrize(
    "text",
    [
        "học phí trung cấp bao nhiêu",
        "em học lớp 9 năm 2024",
        "sinh năm 2008/2009 học nghề được không",
        "ngày 03/9/2025 có gì mới",
        "em quyết định học nghề hàn",
        "e kh 16 tuoi hoc nghe dc ko",
        "lop 12 nam 2025 nen hoc gi",
        "nghị định về học phí còn hiệu lực không",
        "nghị quyết của tỉnh về học nghề",
        "chỉ thị mới nhất về giáo dục nghề nghiệp",
    ],
)
def test_no_card_for_a_message_without_a_document_number(matcher: Matcher, text: str) -> None:
    assert _card(matcher.match(text)) is None
    assert not scan(text)


def _phrasings(catalog: Catalog) -> list[str]:
    texts = [t for f in catalog.faq.values() for t in (f.question, *f.phrasings)]
    return [t for t in texts if not any(ch.isdigit() for ch in t) and "luật" not in t.lower()]


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_no_card_without_a_number_on_content_like_text(
    matcher: Matcher, catalog: Catalog, data: st.DataObject
) -> None:
    """Words of real questions, shuffled and joined: without a number (or a law's name) no
    document card is ever given."""
    pool = " ".join(_phrasings(catalog)).split()
    picked = data.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=14))
    text = " ".join(picked)
    assert _card(matcher.match(text)) is None, text


def test_card_shows_facts_and_links_answers(engine: Engine, catalog: Catalog) -> None:
    async def screen(payload: str) -> tuple[str, list[tuple[str, str]]]:
        replies = await engine.handle(Inbound("test", "u-card", payload=payload))
        return replies[-1].text, [(b.label, b.payload) for b in replies[-1].buttons]

    import asyncio

    text, buttons = asyncio.run(screen("doc:nd_81_2021"))
    assert "Ban hành ngày 27/8/2021, cơ quan ban hành: Chính phủ." in text
    assert "Văn bản này thay thế: Nghị định 86/2015/NĐ-CP." in text
    payloads = [p for _, p in buttons]
    assert "doc:nd_238_2025" in payloads and "doc:nd_86_2015" in payloads
    assert any(p.startswith("faq:") for p in payloads)  # answers resting on it
    # NQ 31: the window as the seed words it, no end date no source gives (issue 10.5)
    text, _ = asyncio.run(screen("doc:nq_31_2023_long_an"))
    assert "các khóa tuyển sinh năm học 2023-2024 đến 2025-2026" in text
    assert "31/8/2026" not in text
    # unknown dates are said to be unconfirmed, never invented
    text, _ = asyncio.run(screen("doc:nd_86_2015"))
    assert "Ngày ban hành: chưa xác nhận" in text
    assert "ngày thay thế chưa xác nhận" in text
    text, _ = asyncio.run(screen("doc:tt_52_2026"))
    assert "Văn bản còn hiệu lực hay không: chưa xác nhận." in text
    text, _ = asyncio.run(screen("doc:no_such_doc"))
    assert text == catalog.text("unknown_button")


def test_every_card_is_found_by_its_own_title_and_code(matcher: Matcher, catalog: Catalog) -> None:
    assert isinstance(matcher, EntityMatcher)
    for doc in catalog.documents.values():
        places = frozenset((doc.province,)) if doc.province else frozenset()
        assert matcher.documents.finder.find(doc.title, places).known == (doc.id,), doc.id
        found = matcher.documents.finder.find(doc.code, places)
        assert doc.id in found.known or any(doc.id in c for c in found.choices), doc.code


def test_every_numbered_document_policies_and_faq_cite_has_a_card(
    matcher: Matcher, catalog: Catalog
) -> None:
    assert isinstance(matcher, EntityMatcher)
    sources = [s for p in catalog.policies.values() for s in p.sources]
    sources += [s for f in catalog.faq.values() for s in f.sources]
    for source in sources:
        if scan(source.document):
            found = matcher.documents.finder.find(source.document)
            assert found.known or found.choices, source.document
            assert not found.unknown, source.document


# -- content check ----------------------------------------------------------------------------


def _problems(directory: Path) -> list[str]:
    return [str(p) for p in check_directory(directory, dt.date(2026, 11, 30))]


def test_real_content_passes(content_copy: Path) -> None:
    assert _problems(content_copy) == []


def test_a_policy_citing_a_document_without_card_fails(content_copy: Path) -> None:
    def change(d: dict) -> None:
        d["policies"][0]["sources"].append({"document": "Nghị định 999/2030/NĐ-CP"})
        d["policies"][1]["sources"].append({"document": "Nghị quyết 31"})  # two cards

    edit_yaml(content_copy / "policies.yaml", change)
    problems = _problems(content_copy)
    assert any("Nghị định 999/2030/NĐ-CP' has no card" in p for p in problems), problems
    assert any("could be several cards" in p for p in problems), problems


def test_broken_cards_fail(content_copy: Path) -> None:
    def change(d: dict) -> None:
        docs = {doc["id"]: doc for doc in d["documents"]}
        docs["nd_81_2021"]["replaced_by"] = "nd_999"
        docs["qd_05_2022"]["amends"] = ["qd_05_2022"]
        docs["nd_238_2025"]["title"] = "Nghị định về học phí 238/2025/NĐ-CP"
        docs["nd_238_2025"]["code"] = "238/2025/NĐ-CP"
        docs["qd_53_2015"]["province"] = "atlantis"
        docs["ct_21_2023"]["in_force_to"] = "2026-01-01"

    edit_yaml(content_copy / "documents.yaml", change)
    problems = _problems(content_copy)
    assert any("replaced_by: unknown document id 'nd_999'" in p for p in problems), problems
    assert any("amends: a document cannot point to itself" in p for p in problems), problems
    assert any("qd_53_2015.province" in p for p in problems), problems
    assert any("ct_21_2023.status: ended 2026-01-01" in p for p in problems), problems


def test_card_shape_is_validated(content_copy: Path) -> None:
    def change(d: dict) -> None:
        docs = {doc["id"]: doc for doc in d["documents"]}
        docs["nd_81_2021"].pop("replaced_by")  # replaced, but by nothing
        docs["nd_238_2025"]["title"] = "Nghị định mới về học phí"  # title without its number
        docs["qd_53_2015"].pop("unverified")  # medium confidence, nothing listed

    edit_yaml(content_copy / "documents.yaml", change)
    problems = _problems(content_copy)
    assert any("nd_81_2021" in p and "replaced_by" in p for p in problems), problems
    assert any("nd_238_2025" in p and "must contain the code" in p for p in problems), problems
    assert any("qd_53_2015" in p and "unverified" in p for p in problems), problems


def test_a_title_the_scanner_cannot_read_fails(content_copy: Path) -> None:
    def change(d: dict) -> None:
        docs = {doc["id"]: doc for doc in d["documents"]}
        docs["nd_61_2015"]["code"] = "61/2015/ND-CP"  # the number as in policies, no Đ
        docs["nd_61_2015"]["title"] = "Tài liệu 61/2015/ND-CP"  # no kind word: a bare number
        docs["nd_61_2015"]["kind"] = "luat"  # and a kind that the symbol contradicts

    edit_yaml(content_copy / "documents.yaml", change)
    problems = _problems(content_copy)
    assert any("nd_61_2015.title: its title is not recognised" in p for p in problems), problems
