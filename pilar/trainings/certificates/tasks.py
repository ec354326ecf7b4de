"""Background work for trainings (django-tasks): printing all of an event's certificates into
one PDF runs outside the web request; the event page follows `done` of `total` on the
CertificatePrint row. `pilar.trainings.certificates.services.certificate_print_start` creates
the row and calls `queue_print`; this module imports nothing of the services back. (It lived at
`pilar.trainings.tasks` until 0.18: migration trainings.0008 points queued jobs here.)"""

from __future__ import annotations

import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from pilar.lib.jobs import Heartbeat
from pilar.offices.services import remembered
from pilar.trainings.certificates.pdf import certificates_pdf
from pilar.trainings.certificates.selectors import printable
from pilar.trainings.models import CertificatePrint

logger = logging.getLogger(__name__)
PROGRESS_EVERY = 5  # pages between two progress writes


@task()
def print_event_certificates(print_id: int) -> None:
    job = CertificatePrint.objects.select_related("event__course", "event__office").get(pk=print_id)
    if job.status != CertificatePrint.Status.QUEUED:
        return  # already taken by another worker, or finished
    # The event's office is the one the work is done for: its letterhead and public address.
    with remembered(office=job.event.office):
        _print(job)


def _print(job: CertificatePrint) -> None:
    rows = CertificatePrint.objects.filter(pk=job.pk)
    # Beats with the progress: a reader tells a vanished worker from a slow one by them.
    heartbeat = Heartbeat(rows.filter(status=CertificatePrint.Status.RUNNING))
    certificates = list(printable(job.event))
    rows.update(
        status=CertificatePrint.Status.RUNNING,
        total=len(certificates),
        done=0,
        heartbeat_at=timezone.now(),
    )

    def progress(done: int) -> None:
        if done % PROGRESS_EVERY == 0 or done == len(certificates):
            heartbeat.beat(force=True, done=done)

    try:
        body = certificates_pdf(
            certificates, title=f"Sertifikat {job.event.display_title}", progress=progress
        )
        job.refresh_from_db()
        job.file.save(f"sertifikat-pelatihan-{job.event_id}.pdf", ContentFile(body), save=False)
        job.status = CertificatePrint.Status.DONE
        job.done = len(certificates)
        job.finished_at = timezone.now()
        job.save(update_fields=["file", "status", "done", "finished_at"])
    except Exception as exc:  # the page must show that it failed, not wait forever
        # Only the job's id: the names being printed stay out of the log.
        logger.exception("printing certificates, job %s", job.pk)
        rows.update(
            status=CertificatePrint.Status.FAILED,
            error=_(
                "Printing failed (%(kind)s). Try again; if it fails again, tell the administrator."
            )
            % {"kind": type(exc).__name__},
            finished_at=timezone.now(),
        )


def queue_print(job: CertificatePrint) -> None:
    """Queued once the request's transaction has committed, so the worker sees the row."""
    transaction.on_commit(lambda: print_event_certificates.enqueue(job.pk))
