"""Figures kept for a few minutes when counting them takes seconds (docs/PERFORMANCE.md, "Pages
at national scale"): the aggregates of a province or the country, which every view of the
casework figures or the dashboard would otherwise count again from millions of rows.

Only for scopes past `LARGE_FROM` rows by the PostgreSQL planner's estimate; smaller scopes
(a city, every test) are always counted afresh. The pages say when the figures were counted.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.cache import cache
from django.utils import timezone

from pilar.lib.paging import estimated_rows

LARGE_FROM = 50_000
KEEP_SECONDS = 300


def scope_key(areas) -> str:
    """A cache key part for an area scope (None: everywhere)."""
    return "all" if areas is None else ",".join(sorted(a.code for a in areas))


def kept(key: str, compute: Callable[[], object], *, size_of) -> tuple[object, object]:
    """(value, counted_at): `compute()` kept for KEEP_SECONDS when the queryset `size_of` is
    estimated past LARGE_FROM rows (counted_at is then when it was computed), else computed now
    (counted_at None)."""
    estimate = estimated_rows(size_of)
    if estimate is None or estimate < LARGE_FROM:
        return compute(), None
    hit = cache.get(key)
    if hit is None:
        hit = (compute(), timezone.now())
        cache.set(key, hit, KEEP_SECONDS)
    return hit
