"""Small-number suppression of the dashboard (bot.web.dashboard_cells): no count from 1 to 4 is
ever shown, no shown total minus shown cells gives one away, shares hide small groups."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.web.dashboard_cells import HIDDEN, NO_SHARE, Shown, one, protect, share


def texts(grid: list[list[Shown]]) -> list[list[str]]:
    return [[c.text for c in row] for row in grid]


def test_small_counts_are_hidden_and_zero_stays() -> None:
    assert [one(n).text for n in (0, 1, 2, 3, 4, 5, 1234)] == [
        "0", "<5", "<5", "<5", "<5", "5", "1.234"
    ]  # fmt: skip
    assert one(3).exact is None and one(5).exact == 5


def test_a_total_cannot_give_a_hidden_cell_away() -> None:
    # 13 - 5 - 6 = 2: with no 0 to hide beside it, the total becomes the range it allows
    assert texts(protect([[5, 6, 2]], row_totals=True)) == [["5", "6", "<5", "11–15"]]
    # a 0 in the same column is hidden instead ("<5" is true of 0), the total stays
    assert texts(protect([[5], [0], [2]], column_totals=True)) == [["5"], ["<5"], ["<5"], ["7"]]
    # two hidden cells in a row: their sum (2) is known, neither is
    assert texts(protect([[5, 1, 1]], row_totals=True)) == [["5", "<5", "<5", "7"]]
    # a total under 5 is hidden too
    assert texts(protect([[1, 2]], row_totals=True)) == [["<5", "<5", "<5"]]


def test_shares_never_reveal_a_small_group() -> None:
    assert share(one(5), one(10)) == "50,0 %"
    assert share(one(3), one(10)) == NO_SHARE  # a hidden count
    assert share(one(5), one(4)) == NO_SHARE  # a small denominator
    assert share(one(6), one(8)) == NO_SHARE  # the 2 others would be given away
    assert share(one(6), one(8), complement=False) == "75,0 %"
    assert share(one(5), one(5)) == "100,0 %"


counts = st.integers(min_value=0, max_value=12)


@settings(max_examples=400, deadline=None)
@given(
    st.integers(min_value=1, max_value=5).flatmap(
        lambda w: st.lists(st.lists(counts, min_size=w, max_size=w), min_size=1, max_size=6)
    ),
    st.booleans(),
    st.booleans(),
)
def test_no_table_gives_a_small_count_away(
    cells: list[list[int]], row_totals: bool, column_totals: bool
) -> None:
    grid = protect(cells, row_totals, column_totals)
    values = [[*r, sum(r)] if row_totals else list(r) for r in cells]
    if column_totals:
        values.append([sum(r[j] for r in values) for j in range(len(values[0]))])
    assert len(grid) == len(values) and all(
        len(a) == len(b) for a, b in zip(grid, values, strict=True)
    )
    for shown_row, true_row in zip(grid, values, strict=True):
        for shown, true in zip(shown_row, true_row, strict=True):
            if shown.exact is not None:
                assert shown.exact == true and not 0 < true < 5
            else:
                assert shown.low <= true <= shown.high  # "<5" and ranges are never lies
                assert shown.text == HIDDEN or "–" in shown.text
    # every row and column whose total is shown hides none of its cells, or at least two
    width = len(cells[0])
    groups = []
    if row_totals:
        groups += [([(i, j) for j in range(width)], (i, width)) for i in range(len(values))]
    if column_totals:
        span = width + (1 if row_totals else 0)
        groups += [([(i, j) for i in range(len(cells))], (len(cells), j)) for j in range(span)]
    for members, (ti, tj) in groups:
        if grid[ti][tj].exact is not None:
            assert sum(1 for i, j in members if grid[i][j].exact is None) != 1
