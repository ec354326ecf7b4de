"""Background work for tali kasih batches (django-tasks): drafting, refreshing, verifying,
approving, marking paid and printing run outside the web request; the batch page follows the
BatchJob row (pilar/stipends/jobs.py)."""

from __future__ import annotations

from django_tasks import task

from pilar.stipends.jobs import batch_job_run


@task()
def run_batch_job(job_id: int) -> None:
    batch_job_run(job_id=job_id)
