"""Figures that are costly to compute, kept until the records change.

Every write goes through a service that records an audit entry in the same transaction, so
the newest entry's id is a version of the data: a
figure computed at version N is still right while the newest entry is N. The key carries the
version, so a write makes every older figure unreachable at once, on every server process; the
timeout bounds what a write outside the services (a database console) could leave stale.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from hashlib import sha256
from typing import TypeVar

from django.core.cache import cache
from django.db.models import Max

from pilar.audit.models import AuditEntry

T = TypeVar("T")
TIMEOUT_SECONDS = 300


def data_version() -> int:
    """The id of the newest audit entry (one index lookup)."""
    return AuditEntry.objects.aggregate(newest=Max("pk"))["newest"] or 0


def cached_figures(name: str, parts: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
    """`compute()`, or what it answered before for the same `name`, `parts` and data version."""
    digest = sha256(repr((parts, data_version())).encode()).hexdigest()[:32]
    key = f"pilar:{name}:{digest}"
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, TIMEOUT_SECONDS)
    return found
