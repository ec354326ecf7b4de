"""Every step of a DTSEN extract import, each audited: upload, sheet, mapping (which queues the
check), the decisions on missing households the office accompanies, the request to save (which
queues the commit) and to undo. The background work itself is in `engine/run.py` and is
exported here too (`extract_check`, `extract_commit`, `extract_undo`, `check_in_memory`).
docs/IMPORTS.md, section "Household extracts (DTSEN)", describes the rules.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record
from pilar.dtsen import tasks
from pilar.dtsen.columns import COLUMN_BY_KEY
from pilar.dtsen.engine.run import (
    DryRun,
    check_in_memory,
    claim,
    extract_check,
    extract_commit,
    extract_recover,
    extract_undo,
    require_right,
    undo_refusal,
)
from pilar.dtsen.engine.sheet import default_sheet, missing_columns, sheet_layout
from pilar.dtsen.engine.undo import later_changes
from pilar.dtsen.models import ExtractHousehold, HouseholdImport
from pilar.lib.params import MAX_ID
from pilar.lib.spreadsheet import FileProblem, Spreadsheet
from pilar.lib.uploads import keep_and_read, workbook_digest
from pilar.offices.services import acting_office

__all__ = [
    "DryRun",
    "check_in_memory",
    "extract_check",
    "extract_choose_sheet",
    "extract_commit",
    "extract_decide",
    "extract_recover",
    "extract_request_commit",
    "extract_request_undo",
    "extract_set_mapping",
    "extract_undo",
    "extract_upload",
    "max_rows",
]

Status = HouseholdImport.Status


def max_rows() -> int:
    """Rows one extract may hold (`PILAR_EXTRACT_MAX_ROWS`, 300,000 by default: a city's
    extract of 200,000 persons fits)."""
    return settings.PILAR_EXTRACT_MAX_ROWS


def _look(batch: HouseholdImport, book: Spreadsheet, sheet: str) -> None:
    layout = sheet_layout(book, sheet)
    count = book.row_count(sheet) - layout.header_row
    if count > max_rows():
        raise FileProblem(
            _(
                "The sheet %(sheet)s has %(count)s rows; one extract takes at most %(max)s. "
                "Split it by kecamatan and import the files one by one."
            )
            % {"sheet": sheet, "count": count, "max": max_rows()}
        )
    batch.sheet = sheet
    batch.header_row = layout.header_row
    batch.columns = [
        [index, header, [s[index] if index < len(s) else "" for s in layout.samples]]
        for index, header in enumerate(layout.headers)
    ]
    batch.mapping = layout.mapping
    batch.notes = layout.notes
    batch.progress_total = max(count, 0)


def extract_upload(*, by: Actor, upload, filename: str) -> HouseholdImport:
    """Keep the uploaded extract and take a first look: its sheets, header row and a guess of
    the column mapping (status MAPPING). Raises ValidationError (field "file")."""
    require_right(by)
    extract_recover()
    name = Path(filename or "extract").name[:200]
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
    if size == 0:
        raise ValidationError({"file": [_("The file is empty. Choose the DTSEN extract.")]})
    limit = settings.PILAR_IMPORT_MAX_MB
    if size > limit * 1024 * 1024:
        raise ValidationError(
            {
                "file": [
                    _(
                        "The file is %(size)s MB; one import takes at most %(max)s MB. Split "
                        "the extract by kecamatan, or remove pictures and unused sheets."
                    )
                    % {"size": round(size / 1024 / 1024, 1), "max": limit}
                ]
            }
        )
    # A workbook bomb is refused from the upload itself, before anything is written to disk.
    digest = workbook_digest(upload)
    batch = HouseholdImport(
        office=acting_office(by),
        filename=name,
        size=size,
        sha256=digest,
        file_format="",
        created_by=by.signed_in_user,
    )
    keep_and_read(
        batch, upload, name, "extract", lambda book: _look(batch, book, default_sheet(book))
    )
    batch.save()
    audit_record(
        by=by,
        action=AuditEntry.Action.LOAD,
        obj=batch,
        batch=batch.pk,
        note=_("DTSEN extract uploaded: %(name)s, %(size)s bytes") % {"name": name, "size": size},
    )
    return batch


def extract_choose_sheet(*, by: Actor, batch: HouseholdImport, sheet: str) -> HouseholdImport:
    require_right(by)
    if batch.status not in {Status.MAPPING, Status.PREVIEW, Status.FAILED}:
        raise ValidationError({"sheet": [_("This import can no longer be changed.")]})
    if sheet not in [s[0] for s in batch.sheets]:
        raise ValidationError(
            {"sheet": [_("The workbook has no sheet named %(name)s.") % {"name": sheet}]}
        )
    try:
        with Spreadsheet(Path(batch.file.path)) as book:
            _look(batch, book, sheet)
    except FileProblem as exc:
        raise ValidationError({"sheet": [exc.message]}) from exc
    batch.status = Status.MAPPING
    batch.save()
    return batch


def extract_set_mapping(
    *,
    by: Actor,
    batch: HouseholdImport,
    header_row: int,
    mapping: dict[str, str],
    as_of: datetime.date | None,
    queue: bool = True,
) -> HouseholdImport:
    """Store the operator's mapping {column index: key}, the header row and the extract's date,
    and queue the check. Refuses a mapping without the KK, NIK, name, relation and kelurahan
    (or Kode Wilayah) columns. `queue=False`: the caller runs the check itself (the command
    line), no worker is asked to."""
    require_right(by)
    columns = {str(c[0]) for c in batch.columns}
    clean = {str(k): v for k, v in mapping.items() if v}
    errors = []
    if any(v not in COLUMN_BY_KEY for v in clean.values()) or not set(clean) <= columns:
        errors.append(_("The mapping names a column or field that does not exist."))
    keys = list(clean.values())
    twice = sorted(
        {COLUMN_BY_KEY[k].header for k in keys if keys.count(k) > 1 and k in COLUMN_BY_KEY}
    )
    if twice:
        errors.append(
            _("Each field can come from one column only; %(fields)s is chosen more than once.")
            % {"fields": ", ".join(twice)}
        )
    missing = missing_columns(keys)
    if missing:
        errors.append(
            _(
                "Choose the columns that hold %(fields)s: every row needs its KK, NIK, name, "
                "relation and kelurahan (its name or its Kode Wilayah)."
            )
            % {"fields": ", ".join(COLUMN_BY_KEY[k].header for k in missing)}
        )
    if not isinstance(header_row, int) or header_row < 1:
        errors.append(_("The header row is a row number, 1 or more."))
    if as_of is not None and as_of > timezone.localdate():
        errors.append(_("The extract's date is in the future; write the date of the extract."))
    if errors:
        raise ValidationError({"mapping": errors})
    if not claim(
        batch,
        [Status.MAPPING, Status.PREVIEW, Status.FAILED],
        Status.CHECKING,
        mapping=clean,
        header_row=header_row,
        as_of=as_of,
        progress_done=0,
        message="",
        summary={},
    ):
        raise ValidationError({"mapping": [_("This import is already being checked or saved.")]})
    audit_record(
        by=by,
        action=AuditEntry.Action.UPDATE,
        obj=batch,
        batch=batch.pk,
        note=_("mapping set; checking"),
        changes={"mapping": [None, clean], "as_of": [None, as_of.isoformat() if as_of else None]},
    )
    if queue:
        tasks.queue_check(batch)
    return batch


def extract_decide(*, by: Actor, batch: HouseholdImport, decisions: dict[int, str]) -> None:
    """Keep or close missing households the office accompanies: {ExtractHousehold id: "keep" or
    "close"}, ids of this import's missing, accompanied households."""
    require_right(by)
    if batch.status != Status.PREVIEW:
        raise ValidationError({"decision": [_("Decide before saving, on a checked import.")]})
    wanted = {int(k): v for k, v in decisions.items()}
    if any(v not in ExtractHousehold.Decision.values or not v for v in wanted.values()):
        raise ValidationError({"decision": [_("Choose keep or close for each household.")]})
    found = {
        h.pk: h
        for h in ExtractHousehold.objects.filter(
            batch=batch,
            pk__in=[k for k in wanted if 0 < k <= MAX_ID],
            status=ExtractHousehold.Status.MISSING,
        )
    }
    unknown = sorted(set(wanted) - set(found))
    if unknown:
        raise ValidationError(
            {
                "decision": [
                    _("Rows %(ids)s are not missing households of this import.")
                    % {"ids": ", ".join(map(str, unknown[:10]))}
                ]
            }
        )
    for pk, value in wanted.items():
        ExtractHousehold.objects.filter(pk=pk).update(decision=value)
    audit_record(
        by=by,
        action=AuditEntry.Action.UPDATE,
        obj=batch,
        batch=batch.pk,
        note=_("decided on missing households"),
        changes={
            f"KK {found[pk].kk_number[-4:]}": [found[pk].decision, v] for pk, v in wanted.items()
        },
    )


def extract_request_commit(
    *, by: Actor, batch: HouseholdImport, accept_valid: bool, queue: bool = True
) -> HouseholdImport:
    """Check the operator's consent and mark the import for saving; the task does the work
    (`queue=False`: the caller runs `extract_commit` itself, the command line)."""
    require_right(by)
    summary = batch.summary or {}
    households = summary.get("households", {})
    errors = []
    if batch.status != Status.PREVIEW:
        errors.append(_("Only a checked extract that is not saved yet can be saved."))
    else:
        rejected = summary.get("rows_rejected", 0)
        if (rejected or households.get("rejected")) and not accept_valid:
            errors.append(
                _(
                    "%(rows)s rows and %(households)s households are rejected and will not be "
                    "saved. Tick 'Save without the rejected households', or correct the file and "
                    "check it again."
                )
                % {"rows": rejected, "households": households.get("rejected", 0)}
            )
        undecided = list(
            ExtractHousehold.objects.filter(
                batch=batch,
                status=ExtractHousehold.Status.MISSING,
                accompanied=True,
                decision="",
            ).values_list("kk_number", flat=True)[:11]
        )
        if undecided:
            errors.append(
                _(
                    "Households the office accompanies are no longer in the extract (KK "
                    "%(kks)s): decide for each whether to keep or close it."
                )
                % {"kks": ", ".join(undecided[:10]) + ("…" if len(undecided) > 10 else "")}
            )
        work = sum(households.get(k, 0) for k in ("new", "updated", "moved", "missing"))
        if not work:
            errors.append(_("There is nothing to save: every household is unchanged."))
    if errors:
        raise ValidationError({"commit": errors})
    if not claim(batch, [Status.PREVIEW], Status.COMMITTING, message=""):
        raise ValidationError({"commit": [_("This extract is already being saved.")]})
    audit_record(
        by=by,
        action=AuditEntry.Action.UPDATE,
        obj=batch,
        batch=batch.pk,
        note=_("saving requested"),
    )
    if queue:
        tasks.queue_commit(batch, by)
    return batch


def extract_request_undo(*, by: Actor, batch: HouseholdImport) -> HouseholdImport:
    """Refuse at once when later writes touch what the extract wrote; otherwise mark it for
    undoing (the task does the work)."""
    require_right(by)
    if batch.status != Status.COMMITTED:
        raise ValidationError({"undo": [_("Only a saved extract can be undone.")]})
    later = later_changes(batch)
    if later:
        raise undo_refusal(later)
    if not claim(batch, [Status.COMMITTED], Status.UNDOING, message=""):
        raise ValidationError({"undo": [_("This extract is already being undone.")]})
    audit_record(
        by=by, action=AuditEntry.Action.UPDATE, obj=batch, batch=batch.pk, note=_("undo requested")
    )
    tasks.queue_undo(batch, by)
    return batch
