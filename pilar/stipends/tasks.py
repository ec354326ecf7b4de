"""Background work for tali kasih batches (django-tasks): drafting, refreshing, verifying,
approving, marking paid and printing run outside the web request: pilar/stipends/jobs.py asks,
pilar/stipends/work.py does; the batch page follows the BatchJob row."""

from __future__ import annotations

from django_tasks import task

from pilar.stipends.work import batch_job_run


@task()
def run_batch_job(job_id: int) -> None:
    batch_job_run(job_id=job_id)
