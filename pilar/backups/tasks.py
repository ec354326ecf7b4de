"""The backup the task worker takes (django-tasks): see pilar/backups/services.py."""

from __future__ import annotations

from django_tasks import task

from pilar.backups import services


@task()
def take_backup(run_id: int) -> None:
    services.backup_run_take(run_id)
