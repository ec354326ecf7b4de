"""Imports over the API: upload, preview (check), commit and undo, as on the pages.

Checking, saving and undoing run in the background: those calls answer 202 at once, and the
import's `status` and `progress_*` tell when the work is done (poll GET /imports/{id})."""

from __future__ import annotations

import datetime
from typing import Annotated

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from ninja import Field, File, Router, Schema, Status
from ninja.files import UploadedFile

from pilar.accounts.access import Capability, can
from pilar.api.common import Body, Id, Offset, api_actor
from pilar.audit.models import AuditEntry
from pilar.audit.services import audit_record
from pilar.imports import services, tasks
from pilar.imports.commit import import_request_commit
from pilar.imports.engine.records import StartRule, shown_problem
from pilar.imports.models import Import, ImportRow
from pilar.imports.undo import import_request_undo, undo_figures
from pilar.lib.nik import mask_nik
from pilar.lib.spreadsheet import column_letter

router = Router(tags=["imports"])


def _batch(request, import_id: int) -> Import:
    if not can(request.user, Capability.IMPORTS):
        raise PermissionDenied
    # A job whose worker vanished is marked so before it is answered (docs/IMPORTS.md).
    services.imports_recover(ids=[import_id])
    return get_object_or_404(Import.objects.visible_to(request.user), pk=import_id)


class ColumnOut(Schema):
    column: str
    header: str
    field: str | None
    samples: list[str]


class ImportOut(Schema):
    id: int
    filename: str
    file_format: str
    sheet: str
    sheets: list[str]
    header_row: int
    status: str
    message: str
    notes: list[str]
    columns: list[ColumnOut]
    progress_done: int
    progress_total: int
    summary: dict
    # The rule for new duties without a start date: "", "sk" or the date (YYYY-MM-DD).
    start_date: str
    created_at: datetime.datetime
    committed_at: datetime.datetime | None
    undone_at: datetime.datetime | None


class RowOut(Schema):
    row: int
    status: str
    nik: str
    name: str
    plan: dict
    problems: list[dict]


class PreviewIn(Body):
    mapping: (
        dict[Annotated[str, Field(max_length=8)], Annotated[str, Field(max_length=60)]] | None
    ) = Field(None, max_length=500)
    sheet: str | None = Field(None, max_length=200)
    # New duties whose row has no start date (TMT): "sk" takes the row's SK date, a date
    # (YYYY-MM-DD) is used for all of them; absent, such rows are rejected.
    start_date: str | None = Field(None, max_length=20)


class CommitIn(Body):
    accept_warnings: bool = False
    accept_rejected: bool = False


def _summary(batch: Import) -> dict:
    """The stored summary; once undone, with what the undo took back under "undone"."""
    undone = undo_figures(batch)
    return batch.summary if undone is None else {**batch.summary, "undone": undone}


def _out(batch: Import) -> ImportOut:
    return ImportOut(
        id=batch.pk,
        filename=batch.filename,
        file_format=batch.file_format,
        sheet=batch.sheet,
        sheets=[s[0] for s in batch.sheets],
        header_row=batch.header_row,
        status=batch.status,
        message=batch.message,
        notes=batch.notes,
        columns=[
            ColumnOut(
                column=column_letter(index),
                header=header,
                field=batch.mapping.get(str(index)),
                samples=samples,
            )
            for index, header, samples in batch.columns
        ],
        progress_done=batch.progress_done,
        progress_total=batch.progress_total,
        summary=_summary(batch),
        start_date=batch.start_rule_date.isoformat()
        if batch.start_rule == Import.StartRule.DATE and batch.start_rule_date
        else batch.start_rule,
        created_at=batch.created_at,
        committed_at=batch.committed_at,
        undone_at=batch.undone_at,
    )


@router.get("/imports", response=list[ImportOut])
def list_imports(request):
    if not can(request.user, Capability.IMPORTS):
        raise PermissionDenied
    services.imports_recover()
    return [_out(b) for b in Import.objects.visible_to(request.user)[:100]]


@router.post("/imports", response={201: ImportOut})
def upload_import(request, file: File[UploadedFile]):
    """Upload a roster (XLSX, XLS, ODS or CSV). Answers with the columns Pilar recognised."""
    if not can(request.user, Capability.IMPORTS):
        raise PermissionDenied
    batch = services.import_upload(by=api_actor(request), upload=file, filename=file.name)
    return Status(201, _out(batch))


@router.get("/imports/{import_id}", response=ImportOut)
def get_import(request, import_id: Id):
    return _out(_batch(request, import_id))


@router.get("/imports/{import_id}/rows", response=list[RowOut])
def list_rows(
    request,
    import_id: Id,
    status: str | None = None,
    offset: Offset = 0,
    limit: Annotated[int, Field(ge=1, le=1000)] = 100,
):
    """The checked rows with their problems; `status` = new, updated, unchanged or rejected."""
    batch = _batch(request, import_id)
    rows = ImportRow.objects.filter(batch=batch).order_by("number")
    if status:
        rows = rows.filter(status=status)
    audit_record(
        by=api_actor(request),
        action=AuditEntry.Action.VIEW_PERSONAL,
        obj=batch,
        note=f"import rows via API offset {offset} limit {limit}",
    )
    return [
        RowOut(
            row=r.number,
            status=r.status,
            nik=mask_nik(r.nik) if r.nik else "",
            name=r.name,
            plan=r.plan,
            problems=[
                {"severity": p.severity, "field": p.key, "value": p.value, "message": p.message}
                for p in map(shown_problem, r.problems)
            ],
        )
        for r in rows[offset : offset + limit]
    ]


@router.post("/imports/{import_id}/preview", response={202: ImportOut})
def preview_import(request, import_id: Id, payload: PreviewIn):
    """Check the rows (with the recognised mapping, or `mapping` {column letter: field})."""
    batch = _batch(request, import_id)
    by = api_actor(request)
    start_rule = (
        StartRule.from_text(payload.start_date, "start_date") if payload.start_date else None
    )
    if payload.sheet and payload.sheet != batch.sheet:
        batch = services.import_choose_sheet(by=by, batch=batch, sheet=payload.sheet)
    mapping = batch.mapping
    if payload.mapping is not None:
        letters = {column_letter(c[0]): str(c[0]) for c in batch.columns}
        mapping = {letters.get(k.upper(), k): v for k, v in payload.mapping.items()}
    services.import_set_mapping(by=by, batch=batch, mapping=mapping, start_rule=start_rule)
    tasks.queue_check(batch)
    return Status(202, _out(batch))


@router.post("/imports/{import_id}/commit", response={202: ImportOut})
def commit_import(request, import_id: Id, payload: CommitIn):
    """Save every accepted row in one go (after the preview)."""
    batch = _batch(request, import_id)
    by = api_actor(request)
    import_request_commit(
        by=by,
        batch=batch,
        accept_warnings=payload.accept_warnings,
        accept_rejected=payload.accept_rejected,
    )
    tasks.queue_commit(batch, by)
    return Status(202, _out(batch))


@router.post("/imports/{import_id}/undo", response={202: ImportOut})
def undo_import(request, import_id: Id):
    """Undo a saved import whole; refused (400) when later changes depend on it."""
    batch = _batch(request, import_id)
    by = api_actor(request)
    import_request_undo(by=by, batch=batch)
    tasks.queue_undo(batch, by)
    return Status(202, _out(batch))
