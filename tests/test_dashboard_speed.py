"""The dashboard's speed-ups (task socache) change nothing it shows: protect() gives exactly what
it gave before it kept its counts up to date."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.web.dashboard_cells import SMALL, Shown, _exact, _range, _small, protect

# -- the speed-up (task socache) keeps every table exactly as it was -----------------------------
# protect() once recounted every row and column on each pass (quadratic in a table of hundreds of
# communes); it now keeps the counts up to date. This is the earlier code, as the reference.


def protect_before(
    cells: Sequence[Sequence[int]], row_totals: bool = False, column_totals: bool = False
) -> list[list[Shown]]:
    """protect() as it was before it kept its counts up to date (the reference)."""
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

    def settled(cell: tuple[int, int], skip: list[tuple[int, int]]) -> int:
        """How many other groups of `cell` already hide a member or their total."""
        return sum(
            1
            for members, (ti, tj) in groups
            if cell in members
            and members is not skip
            and (grid[ti][tj].hidden or any(grid[i][j].hidden for i, j in members))
        )

    def leaking() -> list[tuple[list[tuple[int, int]], tuple[int, int]]]:
        """Groups whose shown total minus their shown cells gives away their one hidden cell."""
        return [
            (members, total)
            for members, total in groups
            if not grid[total[0]][total[1]].hidden
            and sum(1 for i, j in members if grid[i][j].hidden) == 1
        ]

    while found := leaking():
        # first hide zeros (cheap: "<5" is true of 0), preferring a 0 whose other row or
        # column hides a cell already; only where no 0 is left, show a total as a range
        hid = False
        for members, _ in found:
            if sum(1 for i, j in members if grid[i][j].hidden) != 1:
                continue  # an earlier 0 of this pass settled it
            zeros = [(i, j) for i, j in members if grid[i][j].exact == 0]
            if zeros:
                i, j = max(zeros, key=lambda cell: settled(cell, members))
                grid[i][j] = _small()
                hid = True
        if not hid:
            members, (ti, tj) = found[0]
            low = sum(grid[i][j].low for i, j in members)
            high = sum(grid[i][j].high for i, j in members)
            grid[ti][tj] = _range(low, high)
    return grid


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=1, max_value=4).flatmap(
        lambda w: st.lists(
            st.lists(st.integers(min_value=0, max_value=9), min_size=w, max_size=w),
            min_size=1,
            max_size=40,
        )
    ),
    st.booleans(),
    st.booleans(),
)
def test_protect_shows_what_it_showed_before_the_speed_up(
    cells: list[list[int]], row_totals: bool, column_totals: bool
) -> None:
    assert protect(cells, row_totals, column_totals) == protect_before(
        cells, row_totals, column_totals
    )
