"""What the task worker does for a tali kasih batch job (pilar/stipends/jobs.py asks for it,
pilar/stipends/tasks.py queues it): take the job, run the same service function the command line
runs, or draw the document into a file, and store the outcome on the job."""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pilar.accounts.access import office_of
from pilar.accounts.models import User
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor
from pilar.lib.jobs import Heartbeat
from pilar.lib.money import rupiah
from pilar.offices.services import remembered
from pilar.stipends import services
from pilar.stipends.access import full_nik_in_batches
from pilar.stipends.models import BatchJob, StipendLine

logger = logging.getLogger(__name__)
Kind = BatchJob.Kind
JobStatus = BatchJob.Status
PROGRESS_EVERY = 200  # rows drawn between two progress writes (the heartbeat caps them too)
DOCUMENTS = {Kind.NOMINATIF, Kind.RECEIPTS}


def _actor(job: BatchJob) -> Actor:
    user = User.objects.filter(pk=job.requested_by_id).first() if job.requested_by_id else None
    return Actor(user=user, source=job.source or AuditEntry.Source.WEB, ip=job.ip)


def _language(user) -> str:
    return getattr(user, "language", None) or settings.LANGUAGE_CODE


def batch_job_run(*, job_id: int) -> None:
    """Run one queued job (the task worker calls this); the outcome is stored on the job. The
    office (its payment policies) is read once for the whole job: a change on the settings page
    meanwhile applies to the next job, never to half of this one (docs/OFFICE.md)."""
    _take_and_run(job_id)


def _take_and_run(job_id: int) -> None:
    taken = BatchJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=timezone.now(), heartbeat_at=timezone.now()
    )
    if not taken:
        return  # already taken by another worker, failed as stale, or finished
    job = BatchJob.objects.select_related("batch").get(pk=job_id)
    rows = BatchJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING)
    # The outcome is written whatever the status says by then: a step slower than the stale
    # timeout may have been marked failed meanwhile, and what it did is the truth.
    outcome = BatchJob.objects.filter(pk=job.pk)
    by = _actor(job)
    # The batch's own office (pilar/offices/services.py): its policies and letterhead, whoever
    # asked (docs/STIPENDS.md, "Many offices"); read once, as the asking user's when it is.
    asker = office_of(by.user) if by.user is not None else None
    office = asker if asker is not None and asker.pk == job.batch.office_id else job.batch.office
    with remembered(office=office), translation.override(_language(by.user)):
        try:
            message = _work(job, by, Heartbeat(rows))
        except (ValidationError, PermissionDenied) as exc:
            error = (
                " ".join(exc.messages)
                if isinstance(exc, ValidationError)
                else _("Your role does not allow this.")
            )
            outcome.update(status=JobStatus.FAILED, error=error, finished_at=timezone.now())
            if job.kind == Kind.DRAFT:
                _give_up_draft(job, by, error)
        except Exception as exc:  # the page must show that it failed, not wait for ever
            # Only the job's id: the names being paid stay out of the log.
            logger.exception("tali kasih batch job %s", job.pk)
            outcome.update(
                status=JobStatus.FAILED,
                finished_at=timezone.now(),
                error=_(
                    "The work failed (%(kind)s). Try again; if it fails again, tell the "
                    "administrator."
                )
                % {"kind": type(exc).__name__},
            )
        else:
            outcome.update(
                status=JobStatus.DONE,
                message=message[:500],
                done=job.total or 1,
                total=job.total or 1,
                finished_at=timezone.now(),
                heartbeat_at=timezone.now(),
            )


def _give_up_draft(job: BatchJob, by: Actor, error: str) -> None:
    """A draft refused as it was filled (nobody to pay, over the budget) is cancelled with the
    reason: nothing of it was saved, and the operator drafts again."""
    # A batch already moved on keeps its state: the job's error says what happened.
    with contextlib.suppress(ValidationError, PermissionDenied):
        services.stipend_batch_cancel(by=by, batch=job.batch, reason=error[:500])


def _work(job: BatchJob, by: Actor, heartbeat: Heartbeat) -> str:
    batch, options = job.batch, job.options
    if job.kind in DOCUMENTS:
        return _print(job, by, heartbeat)
    total = batch.lines.filter(status=StipendLine.Status.PENDING).count()
    job.total = total
    heartbeat.beat(force=True, total=total)
    if job.kind == Kind.DRAFT:
        batch = services.stipend_batch_fill_draft(by=by, batch=batch)
        job.total = batch.lines.filter(status=StipendLine.Status.PENDING).count()
        return _("Batch drafted: %(people)s people, Rp %(total)s.") % {
            "people": batch.lines.values("person").distinct().count(),
            "total": _rupiah(services.batch_total(batch)),
        }
    if job.kind == Kind.REFRESH:
        result = services.stipend_batch_refresh(by=by, batch=batch)
        return _("Batch refreshed: %(added)s line(s) added, %(removed)s removed.") % result
    if job.kind == Kind.VERIFY:
        services.stipend_batch_verify(by=by, batch=batch)
        return _("Batch verified. It now waits for the head of office's approval.")
    if job.kind == Kind.APPROVE:
        services.stipend_batch_approve(by=by, batch=batch)
        return _("Batch approved: the payment list and bank file are ready.")
    if job.kind == Kind.MARK_PAID:
        result = services.stipend_batch_mark_paid(
            by=by, batch=batch, paid_on=datetime.date.fromisoformat(options["paid_on"])
        )
        return _("%(paid)s line(s) marked paid.") % result
    raise ValueError(job.kind)


def _rupiah(amount: int) -> str:
    return rupiah(amount)


def _print(job: BatchJob, by: Actor, heartbeat: Heartbeat) -> str:
    """Draw the document into a file as it goes, then keep it on the job."""
    from pilar.stipends.documents import nominatif_pdf, receipts_pdf, recipient_count

    batch, options = job.batch, job.options
    full_nik = bool(options.get("full_nik")) and (by.user is None or full_nik_in_batches(by.user))
    what = "receipts" if job.kind == Kind.RECEIPTS else "nominatif"
    job.total = recipient_count(batch, what)
    heartbeat.beat(force=True, total=job.total)

    def progress(done: int) -> None:
        if done % PROGRESS_EVERY == 0:
            heartbeat.beat(done=done)

    tmp_dir = Path(settings.MEDIA_ROOT) / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=tmp_dir) as out:
        if job.kind == Kind.RECEIPTS:
            receipts_pdf(batch, full_nik=full_nik, out=out, progress=progress)
            name = f"kuitansi-{batch.pk}.pdf"
        else:
            nominatif_pdf(
                batch, group_by=options["group"], full_nik=full_nik, out=out, progress=progress
            )
            name = f"daftar-nominatif-{batch.pk}.pdf"
        out.seek(0)
        job.file.save(name, File(out, name=name), save=False)
    # Names, NIKs and bank accounts: readable by the application's own user only.
    with contextlib.suppress(OSError, NotImplementedError):
        os.chmod(job.file.path, 0o600)
    BatchJob.objects.filter(pk=job.pk).update(file=job.file.name)
    return _("Printed: %(count)s recipient(s).") % {"count": job.total}
