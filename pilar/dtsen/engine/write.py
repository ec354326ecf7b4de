"""Writing a decided extract: households created, updated, moved and closed, members added,
changed and leaving, former KK numbers, the decile history, one audit entry per record written
and the changes an undo reverses — all through bulk statements, inside the caller's transaction.

The order keeps the database's constraints true after every statement (a NIK is active in one
household, a household has one head): members leave before others join, a head is demoted
before another member becomes the head.
"""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor
from pilar.casework.history import status_records
from pilar.casework.models import (
    Caseload,
    DecileRecord,
    Household,
    HouseholdMember,
    KKChange,
    StatusRecord,
)
from pilar.dtsen.engine.decide import NEW, UNCHANGED, Decision, _chunks, _plain
from pilar.dtsen.models import ExtractChange, HouseholdImport
from pilar.lib.dates import long_date
from pilar.lib.nik import mask_nik

BATCH = 1000
CHUNK = 2000  # records built, written and let go at a time
AUDIT_CHUNK = 5000
HOUSEHOLD_TYPE = "casework.household"
MEMBER_TYPE = "casework.householdmember"


def _objects(model, ids: list[int]) -> dict[int, object]:
    found = {}
    for part in _chunks(ids):
        found.update({o.pk: o for o in model.objects.filter(pk__in=part)})
    return found


class Writer:
    def __init__(self, batch: HouseholdImport, by: Actor, decision: Decision):
        self.batch = batch
        self.by = by
        self.decision = decision
        self.as_of = decision.as_of
        self.now = timezone.now()
        self.audits: list[tuple] = []
        self.changes: list[ExtractChange] = []
        self.note = f"DTSEN extract #{batch.pk} {batch.filename}"[:250]
        self.codes = {}

    def audit(self, action, obj_type: str, obj_id, repr_: str, changes: dict) -> None:
        self.audits.append((str(action), obj_type, str(obj_id), repr_[:200], changes))
        if len(self.audits) >= AUDIT_CHUNK:  # written as they come: not all held at once
            self._write_audit()

    def change(self, model: str, action: str, ids: list, befores: list | None = None) -> None:
        if ids:
            self.changes.append(
                ExtractChange(
                    batch=self.batch,
                    model=model,
                    action=action,
                    object_ids=ids,
                    befores=befores or [],
                )
            )

    # ------------------------------------------------------------------------------------

    def write(self, decisions: dict[int, str]) -> dict:
        saved = [
            f for f in self.decision.families.values() if not f.rejected and f.status != UNCHANGED
        ]
        created = self._households_new([f for f in saved if f.status == NEW])
        self._households_changed([f for f in saved if f.status != NEW])
        self._members_leave(saved)
        self._members_change(saved)
        self._members_add(saved, created)
        closed = self._missing(decisions)
        self._deciles(saved, created)
        self._write_audit()
        ExtractChange.objects.bulk_create(self.changes, batch_size=100)
        return {"closed": closed}

    def _households_new(self, families) -> dict[str, int]:
        created: dict[str, int] = {}
        for part in _chunks(families, CHUNK):
            households = [
                Household(
                    kk_number=f.kk,
                    area_id=f.area_id,
                    address=f.values["address"],
                    rt_rw=f.values["rt_rw"],
                    dtsen_id=f.values["dtsen_id"],
                    decile=f.values["decile"],
                    status=Household.Status.ACTIVE,
                )
                for f in part
            ]
            Household.objects.bulk_create(households, batch_size=BATCH)
            self._statuses(households)
            for f, h in zip(part, households, strict=True):
                created[f.kk] = h.pk
                self.audit(
                    AuditEntry.Action.CREATE,
                    HOUSEHOLD_TYPE,
                    h.pk,
                    f"KK {mask_nik(f.kk)}",
                    f.shown_fields(),
                )
        self.change("household", "create", list(created.values()))
        return created

    def _statuses(self, households) -> None:
        """The status history (`StatusRecord`) of households the extract created, brought
        back or closed, as of the extract's date; undone with it."""
        rows = status_records(
            households,
            as_of=self.as_of,
            source=StatusRecord.Source.EXTRACT,
            reference=self.batch.pk,
        )
        self.change("status", "create", [r.pk for r in rows])

    def _households_changed(self, families) -> None:
        families = [f for f in families if f.changed_fields]
        ids, befores, kk_changes = [], [], []
        for part in _chunks(families, CHUNK):
            self._households_changed_part(part, ids, befores, kk_changes)
        self.change("household", "update", ids, befores)
        KKChange.objects.bulk_create(kk_changes, batch_size=BATCH)
        self.change("kkchange", "create", [k.pk for k in kk_changes])

    def _households_changed_part(self, families, ids, befores, kk_changes) -> None:
        rows = _objects(Household, [f.household_id for f in families])
        touched: set[str] = set()
        reason = _("new KK in the DTSEN extract of %(date)s") % {"date": long_date(self.as_of)}
        for f in families:
            h = rows[f.household_id]
            before = {
                "kk_number": h.kk_number,
                "area_id": h.area_id,
                "address": h.address,
                "rt_rw": h.rt_rw,
                "dtsen_id": h.dtsen_id,
                "decile": h.decile,
                "status": h.status,
                "status_reason": h.status_reason,
                "status_date": _plain(h.status_date),
            }
            for key in f.changed_fields:
                if key == "kk_number":
                    kk_changes.append(
                        KKChange(
                            household_id=h.pk,
                            kk_number=h.kk_number,
                            replaced_on=self.as_of,
                            reason=reason,
                        )
                    )
                    h.kk_number = f.kk
                elif key == "area":
                    h.area_id = f.area_id
                elif key == "status":
                    h.status, h.status_reason, h.status_date = Household.Status.ACTIVE, "", None
                    touched.update({"status_reason", "status_date"})
                else:
                    setattr(h, key, f.values[key])
                touched.add(key)
            h.updated_at = self.now
            ids.append(h.pk)
            befores.append(before)
            self.audit(
                AuditEntry.Action.UPDATE,
                HOUSEHOLD_TYPE,
                h.pk,
                f"KK {mask_nik(h.kk_number)}",
                f.shown_fields(),
            )
        Household.objects.bulk_update(
            list(rows.values()), sorted(touched | {"updated_at"}), batch_size=BATCH
        )
        self._statuses([rows[f.household_id] for f in families if "status" in f.changed_fields])

    def _members_leave(self, saved) -> None:
        reasons = {pk: reason for f in saved for pk, reason in f.gone}
        reasons.update(self.decision.leaving)
        ids, befores = [], []
        for part in _chunks(list(reasons), CHUNK):
            rows = _objects(HouseholdMember, part)
            for pk, member in rows.items():
                befores.append({"left_on": None, "left_reason": member.left_reason})
                member.left_on, member.left_reason = self.as_of, reasons[pk][:250]
                ids.append(pk)
                self.audit(
                    AuditEntry.Action.END,
                    MEMBER_TYPE,
                    pk,
                    member.name,
                    {
                        "left_on": [None, self.as_of.isoformat()],
                        "left_reason": ["", member.left_reason],
                    },
                )
            HouseholdMember.objects.bulk_update(
                list(rows.values()), ["left_on", "left_reason"], batch_size=BATCH
            )
        self.change("member", "end", ids, befores)

    def _members_change(self, saved) -> None:
        changes = {pk: (before, after) for f in saved for pk, before, after in f.changed}
        fields = ["nik", "name", "sex", "birth_date", "relation"]
        ids, befores = [], []
        # Heads stepping down first, in every chunk before any other change: a household has
        # one head after every statement.
        demoting = [
            pk for pk, (b, a) in changes.items() if b["relation"] == "head" != a["relation"]
        ]
        stepping_down = set(demoting)
        others = [pk for pk in changes if pk not in stepping_down]
        for part in [*_chunks(demoting, CHUNK), *_chunks(others, CHUNK)]:
            rows = _objects(HouseholdMember, part)
            for pk, member in rows.items():
                before, after = changes[pk]
                for key, value in after.items():
                    setattr(member, key, value)
                ids.append(pk)
                befores.append({k: _plain(v) for k, v in before.items()})
                self.audit(
                    AuditEntry.Action.UPDATE,
                    MEMBER_TYPE,
                    pk,
                    member.name,
                    {
                        k: [_plain(before[k]), _plain(after[k])]
                        for k in after
                        if before[k] != after[k]
                    },
                )
            HouseholdMember.objects.bulk_update(list(rows.values()), fields, batch_size=BATCH)
        self.change("member", "update", ids, befores)

    def _members_add(self, saved, created: dict[str, int]) -> None:
        ids: list[int] = []
        for part in _chunks(saved, CHUNK // 4):
            members, kks = [], []
            for f in part:
                household_id = f.household_id or created[f.kk]
                for row, _leaving in f.add:
                    members.append(
                        HouseholdMember(
                            household_id=household_id,
                            nik=row.nik,
                            name=row.name,
                            sex=row.sex,
                            birth_date=row.birth_date,
                            relation=row.relation,
                        )
                    )
                    kks.append(f.kk)
            HouseholdMember.objects.bulk_create(members, batch_size=BATCH)
            for m, kk in zip(members, kks, strict=True):
                ids.append(m.pk)
                self.audit(
                    AuditEntry.Action.CREATE,
                    MEMBER_TYPE,
                    m.pk,
                    m.name,
                    {
                        "household": [None, f"KK {mask_nik(kk)}"],
                        "nik": [None, mask_nik(m.nik) if m.nik else ""],
                        "relation": [None, m.relation],
                    },
                )
        self.change("member", "create", ids)

    def _missing(self, decisions: dict[int, str]) -> int:
        closing = [
            m.household_id
            for m in self.decision.missing
            if decisions.get(m.household_id, "" if m.accompanied else "close") == "close"
        ]
        reason = _("not in the DTSEN extract of %(date)s") % {"date": long_date(self.as_of)}
        rows = _objects(Household, closing)
        befores = []
        for h in rows.values():
            befores.append(
                {
                    "status": h.status,
                    "status_reason": h.status_reason,
                    "status_date": _plain(h.status_date),
                }
            )
            h.status, h.status_reason, h.status_date = Household.Status.CLOSED, reason, self.as_of
            h.updated_at = self.now
            self.audit(
                AuditEntry.Action.END,
                HOUSEHOLD_TYPE,
                h.pk,
                f"KK {mask_nik(h.kk_number)}",
                {"status": [Household.Status.ACTIVE, Household.Status.CLOSED]},
            )
        Household.objects.bulk_update(
            list(rows.values()),
            ["status", "status_reason", "status_date", "updated_at"],
            batch_size=BATCH,
        )
        self._statuses(list(rows.values()))
        self.change("household", "close", list(rows), befores)
        caseloads = []
        for part in _chunks(list(rows)):
            caseloads.extend(Caseload.objects.filter(household_id__in=part, end_date__isnull=True))
        for c in caseloads:
            c.end_date = max(self.as_of, c.start_date)
            c.end_reason = reason[:250]
            self.audit(
                AuditEntry.Action.END,
                "casework.caseload",
                c.pk,
                str(c.pk),
                {"end_date": [None, c.end_date.isoformat()], "end_reason": ["", c.end_reason]},
            )
        Caseload.objects.bulk_update(caseloads, ["end_date", "end_reason"], batch_size=BATCH)
        self.change("caseload", "end", [c.pk for c in caseloads])
        return len(rows)

    def _deciles(self, saved, created: dict[str, int]) -> None:
        records = []
        for f in saved:
            if f.status == NEW and f.values.get("decile") is not None:
                records.append((created[f.kk], f.values["decile"]))
            elif "decile" in f.changed_fields:
                records.append((f.household_id, f.values["decile"]))
        objs = [
            DecileRecord(
                household_id=pk,
                decile=decile,
                as_of=self.as_of,
                source=DecileRecord.Source.EXTRACT,
                reference=self.batch.pk,
            )
            for pk, decile in records
        ]
        DecileRecord.objects.bulk_create(objs, batch_size=BATCH)
        self.change("decile", "create", [d.pk for d in objs])

    def _write_audit(self) -> None:
        """The audit entries written so far (`insert_audit`); the columns are those
        `audit_record` fills."""
        user = self.by.signed_in_user
        head = (
            self.now,
            user.pk if user else None,
            user.get_username() if user else "",
            AuditEntry.Source.EXTRACT.value,
            self.by.ip,
        )
        # The entries are the extract's office's (docs/OFFICE.md, "Many offices").
        tail = (self.batch.pk, self.batch.office_id)
        insert_audit(
            [
                (*head, action, obj_type, obj_id, repr_, changes, self.note, *tail)
                for action, obj_type, obj_id, repr_, changes in self.audits
            ]
        )
        self.audits.clear()


AUDIT_FIELDS = [
    "at",
    "user",
    "username",
    "source",
    "ip",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "changes",
    "note",
    "batch",
    "office",
]


def insert_audit(rows: list[tuple]) -> None:
    """Audit entries (tuples of AUDIT_FIELDS, `changes` a dict) as plain rows: one extract
    writes a few hundred thousand, and a model for each cost more than the rest of the commit.
    PostgreSQL takes them through COPY, other databases through executemany."""
    if not rows:
        return
    ops = connection.ops
    table = ops.quote_name(AuditEntry._meta.db_table)
    names = ", ".join(ops.quote_name(AuditEntry._meta.get_field(f).column) for f in AUDIT_FIELDS)
    encode = DjangoJSONEncoder().encode
    if connection.vendor == "postgresql":
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(
                f"COPY {table} ({names}) FROM STDIN"  # names from the model
            ) as copy,
        ):
            for row in rows:
                copy.write_row((*row[:9], encode(row[9]), *row[10:]))
        return
    at = ops.adapt_datetimefield_value(rows[0][0])
    values = [(at, *row[1:9], encode(row[9]), *row[10:]) for row in rows]
    placeholders = ", ".join(["%s"] * len(AUDIT_FIELDS))
    # Table and column names come from the model; every value is a parameter.
    sql = f"INSERT INTO {table} ({names}) VALUES ({placeholders})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)
