"""Lead lists as CSV (UTF-8 with BOM, for Excel), XLSX and JSON, written batch by batch.

Every cell is stripped of the code points XML 1.0 forbids and of unassigned ones; times are
Vietnam time to the second. CSV cells that look like formulas get a leading apostrophe; XLSX
cells are stored as strings (type "s"), which no spreadsheet evaluates, so they need none.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.utils import get_column_letter

from bot.leads.cells import FORMULA_START, clean, vietnam_naive, vietnam_time
from bot.leads.cells import VIETNAM as VIETNAM
from bot.leads.cells import neutralize as neutralize
from bot.leads.records import PARENT_STEP, Names, lead_dict
from bot.storage.schools import LeadRecord

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json; charset=utf-8",
}
# Column header (Vietnamese, what school staff read), where the value sits in a lead dict,
# and the column's width in an XLSX sheet (in characters).
COLUMNS: list[tuple[str, str, int]] = [
    ("Mã", "lead_id", 34),
    ("Thời gian", "created_at", 20),
    ("Khảo sát", "survey_name", 30),
    ("Lớp", "grade", 6),
    ("Họ tên", "student.name", 26),
    ("Trường, lớp", "student.school_class", 26),
    ("Số điện thoại", "student.phone", 16),
    ("SĐT phụ huynh", "parent.phone", 16),
    ("Phụ huynh đồng ý", "parent.confirmed", 10),
    ("Dự định", "plan.label", 24),
    ("Nghề quan tâm", "trades", 36),
    ("Tỉnh, thành phố", "province.name", 24),
    ("Xã, phường", "commune", 20),
    ("Kênh", "channel", 10),
    ("Phiên bản nội dung đồng ý", "consent.version", 14),
    ("Thời điểm đồng ý", "consent.recorded_at", 20),
    # parent (issue 12): how a parent confirmed, and when
    ("Phụ huynh xác nhận qua", "parent_confirmation.how", 16),
    ("Thời điểm phụ huynh xác nhận", "parent_confirmation.at", 20),
]
# parentsafe: a confirmation in the bot is verified only with a phone the platform vouches for
HOW_LABELS = {
    "bot": "Bot (chưa xác minh: gọi phụ huynh trước)",
    "bot_verified": "Bot (đã xác minh số phụ huynh)",
    "school_phone": "Trường gọi điện",
}
HEADERS = [h for h, _, _ in COLUMNS]
# portal2 (issue 12): the school portal's export adds the school's own work on each lead
PORTAL_COLUMNS: list[tuple[str, str, int]] = [
    *COLUMNS,
    ("Trạng thái", "portal_status", 20),
    ("Ghi chú", "portal_note", 40),
]
PORTAL_HEADERS = [h for h, _, _ in PORTAL_COLUMNS]


def portal_cells(record: LeadRecord, names: Names) -> list[str]:
    """A lead's cells of PORTAL_COLUMNS: those of COLUMNS, its portal status (as the portal
    names it) and the staff's note."""
    status = record.portal_status
    label = names.catalog.texts.get(f"portal_status_{status}", status) if status else ""
    extra = [label, record.portal_note or ""]
    extra = extra if "|".join(extra).isprintable() else [clean(c) for c in extra]
    return [*record_cells(record, names), *extra]


TIME_COLUMNS = (1, 15)  # indexes of the two times: real date-time cells in XLSX
XLSX_TIME_FORMAT = "dd/mm/yyyy hh:mm:ss"
_FORMULA = frozenset(FORMULA_START)


def _cell(lead: dict[str, Any], path: str) -> str:
    value: Any = lead
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if path == "trades":
        return ", ".join(t["name"] for t in lead.get("trades") or [])
    if path == "parent_confirmation.how" and value is not None:
        verified = (lead.get("parent_confirmation") or {}).get("verified")
        how = "bot_verified" if value == "bot" and verified else str(value)  # parentsafe
        return HOW_LABELS.get(how, how)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Có" if value else "Không"
    return str(value)


def rows(leads: Sequence[dict[str, Any]]) -> list[list[str]]:
    """Header and one row per lead dict (see records.lead_dict), every cell a string."""
    return [HEADERS, *[[_cell(lead, p) for _, p, _ in COLUMNS] for lead in leads]]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def record_cells(record: LeadRecord, names: Names) -> list[str]:
    """One lead as the cells of COLUMNS, straight from its record (the same as `rows` gives
    for its lead dict, without building the dict: an export does this 100,000 times), every
    cell clean of what XML 1.0 forbids and of unassigned code points."""
    answers, personal = record.answers, record.personal
    plan, province = answers.get("plan"), answers.get("province")
    parent = personal.get(PARENT_STEP)
    cells = [
        record.lead_id,
        vietnam_time(record.created_at),
        names.survey(record.survey_id),
        str(record.grade),
        _text(personal.get("name")),
        _text(personal.get("school_class")),
        _text(personal.get("phone")),
        _text(parent),
        ("Có" if record.parent_confirmed or record.parent_how else "Không")
        if parent is not None
        else "",
        names.plan(record.survey_id, str(plan)) if plan else "",
        ", ".join([names.trade(str(t)) for t in answers.get("trades") or []]),
        names.province(str(province)) if province else "",
        _text(answers.get("commune")),
        record.channel,
        record.consent_version or "",
        vietnam_time(record.consent_at) if record.consent_at else "",
        HOW_LABELS.get(record.parent_how, record.parent_how) if record.parent_how else "",
        vietnam_time(record.parent_at) if record.parent_at else "",
    ]
    # every code point to strip is unprintable: a printable row (most) needs no cleaning
    return cells if "|".join(cells).isprintable() else [clean(c) for c in cells]


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


def as_lines(lead: dict[str, Any]) -> list[str]:
    """A lead as "Header: value" lines (the filled fields of MESSAGE_FIELDS) and its time in
    Vietnam, for a chat message."""
    paths = {h: p for h, p, _ in COLUMNS}
    lines = [f"{h}: {v}" for h in MESSAGE_FIELDS if (v := _cell(lead, paths[h]))]
    created = dt.datetime.fromisoformat(lead["created_at"]).astimezone(VIETNAM)
    lines.append(f"Thời gian: {created:%H:%M %d/%m/%Y}")
    return lines


class CsvWriter:
    """CSV in UTF-8 with a byte-order mark (so Excel opens Vietnamese text correctly), CRLF
    line ends, formula-like cells neutralized; `head`, then `rows` per batch."""

    def __init__(self, names: Names, portal: bool = False) -> None:
        self.names = names
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\r\n")
        self._headers = PORTAL_HEADERS if portal else HEADERS
        self._cells = portal_cells if portal else record_cells

    def _flush(self) -> str:
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text

    def head(self) -> bytes:
        self._writer.writerow(self._headers)
        return self._flush().encode("utf-8-sig")

    def rows(self, records: Iterable[LeadRecord]) -> bytes:
        names, formula, cells = self.names, _FORMULA, self._cells
        # neutralize() inlined: this runs for 16 cells of each of 100,000 leads
        self._writer.writerows(
            [("'" + c if c[:1] in formula else c) for c in cells(r, names)] for r in records
        )
        return self._flush().encode("utf-8")

    def tail(self) -> bytes:
        return b""


class JsonWriter:
    """{"leads": [...]} in UTF-8, one lead dict (records.lead_dict) per lead."""

    def __init__(self, names: Names) -> None:
        self.names = names
        self._first = True

    def head(self) -> bytes:
        return b'{"leads": ['

    def rows(self, records: Iterable[LeadRecord]) -> bytes:
        dumps, names = json.dumps, self.names
        text = ", ".join(dumps(lead_dict(r, names), ensure_ascii=False) for r in records)
        if not text:
            return b""
        if not self._first:
            text = ", " + text
        self._first = False
        return text.encode("utf-8")

    def tail(self) -> bytes:
        return b"]}"


class XlsxWriter:
    """A workbook written row by row (openpyxl write-only mode) into `path`: a frozen header
    row, an auto filter, column widths; text cells are strings whatever they start with, the
    two times real date-time cells in Vietnam time (they sort and filter as dates)."""

    def __init__(self, names: Names, path: Path, portal: bool = False) -> None:
        self.names = names
        self.path = path
        self.count = 0
        self._columns = PORTAL_COLUMNS if portal else COLUMNS
        self._cells = portal_cells if portal else record_cells
        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet("Danh sách")
        self._sheet.freeze_panes = "A2"
        for index, (_, _, width) in enumerate(self._columns, start=1):
            self._sheet.column_dimensions[get_column_letter(index)].width = width
        self._sheet.append([h for h, _, _ in self._columns])
        self._times = [WriteOnlyCell(self._sheet) for _ in TIME_COLUMNS]
        for cell in self._times:
            cell.number_format = XLSX_TIME_FORMAT

    def _text(self, value: str) -> str | WriteOnlyCell | None:
        if not value:
            return None  # no cell at all
        if value.startswith("=") or value in ERROR_CODES:
            cell = WriteOnlyCell(self._sheet, value=value)
            cell.data_type = "s"  # never a formula or an error: the text as typed
            return cell
        return value

    def rows(self, records: Iterable[LeadRecord]) -> None:
        for record in records:
            values: list[Any] = [self._text(c) for c in self._cells(record, self.names)]
            for cell, index, moment in zip(
                self._times,
                TIME_COLUMNS,
                (record.created_at, record.consent_at),
                strict=True,
            ):
                cell.value = vietnam_naive(moment) if moment is not None else None
                values[index] = cell
            self._sheet.append(values)
            self.count += 1

    def close(self) -> None:
        """Set the auto filter over what was written and save the workbook to `path`."""
        last = get_column_letter(len(self._columns))
        self._sheet.auto_filter.ref = f"A1:{last}{self.count + 1}"
        self._book.save(self.path)


def to_csv(leads: Sequence[dict[str, Any]]) -> bytes:
    """Lead dicts as CSV in UTF-8 with a byte-order mark (the same file as CsvWriter's)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows(leads):
        writer.writerow([neutralize(c) for c in row])
    return buffer.getvalue().encode("utf-8-sig")
