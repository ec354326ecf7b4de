"""A payment batch's files: the printed payment list and receipts (made by the worker, see
pilar/stipends/jobs.py), the progress of the batch's background job, and the transfer files for
the bank as sent (pilar/stipends/bankfile.py). The batch pages themselves are in
pilar/stipends/views.py."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pilar.accounts.access import Capability
from pilar.accounts.decorators import capability_required
from pilar.audit.models import AuditEntry
from pilar.audit.services import audit_record
from pilar.lib.money import rupiah
from pilar.lib.params import InputError
from pilar.lib.views import after, attempt, refused
from pilar.stipends import bankfile, jobs
from pilar.stipends.access import full_nik_in_batches
from pilar.stipends.models import BatchJob, SentFile
from pilar.stipends.views import _batch, _by, _start

logger = logging.getLogger("pilar.stipends")


# --- documents -------------------------------------------------------------------------------
# The payment list and receipts of 300,000 lines take longer than a request may: they are printed
# by the worker into a file (pilar/stipends/jobs.py) and downloaded from there once ready.

DOCUMENT_NAMES = {
    BatchJob.Kind.NOMINATIF: "daftar-nominatif-{pk}{group}.pdf",
    BatchJob.Kind.RECEIPTS: "kuitansi-{pk}.pdf",
}


@require_POST
@capability_required(Capability.STIPENDS_VIEW)
def batch_print(request, pk):
    _batch(request, pk)  # another office's, or one out of sight: 404 before the form
    what = request.POST.get("what", "")
    full = full_nik_in_batches(request.user)
    if what in {"nominatif-area", "nominatif-kind"}:
        options = {"group": what.removeprefix("nominatif-"), "full_nik": full}
        return _start(request, pk, BatchJob.Kind.NOMINATIF, options)
    if what == "receipts":
        return _start(request, pk, BatchJob.Kind.RECEIPTS, {"full_nik": full})
    messages.error(request, _("Choose the payment list or the receipts."))
    return refused(request, "stipends:batch-detail", pk=pk)


def _send_printed(request, batch, job: BatchJob | None, what: str):
    """The printed file as a streamed download, logged as a view of personal data; without one,
    back to the batch page, which offers to print it."""
    if job is None:
        messages.error(
            request,
            _("Print it first: the batch page prints it in the background and offers it here."),
        )
        return redirect("stipends:batch-detail", pk=batch.pk)
    audit_record(by=_by(request), action=AuditEntry.Action.VIEW_PERSONAL, obj=batch, note=what)
    group = job.options.get("group")
    name = DOCUMENT_NAMES[job.kind].format(pk=batch.pk, group="-jenis" if group == "kind" else "")
    return FileResponse(
        job.file.open("rb"), as_attachment=True, filename=name, content_type="application/pdf"
    )


@capability_required(Capability.STIPENDS_VIEW)
def batch_nominatif(request, pk):
    batch = _batch(request, pk)
    back = _frozen_or_back(request, batch)
    if back:
        return back
    group = "kind" if request.GET.get("group") == "kind" else "area"
    job = jobs.latest_file(batch, BatchJob.Kind.NOMINATIF, user=request.user, group=group)
    return _send_printed(request, batch, job, f"nominatif.pdf?group={group}")


@capability_required(Capability.STIPENDS_VIEW)
def batch_receipts(request, pk):
    batch = _batch(request, pk)
    back = _frozen_or_back(request, batch)
    if back:
        return back
    job = jobs.latest_file(batch, BatchJob.Kind.RECEIPTS, user=request.user)
    return _send_printed(request, batch, job, "receipts.pdf")


def _frozen_or_back(request, batch):
    if batch.frozen:
        return None
    messages.error(request, _("The payment list and bank file exist once the batch is approved."))
    return redirect("stipends:batch-detail", pk=batch.pk)


@capability_required(Capability.STIPENDS_VIEW)
def batch_job_file(request, pk, job_pk):
    """One printed file; a copy with full NIKs only for those who may see them."""
    batch = _batch(request, pk)
    job = get_object_or_404(jobs.valid_prints(batch), pk=job_pk)
    if job.options.get("full_nik") and not full_nik_in_batches(request.user):
        raise Http404
    return _send_printed(request, batch, job, f"{job.kind}.pdf (job {job.pk})")


@capability_required(Capability.STIPENDS_VIEW)
def batch_job(request, pk):
    """The batch's current or last job, as a fragment the page polls while it works."""
    batch = _batch(request, pk)
    job = jobs.current(batch) or batch.jobs.order_by("-created_at", "-pk").first()
    response = render(request, "stipends/_job.html", {"batch": batch, "job": job})
    if request.htmx and (job is None or not job.is_working):
        response["HX-Refresh"] = "true"  # the page reloads into the batch's new state
    return response


@capability_required(Capability.STIPENDS_VIEW)
def batch_transfer(request, pk, fmt):
    """The newest transfer file as sent; the first request of an approved batch produces it."""
    if fmt not in bankfile.FORMATS:
        raise Http404
    batch = _batch(request, pk)
    done = attempt(
        request, lambda: bankfile.transfer_file_sent(by=_by(request), batch=batch, fmt=fmt)
    )
    if not done:
        return refused(request, "stipends:batch-detail", pk=batch.pk)
    return bankfile.as_download(done.result)


@capability_required(Capability.STIPENDS_VIEW)
def sent_file(request, pk, file_pk):
    """One stored file, byte for byte as it was produced, at any status of the batch."""
    batch = _batch(request, pk)
    sent = get_object_or_404(SentFile.objects.filter(batch=batch), pk=file_pk)
    bankfile.sent_file_opened(by=_by(request), sent=sent)
    return bankfile.as_download(sent)


@require_POST
@capability_required(Capability.STIPENDS_VERIFY)
def transfer_round(request, pk):
    """Produce the transfer file (the first, or a new round for the lines still waiting)."""
    batch = _batch(request, pk)
    if batch.transfer_file_at and request.POST.get("confirm") != "yes":
        # A new round sends again transfers that went to the bank before: only on purpose.
        raise InputError(
            "confirm",
            _(
                "Tick the box to confirm that the bank did not carry out the transfers still "
                "waiting: a new file sends them again."
            ),
        )
    done = attempt(
        request,
        lambda: bankfile.transfer_round_new(by=_by(request), batch=batch),
        success=lambda made: (
            _("Transfer file no. %(number)s produced: %(transfers)s transfers, Rp %(total)s.")
            % {
                "number": made[0].number,
                "transfers": made[0].transfers,
                "total": rupiah(made[0].total),
            }
        ),
    )
    return after(request, done, "stipends:batch-detail", pk=batch.pk)
