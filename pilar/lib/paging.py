"""Paging for lists that can hold millions of rows (docs/PERFORMANCE.md, "Pages at national
scale").

`LargePaginator` counts exactly up to `EXACT_UP_TO` rows (a count over at most that many rows,
which an index fitting the list's filters keeps cheap). Beyond that, on PostgreSQL, it takes the
planner's estimate of the rows the query selects instead of counting millions of rows on every
page view: the page says "about N" (`paginator.estimated`). SQLite has no estimate and counts.
"""

from __future__ import annotations

import json
from functools import cached_property

from django.core.paginator import Paginator
from django.db import connections

EXACT_UP_TO = 10_000
DEFERRED_FROM = 1_000  # rows skipped from which a page's ids are found first


def estimated_rows(queryset) -> int | None:
    """The PostgreSQL planner's estimate of the rows `queryset` selects (None elsewhere)."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def count_or_estimate(queryset) -> tuple[int, bool]:
    """(n, estimated): the exact number of rows up to `EXACT_UP_TO`, above it the planner's
    estimate on PostgreSQL (an exact count elsewhere)."""
    # Only the ids are counted: a list's annotations (a household's head and pillar, each a
    # subquery) would otherwise be computed for every row counted (docs/PERFORMANCE.md, "Load").
    exact = queryset.order_by().values("pk")[: EXACT_UP_TO + 1].count()
    if exact <= EXACT_UP_TO:
        return exact, False
    estimate = estimated_rows(queryset)
    if estimate is None:
        return queryset.count(), False
    return max(estimate, exact), True


class LargePaginator(Paginator):
    """A Paginator whose count is exact up to `EXACT_UP_TO` rows and estimated above."""

    estimated = False

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not hasattr(queryset, "query"):
            return super().count
        n, self.estimated = count_or_estimate(queryset)
        return n

    def page(self, number):
        """A deep page (past `DEFERRED_FROM` rows) is a deferred join: the ids of its rows are
        paged first, which reads only the index fitting the list's order (no joins, no
        per-row subqueries for the rows skipped), then those rows are fetched whole."""
        queryset = self.object_list
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        if not hasattr(queryset, "query") or bottom < DEFERRED_FROM:
            return super().page(number)
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = list(queryset.values_list("pk", flat=True)[bottom:top])
        return self._get_page(list(queryset.filter(pk__in=ids)), number, self)
