"""Small-count suppression (pilar/publik/suppress.py) against linear algebra over the
rationals: no hidden cell is fixed by the published cells and totals, 1–4 is never shown, and
every cell shown is its true count."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from pilar.publik.suppress import HIDDEN, SMALL, Table, column, hidden_cells, shown


def equations(table: Table) -> list[dict[tuple[int, int], int]]:
    """Each published sum as {cell of the extended grid: coefficient}, summing to 0."""
    grid = table.extended()
    rows, columns = table.rows, table.columns
    out = []
    if table.row_totals:
        for i in range(len(grid)):
            if i == rows and not table.column_totals:
                continue
            eq = {(i, j): 1 for j in range(columns)}
            eq[(i, columns)] = -1
            out.append(eq)
    if table.column_totals:
        for j in range(len(grid[0])):
            eq = {(i, j): 1 for i in range(rows)}
            eq[(rows, j)] = -1
            out.append(eq)
    return out


def rank(matrix: list[list[Fraction]]) -> int:
    m = [row[:] for row in matrix]
    r = 0
    width = len(m[0]) if m else 0
    for c in range(width):
        pivot = next((i for i in range(r, len(m)) if m[i][c] != 0), None)
        if pivot is None:
            continue
        m[r], m[pivot] = m[pivot], m[r]
        for i in range(len(m)):
            if i != r and m[i][c] != 0:
                f = m[i][c] / m[r][c]
                m[i] = [a - f * b for a, b in zip(m[i], m[r], strict=True)]
        r += 1
    return r


def determined(table: Table, unknown: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The unknown cells whose value the equations fix: e_k lies in the row space of the
    equations restricted to the unknowns."""
    index = {cell: k for k, cell in enumerate(unknown)}
    a = [
        [Fraction(eq.get(cell, 0)) for cell in unknown]
        for eq in equations(table)
        if any(cell in index for cell in eq)
    ]
    if not a:
        return []
    base = rank(a)
    fixed = []
    for k, cell in enumerate(unknown):
        unit = [Fraction(int(i == k)) for i in range(len(unknown))]
        if rank([*a, unit]) == base:
            fixed.append(cell)
    return fixed


counts = st.one_of(st.integers(0, 6), st.integers(0, 40))


@st.composite
def tables(draw):
    rows = draw(st.integers(1, 6))
    columns = draw(st.integers(1, 5))
    cells = tuple(tuple(draw(counts) for _ in range(columns)) for _ in range(rows))
    return Table(cells, row_totals=draw(st.booleans()), column_totals=draw(st.booleans()))


@settings(max_examples=400, deadline=None)
@given(tables())
def test_no_hidden_cell_is_determined_by_what_is_published(table):
    primary, complementary = hidden_cells(table)
    unknown = sorted(primary | complementary)
    assert determined(table, unknown) == []


@settings(max_examples=300, deadline=None)
@given(tables())
def test_small_counts_never_shown_and_shown_counts_true(table):
    grid = table.extended()
    out = shown(table)
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            if 1 <= value <= 4:
                assert out[i][j] == SMALL
            elif out[i][j] != HIDDEN:
                # 0 and 5 or more are shown as they are, unless hidden to protect a small one
                assert out[i][j] == value
            if out[i][j] == SMALL:
                assert 1 <= value <= 4


@settings(max_examples=200, deadline=None)
@given(tables())
def test_a_table_without_small_counts_is_shown_whole(table):
    grid = table.extended()
    if any(1 <= v <= 4 for row in grid for v in row):
        return
    assert shown(table) == grid


def test_one_small_cell_in_a_row_hides_a_second():
    cells, total = column([3, 10, 7, 20])
    assert cells == [SMALL, 10, HIDDEN, 20]  # the next-smallest
    assert total == 40


def test_two_by_two_with_totals():
    out = shown(Table(((2, 30), (40, 50))))
    # the 2 alone would be total minus 30: every cell of the table joins the cycle
    assert out[0][0] == SMALL
    assert (
        determined(
            Table(((2, 30), (40, 50))),
            [(i, j) for i in range(3) for j in range(3) if isinstance(out[i][j], str)],
        )
        == []
    )
    assert out[2][2] == 122


def test_bridge_between_two_cycles_is_closed():
    # Two blocks of small counts joined only through one hidden cell: that cell would be fixed.
    table = Table(((1, 1, 0, 0), (1, 1, 0, 0), (0, 0, 1, 1), (0, 0, 1, 1)))
    primary, complementary = hidden_cells(table)
    assert determined(table, sorted(primary | complementary)) == []


def test_zero_and_large_shown_as_they_are():
    assert shown(Table(((0, 5), (12, 0)))) == [[0, 5, 5], [12, 0, 12], [12, 5, 17]]


def feasible_values(domains: list[set[int]], total: int, i: int) -> set[int]:
    """The values cell `i` can take when the cells, each within its domain, add up to `total`."""
    others: set[int] = {0}
    for j, domain in enumerate(domains):
        if j != i:
            others = {a + b for a in others for b in domain if a + b <= total}
    return {v for v in domains[i] if total - v in others}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=14), min_size=1, max_size=6))
def test_no_hidden_count_is_pinned_by_its_bounds_either(values):
    """A reader knows "<5" is 1 to 4 and that a "*" is none of those (0, or 5 and more): within
    those bounds, under the published total, every hidden count could still be another."""
    cells, total = column(values)
    if not isinstance(total, int):
        return  # the total is hidden too: nothing ties the hidden counts together
    shown_sum = sum(c for c in cells if isinstance(c, int))
    hidden = [k for k, c in enumerate(cells) if not isinstance(c, int)]
    domains = [set(range(1, 5)) if cells[k] == SMALL else {0, *range(5, total + 1)} for k in hidden]
    for n, k in enumerate(hidden):
        assert len(feasible_values(domains, total - shown_sum, n)) >= 2, (values, cells, total, k)


def test_two_ones_under_their_total_are_not_given_away():
    """[1, 1, 20, 30] once showed "<5", "<5", 20, 30 and 52: both hidden counts could only be 1."""
    cells, total = column([1, 1, 20, 30])
    assert cells[:2] == [SMALL, SMALL] and cells[2] == HIDDEN and total == 52
