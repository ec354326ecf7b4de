"""Committing a checked import: the request (`import_request_commit`), and the commit itself
(`import_commit`), which runs the check again and writes what it found — people, duties, their
audit entries and the changes an undo reverses — or refuses when the registry changed since the
preview (`StaleRegistry`).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record, plain
from pilar.imports.engine.records import NEW, UPDATED, RowResult
from pilar.imports.models import Import, ImportChange, ImportRow
from pilar.imports.services import (
    _claim,
    _label,
    _lock_in,
    _pass,
    _require_right,
    import_check,
    logger,
)
from pilar.lib.jobs import Heartbeat
from pilar.lib.spreadsheet import FileProblem
from pilar.registry.models import Assignment, Person


class StaleRegistry(Exception):
    """The registry changed between the preview and the commit: rows would now come out
    differently."""

    def __init__(self, rows: list[int]):
        super().__init__(rows)
        self.rows = rows


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
        self.user = by.signed_in_user
        # For the reader of the log; an undo recognises the import's entries by `batch`.
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
                    pk__in=[r.duty_end.duty.pk for r in ended]
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
            "batch",
            "office",
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
                self.batch.pk,
                self.batch.office_id,  # the import's office (docs/OFFICE.md, "Many offices")
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
                committed_by=by.signed_in_user,
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
