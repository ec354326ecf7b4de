"""Tali kasih in the JSON API (mounted under /api/v1/stipends): the same services, scoped
querysets and selectors as the pages and the command line.

Months are written `YYYY-MM`; amounts are whole rupiah. Batches are office-wide documents: a
batch outside the caller's scope is a 404, an action beyond the caller's role a 403. NIKs are
masked except on a batch's lines for those allowed the full NIK, and each such look (and each
bank transfer file) is logged as a view of personal data.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from pilar.accounts.access import Capability, area_in_scope, can
from pilar.api.common import (
    Body,
    Id,
    Limit,
    MonthText,
    Offset,
    Year,
    api_actor,
    choice,
    column_length,
    require,
)
from pilar.audit.models import AuditEntry
from pilar.audit.services import audit_record
from pilar.lib.exports import XLSX_TYPE
from pilar.lib.months import month_end
from pilar.regions.models import Area
from pilar.stipends import bankfile, jobs, selectors, services
from pilar.stipends.access import full_nik_in_batches
from pilar.stipends.models import (
    BatchJob,
    Budget,
    FundingSource,
    SentFile,
    StipendBatch,
    StipendLine,
    StipendRate,
    duty_scope_q,
)

router = Router(tags=["stipends"])

MONTH = Field(description="YYYY-MM, e.g. 2024-07")


class RateOut(Schema):
    id: int
    kind: str
    kind_name: str
    amount: int
    valid_from: datetime.date
    valid_to: datetime.date | None
    funding_source: choice(FundingSource)
    note: str


class RateIn(Body):
    columns = (StipendRate,)
    kind: str = Field(description="Pillar kind code, e.g. PSM")
    amount: int = Field(description="Whole rupiah per month, e.g. 400000")
    valid_from: MonthText = MONTH
    valid_to: MonthText | None = Field(None, description="YYYY-MM, the last month; empty: open")
    funding_source: str = Field(FundingSource.APBD, description="APBD, APBN or OTHER")
    note: str = ""


class RateEndIn(Body):
    valid_to: MonthText = Field(description="YYYY-MM: the rate's last month")


class BudgetOut(Schema):
    year: int
    funding_source: str
    ceiling: int | None = Field(description="The year's ceiling (pagu); null when none is set.")
    committed: int = Field(
        description="Rupiah taken from the ceiling: lines paid or waiting in a batch."
    )
    paid: int = Field(description="Rupiah spent (realisasi): lines paid.")
    waiting: int = Field(description="Rupiah committed in batches, not yet paid.")
    remaining: int | None
    note: str


class BudgetIn(Body):
    columns = (Budget,)
    year: int
    funding_source: str = Field(description="APBD, APBN or OTHER")
    amount: int = Field(description="The ceiling in whole rupiah")
    note: str = ""


class BatchOut(Schema):
    id: int
    number: str = Field(description="The batch's number in its office and budget year: seq/year.")
    office: str = Field(description="The office whose batch it is.")
    title: str
    first_month: datetime.date
    last_month: datetime.date
    arrears_from: datetime.date | None
    kinds: list[str]
    year: int
    status: choice(StipendBatch.Status)
    total: int = Field(description="Rupiah waiting or paid, net of reversals.")
    line_count: int
    paid_on: datetime.date | None
    reason: str


class KindSourceTotal(Schema):
    kind: str
    funding_source: str
    lines: int
    amount: int


class StipendBatchJobOut(Schema):
    """A batch's work run in the background (drafting, verifying, printing...)."""

    id: int
    batch_id: Id
    kind: choice(BatchJob.Kind)
    status: choice(BatchJob.Status) = Field(
        description="queued or running while it works; done, or failed with `error`."
    )
    done: int
    total: int = Field(description="Lines (or recipients, for a print) to go through; 0: unknown.")
    message: str = Field(description="What it did, once done.")
    error: str = Field(
        description="Why it failed: a refusal (four eyes, a line no longer "
        "eligible, the budget) or a worker that vanished."
    )
    requested_by: str | None
    created_at: datetime.datetime
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None
    heartbeat_at: datetime.datetime | None
    file_url: str | None = Field(description="The printed PDF, once done.")


class BatchDetailOut(BatchOut):
    created_by: str | None
    created_at: datetime.datetime
    verified_by: str | None
    verified_at: datetime.datetime | None
    approved_by: str | None
    approved_at: datetime.datetime | None
    counts: dict[str, int] = Field(description="Lines by status.")
    totals: list[KindSourceTotal] = Field(description="Per kind and funding source.")
    result: dict[str, int] | None = Field(
        None, description="What the action did: refresh (removed, added); mark-paid (paid, …)."
    )
    job: StipendBatchJobOut | None = Field(
        None,
        description="The batch's queued or running job, else its last one. Drafting, refresh, "
        "verify, approve and mark-paid answer 202 with it: follow "
        "/batches/{id}/jobs/{job_id} until it is done or failed.",
    )


class StipendPrintIn(Body):
    what: Literal["nominatif", "receipts"] = Field(
        description="nominatif (the payment list) or receipts (kuitansi)"
    )
    group: Literal["area", "kind"] = Field("area", description="For the nominatif: area or kind")


class BatchIn(Body):
    columns = (StipendBatch,)
    first_month: MonthText = MONTH
    last_month: MonthText = MONTH
    kinds: list[str] = Field(description='Pillar kind codes, e.g. ["PSM", "TKSK"]')
    year: int | None = Field(None, description="Budget year; this year when empty")
    arrears_from: MonthText | None = Field(None, description="YYYY-MM: unpaid months from then on")
    title: str = ""


class StipendReasonIn(Body):
    # A batch keeps 500 characters of reason, a failed line 250.
    reason: str = Field("", max_length=column_length(StipendLine, "failure_reason"))


class PaidIn(Body):
    paid_on: datetime.date


class StipendLineOut(Schema):
    id: int
    batch_id: Id
    person_id: int
    name: str
    nik: str = Field(description="Masked unless the caller may see the full NIK.")
    kind: str
    month: datetime.date
    area_code: str
    area_name: str
    amount: int
    method: str
    status: choice(StipendLine.Status)
    bank_name: str
    bank_account: str = Field(description="Empty unless the caller may see the full NIK.")
    paid_on: datetime.date | None
    failure_reason: str
    reverses_id: int | None
    note: str


# --- rates and budgets -----------------------------------------------------------------------


def _rate_out(rate: StipendRate) -> dict:
    return {
        "id": rate.pk,
        "kind": rate.kind.code,
        "kind_name": rate.kind.name,
        "amount": rate.amount,
        "valid_from": rate.valid_from,
        "valid_to": rate.valid_to,
        "funding_source": rate.funding_source,
        "note": rate.note,
    }


@router.get("/rates", response=list[RateOut], summary="Tali kasih rates")
def list_rates(request, kind: str | None = None):
    require(request, Capability.STIPENDS_VIEW)
    rates = StipendRate.objects.visible_to(request.user).select_related("kind")
    if kind:
        rates = rates.filter(kind=selectors.kind_by_code(kind))
    return [_rate_out(r) for r in rates]


@router.post("/rates", response={201: RateOut}, summary="Add a rate")
def create_rate(request, payload: RateIn):
    require(request, Capability.STIPENDS_SETUP)
    rate = services.stipend_rate_create(
        by=api_actor(request),
        kind=selectors.kind_by_code(payload.kind),
        amount=payload.amount,
        valid_from=selectors.parse_month(payload.valid_from, "valid_from"),
        valid_to=month_end(selectors.parse_month(payload.valid_to, "valid_to"))
        if payload.valid_to
        else None,
        funding_source=payload.funding_source,
        note=payload.note,
    )
    return Status(201, _rate_out(rate))


@router.post("/rates/{rate_id}/end", response=RateOut, summary="End a rate after a month")
def end_rate(request, rate_id: Id, payload: RateEndIn):
    require(request, Capability.STIPENDS_SETUP)
    rate = get_object_or_404(
        StipendRate.objects.visible_to(request.user).select_related("kind"), pk=rate_id
    )
    rate = services.stipend_rate_end(
        by=api_actor(request),
        rate=rate,
        valid_to=month_end(selectors.parse_month(payload.valid_to, "valid_to")),
    )
    return _rate_out(rate)


def _budget_out(row: selectors.BudgetRow) -> dict:
    # `committed` keeps its first meaning for clients: taken (paid or waiting in a batch).
    return {
        **row.__dict__,
        "committed": row.taken,
        "remaining": row.remaining,
        "waiting": row.waiting,
    }


@router.get("/budgets", response=list[BudgetOut], summary="Budget ceilings and what is taken")
def list_budgets(request, year: Year | None = None):
    require(request, Capability.STIPENDS_VIEW)
    return [_budget_out(row) for row in selectors.budget_rows(request.user, year)]


@router.put("/budgets", response=BudgetOut, summary="Set a year's ceiling for a source")
def set_budget(request, payload: BudgetIn):
    require(request, Capability.STIPENDS_SETUP)
    budget = services.budget_set(
        by=api_actor(request),
        year=payload.year,
        funding_source=payload.funding_source,
        amount=payload.amount,
        note=payload.note,
    )
    (row,) = [
        r
        for r in selectors.budget_rows(request.user, budget.year)
        if r.funding_source == budget.funding_source and r.office_id == budget.office_id
    ]
    return _budget_out(row)


# --- eligibility and a pillar's own months ---------------------------------------------------


@router.get(
    "/eligibility",
    response=list[selectors.EligibilityRow],
    summary="Who is owed which month, and why not (scoped)",
)
def list_eligibility(
    request,
    month: MonthText | None = None,
    kind: str | None = None,
    state: str | None = Query(None, description="eligible, blocked, in_process or paid"),
    area: str | None = Query(None, description="Area code of duty, e.g. 13.75.01"),
    limit: Limit = 100,
    offset: Offset = 0,
):
    user = request.user
    staff = can(user, Capability.STIPENDS_VIEW)
    if not (staff or can(user, Capability.STIPENDS_OWN)):
        raise PermissionDenied
    named = Area.objects.by_code(area, "area")
    if named is not None and not area_in_scope(user, Capability.STIPENDS_VIEW, named):
        raise ValidationError(
            {
                "area": [
                    _("%(area)s is outside your area; choose an area within it.")
                    % {"area": named.code}
                ]
            }
        )
    found = selectors.eligibility(
        month=selectors.parse_month(month) if month else selectors.last_month(),
        kind=selectors.kind_by_code(kind) if kind else None,
        state=state or None,
        area=named,
        scope=duty_scope_q(user),
        person_ids=None if staff else [user.person_id],
    )
    return selectors.eligibility_rows(found[offset : offset + limit])


@router.get("/mine", response=list[selectors.OwnMonth], summary="My tali kasih, month by month")
def my_months(request):
    require(request, Capability.STIPENDS_OWN)
    if request.user.person_id is None:
        raise PermissionDenied
    return selectors.own_months(request.user.person_id)


# --- batches ---------------------------------------------------------------------------------


def _username(user) -> str | None:
    return user.get_username() if user else None


def _batch_out(batch: StipendBatch) -> dict:
    return {
        "id": batch.pk,
        "number": batch.number,
        "office": batch.office.name,
        "title": batch.title,
        "first_month": batch.first_month,
        "last_month": batch.last_month,
        "arrears_from": batch.arrears_from,
        "kinds": sorted(k.code for k in batch.kinds.all()),
        "year": batch.year,
        "status": batch.status,
        "total": batch.total,
        "line_count": batch.line_count,
        "paid_on": batch.paid_on,
        "reason": batch.reason,
    }


def _batches(request):
    return selectors.batches_with_totals(
        StipendBatch.objects.visible_to(request.user).select_related("office")
    )


def _batch(request, batch_id: Id) -> StipendBatch:
    return get_object_or_404(
        _batches(request).select_related("created_by", "verified_by", "approved_by"),
        pk=batch_id,
    )


def _detail(request, batch_id: Id, result: dict | None = None) -> dict:
    batch = _batch(request, batch_id)
    summary = selectors.batch_summary(batch)
    return {
        **_batch_out(batch),
        "created_by": _username(batch.created_by),
        "created_at": batch.created_at,
        "verified_by": _username(batch.verified_by),
        "verified_at": batch.verified_at,
        "approved_by": _username(batch.approved_by),
        "approved_at": batch.approved_at,
        "counts": summary.counts,
        "totals": summary.totals,
        "result": result,
        "job": _job_out(jobs.current(batch) or batch.jobs.order_by("-created_at", "-pk").first()),
    }


def _job_out(job: BatchJob | None) -> dict | None:
    if job is None:
        return None
    return {
        "id": job.pk,
        "batch_id": job.batch_id,
        "kind": job.kind,
        "status": job.status,
        "done": job.done,
        "total": job.total,
        "message": job.message,
        "error": job.error,
        "requested_by": _username(job.requested_by),
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "heartbeat_at": job.heartbeat_at,
        "file_url": f"/api/v1/stipends/batches/{job.batch_id}/jobs/{job.pk}/file"
        if job.file
        else None,
    }


def _start(request, batch_id: Id, kind: str, options: dict | None = None):
    batch = _batch(request, batch_id)
    jobs.batch_job_start(by=api_actor(request), batch=batch, kind=kind, options=options)
    return Status(202, _detail(request, batch_id))


@router.get(
    "/batches/{batch_id}/jobs/{job_id}",
    response=StipendBatchJobOut,
    summary="A batch's background job: progress, result or why it failed",
)
def get_job(request, batch_id: Id, job_id: Id):
    require(request, Capability.STIPENDS_VIEW)
    batch = _batch(request, batch_id)
    jobs.fail_stale(batch)
    return _job_out(get_object_or_404(batch.jobs.select_related("requested_by"), pk=job_id))


@router.get("/batches/{batch_id}/jobs/{job_id}/file", summary="A printed document (PDF)")
def get_job_file(request, batch_id: Id, job_id: Id):
    require(request, Capability.STIPENDS_VIEW)
    batch = _batch(request, batch_id)
    job = get_object_or_404(jobs.valid_prints(batch), pk=job_id)
    if job.options.get("full_nik") and not full_nik_in_batches(request.user):
        raise PermissionDenied
    audit_record(
        by=api_actor(request),
        action=AuditEntry.Action.VIEW_PERSONAL,
        obj=batch,
        note=f"{job.kind}.pdf (job {job.pk})",
    )
    return FileResponse(
        job.file.open("rb"),
        as_attachment=True,
        filename=f"{job.kind}-{batch.pk}.pdf",
        content_type="application/pdf",
    )


@router.post(
    "/batches/{batch_id}/print",
    response={202: BatchDetailOut},
    summary="Print the payment list or the receipts (in the background)",
)
def print_document(request, batch_id: Id, payload: StipendPrintIn):
    require(request, Capability.STIPENDS_VIEW)
    full = full_nik_in_batches(request.user)
    if payload.what == "nominatif":
        return _start(
            request,
            batch_id,
            BatchJob.Kind.NOMINATIF,
            {"group": payload.group, "full_nik": full},
        )
    return _start(request, batch_id, BatchJob.Kind.RECEIPTS, {"full_nik": full})


@router.get("/batches", response=list[BatchOut], summary="Payment batches")
def list_batches(
    request,
    status: choice(StipendBatch.Status) | None = None,
    year: Year | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
):
    require(request, Capability.STIPENDS_VIEW)
    batches = _batches(request)
    if status:
        batches = batches.filter(status=status)
    if year:
        batches = batches.filter(year=year)
    return [_batch_out(b) for b in batches[offset : offset + limit]]


@router.post(
    "/batches", response={202: BatchDetailOut}, summary="Draft a batch (filled in the background)"
)
def draft_batch(request, payload: BatchIn):
    require(request, Capability.STIPENDS_DRAFT)
    batch, _job = jobs.batch_draft_start(
        by=api_actor(request),
        first_month=selectors.parse_month(payload.first_month, "first_month"),
        last_month=selectors.parse_month(payload.last_month, "last_month"),
        kinds=[selectors.kind_by_code(code, "kinds") for code in payload.kinds],
        year=payload.year,
        arrears_from=selectors.parse_month(payload.arrears_from, "arrears_from")
        if payload.arrears_from
        else None,
        title=payload.title,
    )
    return Status(202, _detail(request, batch.pk))


@router.get("/batches/{batch_id}", response=BatchDetailOut, summary="One batch with its totals")
def get_batch(request, batch_id: Id):
    require(request, Capability.STIPENDS_VIEW)
    return _detail(request, batch_id)


def _line_out(line: StipendLine, *, full: bool, frozen: bool) -> dict:
    person = line.person
    return {
        "id": line.pk,
        "batch_id": line.batch_id,
        "person_id": line.person_id,
        "name": line.name or person.name,
        "nik": (line.nik or person.nik) if full else line.masked_nik,
        "kind": line.kind.code,
        "month": line.month,
        "area_code": line.area.code,
        "area_name": line.area.name,
        "amount": line.amount,
        "method": line.method,
        "status": line.status,
        # The copy frozen at approval once approved; before that, the registry's.
        "bank_name": line.bank_name if frozen else person.bank_name,
        "bank_account": (line.bank_account if frozen else person.bank_account) if full else "",
        "paid_on": line.paid_on,
        "failure_reason": line.failure_reason,
        "reverses_id": line.reverses_id,
        "note": line.note,
    }


@router.get("/batches/{batch_id}/lines", response=list[StipendLineOut], summary="A batch's lines")
def list_lines(
    request,
    batch_id: Id,
    status: choice(StipendLine.Status) | None = None,
    limit: Annotated[int, Field(ge=1, le=1000)] = 100,
    offset: Offset = 0,
):
    require(request, Capability.STIPENDS_VIEW)
    batch = _batch(request, batch_id)
    lines = (
        StipendLine.objects.visible_to(request.user)
        .filter(batch=batch)
        .select_related("person", "kind", "area")
    )
    if status:
        lines = lines.filter(status=status)
    full = full_nik_in_batches(request.user)
    if full:
        audit_record(
            by=api_actor(request),
            action=AuditEntry.Action.VIEW_PERSONAL,
            obj=batch,
            note=f"batch lines via API offset {offset} limit {limit}",
        )
    page = lines[offset : offset + limit]
    return [_line_out(line, full=full, frozen=batch.frozen) for line in page]


def _transfer(request, batch_id: Id, fmt: str):
    """The newest transfer file exactly as first produced (pilar/stipends/bankfile.py)."""
    require(request, Capability.STIPENDS_VERIFY)
    batch = _batch(request, batch_id)
    sent = bankfile.transfer_file_sent(by=api_actor(request), batch=batch, fmt=fmt)
    return bankfile.as_download(sent)


def _file_answer_any() -> dict:
    """The OpenAPI answer of a file that is XLSX or CSV, as it was sent."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {
        "responses": {
            200: {"description": "The file.", "content": {XLSX_TYPE: binary, "text/csv": binary}}
        }
    }


class SentFileOut(Schema):
    id: int
    number: int = Field(
        description="The round: 1 for the first file, 2 for the lines still "
        "waiting after the bank answered for some, …"
    )
    format: str
    filename: str
    sha256: str
    size: int = Field(description="Bytes.")
    transfers: int
    lines: int
    total: int = Field(description="Rupiah.")
    produced_by: str | None
    produced_at: datetime.datetime


@router.get(
    "/batches/{batch_id}/sent-files",
    response=list[SentFileOut],
    summary="The batch's transfer files as sent, with their checksums",
)
def list_sent_files(request, batch_id: Id):
    """Every transfer file produced for the batch, oldest round first (finance only)."""
    require(request, Capability.STIPENDS_VERIFY)
    batch = _batch(request, batch_id)
    bankfile.may_handle_files(api_actor(request))
    return [
        {
            "id": f.pk,
            "number": f.number,
            "format": f.fmt,
            "filename": f.filename,
            "sha256": f.sha256,
            "size": f.size,
            "transfers": f.transfers,
            "lines": f.lines,
            "total": f.total,
            "produced_by": f.created_by.get_username() if f.created_by else None,
            "produced_at": f.created_at,
        }
        for r in bankfile.transfer_rounds(batch)
        for f in r["files"]
    ]


@router.get(
    "/batches/{batch_id}/sent-files/{file_id}",
    summary="One transfer file, byte for byte as sent",
    openapi_extra=_file_answer_any(),
)
def get_sent_file(request, batch_id: Id, file_id: Id):
    """The stored bytes, at any status of the batch; the download is logged."""
    require(request, Capability.STIPENDS_VERIFY)
    batch = _batch(request, batch_id)
    sent = get_object_or_404(SentFile.objects.filter(batch=batch), pk=file_id)
    bankfile.sent_file_opened(by=api_actor(request), sent=sent)
    return bankfile.as_download(sent)


def _file_answer(content_type: str) -> dict:
    """The OpenAPI answer of an operation that sends a file."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {"responses": {200: {"description": "The file.", "content": {content_type: binary}}}}


@router.get(
    "/batches/{batch_id}/transfer.xlsx",
    summary="Bank transfer file (XLSX)",
    openapi_extra=_file_answer(XLSX_TYPE),
)
def transfer_xlsx(request, batch_id: Id):
    """The file the treasurer sends to the bank: approved or partly paid batches only."""
    return _transfer(request, batch_id, "xlsx")


@router.get(
    "/batches/{batch_id}/transfer.csv",
    summary="Bank transfer file (CSV)",
    openapi_extra=_file_answer("text/csv"),
)
def transfer_csv(request, batch_id: Id):
    """The same rows as the XLSX, in UTF-8 CSV with a BOM."""
    return _transfer(request, batch_id, "csv")


@router.post(
    "/batches/{batch_id}/refresh",
    response={202: BatchDetailOut},
    summary="Refresh a draft (in the background)",
)
def refresh_batch(request, batch_id: Id):
    require(request, Capability.STIPENDS_DRAFT)
    return _start(request, batch_id, BatchJob.Kind.REFRESH)


@router.post(
    "/batches/{batch_id}/verify",
    response={202: BatchDetailOut},
    summary="Verify (finance, in the background)",
)
def verify_batch(request, batch_id: Id):
    require(request, Capability.STIPENDS_VERIFY)
    return _start(request, batch_id, BatchJob.Kind.VERIFY)


@router.post(
    "/batches/{batch_id}/approve",
    response={202: BatchDetailOut},
    summary="Approve (in the background)",
)
def approve_batch(request, batch_id: Id):
    require(request, Capability.STIPENDS_APPROVE)
    return _start(request, batch_id, BatchJob.Kind.APPROVE)


@router.post("/batches/{batch_id}/return", response=BatchDetailOut, summary="Back to draft")
def return_batch(request, batch_id: Id, payload: StipendReasonIn):
    if not (
        can(request.user, Capability.STIPENDS_VERIFY)
        or can(request.user, Capability.STIPENDS_APPROVE)
    ):
        raise PermissionDenied
    services.stipend_batch_return(
        by=api_actor(request), batch=_batch(request, batch_id), reason=payload.reason
    )
    return _detail(request, batch_id)


@router.post("/batches/{batch_id}/cancel", response=BatchDetailOut, summary="Cancel a draft")
def cancel_batch(request, batch_id: Id, payload: StipendReasonIn):
    require(request, Capability.STIPENDS_DRAFT)
    services.stipend_batch_cancel(
        by=api_actor(request), batch=_batch(request, batch_id), reason=payload.reason
    )
    return _detail(request, batch_id)


@router.post(
    "/batches/{batch_id}/mark-paid",
    response={202: BatchDetailOut},
    summary="Every waiting line paid on a date (in the background)",
)
def mark_paid(request, batch_id: Id, payload: PaidIn):
    require(request, Capability.STIPENDS_VERIFY)
    return _start(
        request, batch_id, BatchJob.Kind.MARK_PAID, {"paid_on": payload.paid_on.isoformat()}
    )


def _line(request, line_id: Id) -> StipendLine:
    return get_object_or_404(
        StipendLine.objects.visible_to(request.user)
        .filter(batch__in=StipendBatch.objects.visible_to(request.user))
        .select_related("batch", "person", "kind", "area"),
        pk=line_id,
    )


@router.post(
    "/lines/{line_id}/remove", response=StipendLineOut, summary="Take a line out of a draft"
)
def remove_line(request, line_id: Id, payload: StipendReasonIn):
    require(request, Capability.STIPENDS_DRAFT)
    line = services.stipend_line_remove(
        by=api_actor(request), line=_line(request, line_id), reason=payload.reason
    )
    return _line_out(_line(request, line.pk), full=False, frozen=False)


@router.post(
    "/lines/{line_id}/reverse",
    response={201: StipendLineOut},
    summary="Reverse a paid line (a correcting line)",
)
def reverse_line(request, line_id: Id, payload: StipendReasonIn):
    require(request, Capability.STIPENDS_VERIFY)
    reversal = services.stipend_line_reverse(
        by=api_actor(request), line=_line(request, line_id), reason=payload.reason
    )
    return Status(201, _line_out(_line(request, reversal.pk), full=False, frozen=True))
