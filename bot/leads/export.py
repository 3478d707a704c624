"""Lead lists as CSV (UTF-8 with BOM, for Excel), XLSX and JSON; formula-like cells neutralized."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json; charset=utf-8",
}
# Column header (Vietnamese, what school staff read) and how to take the value from a lead dict.
COLUMNS: list[tuple[str, str]] = [
    ("Mã", "lead_id"),
    ("Thời gian", "created_at"),
    ("Khảo sát", "survey"),
    ("Lớp", "grade"),
    ("Họ tên", "student.name"),
    ("Trường, lớp", "student.school_class"),
    ("Số điện thoại", "student.phone"),
    ("SĐT phụ huynh", "parent.phone"),
    ("Phụ huynh đồng ý", "parent.confirmed"),
    ("Dự định", "plan.label"),
    ("Nghề quan tâm", "trades"),
    ("Tỉnh, thành phố", "province.name"),
    ("Xã, phường", "commune"),
    ("Kênh", "channel"),
    ("Phiên bản nội dung đồng ý", "consent.version"),
    ("Thời điểm đồng ý", "consent.recorded_at"),
]
# A spreadsheet treats a cell starting with these as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value: str) -> str:
    """Prefix a formula-like text with an apostrophe so spreadsheets show it as text."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _cell(lead: dict[str, Any], path: str) -> str:
    value: Any = lead
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if path == "trades":
        return ", ".join(t["name"] for t in lead.get("trades") or [])
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Có" if value else "Không"
    return str(value)


def rows(leads: Sequence[dict[str, Any]]) -> list[list[str]]:
    """Header and one row per lead, every cell a string."""
    return [[h for h, _ in COLUMNS], *[[_cell(lead, p) for _, p in COLUMNS] for lead in leads]]


# What a new-lead message in a staff group shows, in this order (headers of COLUMNS).
MESSAGE_FIELDS = (
    "Họ tên",
    "Trường, lớp",
    "Số điện thoại",
    "SĐT phụ huynh",
    "Phụ huynh đồng ý",
    "Lớp",
    "Dự định",
    "Nghề quan tâm",
    "Tỉnh, thành phố",
    "Xã, phường",
    "Kênh",
    "Mã",
)
VIETNAM = dt.timezone(dt.timedelta(hours=7))


def as_lines(lead: dict[str, Any]) -> list[str]:
    """A lead as "Header: value" lines (the filled fields of MESSAGE_FIELDS) and its time in
    Vietnam, for a chat message."""
    paths = dict(COLUMNS)
    lines = [f"{h}: {v}" for h in MESSAGE_FIELDS if (v := _cell(lead, paths[h]))]
    created = dt.datetime.fromisoformat(lead["created_at"]).astimezone(VIETNAM)
    lines.append(f"Thời gian: {created:%H:%M %d/%m/%Y}")
    return lines


def to_csv(leads: Sequence[dict[str, Any]]) -> bytes:
    """CSV in UTF-8 with a byte-order mark, so Excel opens Vietnamese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows(leads):
        writer.writerow([neutralize(c) for c in row])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(leads: Sequence[dict[str, Any]]) -> bytes:
    """A workbook whose cells are all text: formula-like values are stored as strings with
    the apostrophe prefix, never as formulas."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Danh sách"
    for r, row in enumerate(rows(leads), start=1):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c)
            cell.value = neutralize(value)
            cell.data_type = "s"  # never "f": a text cell, whatever it starts with
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_json(leads: Sequence[dict[str, Any]]) -> bytes:
    """{"leads": [...]} in UTF-8."""
    return json.dumps({"leads": list(leads)}, ensure_ascii=False).encode("utf-8")


def render(fmt: str, leads: Sequence[dict[str, Any]]) -> bytes:
    """The lead list in one of FORMATS."""
    return {"csv": to_csv, "xlsx": to_xlsx, "json": to_json}[fmt](leads)
