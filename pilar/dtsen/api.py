"""DTSEN extract imports over the API (/api/v1/household-imports), as on the pages and as the
roster import's API (pilar/imports/api.py): upload, the mapping and check (preview), the
households of the preview, decisions on the accompanied households the extract no longer lists,
commit and undo.

Checking, saving and undoing run in the background: those calls answer 202 at once, and the
import's `status` and `progress_*` tell when the work is done (poll GET
/household-imports/{id}). A refusal is a 400 with the field at fault (pilar.api.common.refusal).
"""

from __future__ import annotations

import datetime
from typing import Annotated, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, File, Router, Schema, Status
from ninja.files import UploadedFile

from pilar.accounts.access import Capability, can
from pilar.api.common import Body, Id, Offset, api_actor, choice
from pilar.audit.models import AuditEntry
from pilar.audit.services import audit_record
from pilar.dtsen import services
from pilar.dtsen.columns import COLUMN_BY_KEY
from pilar.dtsen.forms import masked_sample
from pilar.dtsen.models import ExtractHousehold, HouseholdImport
from pilar.dtsen.views import visible_imports
from pilar.lib.nik import mask_nik
from pilar.lib.spreadsheet import column_letter
from pilar.regions.models import Area, within_areas_q

router = Router(tags=["household imports"])


def _require(request) -> None:
    if not can(request.user, Capability.IMPORTS):
        raise PermissionDenied


def _batch(request, import_id: int) -> HouseholdImport:
    _require(request)
    return get_object_or_404(visible_imports(request.user), pk=import_id)


class ExtractColumnOut(Schema):
    column: str
    header: str
    field: str | None
    samples: list[str]


class HouseholdImportOut(Schema):
    id: int
    filename: str
    file_format: str
    sheet: str
    sheets: list[str]
    header_row: int
    as_of: datetime.date | None
    status: str
    message: str
    notes: list[str]
    columns: list[ExtractColumnOut]
    progress_done: int
    progress_total: int
    summary: dict
    created_at: datetime.datetime
    committed_at: datetime.datetime | None
    undone_at: datetime.datetime | None


class ExtractHouseholdOut(Schema):
    id: int
    kk_number: str  # masked
    status: str
    kelurahan: str | None
    household_id: int | None
    rows: list
    plan: dict
    problems: list[dict]
    accompanied: bool
    decision: str


Key = Literal[tuple(COLUMN_BY_KEY)]  # type: ignore[valid-type]


class ExtractPreviewIn(Body):
    # {column letter (A, B...) or index (0, 1...): field key}; absent, the recognised mapping.
    mapping: dict[Annotated[str, Field(max_length=8)], Key] | None = Field(None, max_length=500)
    sheet: str | None = Field(None, max_length=100)
    header_row: int | None = Field(None, ge=1, le=1000)
    as_of: datetime.date


class ExtractDecisionsIn(Body):
    # {extract household id (of a missing, accompanied household): "keep" or "close"}
    decisions: dict[Annotated[str, Field(max_length=20)], Literal["keep", "close"]] = Field(
        ..., max_length=10000
    )


class ExtractCommitIn(Body):
    # Save the valid households when some are rejected (otherwise refused).
    accept_valid: bool = False


def _sheet_names(batch: HouseholdImport) -> list[str]:
    return [s if isinstance(s, str) else s[0] for s in batch.sheets]


def _out(batch: HouseholdImport) -> HouseholdImportOut:
    return HouseholdImportOut(
        id=batch.pk,
        filename=batch.filename,
        file_format=batch.file_format,
        sheet=batch.sheet,
        sheets=_sheet_names(batch),
        header_row=batch.header_row,
        as_of=batch.as_of,
        status=batch.status,
        message=batch.message,
        notes=[str(n) for n in batch.notes],
        columns=[
            ExtractColumnOut(
                column=column_letter(int(entry[0])),
                header=entry[1],
                field=batch.mapping.get(str(entry[0])),
                samples=[masked_sample(sample) for sample in entry[2] or []],
            )
            for entry in batch.columns
        ],
        progress_done=batch.progress_done,
        progress_total=batch.progress_total,
        summary=batch.summary or {},
        created_at=batch.created_at,
        committed_at=batch.committed_at,
        undone_at=batch.undone_at,
    )


def _masked_plan(plan: dict) -> dict:
    """The plan with NIKs and KK numbers masked, as the preview page shows them."""
    plan = dict(plan or {})
    fields = dict(plan.get("fields") or {})
    if "kk_number" in fields:
        fields["kk_number"] = [mask_nik(v) if v else v for v in fields["kk_number"]]
    plan["fields"] = fields
    for key in ("members_added", "members_gone", "members_changed"):
        members = []
        for member in plan.get(key) or []:
            member = dict(member)
            if member.get("nik"):
                member["nik"] = mask_nik(member["nik"])
            changes = dict(member.get("fields") or {})
            if "nik" in changes:
                changes["nik"] = [mask_nik(v) if v else v for v in changes["nik"]]
                member["fields"] = changes
            members.append(member)
        plan[key] = members
    return plan


@router.get("", response=list[HouseholdImportOut])
def list_household_imports(
    request,
    status: choice(HouseholdImport.Status) | None = None,
    offset: Offset = 0,
    limit: Annotated[int, Field(ge=1, le=100)] = 50,
):
    """The extract imports the caller may open, newest first; `status` filters them."""
    _require(request)
    batches = visible_imports(request.user)
    if status:
        batches = batches.filter(status=status)
    return [_out(b) for b in batches[offset : offset + limit]]


@router.post("", response={201: HouseholdImportOut})
def upload_household_import(request, file: File[UploadedFile]):
    """Upload a DTSEN extract (XLSX, XLS, ODS or CSV). Answers with the columns Pilar
    recognised; nothing is checked or saved yet."""
    _require(request)
    batch = services.extract_upload(by=api_actor(request), upload=file, filename=file.name)
    return Status(201, _out(batch))


@router.get("/{extract_id}", response=HouseholdImportOut)
def get_household_import(request, extract_id: Id):
    """One extract import with its summary: rows, rows_rejected, households {new, updated,
    moved, unchanged, rejected, missing}, members {added, gone, changed}."""
    return _out(_batch(request, extract_id))


@router.get("/{extract_id}/households", response=list[ExtractHouseholdOut])
def list_households(
    request,
    extract_id: Id,
    status: choice(ExtractHousehold.Status) | None = None,
    area: Annotated[str, Field(max_length=20)] = "",
    offset: Offset = 0,
    limit: Annotated[int, Field(ge=1, le=1000)] = 100,
):
    """The households of the preview and what saving does to each (`plan`); `status` and
    `area` (a kecamatan's or kelurahan's code) filter them. NIKs and KK numbers are masked."""
    batch = _batch(request, extract_id)
    items = batch.households.select_related("area").order_by("pk")
    if status:
        items = items.filter(status=status)
    if area:
        found = Area.objects.by_code(area, "area")
        items = items.filter(within_areas_q([found], "area"))
    page = list(items[offset : offset + limit])
    audit_record(
        by=api_actor(request),
        action=AuditEntry.Action.VIEW_PERSONAL,
        obj=batch,
        note=f"extract households via API offset {offset} limit {limit}",
        batch=batch.pk,
    )
    return [
        ExtractHouseholdOut(
            id=item.pk,
            kk_number=mask_nik(item.kk_number),
            status=item.status,
            kelurahan=item.area.code if item.area else None,
            household_id=item.household_id,
            rows=item.rows or [],
            plan=_masked_plan(item.plan),
            problems=[
                {"severity": p[0], "field": p[1], "value": p[2], "message": p[3]}
                for p in item.problems or []
            ],
            accompanied=item.accompanied,
            decision=item.decision,
        )
        for item in page
    ]


def _mapping(batch: HouseholdImport, given: dict[str, str]) -> dict[str, str]:
    """{column index: key} from {column letter or index: key}; an unknown column is refused
    naming it."""
    indexes = {str(int(c[0])) for c in batch.columns}
    letters = {column_letter(int(c[0])): str(int(c[0])) for c in batch.columns}
    mapping = {}
    for column, key in given.items():
        index = letters.get(column.strip().upper()) or (
            column.strip() if column.strip() in indexes else None
        )
        if index is None:
            raise ValidationError(
                {
                    "mapping": [
                        _("The file has no column %(column)s; name a column by its letter.")
                        % {"column": column[:8]}
                    ]
                }
            )
        mapping[index] = key
    return mapping


@router.post("/{extract_id}/preview", response={202: HouseholdImportOut})
def preview_household_import(request, extract_id: Id, payload: ExtractPreviewIn):
    """Check the rows (with the recognised mapping, or `mapping`), as of the extract's date
    `as_of`. Nothing is saved; poll the import until its status is `preview`."""
    batch = _batch(request, extract_id)
    by = api_actor(request)
    if payload.sheet and payload.sheet != batch.sheet:
        batch = services.extract_choose_sheet(by=by, batch=batch, sheet=payload.sheet)
    mapping = batch.mapping if payload.mapping is None else _mapping(batch, payload.mapping)
    services.extract_set_mapping(
        by=by,
        batch=batch,
        header_row=payload.header_row or batch.header_row,
        mapping=mapping,
        as_of=payload.as_of,
    )
    batch.refresh_from_db()
    return Status(202, _out(batch))


@router.post("/{extract_id}/decisions", response=HouseholdImportOut)
def decide_household_import(request, extract_id: Id, payload: ExtractDecisionsIn):
    """Keep or close each accompanied household the extract no longer lists."""
    batch = _batch(request, extract_id)
    decisions = {}
    for key, value in payload.decisions.items():
        if not key.isascii() or not key.isdigit():
            raise ValidationError(
                {"decisions": [_("%(key)s is not a household's id.") % {"key": key[:20]}]}
            )
        decisions[int(key)] = value
    services.extract_decide(by=api_actor(request), batch=batch, decisions=decisions)
    batch.refresh_from_db()
    return _out(batch)


@router.post("/{extract_id}/commit", response={202: HouseholdImportOut})
def commit_household_import(request, extract_id: Id, payload: ExtractCommitIn):
    """Save every accepted household in one go (after the preview)."""
    batch = _batch(request, extract_id)
    services.extract_request_commit(
        by=api_actor(request), batch=batch, accept_valid=payload.accept_valid
    )
    batch.refresh_from_db()
    return Status(202, _out(batch))


@router.post("/{extract_id}/undo", response={202: HouseholdImportOut})
def undo_household_import(request, extract_id: Id):
    """Undo a saved extract import whole; refused (400) when later changes depend on it."""
    batch = _batch(request, extract_id)
    services.extract_request_undo(by=api_actor(request), batch=batch)
    batch.refresh_from_db()
    return Status(202, _out(batch))
