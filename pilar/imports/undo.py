"""Undoing a committed import: the request (`import_request_undo`), refused while later work
depends on the import, the undo itself (`import_undo`), which reverses the import's recorded
changes and audits each, and the figures an undo would change (`undo_figures`).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record, plain
from pilar.imports.models import Import, ImportChange
from pilar.imports.services import _claim, _label, _require_right, logger
from pilar.lib.dates import long_date
from pilar.lib.jobs import Heartbeat
from pilar.registry.models import Assignment, Person
from pilar.registry.services import holders_during, quota_full

WRITE_ACTIONS = [
    AuditEntry.Action.CREATE,
    AuditEntry.Action.UPDATE,
    AuditEntry.Action.END,
    AuditEntry.Action.DELETE,
]


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
        .values_list("pk", "person_id", "object_type", "object_id", "source", "batch")
    )
    found = []
    # Read in Python rather than as an IN list: an import touches up to 100,000 records,
    # more than a database takes as query parameters.
    ours = undone | {batch.pk}  # an undone import's writes (and their undo) are taken back
    for pk, person_id, object_type, object_id, source, of_batch in later_writes.iterator(2000):
        if person_id not in person_ids and not (
            object_type == "registry.assignment" and object_id in duty_ids
        ):
            continue
        if source == AuditEntry.Source.IMPORT and of_batch in ours:
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
    user = by.signed_in_user

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
                batch=batch.pk,
                office_id=batch.office_id,
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
        if quota_full(a.kind, others.count()):
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
