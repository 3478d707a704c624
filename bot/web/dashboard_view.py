"""HTML of the officials' dashboard: the filter form, each table with its bar chart (inline
SVG drawn here, described by a <title> and <desc>, the table beside it) and its export links."""

from __future__ import annotations

from collections.abc import Sequence

from bot.catalog import Catalog
from bot.catalog.text_keys import T
from bot.web.dashboard_cells import HIDDEN, Shown
from bot.web.dashboard_tables import Row, Table
from bot.web.forms import select_field
from bot.web.html import esc, query

FILTER_FIELDS = ("khao_sat", "nam_hoc", "tu", "den", "tinh")
CHART_ROWS = 15  # a chart shows at most this many rows (the table shows all)
# the chart's drawing box: text stays readable from a 320 px phone to a wide screen
LABEL_H, BAR_H, GAP = 19, 14, 9  # pixels: a row's label line, its bar, the gap below
SPAN = 82  # the longest bar, in % of the chart's width (its count is written after it)
LABEL_MAX = 38  # characters of a label in a chart (the table beside it has them all)
WIDE = 3  # a table with more value columns is laid out as blocks on a phone
SMALL_BAR = 6  # a "<5" bar: a fixed stub of 6 px, hatched, whatever the count


class DashboardView:
    """Renders the dashboard from the catalog's texts."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def t(self, key: str, **values: object) -> str:
        return self.catalog.texts[key].format(**values)

    # -- the filter form -------------------------------------------------------------------

    def _select(
        self, name: str, label: str, options: Sequence[tuple[str, str]], chosen: str
    ) -> str:
        return select_field(name, label, options, chosen, self.t(T.DASH_ANY))

    def filters(self, values: dict[str, str], ignored: bool, years: Sequence[str]) -> str:
        """The GET form that narrows every table (no script needed)."""
        surveys = [(s.id, s.title) for s in self.catalog.surveys.values()]
        provinces = sorted(((p.id, p.name) for p in self.catalog.provinces.values()),
                           key=lambda x: x[1])  # fmt: skip
        dates = "".join(
            f'<div class="field"><label for="f-{name}">{esc(self.t(key))}</label>'
            f'<input type="date" id="f-{name}" name="{name}" value="{esc(values.get(name, ""))}">'
            "</div>"
            for name, key in (("tu", T.DASH_FROM), ("den", T.DASH_TO))
        )
        warning = f'<p class="warn" role="status">{esc(self.t(T.DASH_IGNORED))}</p>'
        return (
            '<section class="panel" aria-labelledby="loc">'
            f'<h2 id="loc">{esc(self.t(T.DASH_FILTERS))}</h2>'
            + (warning if ignored else "")
            + '<form method="get" action="/so" class="grid">'
            + self._select("khao_sat", self.t(T.DASH_SURVEY), surveys, values.get("khao_sat", ""))
            + self._select("nam_hoc", self.t(T.DASH_SCHOOL_YEAR), [(y, y) for y in years],
                           values.get("nam_hoc", ""))
            + dates
            + self._select("tinh", self.t(T.DASH_PROVINCE), provinces, values.get("tinh", ""))
            + f'<div class="actions"><button class="primary" type="submit">'
            f"{esc(self.t(T.DASH_APPLY))}</button>"
            f'<a class="button" href="/so">{esc(self.t(T.DASH_CLEAR))}</a></div>'
            "</form></section>"
        )  # fmt: skip

    # -- tables ------------------------------------------------------------------------------

    def contents(self, tables: Sequence[Table]) -> str:
        links = "".join(f'<li><a href="#{esc(t.id)}">{esc(t.title)}</a></li>' for t in tables)
        return (
            f'<nav class="panel toc" aria-labelledby="muc-luc"><h2 id="muc-luc">'
            f"{esc(self.t(T.DASH_CONTENTS))}</h2><ul>{links}</ul>"
            f'<p class="hint">{esc(self.t(T.DASH_SMALL_NOTE))}</p></nav>'
        )

    def section(self, table: Table, values: dict[str, str]) -> str:
        note = f'<p class="hint">{esc(table.note)}</p>' if table.note else ""
        exports = "".join(
            f'<a class="button" href="/so/xuat'
            f'{esc(query({**values, "bang": table.id, "dinh_dang": f}))}">'
            f'{esc(self.t(key))}<span class="sr"> ({esc(table.title)})</span></a>'
            for f, key in (("csv", T.DASH_EXPORT_CSV), ("xlsx", T.DASH_EXPORT_XLSX))
        )  # fmt: skip
        chart = self.chart(table) if table.chart is not None and table.rows else ""
        return (
            f'<section class="panel{" charted" if chart else ""}" id="{esc(table.id)}" '
            f'aria-labelledby="h-{esc(table.id)}">'
            f'<h2 id="h-{esc(table.id)}">{esc(table.title)}</h2>{note}{chart}'
            f"{self.grid(table)}"
            f'<div class="exports">{exports}</div></section>'
        )

    def grid(self, table: Table) -> str:
        if not table.rows:
            return f'<p class="notice">{esc(self.t(T.DASH_EMPTY))}</p>'
        aside = table.aside
        heads = [h for i, h in enumerate(table.header) if aside is None or i != aside + 1]
        head = "".join(f'<th scope="col">{esc(h)}</th>' for h in heads)
        labels = [h for i, h in enumerate(table.header[1:]) if i != aside]
        wide = len(labels) > WIDE  # on a phone, each row becomes a block with labelled values
        body = "".join(self._row(row, aside, labels if wide else None) for row in table.rows)
        kind = "stats wide" if wide else "stats"
        return (
            f'<div class="scroll" role="region" tabindex="0" aria-labelledby="h-{esc(table.id)}">'
            f'<table class="{kind}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody>'
            "</table></div>"
        )

    def _row(self, row: Row, aside: int | None, labels: list[str] | None) -> str:
        """A row; the `aside` column (a long text: a source) goes under the row's label; with
        `labels`, each value carries its column's name (shown beside it on a phone)."""
        kept = [c for i, c in enumerate(row.cells) if i != aside]
        cells = "".join(self._cell(c, labels[i] if labels else None) for i, c in enumerate(kept))
        total = ' class="total"' if row.label == self.t(T.DASH_ALL) else ""
        note = ""
        if aside is not None and row.cells[aside]:
            note = f'<span class="aside">{esc(row.cells[aside])}</span>'
        return f'<tr{total}><th scope="row">{esc(row.label)}{note}</th>{cells}</tr>'

    @staticmethod
    def _cell(cell: Shown | str, label: str | None) -> str:
        named = f' data-label="{esc(label)}"' if label else ""
        if isinstance(cell, Shown):
            kind = "num count hidden" if cell.hidden else "num count"
            return f'<td class="{kind}"{named}>{esc(cell.text)}</td>'
        return f'<td class="num share"{named}>{esc(cell)}</td>'  # a share, a target

    # -- charts ------------------------------------------------------------------------------

    def chart(self, table: Table) -> str:
        """Horizontal bars of one column: a row's label above its bar, the count at its end;
        a "<5" row gets a short hatched stub, never a length that tells its count."""
        column = table.chart
        assert column is not None
        rows = [r for r in table.rows if r.label != self.t(T.DASH_ALL)][:CHART_ROWS]
        bars: list[tuple[str, Shown]] = []
        for r in rows:
            cell = r.cells[column]
            if isinstance(cell, Shown):
                bars.append((r.label, cell))
        if not bars:
            return ""
        top = max((c.high if c.hidden else c.exact or 0 for _, c in bars), default=0) or 1
        step = LABEL_H + BAR_H + GAP
        height = step * len(bars)
        parts: list[str] = []
        hatch = f'class="stub" fill="url(#p-{esc(table.id)})"'
        for index, (label, cell) in enumerate(bars):
            y = index * step

            def rect(x: str, width: str, kind: str, y: int = y) -> str:
                return f'<rect x="{x}" y="{y + LABEL_H}" width="{width}" height="{BAR_H}" {kind}/>'

            # lengths in % of the drawing's width and text in CSS pixels: the chart takes
            # the page's width and its text stays the page's size, on a phone as on a screen
            def pct(n: int) -> str:
                return f"{SPAN * n / top:.1f}%"

            if cell.text == HIDDEN:  # a stub, never a length that tells the count
                drawn, end = rect("0", str(SMALL_BAR), hatch), str(SMALL_BAR)
            elif cell.hidden:  # a range: solid to its low end, hatched to its high end
                drawn = rect("0", pct(cell.low), 'class="bar"') if cell.low else ""
                drawn += rect(pct(cell.low), pct(cell.high - cell.low), hatch)
                end = pct(cell.high)
            else:
                drawn = rect("0", pct(cell.exact or 0), 'class="bar"') if cell.exact else ""
                end = pct(cell.exact or 0) if cell.exact else "0"
            short = label if len(label) <= LABEL_MAX else label[: LABEL_MAX - 1] + "…"
            parts.append(
                f'<text x="0" y="{y + LABEL_H - 4}" class="lab">{esc(short)}</text>{drawn}'
                f'<text x="{end}" dx="5" y="{y + LABEL_H + BAR_H - 2}" class="val">'
                f"{esc(cell.text)}</text>"
            )
        described = "; ".join(f"{label}: {cell.text}" for label, cell in bars)
        listed = [r for r in table.rows if r.label != self.t(T.DASH_ALL)]
        note = ""
        if len(listed) > CHART_ROWS:
            note = f'<p class="hint">{esc(self.t(T.DASH_CHART_TOP, n=CHART_ROWS))}</p>'
        tid = esc(table.id)
        title = esc(self.t(T.DASH_CHART_OF, title=table.title))
        return (
            f'<figure class="chart"><svg role="img" width="100%" height="{height}" '
            f'aria-labelledby="c-{tid} d-{tid}" xmlns="http://www.w3.org/2000/svg">'
            f'<title id="c-{tid}">{title}</title><desc id="d-{tid}">{esc(described)}</desc>'
            f'<defs><pattern id="p-{tid}" width="4" height="4" patternUnits="userSpaceOnUse">'
            f'<path d="M0 4L4 0" class="hatch"/></pattern></defs>'
            f"{''.join(parts)}"
            f"</svg></figure>{note}"
        )  # fmt: skip
