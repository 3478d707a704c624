"""Reading typed survey answers: phones, yes/no, provinces, labels, trades; export cells."""

from __future__ import annotations

import pytest

from bot.catalog import Catalog
from bot.core.flows.survey_answers import (
    AnswerReader,
    clean_text,
    parse_phone,
    parse_text,
    pick_label,
    show_phone,
    yes_no,
)
from bot.leads.export import neutralize
from bot.matching.entities import ProvinceIndex
from bot.matching.matcher import Matcher


@pytest.fixture(scope="module")
def reader(catalog: Catalog, matcher: Matcher) -> AnswerReader:
    return AnswerReader(catalog, matcher, ProvinceIndex(catalog))


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("0912345678", "+84912345678"),
        ("0912 345 678", "+84912345678"),
        ("091.234.5678", "+84912345678"),
        ("+84 912 345 678", "+84912345678"),
        ("84912345678", "+84912345678"),
        ("(028) 3829 1234", "+842838291234"),
    ],
)
def test_valid_phones_become_e164(typed: str, e164: str) -> None:
    assert parse_phone(typed).value == e164


@pytest.mark.parametrize(
    "typed", ["", "abc", "0912", "0912345", "12345678901234567890", "0000000000", "😀", "=1+1"]
)
def test_invalid_phones_are_refused(typed: str) -> None:
    parsed = parse_phone(typed)
    assert parsed.value is None and parsed.error is not None


def test_phone_shown_the_vietnamese_way() -> None:
    assert show_phone("+84912345678") == "0912 345 678"


@pytest.mark.parametrize(("typed", "answer"), [("có", True), ("Đồng ý", True), ("ừ", True),
    ("ok", True), ("không", False), ("ko", False), ("k", False), ("từ chối", False),
    ("có thể", None), ("", None), ("em đồng ý nha", True), ("ko đồng ý ạ", False),
    ("đúng r", True), ("dc", True), ("uk", True), ("mẹ em ko cho", False),
    ("k đồng ý", False)])  # fmt: skip
def test_yes_no(typed: str, answer: bool | None) -> None:
    assert yes_no(typed) is answer


def test_text_answers_need_letters_and_a_sane_length() -> None:
    assert parse_text("  Nguyễn   Văn\u200b An \x00").value == "Nguyễn Văn An"
    assert parse_text("😀😀").error is not None
    assert parse_text("12345").error is not None
    assert parse_text("a" * 500).error is not None
    assert clean_text("Ho\u0300a") == "H\u00f2a"  # composed (NFC)


def test_labels_picked_without_diacritics_but_not_by_guessing() -> None:
    labels = {"thpt": "Học THPT", "trung_cap": "Học trung cấp", "so_cap": "Học nghề ngắn hạn"}
    assert pick_label("hoc trung cap", labels) == "trung_cap"
    assert pick_label("trung cap", labels) == "trung_cap"
    assert pick_label("bóng đá", labels) is None
    assert pick_label("hoc", labels) is None  # fits three labels equally


@pytest.mark.parametrize(
    ("typed", "province", "former"),
    [
        ("Tây Ninh", "tay_ninh", None),
        ("long an", "tay_ninh", "Long An"),
        ("tinh Lao Cai", "lao_cai", None),
        ("yen bai", "lao_cai", "Yên Bái"),
        ("hung yen", "hung_yen", None),
    ],
)
def test_provinces_by_new_or_former_name(
    reader: AnswerReader, typed: str, province: str, former: str | None
) -> None:
    assert reader.province(typed) == (province, former)


@pytest.mark.parametrize("typed", ["phuong tan an", "abc", "<script>", "không biết"])
def test_unknown_places_are_not_guessed(reader: AnswerReader, typed: str) -> None:
    assert reader.province(typed) is None


def test_trades_typed_in_one_message(reader: AnswerReader) -> None:
    found, unknown = reader.trades("dien cong nghiep, nau an va han")
    assert found == ["dien_cong_nghiep", "nau_an", "han"] and unknown == []
    found, unknown = reader.trades("bay tren troi")
    assert found == [] and unknown == ["bay tren troi"]


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+84912345678", "'+84912345678"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Nguyễn Văn An", "Nguyễn Văn An"),
        ("a=b", "a=b"),
    ],
)
def test_formula_cells_neutralized(cell: str, shown: str) -> None:
    assert neutralize(cell) == shown


def test_phone_numbers_never_reach_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from bot.logs import PhoneMask, mask_phones

    assert mask_phones("gọi 0912 345 678 hoặc +84987654321") == "gọi ***78 hoặc ***21"
    assert mask_phones("năm 2026, mã 12345") == "năm 2026, mã 12345"
    assert mask_phones("text='(091) 234 5678'") == "text='***78'"
    logger = logging.getLogger("test.phones")
    caplog.handler.addFilter(PhoneMask())
    with caplog.at_level(logging.INFO, logger="test.phones"):
        logger.info("lead for %s", "0912345678")
    assert "0912345678" not in caplog.text and "***78" in caplog.text


def test_library_loggers_stay_above_debug_even_when_we_debug() -> None:
    """httpx would log Telegram URLs (with the bot token), PTB and the drivers message texts."""
    import logging

    from bot.logs import configure

    root = logging.getLogger()
    before = root.level
    try:
        configure("DEBUG")
        assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
        assert logging.getLogger("telegram.ext").getEffectiveLevel() == logging.INFO
        assert logging.getLogger("sqlalchemy.engine").getEffectiveLevel() == logging.WARNING
    finally:
        root.setLevel(before)
