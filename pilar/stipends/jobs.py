"""A batch's heavy work outside the web request (docs/STIPENDS.md, "Work in the background").

The page or the API asks for a job (`batch_job_start`): what can be checked cheaply is checked
at once — the role, the batch's status, four eyes — and refused with the reason (a message on the
page, a 400/403 from the API). Otherwise a `BatchJob` row is written and the task queued in the
same transaction; a partial unique index lets a batch hold one queued or running job, so a second
click answers with the job already there. The worker (`pilar.stipends.tasks`, which runs
pilar/stipends/work.py) runs the same service function the command line runs; a refusal found
then (a line no longer eligible, the budget) is stored on the job as its error, and the batch is
as it was.

Each service step is one transaction: a worker that vanishes mid-step leaves nothing half-done.
Its job, whose heartbeat stops, is marked failed with the reason when the batch is next looked
at (`fail_stale`), and the step can simply be asked for again.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pilar.accounts.access import Capability
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor
from pilar.lib.jobs import stale_q
from pilar.offices import current as this_office
from pilar.stipends import services
from pilar.stipends.access import full_nik_in_batches, office_wide
from pilar.stipends.models import BatchJob, StipendBatch
from pilar.stipends.tasks import run_batch_job
from pilar.stipends.work import DOCUMENTS

Kind = BatchJob.Kind
JobStatus = BatchJob.Status
Status = StipendBatch.Status

# What each job needs: the capability, and the batch statuses it starts from.
NEEDS = {
    Kind.DRAFT: (Capability.STIPENDS_DRAFT, {Status.DRAFT}),
    Kind.REFRESH: (Capability.STIPENDS_DRAFT, {Status.DRAFT}),
    Kind.VERIFY: (Capability.STIPENDS_VERIFY, {Status.DRAFT}),
    Kind.APPROVE: (Capability.STIPENDS_APPROVE, {Status.VERIFIED}),
    Kind.MARK_PAID: (Capability.STIPENDS_VERIFY, {Status.APPROVED, Status.PARTLY_PAID}),
    Kind.NOMINATIF: (
        Capability.STIPENDS_VIEW,
        {Status.APPROVED, Status.PARTLY_PAID, Status.PAID},
    ),
    Kind.RECEIPTS: (
        Capability.STIPENDS_VIEW,
        {Status.APPROVED, Status.PARTLY_PAID, Status.PAID},
    ),
}


def precheck(*, by: Actor, batch: StipendBatch, kind: str, options: dict | None = None) -> None:
    """What a job can be refused for without doing its work: the role (PermissionDenied), the
    batch's status, four eyes and the options (ValidationError). The service checks them again
    when the job runs."""
    capability, allowed = NEEDS[kind]
    user = by.signed_in_user
    if user is not None and not office_wide(user, capability):
        raise PermissionDenied
    if capability != Capability.STIPENDS_VIEW and batch.office_id != this_office().pk:
        # Only the batch's own office moves it (docs/STIPENDS.md, "Many offices").
        raise PermissionDenied
    if batch.status not in allowed:
        if kind in DOCUMENTS:
            raise ValidationError(
                _(
                    "The batch is “%(status)s”. Its payment list and receipts can be printed "
                    "once it is approved: approval freezes the names, NIKs and accounts they show."
                )
                % {"status": batch.get_status_display()}
            )
        raise ValidationError(
            _("This batch is now “%(status)s”: reload the page to see what changed.")
            % {"status": batch.get_status_display()}
        )
    same = user is not None and (
        (kind in {Kind.VERIFY, Kind.APPROVE} and batch.created_by_id == user.pk)
        or (kind == Kind.APPROVE and batch.verified_by_id == user.pk)
    )
    if same:
        raise ValidationError(
            {
                Kind.VERIFY: _("The person who drafted a batch cannot also verify it."),
                Kind.APPROVE: _("The person who verified a batch cannot also approve it.")
                if batch.verified_by_id == user.pk
                else _("The person who drafted a batch cannot also approve it."),
            }[kind]
        )
    options = options or {}
    if kind == Kind.MARK_PAID:
        paid_on = datetime.date.fromisoformat(options["paid_on"])
        if paid_on > timezone.localdate():
            raise ValidationError({"paid_on": _("The payment date cannot be in the future.")})
    if kind == Kind.NOMINATIF and options.get("group") not in {"area", "kind"}:
        raise ValidationError({"group": _("Group the list by area or by kind.")})


def fail_stale(batch: StipendBatch | None = None) -> int:
    """Mark failed, with the reason, the jobs whose worker has not been heard of in time."""
    jobs = BatchJob.objects.filter(stale_q(BatchJob.WORKING))
    if batch is not None:
        jobs = jobs.filter(batch=batch)
    return jobs.update(
        status=JobStatus.FAILED,
        finished_at=timezone.now(),
        error=_(
            "No worker has been heard from for this work in time (the worker was stopped, ran "
            "out of memory, or is not running). Nothing of it was saved: start it again."
        ),
    )


def current(batch: StipendBatch) -> BatchJob | None:
    """The batch's queued or running job, after failing one whose worker vanished."""
    fail_stale(batch)
    return BatchJob.objects.filter(batch=batch, status__in=BatchJob.WORKING).first()


def batch_job_start(
    *, by: Actor, batch: StipendBatch, kind: str, options: dict | None = None
) -> tuple[BatchJob, bool]:
    """Queue `kind` of work on `batch`; returns (job, True), or (the job already queued or
    running, False) — a double submit queues nothing twice. Refused at once, with the reason,
    for what `precheck` can tell."""
    if kind == Kind.REFRESH and not batch.lines.exists():
        kind = Kind.DRAFT  # a draft whose filling never finished is filled, not refreshed
    precheck(by=by, batch=batch, kind=kind, options=options)
    running = current(batch)
    if running is not None:
        return running, False
    user = by.signed_in_user
    try:
        with transaction.atomic():
            job = BatchJob.objects.create(
                batch=batch,
                kind=kind,
                options=options or {},
                requested_by=user,
                ip=by.ip,
                source=by.source or AuditEntry.Source.WEB,
                heartbeat_at=timezone.now(),  # waiting for a worker counts as alive, for a time
            )
            _enqueue(job)
    except IntegrityError:
        # Another request queued one a moment ago: answer with it.
        return BatchJob.objects.get(batch=batch, status__in=BatchJob.WORKING), False
    return job, True


def batch_draft_start(*, by: Actor, **fields) -> tuple[StipendBatch, BatchJob]:
    """A new draft (its months, kinds and year checked at once) and the job that fills it,
    together: neither exists without the other."""
    with transaction.atomic():
        batch = services.stipend_batch_open(by=by, **fields)
        job, _created = batch_job_start(by=by, batch=batch, kind=Kind.DRAFT)
    return batch, job


def _enqueue(job: BatchJob) -> None:
    """Queued in the job row's own transaction: with the database task backend the task row
    commits or rolls back with the job row, so neither can exist without the other."""
    run_batch_job.enqueue(job.pk)


def valid_prints(batch: StipendBatch):
    """The printed files that still show what `batch` pays: printed since its latest approval,
    while it stays approved. A batch sent back to draft and approved again pays from a new
    print, never from one made before (its names, accounts or lines may differ)."""
    jobs = BatchJob.objects.filter(batch=batch, status=JobStatus.DONE, kind__in=DOCUMENTS)
    if not batch.frozen or batch.approved_at is None:
        return jobs.none()
    return jobs.exclude(file="").filter(finished_at__gte=batch.approved_at)


def latest_file(batch: StipendBatch, kind: str, *, user, group: str = "area") -> BatchJob | None:
    """The newest printed file of `kind` that `user` may read: a copy with full NIKs only for
    those who may see them."""
    jobs = valid_prints(batch).filter(kind=kind)
    if kind == Kind.NOMINATIF:
        jobs = jobs.filter(options__group=group)
    full = full_nik_in_batches(user)
    return jobs.filter(options__full_nik=full).order_by("-finished_at", "-pk").first()
