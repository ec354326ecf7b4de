"""Taking a saved extract back from its recorded changes (`ExtractChange`): what it created is
deleted, what it changed or ended gets its values before — refused while later writes touch
the same records (`later_changes`). Runs inside the caller's transaction, in the order that
keeps the constraints true (members first, households last)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor
from pilar.casework.models import (
    Caseload,
    DecileRecord,
    Household,
    HouseholdMember,
    KKChange,
    StatusRecord,
)
from pilar.dtsen.engine.decide import _chunks
from pilar.dtsen.engine.write import HOUSEHOLD_TYPE, MEMBER_TYPE, _objects, insert_audit
from pilar.dtsen.models import HouseholdImport

WRITE_ACTIONS = [
    AuditEntry.Action.CREATE,
    AuditEntry.Action.UPDATE,
    AuditEntry.Action.END,
    AuditEntry.Action.DELETE,
]


def _date(value):
    return datetime.date.fromisoformat(value) if value else None


def touched(batch: HouseholdImport) -> dict[str, set[str]]:
    """{audit object type: the ids (as text) the extract wrote}."""
    found: dict[str, set[str]] = {HOUSEHOLD_TYPE: set(), MEMBER_TYPE: set()}
    for model, ids in batch.changes.values_list("model", "object_ids"):
        kind = {"household": HOUSEHOLD_TYPE, "member": MEMBER_TYPE}.get(model)
        if kind:
            found[kind].update(str(i) for i in ids)
    return found


def later_changes(batch: HouseholdImport, limit: int = 50) -> list[AuditEntry]:
    """Writes after the extract's own to the households and members it wrote."""
    ours = touched(batch)
    found = []
    later = (
        AuditEntry.objects.filter(
            pk__gt=batch.audit_mark or 0,
            action__in=WRITE_ACTIONS,
            object_type__in=list(ours),
        )
        .exclude(source=AuditEntry.Source.EXTRACT, batch=batch.pk)
        .order_by("pk")
        .values_list("pk", "object_type", "object_id")
    )
    for pk, object_type, object_id in later.iterator(2000):
        if object_id in ours[object_type]:
            found.append(pk)
            if len(found) >= limit:
                break
    return list(AuditEntry.objects.filter(pk__in=found).order_by("pk"))


def undo(batch: HouseholdImport, by: Actor) -> int:
    """Reverse every recorded change; returns how many records were touched."""
    changes: dict[tuple[str, str], list] = {}
    for change in batch.changes.order_by("pk"):
        ids, befores = changes.setdefault((change.model, change.action), [[], []])
        ids.extend(change.object_ids)
        befores.extend(change.befores or [])
    audits: list[tuple] = []
    count = 0

    def get(model, action):
        return changes.get((model, action), [[], []])

    for part in _chunks(get("decile", "create")[0]):
        DecileRecord.objects.filter(pk__in=part).delete()
    for part in _chunks(get("status", "create")[0]):
        StatusRecord.objects.filter(pk__in=part).delete()
    created = get("member", "create")[0]
    for part in _chunks(created):
        HouseholdMember.objects.filter(pk__in=part).delete()
    audits.extend((AuditEntry.Action.DELETE, MEMBER_TYPE, pk) for pk in created)
    count += len(created)
    ids, befores = get("member", "update")
    rows = _objects(HouseholdMember, ids)
    restored = []
    for pk, before in zip(ids, befores, strict=True):
        member = rows[pk]
        for key, value in before.items():
            setattr(member, key, _date(value) if key == "birth_date" else value)
        restored.append(member)
    fields = ["nik", "name", "sex", "birth_date", "relation"]
    # The head the extract made steps down before the former head is restored.
    first = [m for m in restored if m.relation != "head"]
    HouseholdMember.objects.bulk_update(first, fields, batch_size=1000)
    HouseholdMember.objects.bulk_update(
        [m for m in restored if m.relation == "head"], fields, batch_size=1000
    )
    audits.extend((AuditEntry.Action.UPDATE, MEMBER_TYPE, pk) for pk in ids)
    ids, befores = get("member", "end")
    rows = _objects(HouseholdMember, ids)
    for pk, before in zip(ids, befores, strict=True):
        rows[pk].left_on, rows[pk].left_reason = None, before.get("left_reason", "")
    HouseholdMember.objects.bulk_update(list(rows.values()), ["left_on", "left_reason"])
    audits.extend((AuditEntry.Action.UPDATE, MEMBER_TYPE, pk) for pk in ids)
    count += len(ids)
    ids = get("caseload", "end")[0]
    for part in _chunks(ids):
        Caseload.objects.filter(pk__in=part).update(end_date=None, end_reason="")
    audits.extend((AuditEntry.Action.UPDATE, "casework.caseload", pk) for pk in ids)
    for part in _chunks(get("kkchange", "create")[0]):
        KKChange.objects.filter(pk__in=part).delete()
    now = timezone.now()
    for action in ("update", "close"):
        ids, befores = get("household", action)
        rows = _objects(Household, ids)
        for pk, before in zip(ids, befores, strict=True):
            h = rows[pk]
            for key, value in before.items():
                setattr(h, key, _date(value) if key == "status_date" else value)
            h.updated_at = now
        keys = {"area" if k == "area_id" else k for b in befores for k in b}
        keys = sorted(keys | {"updated_at"})
        Household.objects.bulk_update(list(rows.values()), keys, batch_size=1000)
        audits.extend((AuditEntry.Action.UPDATE, HOUSEHOLD_TYPE, pk) for pk in ids)
        count += len(ids)
    created = get("household", "create")[0]
    for part in _chunks(created):
        Household.categories.through.objects.filter(household_id__in=part).delete()
        Household.objects.filter(pk__in=part).delete()
    audits.extend((AuditEntry.Action.DELETE, HOUSEHOLD_TYPE, pk) for pk in created)
    count += len(created)
    _write_audit(batch, by, audits, now)
    return count


def _write_audit(batch: HouseholdImport, by: Actor, audits: list[tuple], now) -> None:
    user = by.signed_in_user
    head = (
        now,
        user.pk if user else None,
        user.get_username() if user else "",
        AuditEntry.Source.EXTRACT.value,
        by.ip,
    )
    note = f"undo of DTSEN extract #{batch.pk}"
    rows = [
        (*head, str(action), kind, str(pk), "", {}, note, batch.pk, batch.office_id)
        for action, kind, pk in audits
    ]
    for part in _chunks(rows):
        insert_audit(part)
