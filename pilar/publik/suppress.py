"""Small-count suppression for published tables (docs/PUBLIC.md, "Small counts").

A count of households or people served between 1 and 4 is shown as "<5" (primary suppression).
Because a table publishes its totals, one hidden cell in a row would be recovered by
subtraction; so more cells are hidden (complementary suppression, shown as "*") until no hidden
cell can be worked out exactly from the published cells and totals.

Pure: no Django, no database. The table is seen as a graph. Every published equation (a row
adds up to its total, a column to its total) is a node; every cell is an edge between the two
equations it appears in (a cell in a row whose total is not published hangs on the one "free"
node, which carries no equation). Known cells drop out of the equations, and a hidden cell's
value is fixed by the equations exactly when its edge is a *bridge* of the graph of hidden
cells: on a cycle, adding 1 and taking 1 alternately round the cycle changes no sum, so the
cell could be otherwise; a bridge cuts off a side whose equations, added with the right signs,
leave that one cell alone. So the rule is: hide until the hidden cells' graph has no bridge.
`pilar/publik/tests/test_suppress.py` checks the result against linear algebra over the
rationals on random tables (hypothesis).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

THRESHOLD = 5  # counts 1..THRESHOLD-1 are hidden
SLACK = THRESHOLD + 1  # a hidden count that can give one to a small one beside it and stay 5+
SMALL = "<5"  # a count from 1 to 4
HIDDEN = "*"  # a count hidden so that a small one cannot be worked out from the totals

FREE = ("free",)  # the node of cells whose row (or column) total is not published


def is_small(value: int) -> bool:
    return 0 < value < THRESHOLD


@dataclass(frozen=True)
class Table:
    """A table of counts with its published totals: `cells[r][c]`; `row_totals`, when true,
    publishes each row's sum (and the grand total with `column_totals`); `column_totals`
    publishes each column's sum. The margins are cells too: a row total of 3 is hidden."""

    cells: tuple[tuple[int, ...], ...]
    row_totals: bool = True
    column_totals: bool = True

    @property
    def rows(self) -> int:
        return len(self.cells)

    @property
    def columns(self) -> int:
        return len(self.cells[0]) if self.cells else 0

    def extended(self) -> list[list[int]]:
        """The cells with their margins: a last column of row totals, a last row of column
        totals (and the grand total in the corner), as published."""
        grid = [list(row) for row in self.cells]
        if self.row_totals:
            for row in grid:
                row.append(sum(row))
        if self.column_totals:
            width = len(grid[0]) if grid else (1 if self.row_totals else 0)
            grid.append([sum(row[j] for row in grid) for j in range(width)])
        return grid

    def edges(self) -> dict[tuple[int, int], tuple[tuple, tuple]]:
        """Each cell of the extended grid → the two equation nodes it appears in."""
        grid = self.extended()
        last_row = len(grid) - 1 if self.column_totals else None
        out = {}
        for i, row in enumerate(grid):
            for j in range(len(row)):
                # Row i's equation exists when row totals are published (the column-totals row
                # too: the column totals add up to the grand total).
                row_node = ("r", i) if self.row_totals else FREE
                col_node = ("c", j) if self.column_totals else FREE
                if i == last_row and not self.row_totals:
                    row_node = FREE
                out[(i, j)] = (row_node, col_node)
        return out


def _bridges(edges: dict[tuple[int, int], tuple[tuple, tuple]], chosen: set) -> list:
    """The chosen edges that are bridges of the multigraph they form (iterative Tarjan)."""
    adjacency: dict[tuple, list[tuple[tuple, tuple[int, int]]]] = defaultdict(list)
    for cell in chosen:
        a, b = edges[cell]
        adjacency[a].append((b, cell))
        adjacency[b].append((a, cell))
    order: dict[tuple, int] = {}
    low: dict[tuple, int] = {}
    found = []
    counter = 0
    for root in sorted(adjacency):
        if root in order:
            continue
        order[root] = low[root] = counter
        counter += 1
        stack = [(root, None, iter(adjacency[root]))]
        while stack:
            node, via, neighbours = stack[-1]
            advanced = False
            for other, cell in neighbours:
                if cell == via:
                    continue
                if other in order:
                    low[node] = min(low[node], order[other])
                else:
                    order[other] = low[other] = counter
                    counter += 1
                    stack.append((other, cell, iter(adjacency[other])))
                    advanced = True
                    break
            if not advanced:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > order[parent]:
                        found.append(via)
    return sorted(found)


def _side(edges, chosen: set, start: tuple, cut) -> set:
    """The nodes reached from `start` over the chosen edges without crossing `cut`."""
    adjacency = defaultdict(list)
    for cell in chosen:
        if cell == cut:
            continue
        a, b = edges[cell]
        adjacency[a].append(b)
        adjacency[b].append(a)
    seen = {start}
    todo = [start]
    while todo:
        for other in adjacency[todo.pop()]:
            if other not in seen:
                seen.add(other)
                todo.append(other)
    return seen


def _cheapest(candidates: list[tuple[int, int]], grid: list[list[int]], inner: set):
    """The cell to hide besides: the smallest count that is not 0 (a 0 only when nothing else
    will do), a cell of the table before a total."""
    return min(
        candidates,
        key=lambda cell: (
            grid[cell[0]][cell[1]] == 0,
            cell not in inner,
            grid[cell[0]][cell[1]],
            cell,
        ),
    )


def _without_slack(by_node, chosen: set, primary: set, grid) -> tuple | None:
    """The first equation that hides a small count but no count of SLACK or more, with cells
    still to hide; None when there is none."""
    for node, cells in by_node.items():
        if node == FREE:
            continue
        hidden = [c for c in cells if c in chosen]
        if not any(c in primary for c in hidden):
            continue
        if any(grid[c[0]][c[1]] >= SLACK for c in hidden):
            continue
        if all(c in chosen for c in cells):
            continue
        return node, cells
    return None


def hidden_cells(table: Table) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    """(primary, complementary): the cells of the extended grid shown as "<5" and as "*"."""
    grid = table.extended()
    edges = table.edges()
    inner = {(i, j) for i in range(table.rows) for j in range(table.columns)}
    primary = {cell for cell in edges if is_small(grid[cell[0]][cell[1]])}
    chosen = set(primary)
    by_node: dict[tuple, list[tuple[int, int]]] = defaultdict(list)
    for cell, (a, b) in edges.items():
        by_node[a].append(cell)
        if b != a:
            by_node[b].append(cell)
    while True:
        # A published equation with a single hidden cell gives it away: hide a second one.
        changed = True
        while changed:
            changed = False
            for node, cells in by_node.items():
                if node == FREE:
                    continue
                hidden = [c for c in cells if c in chosen]
                if len(hidden) == 1:
                    rest = [c for c in cells if c not in chosen]
                    if rest:
                        chosen.add(_cheapest(rest, grid, inner))
                        changed = True
        # A hidden cell joining two otherwise separate groups of hidden cells is still fixed by
        # the equations (a bridge): close a cycle through it.
        bridges = _bridges(edges, chosen)
        if not bridges:
            # "<5" also tells a reader the count lies between 1 and 4: an equation whose hidden
            # cells are all small, or whose other hidden cells are barely 5, could be solved
            # within those bounds ([1, 1] under a total that leaves 2). Each equation holding a
            # small hidden count also hides one of SLACK or more, which can give one to a small
            # count or take one from it and still be 5 or more; with none left to hide, the
            # whole equation goes.
            short = _without_slack(by_node, chosen, primary, grid)
            if short is None:
                break
            node, cells = short
            roomy = [c for c in cells if c not in chosen and grid[c[0]][c[1]] >= SLACK]
            if roomy:
                chosen.add(_cheapest(roomy, grid, inner))
            else:
                chosen.update(cells)
            continue
        cut = bridges[0]
        a, b = edges[cut]
        side_a = _side(edges, chosen, a, cut)
        side_b = _side(edges, chosen, b, cut)
        across = [
            cell
            for cell, (x, y) in edges.items()
            if cell not in chosen
            and ((x in side_a and y in side_b) or (x in side_b and y in side_a))
        ]
        if across:
            chosen.add(_cheapest(across, grid, inner))
        else:  # never met in a table with rows and columns; hiding everything is always safe
            chosen = set(edges)
    return primary, chosen - primary


def shown(table: Table) -> list[list[int | str]]:
    """The extended grid as published: each count, "<5" or "*"."""
    grid = table.extended()
    primary, complementary = hidden_cells(table)
    out: list[list[int | str]] = []
    for i, row in enumerate(grid):
        line: list[int | str] = []
        for j, value in enumerate(row):
            if (i, j) in primary:
                line.append(SMALL)
            elif (i, j) in complementary:
                line.append(HIDDEN)
            else:
                line.append(value)
        out.append(line)
    return out


def column(values: list[int]) -> tuple[list[int | str], int | str]:
    """One column of counts and its published total: (cells as shown, total as shown)."""
    if not values:
        return [], 0
    grid = shown(Table(tuple((v,) for v in values), row_totals=False, column_totals=True))
    return [row[0] for row in grid[:-1]], grid[-1][0]


def hide_like(values: list[int], like: list[int | str]) -> list[int | str]:
    """`values` hidden where `like` is hidden (an amount of money beside the count it is made
    of: a hidden count's amount would give the count away)."""
    return [
        HIDDEN if isinstance(mask, str) else value for value, mask in zip(values, like, strict=True)
    ]
