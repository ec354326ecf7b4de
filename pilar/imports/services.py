"""Every step of an import before the commit — upload, sheet, mapping, check — each audited, the
recovery of work whose worker vanished, and what the commit (`commit.py`) and the undo
(`undo.py`) share with them: the right to import, and how an import's status moves.

Status moves only forward through compare-and-set updates (`_claim`), so a double click, a retry
or two operators pressing the same button start one piece of work, not two.
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from pilar.accounts.access import Capability, can
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record
from pilar.imports.engine import driver
from pilar.imports.engine.columns import BY_KEY
from pilar.imports.engine.driver import read_sheet
from pilar.imports.engine.layout import default_sheet, sheet_layout
from pilar.imports.engine.records import NOTE, RowResult, StartRule
from pilar.imports.models import Import, ImportRow
from pilar.lib.jobs import Heartbeat, recover_stale
from pilar.lib.params import MAX_ID
from pilar.lib.spreadsheet import FileProblem, Spreadsheet
from pilar.lib.uploads import keep_and_read, workbook_digest
from pilar.offices.services import acting_office

ROW_STORE_BATCH = 1000
# Also the logger of commit.py and undo.py: an import's log lines under one name.
logger = logging.getLogger(__name__)
SHOWN_ROWS = 1000


def _require_right(by: Actor) -> None:
    """Imports write people and duties in bulk: only the roles that keep the registry (the
    pages and the API check the same; the command line runs as the office itself)."""
    user = by.signed_in_user
    if by.user is not None and (user is None or not can(user, Capability.IMPORTS)):
        raise PermissionDenied(_("Your role does not allow imports."))


def max_bytes() -> int:
    return settings.PILAR_IMPORT_MAX_MB * 1024 * 1024


def _claim(batch: Import, from_status: list[str], to_status: str, **extra) -> bool:
    """Move `batch` to `to_status` if (and only if) it is still in one of `from_status`. A
    working status starts the heartbeat clock: the worker must take the job up in time."""
    imports_recover(ids=[batch.pk])
    if to_status in Import.WORKING:
        extra["heartbeat_at"] = timezone.now()
    done = Import.objects.filter(pk=batch.pk, status__in=from_status).update(
        status=to_status, **extra
    )
    if done:
        batch.refresh_from_db()
    return bool(done)


def _lock_in(batch: Import, status: str) -> bool:
    """Lock `batch`'s row for the transaction, if it is still in `status`."""
    return bool(
        list(
            Import.objects.select_for_update()
            .filter(pk=batch.pk, status=status)
            .values_list("pk", flat=True)
        )
    )


def _label(key: str) -> str:
    return "residence" if key == "residence_id" else key


# A worker that vanished ------------------------------------------------------------------


def _recovered(batch: Import) -> dict:
    """Where a job whose worker vanished goes back to, and the reason shown: the state from
    which the same work can be started again (the commit and the undo are one transaction
    each, so a killed one left nothing behind)."""
    if batch.status == Import.Status.COMMITTING:
        status = Import.Status.PREVIEW
        message = _(
            "The worker stopped while saving (it was killed or the server restarted); nothing "
            "was saved. Save again."
        )
    elif batch.status == Import.Status.UNDOING:
        status = Import.Status.COMMITTED
        message = _(
            "The worker stopped while undoing (it was killed or the server restarted); nothing "
            "was undone. Undo again."
        )
    else:
        status = Import.Status.FAILED
        message = _(
            "The worker stopped while checking (it was killed or the server restarted). Check "
            "the file again."
        )
    return {"status": status, "message": message, "heartbeat_at": None}


def imports_recover(*, ids: list[int] | None = None) -> int:
    """Mark the imports (those of `ids`, else all) whose worker vanished, so that their work
    can be started again (see `_recovered`). Run when a page or the API reads an import, when
    work is started, and when `pilar serve` starts its worker (docs/IMPORTS.md)."""
    if ids is None:
        batches = Import.objects.all()
    else:  # ids straight from a URL: one beyond the database's integers names no import
        batches = Import.objects.filter(pk__in=[i for i in ids if 0 < i <= MAX_ID])
    return recover_stale(batches, list(Import.WORKING), _recovered)


# Upload and mapping -----------------------------------------------------------------------


def import_upload(*, by: Actor, upload, filename: str) -> Import:
    """Keep the uploaded file and take a first look: its kind, sheets, header row and a guess of
    the column mapping. Raises ValidationError (field "file") for a file that cannot be taken."""
    _require_right(by)
    imports_recover()
    name = Path(filename or "upload").name[:200]
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
    if size == 0:
        raise ValidationError({"file": [_("The file is empty. Choose the roster spreadsheet.")]})
    if size > max_bytes():
        raise ValidationError(
            {
                "file": [
                    _(
                        "The file is %(size)s MB; one import takes at most %(max)s MB. Split "
                        "the roster into smaller files, or remove pictures and unused sheets."
                    )
                    % {"size": round(size / 1024 / 1024, 1), "max": settings.PILAR_IMPORT_MAX_MB}
                ]
            }
        )
    # A workbook bomb is refused from the upload itself, before anything is written to disk.
    digest = workbook_digest(upload)
    batch = Import(
        office=acting_office(by),
        filename=name,
        size=size,
        sha256=digest,
        file_format="",
        created_by=by.signed_in_user,
    )
    keep_and_read(
        batch, upload, name, "upload", lambda book: _look(batch, book, default_sheet(book))
    )
    batch.save()
    audit_record(
        by=by,
        action=AuditEntry.Action.LOAD,
        obj=batch,
        note=_("uploaded for import: %(name)s, %(size)s bytes") % {"name": name, "size": size},
    )
    return batch


def _look(batch: Import, book: Spreadsheet, sheet: str) -> None:
    layout = sheet_layout(book, sheet)
    count = book.row_count(sheet) - layout.header_row
    if count > settings.PILAR_IMPORT_MAX_ROWS:
        raise FileProblem(
            _(
                "The sheet %(sheet)s has %(count)s rows; one import takes at most %(max)s. Split "
                "it into several files (by kecamatan, for example) and import them one by one."
            )
            % {
                "sheet": sheet,
                "count": f"{count:,}".replace(",", "."),
                "max": f"{settings.PILAR_IMPORT_MAX_ROWS:,}".replace(",", "."),
            }
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


def import_choose_sheet(*, by: Actor, batch: Import, sheet: str) -> Import:
    _require_right(by)
    if batch.status not in {Import.Status.MAPPING, Import.Status.PREVIEW}:
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
    batch.status = Import.Status.MAPPING
    batch.save()
    return batch


def import_set_mapping(
    *,
    by: Actor,
    batch: Import,
    mapping: dict[str, str],
    start_rule: StartRule | None = None,
) -> Import:
    """Store the operator's mapping {column index: field} and the rule giving a start date to
    rows without one (`start_rule`, None: such rows are refused), and queue the check."""
    _require_right(by)
    columns = {str(c[0]) for c in batch.columns}
    clean = {str(k): v for k, v in mapping.items() if v}
    errors = []
    unknown = [v for v in clean.values() if v not in BY_KEY]
    if unknown or not set(clean) <= columns:
        errors.append(_("The mapping names a column or field that does not exist."))
    fields = list(clean.values())
    twice = sorted({BY_KEY[f].header for f in fields if fields.count(f) > 1 and f in BY_KEY})
    if twice:
        errors.append(
            _("Each field can come from one column only; %(fields)s is chosen more than once.")
            % {"fields": ", ".join(twice)}
        )
    if "nik" not in fields:
        errors.append(
            _(
                "No column is mapped to NIK. Every row needs the person's NIK: choose the column "
                "that holds it, or add a NIK column to the sheet."
            )
        )
    if errors:
        raise ValidationError({"mapping": errors})
    if not _claim(
        batch,
        [Import.Status.MAPPING, Import.Status.PREVIEW, Import.Status.FAILED],
        Import.Status.CHECKING,
        mapping=clean,
        start_rule=start_rule.source if start_rule else Import.StartRule.REJECT,
        start_rule_date=start_rule.date if start_rule else None,
        progress_done=0,
        message="",
        summary={},
    ):
        raise ValidationError({"mapping": [_("This import is already being checked or saved.")]})
    audit_record(
        by=by,
        action=AuditEntry.Action.UPDATE,
        obj=batch,
        note=_("mapping set; checking"),
        changes={
            "mapping": [None, clean],
            "start_rule": [
                None,
                (start_rule.date.isoformat() if start_rule.date else start_rule.source)
                if start_rule
                else "",
            ],
        },
    )
    return batch


# Check ------------------------------------------------------------------------------------


def _pass(batch: Import, user, on_chunk) -> driver.Summary:
    check = read_sheet(
        Path(batch.file.path),
        sheet=batch.sheet,
        header_row=batch.header_row,
        mapping=driver.int_mapping(batch.mapping),
    )
    return driver.decide_chunks(
        check.chunks,
        lookup=check.lookup,
        user=user,
        today=check.today,
        mapped=set(batch.mapping.values()),
        on_chunk=on_chunk,
        poisoned=batch.conflicts,
        start_rule=batch.start_rule_value,
    )


def import_check(*, batch_id: int) -> Import:
    """Check every row and store the results for the preview. Writes nothing to the registry.

    When rows about one NIK disagree, the check runs a second time refusing all of them, so
    that the preview (and the commit) never keep one of two contradicting rows."""
    batch = Import.objects.get(pk=batch_id)
    if batch.status != Import.Status.CHECKING:
        return batch
    heartbeat = Heartbeat(Import.objects.filter(pk=batch.pk, status=Import.Status.CHECKING))
    heartbeat.beat(force=True)
    batch.conflicts = {}
    for _attempt in range(2):
        ImportRow.objects.filter(batch=batch).delete()
        summary = _stored_pass(batch, heartbeat)
        if summary is None:
            return Import.objects.get(pk=batch.pk)
        if not summary.conflicts:
            break
        batch.conflicts = summary.conflicts
        Import.objects.filter(pk=batch.pk).update(conflicts=batch.conflicts, progress_done=0)
    Import.objects.filter(pk=batch.pk, status=Import.Status.CHECKING).update(
        status=Import.Status.PREVIEW,
        summary=summary.as_dict(),
        progress_done=summary.rows,
        progress_total=summary.rows,
    )
    return Import.objects.get(pk=batch.pk)


def _stored_pass(batch: Import, heartbeat: Heartbeat) -> driver.Summary | None:
    done = 0

    def store(results: list[RowResult]) -> None:
        nonlocal done
        ImportRow.objects.bulk_create(
            [
                ImportRow(
                    batch=batch,
                    number=r.number,
                    status=r.status,
                    problems=[p.as_stored() for p in r.problems],
                    plan=r.planned,
                    nik=(r.nik or "")[:16],
                    name=(r.name or "")[:150],
                )
                for r in results
            ],
            batch_size=ROW_STORE_BATCH,
        )
        done += len(results)
        heartbeat.beat(force=True, progress_done=done)

    try:
        return _pass(batch, batch.created_by, store)
    except FileProblem as exc:
        message = exc.message
    except Exception as exc:  # noqa: BLE001 - never leave an import stuck in "checking"
        logger.exception("import %s: check failed", batch.pk)
        message = _(
            "The check stopped on an unexpected error (%(error)s). Check the file again; if it "
            "happens again, tell the office's administrator."
        ) % {"error": str(exc)[:200]}
    Import.objects.filter(pk=batch.pk).update(status=Import.Status.FAILED, message=message)
    return None


def check_in_memory(
    path: Path,
    *,
    user,
    sheet: str | None = None,
    mapping: dict | None = None,
    start_rule: StartRule | None = None,
):
    """The CLI's dry run: the same check, nothing stored. Returns (summary, rows with errors or
    warnings — at most SHOWN_ROWS of them —, layout)."""
    problems: list[RowResult] = []

    def keep(rows: list[RowResult]) -> None:
        for r in rows:
            if len(problems) < SHOWN_ROWS and any(p.severity != NOTE for p in r.problems):
                problems.append(r)

    poisoned: dict = {}
    for _attempt in range(2):
        problems.clear()
        check = read_sheet(path, sheet=sheet, header_row=None, mapping=mapping)
        layout = check.layout
        if "nik" not in layout.mapping.values():
            check.chunks.close()
            raise FileProblem(
                _("No column of sheet %(sheet)s is recognised as NIK (headers: %(headers)s).")
                % {"sheet": layout.sheet, "headers": ", ".join(h for h in layout.headers if h)}
            )
        summary = driver.decide_chunks(
            check.chunks,
            lookup=check.lookup,
            user=user,
            today=check.today,
            mapped=set(layout.mapping.values()),
            on_chunk=keep,
            poisoned=poisoned,
            plans=False,
            start_rule=start_rule,
        )
        if not summary.conflicts:
            break
        poisoned = summary.conflicts
    return summary, problems, layout
