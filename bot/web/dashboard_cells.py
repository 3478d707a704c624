"""Small numbers never identify a student: the one place where the dashboard's counts become
what a page, a chart or an export shows ("<5", ranges, shares or "—")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

SMALL = 5  # a count from 1 to SMALL-1 is never shown
HIDDEN = "<5"
NO_SHARE = "—"  # a share not shown (a small count, or a small denominator)


@dataclass(frozen=True)
class Shown:
    """A count as shown: `text`, and `exact` when the number itself may be shown (None for
    "<5" and for a range)."""

    text: str
    exact: int | None
    low: int = 0
    high: int = 0

    @property
    def hidden(self) -> bool:
        return self.exact is None


def number(value: int) -> str:
    """1234 as Vietnamese write it: 1.234."""
    return f"{value:,}".replace(",", ".")


def _exact(value: int) -> Shown:
    return Shown(number(value), value, value, value)


def _small() -> Shown:
    # "<5" says 0 to 4: a zero hidden as a complement of another cell is not a lie
    return Shown(HIDDEN, None, 0, SMALL - 1)


def _range(low: int, high: int) -> Shown:
    return Shown(f"{number(low)}–{number(high)}", None, low, high)


def protect(
    cells: Sequence[Sequence[int]], row_totals: bool = False, column_totals: bool = False
) -> list[list[Shown]]:
    """The counts of a table as they may be shown, with a total column (sum of each row) and
    a total row (sum of each column) when asked: the matrix returned is the table with its
    totals. Every count from 1 to 4 is "<5" (0 stays 0: it names no one). Where a total
    minus the shown cells of its row or column would give away a hidden one, a 0 of that row
    or column is hidden too; where it has no 0, the total is shown as the range the hidden
    cells allow (e.g. "12–15"). Repeated until no row, column or total row gives one away."""
    rows = len(cells)
    width = len(cells[0]) if rows else 0
    values = [[int(v) for v in row] for row in cells]
    if any(len(row) != width for row in values) or any(v < 0 for row in values for v in row):
        raise ValueError("a table of non-negative counts, every row as long")
    if row_totals:
        values = [[*row, sum(row)] for row in values]
    if column_totals:
        values.append([sum(row[j] for row in values) for j in range(len(values[0]))])
    grid = [[_small() if 0 < v < SMALL else _exact(v) for v in row] for row in values]
    groups: list[tuple[list[tuple[int, int]], tuple[int, int]]] = []
    if row_totals:  # each row, the total row's too: cells -> the total column
        groups += [([(i, j) for j in range(width)], (i, width)) for i in range(len(values))]
    if column_totals:  # each column, the total column's too: cells -> the total row
        span = width + (1 if row_totals else 0)
        groups += [([(i, j) for i in range(rows)], (rows, j)) for j in range(span)]
    # bookkeeping kept up to date as cells are hidden, so that each pass costs one look at
    # each group rather than at each of its cells (a table of communes has hundreds of rows)
    member_of: dict[tuple[int, int], list[int]] = {}  # cell -> the groups it is a member of
    for g, (members, _) in enumerate(groups):
        for cell in members:
            member_of.setdefault(cell, []).append(g)
    hidden = [sum(1 for i, j in members if grid[i][j].hidden) for members, _ in groups]

    def hide(cell: tuple[int, int], shown: Shown) -> None:
        i, j = cell
        if not grid[i][j].hidden and shown.hidden:
            for g in member_of.get(cell, ()):
                hidden[g] += 1
        grid[i][j] = shown

    def settled(cell: tuple[int, int], skip: int) -> int:
        """How many other groups of `cell` already hide a member or their total."""
        return sum(
            1
            for g in member_of.get(cell, ())
            if g != skip and (grid[groups[g][1][0]][groups[g][1][1]].hidden or hidden[g] > 0)
        )

    def leaking() -> list[int]:
        """Groups whose shown total minus their shown cells gives away their one hidden cell."""
        return [
            g
            for g, (_, (ti, tj)) in enumerate(groups)
            if hidden[g] == 1 and not grid[ti][tj].hidden
        ]

    while found := leaking():
        # first hide zeros (cheap: "<5" is true of 0), preferring a 0 whose other row or
        # column hides a cell already; only where no 0 is left, show a total as a range
        hid = False
        for g in found:
            if hidden[g] != 1:
                continue  # an earlier 0 of this pass settled it
            members = groups[g][0]
            zeros = [(i, j) for i, j in members if grid[i][j].exact == 0]
            if zeros:
                hide(max(zeros, key=lambda cell: settled(cell, g)), _small())
                hid = True
        if not hid:
            members, total = groups[found[0]]
            low = sum(grid[i][j].low for i, j in members)
            high = sum(grid[i][j].high for i, j in members)
            hide(total, _range(low, high))
    return grid


def share(part: Shown, whole: Shown, complement: bool = True) -> str:
    """`part` as a percentage of `whole` (one decimal, "40,1 %"), or "—" when either is not
    shown exactly, `whole` is under 5, or (with `complement`) `whole - part` is from 1 to 4:
    a share must not give away the small group the count leaves out."""
    if part.exact is None or whole.exact is None or whole.exact < SMALL:
        return NO_SHARE
    if complement and 0 < whole.exact - part.exact < SMALL:
        return NO_SHARE
    return percent(100 * part.exact / whole.exact)


def percent(value: float, digits: int = 1) -> str:
    """40.12 -> "40,12 %" (Vietnamese decimal comma)."""
    return f"{value:.{digits}f}".replace(".", ",") + " %"


def one(value: int) -> Shown:
    """A count alone (no row or column to give it away)."""
    return protect([[value]])[0][0]
