"""Background exports (django-tasks): see pilar/audit/exports.py."""

from __future__ import annotations

from django_tasks import task

from pilar.audit import exports


@task()
def run_export(job_id: int) -> None:
    exports.run_job(job_id)
