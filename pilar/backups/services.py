"""Backups taken in the background, the nightly schedule and its retention, and the task
worker's heartbeat (docs/BACKUP.md)."""

from __future__ import annotations

import datetime
import logging
import os
import socket

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record
from pilar.backups import archive
from pilar.backups.models import BackupRun, WorkerHeartbeat
from pilar.lib.jobs import Heartbeat, recover_stale

log = logging.getLogger(__name__)

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
    from pilar.backups.tasks import take_backup

    transaction.on_commit(lambda: take_backup.enqueue(run.pk))


def backup_run_take(run_id: int) -> BackupRun | None:
    """Take the backup of run `run_id` (in the task worker), recording its steps, its file or
    its error. A nightly run then prunes the old nightly archives."""
    claimed = BackupRun.objects.filter(pk=run_id, status=BackupRun.Status.QUEUED).update(
        status=BackupRun.Status.RUNNING, started_at=timezone.now(), heartbeat_at=timezone.now()
    )
    if not claimed:
        return None  # taken already, or given up for lost
    beat = Heartbeat(BackupRun.objects.filter(pk=run_id))
    run = BackupRun.objects.get(pk=run_id)
    try:
        # The database copy and pg_dump report no progress for minutes on a large database.
        with beat.meanwhile():
            result = archive.create_backup(
                kind=run.kind, progress=lambda step: beat.beat(step=step)
            )
    except Exception as exc:
        log.exception("backup run %s failed", run_id)
        BackupRun.objects.filter(pk=run_id).update(
            status=BackupRun.Status.FAILED, finished_at=timezone.now(), error=str(exc)[:2000]
        )
    else:
        BackupRun.objects.filter(pk=run_id).update(
            status=BackupRun.Status.DONE,
            finished_at=timezone.now(),
            filename=result.path.name,
            size=result.size,
            step="",
        )
        if run.kind == BackupRun.Kind.NIGHTLY:
            prune_nightly()
    return BackupRun.objects.get(pk=run_id)


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


def night_of(now: datetime.datetime) -> datetime.date:
    """The night whose backup is due at `now`: today's once the hour is past, else last
    night's (a worker started at 09:00 takes the one it missed at 01:00)."""
    local = timezone.localtime(now)
    if local.hour >= settings.PILAR_BACKUP_HOUR:
        return local.date()
    return local.date() - datetime.timedelta(days=1)


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


def nightly_keep(files: list[archive.BackupFile]) -> set[str]:
    """Of the nightly archives, those kept: the newest of each of the last
    PILAR_BACKUP_KEEP_DAILY nights that have one, and of each of the last
    PILAR_BACKUP_KEEP_WEEKLY ISO weeks that have one (an archive may count for both). A night
    runs from the backup hour to the next day's: one taken at 00.30 belongs to the night
    before, like the backup it catches up."""
    nightly = sorted(
        (f for f in files if f.kind == "nightly"), key=lambda f: f.taken_at, reverse=True
    )
    keep: set[str] = set()
    for key, limit in (
        (lambda f: night_of(f.taken_at), settings.PILAR_BACKUP_KEEP_DAILY),
        (lambda f: night_of(f.taken_at).isocalendar()[:2], settings.PILAR_BACKUP_KEEP_WEEKLY),
    ):
        periods: set = set()
        for f in nightly:
            period = key(f)
            if period in periods:
                continue
            if len(periods) >= limit:
                break
            periods.add(period)
            keep.add(f.name)
    return keep


def prune_nightly() -> list[str]:
    """Delete the nightly archives the retention does not keep; other archives (taken by hand,
    before an upgrade) are never deleted here. Returns the names deleted."""
    files = archive.list_backups()
    keep = nightly_keep(files)
    gone = []
    for f in files:
        if f.kind == "nightly" and f.name not in keep:
            f.path.unlink(missing_ok=True)
            gone.append(f.name)
    # What a backup killed mid-way (kill -9, power cut) left of its temporary files.
    day_ago = timezone.now().timestamp() - 86400
    # SQLite's rollback journal of the copy (`….db.part-journal`) included.
    for leftover in archive.backup_dir().glob(".pilar-*.part*"):
        if leftover.stat().st_mtime < day_ago:
            leftover.unlink(missing_ok=True)
            gone.append(leftover.name)
    return gone


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
