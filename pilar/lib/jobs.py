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
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from django.conf import settings
from django.db import OperationalError, connections, models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

logger = logging.getLogger("pilar.jobs")

BEAT_EVERY = 5.0  # seconds between two heartbeat writes of one job


class Job(models.Model):
    """A job row: its model declares `status` (with its own labels), which is one of `WORKING`
    while a worker has the job, and `heartbeat_at` says when that worker was last heard of."""

    WORKING: ClassVar[list[str]] = ["queued", "running"]

    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_working(self) -> bool:
        return self.status in self.WORKING


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
        try:
            self.queryset.update(**{self.field: timezone.now()}, **fields)
        except OperationalError as exc:
            # SQLite: a worker reading a long cursor holds an old snapshot; once another
            # connection has written, this connection's write is refused at once ("database is
            # locked") however long the busy timeout. A missed beat is harmless (the next one,
            # or the job's end, writes it); failing the job for it is not.
            if self.queryset.db and connections[self.queryset.db].vendor != "sqlite":
                raise
            if not _is_locked(exc):
                raise
            logger.warning("heartbeat skipped: %s", exc)

    @contextmanager
    def meanwhile(self) -> Iterator[None]:
        """Beat from a helper thread every BEAT_EVERY seconds while the body runs a long step that
        reports no progress of its own (a database copy, pg_dump), so that the job is not taken
        for gone while its worker is busy with it."""
        done = threading.Event()

        def keep_beating() -> None:
            try:
                while not done.wait(BEAT_EVERY):
                    self.queryset.update(**{self.field: timezone.now()})
            finally:
                connections.close_all()  # this thread's own connection

        thread = threading.Thread(target=keep_beating, name="heartbeat", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()


def _is_locked(exc: OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "could not obtain lock" in text


@contextmanager
def _no_lock_wait(using: str):
    """Statements inside fail at once instead of waiting on a lock another connection holds
    (SQLite's busy timeout; PostgreSQL's lock_timeout, local to the transaction)."""
    conn = connections[using]
    if conn.vendor == "sqlite":
        with conn.cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout")
            previous = int(cursor.fetchone()[0])
            cursor.execute("PRAGMA busy_timeout = 0")
        try:
            yield
        finally:
            with conn.cursor() as cursor:
                cursor.execute(f"PRAGMA busy_timeout = {previous}")
        return
    yield


def recover_stale(queryset: QuerySet, working: list[str], recovered: Callable[[Any], dict]) -> int:
    """Mark the jobs of `queryset` whose worker vanished: each row in one of the `working`
    states with a stale heartbeat gets the fields `recovered(row)` gives (a failed state and
    the reason). Returns how many.

    A worker inside one long transaction (an import's commit) cannot beat where others see it,
    but holds its job's row locked (PostgreSQL: SELECT ... FOR UPDATE) or the database's write
    lock (SQLite): such a row is left alone, and so is any row whose lock is held right now
    (checked without waiting). A killed worker's locks die with its connection."""
    model = queryset.model
    using = queryset.db
    count = 0
    candidates = list(queryset.filter(stale_q(working)).values_list("pk", flat=True)[:100])
    for pk in candidates:
        try:
            with _no_lock_wait(using), transaction.atomic(using=using):
                row = (
                    model._default_manager.using(using)
                    .select_for_update(skip_locked=True)
                    .filter(stale_q(working), pk=pk)
                    .first()
                )
                if row is None:
                    continue  # its worker holds it, or another reader recovered it
                model._default_manager.using(using).filter(pk=pk).update(**recovered(row))
                count += 1
        except OperationalError as exc:
            if not _is_locked(exc):
                raise
    return count


# Every app with background jobs registers how to recover them (in its AppConfig.ready), so
# that `recover_all()` (when `pilar serve` starts its worker) needs no import of the apps.
_recoverers: list[Callable[[], int]] = []


def register_recovery(recover: Callable[[], int]) -> None:
    if recover not in _recoverers:
        _recoverers.append(recover)


def recover_all() -> int:
    return sum(recover() for recover in _recoverers)
