"""Background exports (django-tasks): pilar/audit/exports.py asks, pilar/audit/work.py does."""

from __future__ import annotations

from django_tasks import task

from pilar.audit.work import run_job


@task()
def run_export(job_id: int) -> None:
    run_job(job_id)
