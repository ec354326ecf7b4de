"""Heartbeats of background jobs: how a job row says its worker is alive, and how a reader tells
a job whose worker vanished (killed, out of memory, the machine restarted) from a slow one.

A job row (an import being checked or saved, an event's certificates being printed, a payment
batch being verified...) carries a `heartbeat_at` timestamp. The worker touches it when it
starts and as it goes (`Heartbeat.beat()`, at most every `BEAT_EVERY` seconds); a row still in a
working state whose heartbeat is older than `stale_after()` has lost its worker: the app marks
it failed with the reason, and the work can be started again.
"""

from __future__ import annotations

import datetime
import time

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

BEAT_EVERY = 5.0  # seconds between two heartbeat writes of one job


def stale_after() -> datetime.timedelta:
    """How long a job may go without a heartbeat before its worker is taken for gone
    (`PILAR_JOB_STALE_SECONDS`, 300 by default: ten times the longest step between beats)."""
    return datetime.timedelta(seconds=getattr(settings, "PILAR_JOB_STALE_SECONDS", 300))


def stale_q(working: list[str], *, field: str = "heartbeat_at", status: str = "status") -> Q:
    """Rows in one of the `working` states whose worker has not been heard of in time."""
    cutoff = timezone.now() - stale_after()
    return Q(**{f"{status}__in": working}) & (
        Q(**{f"{field}__lt": cutoff}) | Q(**{f"{field}__isnull": True})
    )


def is_stale(heartbeat_at: datetime.datetime | None) -> bool:
    return heartbeat_at is None or heartbeat_at < timezone.now() - stale_after()


class Heartbeat:
    """Touches `heartbeat_at` of the rows of `queryset` (one job) at most every BEAT_EVERY
    seconds; extra fields (progress) are written with the beat when given."""

    def __init__(self, queryset: QuerySet, *, field: str = "heartbeat_at"):
        self.queryset = queryset
        self.field = field
        self._last = 0.0

    def beat(self, *, force: bool = False, **fields) -> None:
        now = time.monotonic()
        if not force and now - self._last < BEAT_EVERY:
            return
        self._last = now
        self.queryset.update(**{self.field: timezone.now()}, **fields)
