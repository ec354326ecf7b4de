"""Every step of an import: upload, mapping, check, commit, undo — each audited.

Status moves only forward through compare-and-set updates (`_claim`), so a double click, a retry
or two operators pressing the same button start one piece of work, not two.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import re
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from pilar.accounts.access import Capability, can
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record, plain
from pilar.imports import engine
from pilar.imports.columns import BY_KEY
from pilar.imports.models import Import, ImportChange, ImportRow
from pilar.imports.pipeline import read_sheet
from pilar.imports.reader import FileProblem, Spreadsheet, check_workbook
from pilar.imports.rows import NEW, NOTE, UPDATED, RowResult, StartRule
from pilar.lib.dates import long_date
from pilar.lib.jobs import Heartbeat, recover_stale
from pilar.lib.params import MAX_ID
from pilar.registry.models import Assignment, Person
from pilar.registry.services import holders_during

WRITE_ACTIONS = [
    AuditEntry.Action.CREATE,
    AuditEntry.Action.UPDATE,
    AuditEntry.Action.END,
    AuditEntry.Action.DELETE,
]
ROW_STORE_BATCH = 1000
logger = logging.getLogger(__name__)
SHOWN_ROWS = 1000


class StaleRegistry(Exception):
    """The registry changed between the preview and the commit: rows would now come out
    differently."""

    def __init__(self, rows: list[int]):
        super().__init__(rows)
        self.rows = rows


def _user(by: Actor):
    return by.user if getattr(by.user, "is_authenticated", False) else None


def _require_right(by: Actor) -> None:
    """Imports write people and duties in bulk: only the roles that keep the registry (the
    pages and the API check the same; the command line runs as the office itself)."""
    user = _user(by)
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
    try:
        check_workbook(upload)
    except FileProblem as exc:
        raise ValidationError({"file": [exc.message]}) from exc
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1 << 20), b""):
        digest.update(chunk)
    upload.seek(0)
    batch = Import(
        filename=name,
        size=size,
        sha256=digest.hexdigest(),
        file_format="",
        created_by=_user(by),
    )
    batch.file.save(f"{timezone.now():%Y%m%d-%H%M%S}-{_safe(name)}", File(upload), save=False)
    try:
        with Spreadsheet(Path(batch.file.path)) as book:
            batch.file_format = book.format
            batch.sheets = [[s.name, s.visible] for s in book.sheets]
            _look(batch, book, book.default_sheet())
    except FileProblem as exc:
        batch.file.delete(save=False)
        raise ValidationError({"file": [exc.message]}) from exc
    except Exception:
        batch.file.delete(save=False)
        raise
    batch.save()
    audit_record(
        by=by,
        action=AuditEntry.Action.LOAD,
        obj=batch,
        note=_("uploaded for import: %(name)s, %(size)s bytes") % {"name": name, "size": size},
    )
    return batch


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[-80:] or "upload"


def _look(batch: Import, book: Spreadsheet, sheet: str) -> None:
    layout = book.layout(sheet)
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


def _pass(batch: Import, user, on_chunk) -> engine.Summary:
    check = read_sheet(
        Path(batch.file.path),
        sheet=batch.sheet,
        header_row=batch.header_row,
        mapping=engine.int_mapping(batch.mapping),
    )
    return engine.decide_chunks(
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


def _stored_pass(batch: Import, heartbeat: Heartbeat) -> engine.Summary | None:
    done = 0

    def store(results: list[RowResult]) -> None:
        nonlocal done
        ImportRow.objects.bulk_create(
            [
                ImportRow(
                    batch=batch,
                    number=r.number,
                    status=r.status,
                    problems=r.problems,
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
            if len(problems) < SHOWN_ROWS and any(p[0] != NOTE for p in r.problems):
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
        summary = engine.decide_chunks(
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


# Commit -----------------------------------------------------------------------------------


def import_request_commit(
    *, by: Actor, batch: Import, accept_warnings: bool, accept_rejected: bool
) -> Import:
    """Check the operator's consent and mark the import for saving (the task does the work)."""
    _require_right(by)
    summary = batch.summary or {}
    errors = []
    if batch.status != Import.Status.PREVIEW:
        errors.append(_("Only a checked import that is not saved yet can be saved."))
    else:
        if summary.get("warnings") and not accept_warnings:
            errors.append(
                _(
                    "%(count)s rows have warnings (such as a place name read from a close "
                    "spelling). Read them and tick 'I accept the warnings', or correct the file."
                )
                % {"count": summary["warnings"]}
            )
        if summary.get("rejected") and not accept_rejected:
            errors.append(
                _(
                    "%(count)s rows are rejected and will not be saved. Tick 'Save without the "
                    "rejected rows', or correct the file and check it again."
                )
                % {"count": summary["rejected"]}
            )
        if not (summary.get("new") or summary.get("updated")):
            errors.append(_("There is nothing to save: no row is new or changed."))
    if errors:
        raise ValidationError({"commit": errors})
    if not _claim(batch, [Import.Status.PREVIEW], Import.Status.COMMITTING, message=""):
        raise ValidationError({"commit": [_("This import is already being saved.")]})
    audit_record(by=by, action=AuditEntry.Action.UPDATE, obj=batch, note=_("saving requested"))
    return batch


class _Writer:
    """Writes one chunk's accepted rows through bulk statements, with audit entries and the
    change list an undo needs."""

    def __init__(self, batch: Import, by: Actor):
        self.batch = batch
        self.by = by
        self.user = _user(by)
        # Machine-readable: an undo recognises its own import's entries by this prefix.
        self.note = f"import #{batch.pk} {batch.filename}"
        # What the preview showed for each row: the commit writes a row only if it would do
        # exactly that (same status, same changes, same warnings).
        self.shown: dict[int, tuple[str, dict]] = {
            number: (status, plan)
            for number, status, plan in ImportRow.objects.filter(batch=batch).values_list(
                "number", "status", "plan"
            )
        }
        self.stale: list[int] = []

    def _audit(self, audits: list, action, obj_type, obj_id, repr_, person_id, changes, row):
        audits.append(
            (
                action,
                obj_type,
                str(obj_id),
                repr_[:200],
                person_id,
                changes,
                f"{self.note}, row {row}"[:250],
            )
        )

    def __call__(self, results: list[RowResult]) -> None:
        for r in results:
            if self.shown.get(r.number) != (r.status, r.planned):
                self.stale.append(r.number)
        if self.stale:
            raise StaleRegistry(self.stale)
        accepted = [r for r in results if r.status in (NEW, UPDATED)]
        now = timezone.now()
        audits: list[tuple] = []
        changes: list[ImportChange] = []
        # People first: new duties need their ids.
        created = [r for r in accepted if r.person_create]
        people = [_person_from(r.known.values, now) for r in created]
        Person.objects.bulk_create(people, batch_size=1000)
        for r, p in zip(created, people, strict=True):
            r.known.pk = p.pk
            self._audit(
                audits,
                AuditEntry.Action.CREATE,
                "registry.person",
                p.pk,
                p.name,
                p.pk,
                {k: [None, plain(v)] for k, v in _shown_fields(r.known.values).items() if v},
                r.number,
            )
        if people:
            changes.append(_change(self.batch, "person", "create", [p.pk for p in people]))
        updated = [r for r in accepted if r.person_changes]
        if updated:
            befores = {p.pk: p for p in Person.objects.filter(pk__in=[r.known.pk for r in updated])}
            touched, ids, previous = [], [], []
            for r in updated:
                person = befores[r.known.pk]
                before = {f: plain(getattr(person, f)) for f in r.person_changes}
                before["updated_at"] = person.updated_at.isoformat()
                for key, value in r.person_changes.items():
                    setattr(person, key, value)
                person.updated_at = now
                touched.append(person)
                ids.append(person.pk)
                previous.append(before)
                self._audit(
                    audits,
                    AuditEntry.Action.UPDATE,
                    "registry.person",
                    person.pk,
                    person.name,
                    person.pk,
                    {_label(k): [before[k], plain(v)] for k, v in r.person_changes.items()},
                    r.number,
                )
            fields = sorted({k for r in updated for k in r.person_changes} | {"updated_at"})
            Person.objects.bulk_update(touched, fields, batch_size=500)
            changes.append(_change(self.batch, "person", "update", ids, previous))
        new_duties = [r for r in accepted if r.duty_create]
        duties = [
            Assignment(
                person_id=r.known.pk,
                kind=r.duty_create["kind"],
                area=r.duty_create["area"],
                start_date=r.duty_create["start_date"],
                end_date=r.duty_create["end_date"],
                end_reason=r.duty_create["end_reason"],
                sk_number=r.duty_create["sk_number"],
                sk_date=r.duty_create["sk_date"],
                sk_signer=r.duty_create["sk_signer"],
            )
            for r in new_duties
        ]
        Assignment.objects.bulk_create(duties, batch_size=1000)
        for r, a in zip(new_duties, duties, strict=True):
            d = r.duty_create
            duty = next(x for x in reversed(r.known.duties) if x.row == r.number)
            duty.pk = a.pk
            self._audit(
                audits,
                AuditEntry.Action.CREATE,
                "registry.assignment",
                a.pk,
                f"{r.known.values['name']} — {d['kind'].code} {d['area'].name}",
                r.known.pk,
                {k: [None, plain(v)] for k, v in d.items() if v not in (None, "")},
                r.number,
            )
        if duties:
            changes.append(_change(self.batch, "assignment", "create", [a.pk for a in duties]))
        ended = [r for r in accepted if r.duty_end is not None]
        if ended:
            rows = {
                a.pk: a
                for a in Assignment.objects.filter(
                    pk__in=[r.duty_end[0].pk for r in ended]
                ).select_related("kind", "area")
            }
            ids, previous = [], []
            for r in ended:
                duty, end, reason = r.duty_end
                a = rows[duty.pk]
                ids.append(a.pk)
                previous.append({"end_reason": a.end_reason, "end_note": a.end_note})
                a.end_date, a.end_reason = end, reason
                self._audit(
                    audits,
                    AuditEntry.Action.END,
                    "registry.assignment",
                    a.pk,
                    f"{r.known.values['name']} — {a.kind.code} {a.area.name}",
                    r.known.pk,
                    {"end_date": [None, end.isoformat()], "end_reason": ["", reason]},
                    r.number,
                )
            Assignment.objects.bulk_update(list(rows.values()), ["end_date", "end_reason"])
            changes.append(_change(self.batch, "assignment", "end", ids, previous))
        self._write_audit(audits, now)
        ImportChange.objects.bulk_create(changes)

    def _write_audit(self, audits: list[tuple], now) -> None:
        """The chunk's audit entries in one statement. An import writes two per row, 200,000
        for a large roster: building a model for each cost more than the rest of the commit,
        so the rows go to the database as plain values (the same columns `audit_record`
        fills)."""
        if not audits:
            return
        ops = connection.ops
        table = ops.quote_name(AuditEntry._meta.db_table)
        fields = [
            "at",
            "user",
            "username",
            "source",
            "ip",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "person",
            "changes",
            "note",
        ]
        names = ", ".join(ops.quote_name(AuditEntry._meta.get_field(f).column) for f in fields)
        at = ops.adapt_datetimefield_value(now)
        user_id = self.user.pk if self.user else None
        username = self.user.get_username() if self.user else ""
        values = [
            (
                at,
                user_id,
                username,
                AuditEntry.Source.IMPORT.value,
                self.by.ip,
                str(action),
                obj_type,
                obj_id,
                repr_,
                person_id,
                ops.adapt_json_value(changes, DjangoJSONEncoder),
                note,
            )
            for action, obj_type, obj_id, repr_, person_id, changes, note in audits
        ]
        placeholders = ", ".join(["%s"] * len(fields))
        # Table and column names come from the model; every value is a parameter.
        sql = f"INSERT INTO {table} ({names}) VALUES ({placeholders})"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.executemany(sql, values)


def _person_from(values: dict, now) -> Person:
    """A new person from the values the check settled (empty text fields are already "")."""
    person = Person(**values)
    person.created_at = person.updated_at = now
    return person


def _shown_fields(values: dict) -> dict:
    return {_label(k): v for k, v in values.items()}


def _label(key: str) -> str:
    return "residence" if key == "residence_id" else key


def _change(batch, model, action, ids, befores=None) -> ImportChange:
    return ImportChange(
        batch=batch, model=model, action=action, object_ids=ids, befores=befores or []
    )


def import_commit(*, batch_id: int, by: Actor) -> Import:
    """Write every accepted row in one transaction, exactly as the preview showed them.

    When the registry changed since the preview (a row would now come out differently), nothing
    is written: the import is checked again and goes back to the preview with a message."""
    batch = Import.objects.get(pk=batch_id)
    if batch.status != Import.Status.COMMITTING:
        return batch
    Heartbeat(Import.objects.filter(pk=batch.pk)).beat(force=True)
    writer = _Writer(batch, by)
    try:
        with transaction.atomic():
            # Held until the end: tells a reader that this worker is alive although its beats
            # inside the transaction are not seen (pilar/lib/jobs.py); and a second task for
            # the same import waits here, then finds it saved.
            if not _lock_in(batch, Import.Status.COMMITTING):
                return Import.objects.get(pk=batch.pk)
            logger.info("import %s: saving, in one transaction", batch.pk)
            # The rows were checked within the uploader's area: saved within it too, whoever
            # presses the button (an office-wide operator may save a kecamatan's import).
            summary = _pass(batch, batch.created_by, writer)
            mark = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
            Import.objects.filter(pk=batch.pk).update(
                status=Import.Status.COMMITTED,
                committed_by=_user(by),
                committed_at=timezone.now(),
                audit_mark=mark or 0,
                summary=summary.as_dict(),
            )
            audit_record(
                by=by,
                action=AuditEntry.Action.LOAD,
                obj=batch,
                note=_("saved: %(new)s new, %(updated)s updated rows")
                % {"new": summary.new, "updated": summary.updated},
            )
    except StaleRegistry as exc:
        rows = ", ".join(str(n) for n in exc.rows[:10])
        moved = Import.objects.filter(pk=batch.pk, status=Import.Status.COMMITTING).update(
            status=Import.Status.CHECKING
        )
        if not moved:
            return Import.objects.get(pk=batch.pk)
        import_check(batch_id=batch.pk)
        Import.objects.filter(pk=batch.pk).update(
            message=_(
                "Nothing was saved: the registry changed after the check, so rows %(rows)s would "
                "now be saved differently. The rows have been checked again; read the preview "
                "and save again."
            )
            % {"rows": rows}
        )
    except (IntegrityError, ValidationError, FileProblem) as exc:
        Import.objects.filter(pk=batch.pk, status=Import.Status.COMMITTING).update(
            status=Import.Status.PREVIEW,
            message=_("Nothing was saved: the database refused a row (%(error)s).")
            % {"error": str(exc)[:200]},
        )
    except Exception as exc:  # noqa: BLE001 - never leave an import stuck in "saving"
        logger.exception("import %s: commit failed", batch.pk)
        Import.objects.filter(pk=batch.pk, status=Import.Status.COMMITTING).update(
            status=Import.Status.PREVIEW,
            message=_(
                "Nothing was saved: an unexpected error stopped the saving (%(error)s). Try "
                "again; if it happens again, tell the office's administrator."
            )
            % {"error": str(exc)[:200]},
        )
    return Import.objects.get(pk=batch.pk)


# Undo -------------------------------------------------------------------------------------


def _later_changes(batch: Import) -> list[AuditEntry]:
    """Writes after the import's own that concern what it wrote (undoing would lose them)."""
    person_ids: set[int] = set()
    duty_ids: set[str] = set()
    for model, ids in batch.changes.values_list("model", "object_ids"):
        if model == "person":
            person_ids.update(ids)
        else:
            duty_ids.update(str(i) for i in ids)
    undone = set(Import.objects.filter(status=Import.Status.UNDONE).values_list("pk", flat=True))
    later_writes = (
        AuditEntry.objects.filter(pk__gt=batch.audit_mark or 0, action__in=WRITE_ACTIONS)
        .order_by("pk")
        .values_list("pk", "person_id", "object_type", "object_id", "source", "note")
    )
    found = []
    # Read in Python rather than as an IN list: an import touches up to 100,000 records,
    # more than a database takes as query parameters.
    for pk, person_id, object_type, object_id, source, note in later_writes.iterator(2000):
        if person_id not in person_ids and not (
            object_type == "registry.assignment" and object_id in duty_ids
        ):
            continue
        if source == AuditEntry.Source.IMPORT:
            mark = re.match(r"(?:import|undo of import) #(\d+)", note)
            if mark and int(mark.group(1)) in undone | {batch.pk}:
                continue
        found.append(pk)
        if len(found) >= 200:
            break
    return list(AuditEntry.objects.filter(pk__in=found).order_by("pk"))


def _refusal(later: list[AuditEntry]) -> ValidationError:
    shown = "; ".join(
        _("%(what)s %(action)s on %(when)s by %(who)s")
        % {
            "what": e.object_repr,
            "action": e.get_action_display(),
            "when": date_format(timezone.localtime(e.at), "DATETIME_FORMAT"),
            "who": e.username or e.get_source_display(),
        }
        for e in later[:5]
    )
    return ValidationError(
        {
            "undo": [
                _(
                    "This import cannot be undone: %(count)s later changes depend on what it "
                    "wrote (%(shown)s). Undo those first (a later import can be undone on its "
                    "own page), then undo this one."
                )
                % {"count": len(later), "shown": shown}
            ]
        }
    )


def _lock_in(batch: Import, status: str) -> bool:
    """Lock `batch`'s row for the transaction, if it is still in `status`."""
    return bool(
        list(
            Import.objects.select_for_update()
            .filter(pk=batch.pk, status=status)
            .values_list("pk", flat=True)
        )
    )


def import_request_undo(*, by: Actor, batch: Import) -> Import:
    """Refuse at once when later work depends on the import; otherwise mark it for undoing
    (the task does the work, so a large import does not hold a web request)."""
    _require_right(by)
    if batch.status != Import.Status.COMMITTED:
        raise ValidationError({"undo": [_("Only a saved import can be undone.")]})
    later = _later_changes(batch)
    if later:
        raise _refusal(later)
    if not _claim(batch, [Import.Status.COMMITTED], Import.Status.UNDOING, message=""):
        raise ValidationError({"undo": [_("This import is already being undone.")]})
    return batch


def import_undo(*, batch_id: int, by: Actor) -> Import:
    """Take back everything an import wrote, in one transaction: delete what it created,
    restore what it changed. Refused, with the reason, when later work depends on it."""
    Heartbeat(Import.objects.filter(pk=batch_id, status=Import.Status.UNDOING)).beat(force=True)
    try:
        with transaction.atomic():
            # The lock held until the end tells a reader that this worker is alive.
            batch = Import.objects.select_for_update().get(pk=batch_id)
            if batch.status != Import.Status.UNDOING:
                return batch
            later = _later_changes(batch)
            if later:
                raise _refusal(later)
            _reverse(batch, by)
    except ValidationError as exc:
        Import.objects.filter(pk=batch_id, status=Import.Status.UNDOING).update(
            status=Import.Status.COMMITTED, message=" ".join(exc.messages)
        )
    except Exception as exc:  # noqa: BLE001 - never leave an import stuck in "undoing"
        logger.exception("import %s: undo failed", batch_id)
        Import.objects.filter(pk=batch_id, status=Import.Status.UNDOING).update(
            status=Import.Status.COMMITTED,
            message=_("Nothing was undone: an unexpected error stopped it (%(error)s).")
            % {"error": str(exc)[:200]},
        )
    return Import.objects.get(pk=batch_id)


def _reverse(batch: Import, by: Actor) -> None:
    note = f"undo of import #{batch.pk} {batch.filename}"
    audits: list[AuditEntry] = []
    user = _user(by)

    def entry(action, obj_type, obj_id, repr_, person_id, changes) -> None:
        audits.append(
            AuditEntry(
                user=user,
                username=user.get_username() if user else "",
                source=AuditEntry.Source.IMPORT,
                ip=by.ip,
                action=action,
                object_type=obj_type,
                object_id=str(obj_id),
                object_repr=repr_[:200],
                person_id=person_id,
                changes=changes,
                note=note[:250],
            )
        )

    changes = list(batch.changes.order_by("-pk"))
    figures = _undo_rows(batch.summary or {}) | dict.fromkeys(UNDO_FIGURES.values(), 0)
    try:
        with transaction.atomic():
            for change in changes:
                figures[UNDO_FIGURES[change.model, change.action]] += _undo_change(change, entry)
    except ProtectedError as exc:
        blocking = sorted({str(o) for o in exc.protected_objects})[:5]
        raise ValidationError(
            {
                "undo": [
                    _(
                        "This import cannot be undone: other records now refer to what it "
                        "created (%(records)s)."
                    )
                    % {"records": "; ".join(blocking)}
                ]
            }
        ) from exc
    AuditEntry.objects.bulk_create(audits, batch_size=500)
    batch.status = Import.Status.UNDONE
    batch.undone_by = user
    batch.undone_at = timezone.now()
    batch.message = ""
    # The summary says what the import did and, from now on, what its undo took back.
    batch.summary = {**(batch.summary or {}), "undone": figures}
    batch.save(update_fields=["status", "undone_by", "undone_at", "message", "summary"])
    audit_record(by=by, action=AuditEntry.Action.DELETE, obj=batch, note=note)


def _pieces(items: list, size: int = 500):
    """`items` from the last to the first, `size` at a time (undo runs backwards)."""
    items = list(reversed(items))
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _check_reopen(a: Assignment) -> None:
    """Reopening a duty the import ended must not break the registry's rules: no overlap with
    a later duty of the same kind, no more holders than the kind's maximum."""
    after = a.end_date + datetime.timedelta(days=1)
    later = (
        Assignment.objects.filter(person_id=a.person_id, kind_id=a.kind_id, start_date__gte=after)
        .exclude(pk=a.pk)
        .first()
    )
    if later is not None:
        raise ValidationError(
            {
                "undo": [
                    _(
                        "This import cannot be undone: it ended the %(kind)s duty of %(name)s, who "
                        "has since started another one (%(start)s); reopening it would overlap."
                    )
                    % {
                        "kind": a.kind.code,
                        "name": a.person.name,
                        "start": long_date(later.start_date),
                    }
                ]
            }
        )
    if a.kind.max_per_area is not None:
        others = holders_during(a.kind, a.area, after, None).exclude(pk=a.pk)
        if others.count() >= a.kind.max_per_area:
            raise ValidationError(
                {
                    "undo": [
                        _(
                            "This import cannot be undone: it ended the %(kind)s duty of "
                            "%(name)s in %(area)s, and %(others)s now serve there; reopening it "
                            "would exceed the maximum of %(max)s. End the later duty first."
                        )
                        % {
                            "kind": a.kind.code,
                            "name": a.person.name,
                            "area": a.area.label,
                            "others": ", ".join(h.person.name for h in others),
                            "max": a.kind.max_per_area,
                        }
                    ]
                }
            )


# What undoing each kind of recorded change does to the registry, as the import's summary
# names it afterwards (`undo_figures`).
UNDO_FIGURES = {
    ("person", "create"): "people_removed",
    ("person", "update"): "people_restored",
    ("assignment", "create"): "duties_removed",
    ("assignment", "end"): "duties_reopened",
}


def undo_figures(batch: Import) -> dict[str, int] | None:
    """What an undone import's undo did: its rows that had created or changed something
    (`rows_new`, `rows_updated`), and the registry records it removed or restored
    (`people_removed`, `people_restored`, `duties_removed`, `duties_reopened`). Counted by the
    undo as it went and kept in the summary; for an import undone before they were kept, read
    from its recorded changes (an undo takes all of them back or none). None unless undone."""
    if batch.status != Import.Status.UNDONE:
        return None
    summary = batch.summary or {}
    if "undone" in summary:
        return summary["undone"]
    figures = _undo_rows(summary) | dict.fromkeys(UNDO_FIGURES.values(), 0)
    for change in batch.changes.all():
        figures[UNDO_FIGURES[change.model, change.action]] += len(change.object_ids)
    return figures


def _undo_rows(summary: dict) -> dict[str, int]:
    return {"rows_new": summary.get("new", 0), "rows_updated": summary.get("updated", 0)}


def _undo_change(change: ImportChange, entry) -> int:
    """Take back one recorded change (one model, one action, many records); how many records
    it removed or restored."""
    model, action = change.model, change.action
    befores = change.befores or [{}] * len(change.object_ids)
    done = 0
    for piece in _pieces(list(zip(change.object_ids, befores, strict=True))):
        ids = [object_id for object_id, _before in piece]
        if model == "assignment" and action == "create":
            for a in Assignment.objects.filter(pk__in=ids).select_related("person", "kind", "area"):
                entry(
                    AuditEntry.Action.DELETE, "registry.assignment", a.pk, str(a), a.person_id, {}
                )
            _total, deleted = Assignment.objects.filter(pk__in=ids).delete()
            done += deleted.get(Assignment._meta.label, 0)
        elif model == "assignment" and action == "end":
            rows = {
                a.pk: a
                for a in Assignment.objects.filter(pk__in=ids).select_related(
                    "person", "kind", "area"
                )
            }
            for object_id, before in piece:
                a = rows[object_id]
                _check_reopen(a)
                entry(
                    AuditEntry.Action.UPDATE,
                    "registry.assignment",
                    a.pk,
                    str(a),
                    a.person_id,
                    {"end_date": [plain(a.end_date), None]},
                )
                a.end_date = None
                a.end_reason = before.get("end_reason", "")
                a.end_note = before.get("end_note", "")
            done += Assignment.objects.bulk_update(
                list(rows.values()), ["end_date", "end_reason", "end_note"]
            )
        elif model == "person" and action == "update":
            rows = {p.pk: p for p in Person.objects.filter(pk__in=ids)}
            fields: set[str] = set()
            for object_id, before in piece:
                p = rows[object_id]
                restored = {}
                for key, value in before.items():
                    field = Person._meta.get_field(key)
                    value = field.to_python(value) if value is not None else None
                    restored[_label(key)] = [plain(getattr(p, key)), plain(value)]
                    setattr(p, key, value)
                    fields.add(key)
                restored.pop("updated_at", None)
                entry(AuditEntry.Action.UPDATE, "registry.person", p.pk, p.name, p.pk, restored)
            if fields:
                done += Person.objects.bulk_update(
                    list(rows.values()), sorted(fields), batch_size=500
                )
        elif model == "person" and action == "create":
            for p in Person.objects.filter(pk__in=ids).only("pk", "name"):
                entry(AuditEntry.Action.DELETE, "registry.person", p.pk, p.name, p.pk, {})
            _total, deleted = Person.objects.filter(pk__in=ids).delete()
            done += deleted.get(Person._meta.label, 0)
    return done
