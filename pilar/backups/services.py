"""Backups asked for (by hand, or by the nightly schedule) and queued for the task worker,
runs whose worker is gone, and the task worker's heartbeat (docs/BACKUP.md). Taking a backup
and the nightly retention are pilar/backups/work.py."""

from __future__ import annotations

import datetime
import os
import socket

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record
from pilar.backups.models import BackupRun, WorkerHeartbeat
from pilar.backups.tasks import take_backup
from pilar.backups.work import night_of
from pilar.lib.jobs import recover_stale

HEARTBEAT_EVERY = 30  # seconds between two heartbeats of the task worker


def backup_run_request(*, by: Actor) -> BackupRun:
    """An admin's "back up now": a run the task worker takes. Refused while one is waiting or
    running (a second click, two admins at once); one whose worker is gone does not count."""
    recover_runs()
    busy = ValidationError(
        _("A backup is already being taken; wait for it to finish."), code="busy"
    )
    with transaction.atomic():
        if BackupRun.objects.select_for_update().filter(status__in=BackupRun.WORKING).exists():
            raise busy
        try:
            with transaction.atomic():
                run = BackupRun.objects.create(
                    kind=BackupRun.Kind.MANUAL, requested_by=by.user, heartbeat_at=timezone.now()
                )
        except IntegrityError:
            raise busy from None  # asked for at the same moment by another request
        audit_record(
            by=by,
            action=AuditEntry.Action.CREATE,
            obj=run,
            note=_("backup asked for from the backups page"),
        )
        _enqueue(run)
    return run


def _enqueue(run: BackupRun) -> None:
    transaction.on_commit(lambda: take_backup.enqueue(run.pk))


def worker_alive() -> bool:
    """A task worker has said it is alive within PILAR_WORKER_STALE_SECONDS (as /healthz reads
    it)."""
    cutoff = timezone.now() - datetime.timedelta(seconds=settings.PILAR_WORKER_STALE_SECONDS)
    return WorkerHeartbeat.objects.filter(beat_at__gte=cutoff).exists()


def recover_runs() -> int:
    """Fail the runs whose worker is gone, so that the page stops waiting and another can be
    asked for: a running one whose heartbeat is stale (pilar/lib/jobs.py), and, while no task
    worker is alive, a queued one asked for longer ago than that (a run is created with a
    heartbeat). While a worker is alive a queued run waits: the worker may be busy with a long
    import first."""
    runs = BackupRun.objects.all()
    alive = worker_alive()
    if alive:
        runs = runs.filter(status=BackupRun.Status.RUNNING)

    def lost(run: BackupRun) -> dict:
        if run.status == BackupRun.Status.QUEUED:
            error = _(
                "No task worker took this backup: is `pilar serve` running with its task "
                "worker? Ask for it again once it is."
            )
        else:
            error = _("The task worker stopped while taking this backup.")
        return {"status": BackupRun.Status.FAILED, "finished_at": timezone.now(), "error": error}

    return recover_stale(runs, BackupRun.WORKING, lost)


def nightly_backup_claim(now: datetime.datetime | None = None) -> BackupRun | None:
    """The nightly run when it is due and no one has taken it yet: created here, so that of
    several workers exactly one gets it (the night is unique). None otherwise."""
    night = night_of(now or timezone.now())
    if BackupRun.objects.filter(night=night).exists():
        return None
    try:
        with transaction.atomic():
            run = BackupRun.objects.create(
                kind=BackupRun.Kind.NIGHTLY, night=night, heartbeat_at=timezone.now()
            )
            _enqueue(run)
    except IntegrityError:
        return None
    return run


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def worker_beat(name: str, started_at: datetime.datetime) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        name=name,
        defaults={"beat_at": now},
        create_defaults={"beat_at": now, "started_at": started_at},
    )
    # Rows of workers gone for a day are of no use to anyone.
    WorkerHeartbeat.objects.filter(beat_at__lt=now - datetime.timedelta(days=1)).delete()


def worker_stop(name: str) -> None:
    WorkerHeartbeat.objects.filter(name=name).delete()


def last_heartbeat() -> datetime.datetime | None:
    return WorkerHeartbeat.objects.order_by("-beat_at").values_list("beat_at", flat=True).first()
