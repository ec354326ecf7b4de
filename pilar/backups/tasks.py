"""The backup the task worker takes (django-tasks): pilar/backups/services.py asks for it,
pilar/backups/work.py takes it."""

from __future__ import annotations

from django_tasks import task

from pilar.backups.work import backup_run_take


@task()
def take_backup(run_id: int) -> None:
    backup_run_take(run_id)
