"""What the task worker does for a backup (pilar/backups/services.py asks for it,
pilar/backups/tasks.py queues it): take it, recording its steps, and keep the nightly archives
to the retention (docs/BACKUP.md)."""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.utils import timezone

from pilar.backups import archive
from pilar.backups.models import BackupRun
from pilar.lib.jobs import Heartbeat

log = logging.getLogger(__name__)


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


def night_of(now: datetime.datetime) -> datetime.date:
    """The night whose backup is due at `now`: today's once the hour is past, else last
    night's (a worker started at 09:00 takes the one it missed at 01:00)."""
    local = timezone.localtime(now)
    if local.hour >= settings.PILAR_BACKUP_HOUR:
        return local.date()
    return local.date() - datetime.timedelta(days=1)


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
