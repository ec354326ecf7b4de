"""What /healthz reports (docs/BACKUP.md, "Watching it"): nothing personal, only whether the
database answers, its migrations, the task worker's heartbeat, the last backup and free disk."""

from __future__ import annotations

import shutil

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from pilar.backups import archive
from pilar.backups.archive import unknown_migrations

# Less free space than this on the data directory's disk is a warning: a nightly archive and
# the uploads of a day must still fit.
LOW_DISK_BYTES = 1024**3


def check() -> dict:
    """The report; `status` is "ok" (200) unless the database is unreachable, migrations are
    pending or unknown, or the task worker's heartbeat is missing or stale ("fail", 503). An old
    last backup or a nearly full disk are `warnings` only: the site still serves, and a load
    balancer reading the status must not take it away for that."""
    failures: list[str] = []
    warnings: list[str] = []
    report: dict = {}
    now = timezone.now()
    try:
        executor = MigrationExecutor(connection)
        pending = len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
        unknown = len(unknown_migrations(executor.loader.applied_migrations, executor.loader))
        report["database"] = {"reachable": True, "vendor": connection.vendor}
    except DatabaseError:
        report["database"] = {"reachable": False, "vendor": connection.vendor}
        failures.append("database_unreachable")
        pending = unknown = None
    report["migrations"] = {"pending": pending, "unknown": unknown}
    if pending:
        failures.append("migrations_pending")
    if unknown:
        failures.append("database_newer_than_code")

    beat_age = None
    if report["database"]["reachable"]:
        from pilar.backups.services import last_heartbeat

        try:
            beat = last_heartbeat()
        except DatabaseError:  # the heartbeat table is not migrated yet
            beat = None
        if beat is not None:
            beat_age = max(0, int((now - beat).total_seconds()))
    stale_after = settings.PILAR_WORKER_STALE_SECONDS
    report["worker"] = {"heartbeat_age_seconds": beat_age, "stale_after_seconds": stale_after}
    if beat_age is None or beat_age > stale_after:
        failures.append("worker_stopped")

    backups = archive.list_backups()
    backup_age = int((now - backups[0].taken_at).total_seconds()) if backups else None
    warn_after = settings.PILAR_BACKUP_WARN_HOURS * 3600
    report["backup"] = {"last_age_seconds": backup_age, "warn_after_seconds": warn_after}
    if backup_age is None or backup_age > warn_after:
        warnings.append("backup_old")

    usage = shutil.disk_usage(settings.DATA_DIR)
    report["disk"] = {"free_bytes": usage.free, "total_bytes": usage.total}
    if usage.free < LOW_DISK_BYTES:
        warnings.append("disk_low")

    report["status"] = "fail" if failures else "ok"
    report["failures"] = failures
    report["warnings"] = warnings
    return report
