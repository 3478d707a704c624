"""A dashboard table as CSV (UTF-8 with BOM, for Excel) or XLSX: the same cells the page shows
("<5", ranges, "—"), formula-like cells neutralised as in bot.leads.export."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.utils import get_column_letter

from bot.leads.cells import clean, neutralize
from bot.web.dashboard_cells import Shown
from bot.web.dashboard_tables import Table

EXPORTS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
SHEET_TITLE_MAX = 31  # Excel's limit
SHEET_TITLE_BAD = str.maketrans(dict.fromkeys("[]:*?/\\", " "))  # not allowed in a sheet's name


def _text(cell: Shown | str) -> str:
    return clean(cell.text if isinstance(cell, Shown) else cell)


def lines(table: Table) -> list[list[str]]:
    """The table as text cells: its header, then a row per row."""
    return [
        [clean(h) for h in table.header],
        *[[clean(row.label), *(_text(c) for c in row.cells)] for row in table.rows],
    ]


def to_csv(table: Table, caption: str) -> bytes:
    """The table with a caption line (what it counts, under which filter) above it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralize(clean(caption))])
    for line in lines(table):
        writer.writerow([neutralize(c) for c in line])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(table: Table, caption: str) -> bytes:
    """The table in one sheet: a caption row, a header row, exact counts as numbers, every
    other cell ("<5", a range, a share) as text, never a formula."""
    book = Workbook(write_only=True)
    title = clean(table.title).translate(SHEET_TITLE_BAD).strip("' ")
    sheet = book.create_sheet(title[:SHEET_TITLE_MAX].strip() or "Bảng")
    widths = [max(12, min(60, len(h) + 2)) for h in table.header]
    widths[0] = 40
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width

    def text(value: str) -> WriteOnlyCell | str | None:
        if not value:
            return None
        if value.startswith("=") or value in ERROR_CODES:
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # the text as it is, never evaluated
            return cell
        return value

    sheet.append([text(clean(caption))])
    sheet.append([text(clean(h)) for h in table.header])
    for row in table.rows:
        values: list[object] = [text(clean(row.label))]
        for cell in row.cells:
            if isinstance(cell, Shown) and cell.exact is not None:
                values.append(cell.exact)
            else:
                values.append(text(_text(cell)))
        sheet.append(values)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bang.xlsx"
        book.save(path)
        return path.read_bytes()
