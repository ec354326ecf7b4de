"""Grouping an extract's rows by KK and deciding each family against the database: new, updated
(field by field, member by member), moved to another kelurahan, unchanged, rejected (with the
reasons) — and the office's households the extract no longer lists (missing).

The database is read in bulk (a few queries per 5,000 families, whatever their number) and the
decisions are made in Python dicts. The same pass runs for the preview and for the commit: the
commit writes exactly what the preview showed, and refuses when the database changed in between.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection
from django.utils.translation import gettext as _

from pilar.casework.models import Caseload, Household, HouseholdMember
from pilar.dtsen.engine.cells import REJECTED, WARNING, Reader, Row
from pilar.lib.dates import long_date
from pilar.lib.nik import mask_nik

CHUNK = 5000

NEW = "new"
UPDATED = "updated"
MOVED = "moved"
UNCHANGED = "unchanged"
MISSING = "missing"

HOUSEHOLD_COLUMNS = [
    "id",
    "kk_number",
    "dtsen_id",
    "area_id",
    "address",
    "rt_rw",
    "decile",
    "status",
]
MEMBER_COLUMNS = ["id", "household_id", "nik", "name", "sex", "birth_date", "relation"]
MEMBER_FIELDS = ["nik", "name", "sex", "birth_date", "relation"]
_CURRENT = " AND left_on IS NULL"


def _member(values: tuple) -> tuple:
    born = values[5]
    if born is None or born.__class__ is datetime.date:  # PostgreSQL hands dates over
        return values
    return (*values[:5], _as_date(born), values[6])


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _select(model, columns: list[str], column: str, values: list, extra: str = "") -> list:
    """Rows of `model` whose `column` is one of `values`, as tuples of `columns`, a chunk at a
    time. Plain SQL: building a query of 5,000 parameters through the ORM cost more than
    running it (as the roster import's checker does)."""
    ops = connection.ops
    table = ops.quote_name(model._meta.db_table)
    names = ", ".join(ops.quote_name(c) for c in columns)
    found = []
    with connection.cursor() as cursor:
        for part in _chunks(values):
            if connection.vendor == "postgresql":
                # One array parameter: psycopg splits a query of 5,000 placeholders slowly.
                where, params = f"{ops.quote_name(column)} = ANY(%s)", [part]
            else:
                placeholders = ", ".join(["%s"] * len(part))
                where, params = f"{ops.quote_name(column)} IN ({placeholders})", part
            # Table and column names come from the model; every value is a parameter.
            sql = f"SELECT {names} FROM {table} WHERE {where}{extra}"  # noqa: S608
            cursor.execute(sql, params)
            found.extend(cursor.fetchall())
    return found


def _as_date(value) -> datetime.date | None:
    """A date column's value as SQLite (text) or PostgreSQL (date) hands it over."""
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)[:10])


def _plain(value):
    return value.isoformat() if isinstance(value, datetime.date) else value


@dataclass
class Family:
    """One KK of the extract, and what saving does to it."""

    kk: str
    rows: list[Row]
    status: str = NEW
    household_id: int | None = None
    area_id: int | None = None
    problems: list = field(default_factory=list)
    moved_from: str | None = None
    # What the commit writes (ids of the database's records, values after).
    values: dict = field(default_factory=dict)  # household fields after
    changed_fields: dict = field(default_factory=dict)  # {field: [before, after]} (raw)
    add: list[tuple[Row, int | None]] = field(default_factory=list)  # (row, member leaving)
    gone: list[tuple[int, str]] = field(default_factory=list)  # (member id, reason)
    changed: list[tuple[int, dict, dict]] = field(default_factory=list)  # (id, before, after)
    from_households: dict[int, int] = field(default_factory=dict)  # row number -> household
    gone_people: dict[int, tuple[str, str]] = field(default_factory=dict)  # id -> (nik, name)

    @property
    def rejected(self) -> bool:
        return any(p[0] == REJECTED for p in self.problems)

    def shown_fields(self) -> dict:
        return {k: [_plain(b), _plain(a)] for k, (b, a) in self.changed_fields.items()}

    @property
    def plan(self) -> dict:
        """What saving does, as the preview shows it and the commit compares it. Worded when
        asked (stored with the check, compared by the commit), not kept for every family."""
        added = []
        for row, _leaving in self.add:
            item = {
                "nik": row.nik,
                "name": row.name,
                "sex": row.sex,
                "birth_date": _plain(row.birth_date),
                "relation": row.relation,
            }
            if row.number in self.from_households:
                item["from_household"] = self.from_households[row.number]
            added.append(item)
        changed = [
            {
                "id": pk,
                "nik": after["nik"],
                "name": after["name"],
                "fields": {
                    k: [_plain(before[k]), _plain(after[k])]
                    for k in MEMBER_FIELDS
                    if before[k] != after[k]
                },
            }
            for pk, before, after in self.changed
        ]
        plan = {
            "fields": self.shown_fields(),
            "members_added": added,
            "members_gone": [
                {"id": pk, "nik": self.gone_people[pk][0], "name": self.gone_people[pk][1]}
                for pk, _reason in self.gone
            ],
            "members_changed": changed,
        }
        if self.moved_from is not None:
            plan["moved_from"] = self.moved_from
        return plan


@dataclass
class Missing:
    household_id: int
    kk: str
    area_id: int
    accompanied: bool
    plan: dict


@dataclass
class Decision:
    rows: list[Row]
    families: dict[str, Family]
    missing: list[Missing]
    as_of: datetime.date
    leaving: dict[int, str] = field(default_factory=dict)  # members of households not listed

    def summary(self) -> dict:
        counts = dict.fromkeys([NEW, UPDATED, MOVED, UNCHANGED, REJECTED, MISSING], 0)
        members = {"added": 0, "gone": 0, "changed": 0}
        for f in self.families.values():
            status = REJECTED if f.rejected else f.status
            counts[status] += 1
            if status != REJECTED:
                members["added"] += len(f.add)
                members["gone"] += len(f.gone)
                members["changed"] += len(f.changed)
        counts[MISSING] = len(self.missing)
        return {
            "rows": len(self.rows),
            "rows_rejected": sum(1 for r in self.rows if r.rejected),
            "warnings": sum(1 for r in self.rows if any(p[0] == WARNING for p in r.problems)),
            "households": counts,
            "members": members,
            "accompanied_missing": sum(1 for m in self.missing if m.accompanied),
        }


class Decider:
    def __init__(self, reader: Reader, as_of: datetime.date):
        self.reader = reader
        self.as_of = as_of
        self.code = {pk: a.code for pk, a in reader.lookup.areas_by_id.items()}

    # Within the file ----------------------------------------------------------------------

    def group(self, rows: list[Row]) -> dict[str, Family]:
        families: dict[str, Family] = {}
        for row in rows:
            if row.kk:
                family = families.get(row.kk)
                if family is None:
                    family = families[row.kk] = Family(kk=row.kk, rows=[])
                family.rows.append(row)
        self._niks_across(families)
        for family in families.values():
            self._within(family)
        return families

    def _niks_across(self, families: dict[str, Family]) -> None:
        """A person is on one KK: a NIK under two KKs rejects every row that carries it."""
        where: dict[str, dict[str, int]] = {}
        for family in families.values():
            for row in family.rows:
                if row.nik:
                    where.setdefault(row.nik, {}).setdefault(family.kk, row.number)
        for family in families.values():
            for row in family.rows:
                kks = where.get(row.nik) if row.nik else None
                if kks and len(kks) > 1:
                    shown = ", ".join(
                        _("KK %(kk)s (row %(row)s)") % {"kk": mask_nik(kk), "row": number}
                        for kk, number in kks.items()
                    )
                    row.add(
                        REJECTED,
                        "nik",
                        mask_nik(row.nik),
                        _(
                            "NIK %(nik)s is listed under several KKs: %(where)s. A person is on "
                            "one KK: remove the row from the KK the person left."
                        )
                        % {"nik": mask_nik(row.nik), "where": shown},
                    )

    def _within(self, family: Family) -> None:
        seen: dict[object, int] = {}
        heads = []
        for row in family.rows:
            key = row.nik or (row.name.casefold(), row.birth_date)
            if key in seen:
                row.add(
                    REJECTED,
                    "nik" if row.nik else "name",
                    mask_nik(row.nik) if row.nik else row.name,
                    _(
                        "The same person as row %(row)s of this KK: remove this row (or correct "
                        "its NIK)."
                    )
                    % {"row": seen[key]},
                )
            else:
                seen[key] = row.number
            if row.relation == "head":
                heads.append(row.number)
        if not heads:
            family.problems.append(
                [
                    REJECTED,
                    "relation",
                    mask_nik(family.kk),
                    _(
                        "KK %(kk)s has no head of household: mark the head's row with relation 1 "
                        "(Kepala Keluarga)."
                    )
                    % {"kk": mask_nik(family.kk)},
                ]
            )
        elif len(heads) > 1:
            family.problems.append(
                [
                    REJECTED,
                    "relation",
                    mask_nik(family.kk),
                    _(
                        "KK %(kk)s has %(count)s heads of household (rows %(rows)s); only one "
                        "member is the head: correct the relation of the others."
                    )
                    % {
                        "kk": mask_nik(family.kk),
                        "count": len(heads),
                        "rows": ", ".join(map(str, heads)),
                    },
                ]
            )
        head = next((r for r in family.rows if r.relation == "head"), family.rows[0])
        self._household_values(family, head)

    def _household_values(self, family: Family, head: Row) -> None:
        values = {
            "dtsen_id": head.dtsen_id,
            "address": head.address,
            "rt_rw": head.rt_rw,
            "decile": head.decile,
            "area_id": head.area_id,
        }
        for key in values:
            if values[key] in ("", None):
                values[key] = next(
                    (getattr(r, key) for r in family.rows if getattr(r, key) not in ("", None)),
                    values[key],
                )
        for row in family.rows:
            if row is head:
                continue
            for key, after in values.items():
                mine = getattr(row, key)
                if mine in ("", None) or mine == after or after in ("", None):
                    continue
                if key == "area_id":
                    row.add(
                        REJECTED,
                        "kelurahan",
                        self.code.get(mine, ""),
                        _(
                            "This member of KK %(kk)s is in another kelurahan than the head "
                            "(row %(row)s); one family lives in one kelurahan: correct the row."
                        )
                        % {"kk": mask_nik(family.kk), "row": head.number},
                    )
                else:
                    row.add(
                        WARNING,
                        key,
                        mine,
                        _(
                            "The head's row %(row)s says %(value)s for the whole KK, which is "
                            "taken; correct this row if the head's row is wrong."
                        )
                        % {"row": head.number, "value": after},
                    )
        family.values = values
        family.area_id = values["area_id"]
        area = self.reader.lookup.areas_by_id.get(family.area_id)
        if area is not None and family.kk and area.code_digits[:6] != family.kk[:6]:
            family.problems.append(
                [
                    WARNING,
                    "kk_number",
                    mask_nik(family.kk),
                    _(
                        "KK %(kk)s starts with %(prefix)s, but %(area)s is in kecamatan "
                        "%(code)s: check the KK number or the kelurahan (saved as it is)."
                    )
                    % {
                        "kk": mask_nik(family.kk),
                        "prefix": family.kk[:6],
                        "area": area.name,
                        "code": area.code_digits[:6],
                    },
                ]
            )
        rejected = [r.number for r in family.rows if r.rejected]
        if rejected:
            family.problems.append(
                [
                    REJECTED,
                    "kk_number",
                    mask_nik(family.kk),
                    _(
                        "KK %(kk)s is not saved: rows %(rows)s are rejected, and a family is "
                        "saved whole. Correct them and import the file again."
                    )
                    % {"kk": mask_nik(family.kk), "rows": ", ".join(map(str, rejected[:10]))},
                ]
            )

    # Against the database -----------------------------------------------------------------

    def decide(self, rows: list[Row]) -> Decision:
        families = self.group(rows)
        by_kk: dict[str, tuple] = {}
        for values in _select(Household, HOUSEHOLD_COLUMNS, "kk_number", list(families)):
            by_kk[values[1]] = values
        matched: dict[int, str] = {}  # household id -> the KK that took it
        households: dict[int, tuple] = {}
        for kk, values in by_kk.items():
            matched[values[0]] = kk
            households[values[0]] = values
            families[kk].household_id = values[0]
        wanted = {
            f.values["dtsen_id"]: f
            for f in families.values()
            if f.household_id is None and f.values.get("dtsen_id")
        }
        for values in _select(Household, HOUSEHOLD_COLUMNS, "dtsen_id", list(wanted)):
            family = wanted[values[2]]
            if values[0] in matched or family.household_id is not None:
                family.problems.append(
                    [
                        REJECTED,
                        "dtsen_id",
                        values[2],
                        _(
                            "DTSEN id %(id)s belongs to a household already matched to "
                            "another KK (%(kk)s): check which KK the family holds now."
                        )
                        % {"id": values[2], "kk": mask_nik(matched.get(values[0], values[1]))},
                    ]
                )
                continue
            matched[values[0]] = family.kk
            households[values[0]] = values
            family.household_id = values[0]
        self._outside_scope(families, households)
        members = self._members(list(households))
        active = self._elsewhere(families, members)
        active.update({m[2]: m for ms in members.values() for m in ms if m[2]})
        listed = {r.nik: f.kk for f in families.values() if not f.rejected for r in f.rows if r.nik}
        decision = Decision(rows=rows, families=families, missing=[], as_of=self.as_of)
        for family in families.values():
            if family.household_id is None:
                self._new(family, active)
            else:
                self._existing(
                    family,
                    households[family.household_id],
                    members.get(family.household_id, []),
                    active,
                    listed,
                )
        self._leaving(decision)
        self._unsaved_rows(families)
        decision.missing = self._missing(families, set(matched))
        return decision

    def _outside_scope(self, families: dict[str, Family], households: dict[int, tuple]) -> None:
        """A family matched to a household registered outside the uploader's area is refused:
        an extract cannot take another kecamatan's (or office's) household into one's own."""
        reader = self.reader
        limits = [a.code for a in reader.scope] if reader.scope is not None else []
        if reader.office_area is not None:
            limits = limits or [reader.office_area.code]
        if not limits:
            return
        for family in families.values():
            if family.household_id is None:
                continue
            code = self.code.get(households[family.household_id][3], "")
            if any(code == c or code.startswith(c + ".") for c in limits):
                continue
            family.problems.append(
                [
                    REJECTED,
                    "kk_number",
                    mask_nik(family.kk),
                    _(
                        "KK %(kk)s is registered in %(area)s, outside your area: the office "
                        "or operator of that area imports it."
                    )
                    % {"kk": mask_nik(family.kk), "area": code or "?"},
                ]
            )

    @staticmethod
    def _unsaved_rows(families: dict[str, Family]) -> None:
        """Every row of a rejected family is in the rejected-rows report: those without a
        problem of their own say why their family is not saved."""
        for family in families.values():
            if not family.rejected:
                continue
            reason = next(p for p in family.problems if p[0] == REJECTED)
            for row in family.rows:
                if not row.rejected:
                    row.problems.append(list(reason))

    def _leaving(self, decision: Decision) -> None:
        """Members joining a KK from a household that no saved family of the extract takes them
        out of (one the extract does not list, or a rejected one) leave it on the commit."""
        saved = [f for f in decision.families.values() if not f.rejected]
        gone = {pk for f in saved for pk, _reason in f.gone}
        for family in saved:
            for _row, leaving in family.add:
                if leaving is not None and leaving not in gone:
                    decision.leaving[leaving] = _(
                        "moved to KK %(kk)s (DTSEN extract of %(date)s)"
                    ) % {"kk": family.kk, "date": long_date(self.as_of)}

    def _members(self, household_ids: list[int]) -> dict[int, list[tuple]]:
        found: dict[int, list[tuple]] = {}
        for values in _select(
            HouseholdMember, MEMBER_COLUMNS, "household_id", household_ids, _CURRENT
        ):
            found.setdefault(values[1], []).append(_member(values))
        return found

    def _elsewhere(self, families: dict[str, Family], members: dict) -> dict[str, tuple]:
        """Active members, by NIK, of households other than those the extract's KKs matched."""
        known = {m[2] for ms in members.values() for m in ms if m[2]}
        niks = [r.nik for f in families.values() for r in f.rows if r.nik and r.nik not in known]
        found: dict[str, tuple] = {}
        for values in _select(HouseholdMember, MEMBER_COLUMNS, "nik", niks, _CURRENT):
            found[values[2]] = _member(values)
        return found

    def _member_added(self, family: Family, row: Row, active: dict) -> None:
        other = active.get(row.nik) if row.nik else None
        leaving = None
        if other is not None and other[1] != family.household_id:
            leaving = other[0]
            family.from_households[row.number] = other[1]
        family.add.append((row, leaving))

    def _new(self, family: Family, active: dict) -> None:
        family.status = NEW
        values = family.values
        if not values.get("address") and not family.rejected:
            family.problems.append(
                [
                    REJECTED,
                    "address",
                    "",
                    _("KK %(kk)s is new and its address is empty: write the address.")
                    % {"kk": mask_nik(family.kk)},
                ]
            )
        fields = {"kk_number": [None, family.kk]}
        for key in ("dtsen_id", "address", "rt_rw", "decile"):
            if values.get(key) not in ("", None):
                fields[key] = [None, values[key]]
        if family.area_id:
            fields["area"] = [None, self.code.get(family.area_id)]
        for row in family.rows:
            self._member_added(family, row, active)
        family.changed_fields = fields

    def _existing(
        self,
        family: Family,
        household: tuple,
        members: list[tuple],
        active: dict,
        listed: dict,
    ) -> None:
        pk, kk, dtsen_id, area_id, address, rt_rw, decile, status = household
        values = family.values
        fields: dict[str, list] = {}
        if kk != family.kk:
            fields["kk_number"] = [kk, family.kk]
        for key, before in (
            ("dtsen_id", dtsen_id),
            ("address", address),
            ("rt_rw", rt_rw),
            ("decile", decile),
        ):
            after = values.get(key)
            if after not in ("", None) and after != before:
                fields[key] = [before, after]
        moved = family.area_id is not None and family.area_id != area_id
        if moved:
            fields["area"] = [self.code.get(area_id), self.code.get(family.area_id)]
        if status != Household.Status.ACTIVE:
            # The office closed it or saw it move (a form, a verification round): an extract
            # that still lists it does not reopen it. Its other changes are saved.
            family.problems.append(
                [
                    WARNING,
                    "status",
                    status,
                    _(
                        "KK %(kk)s is %(status)s in Pilar; the extract still lists it. It stays "
                        "so; reopen it on its page if the family is back."
                    )
                    % {
                        "kk": mask_nik(family.kk),
                        "status": Household.Status(status).label,
                    },
                ]
            )
        by_nik = {m[2]: m for m in members if m[2]}
        by_person = {(m[3].casefold(), m[5]): m for m in members}
        used: set[int] = set()
        for row in family.rows:
            match = by_nik.get(row.nik) if row.nik else None
            if match is None:
                match = by_person.get((row.name.casefold(), row.birth_date))
                if match is not None and row.nik and match[2] and match[2] != row.nik:
                    match = None  # a namesake with another NIK: another person
            if match is None or match[0] in used:
                self._member_added(family, row, active)
                continue
            used.add(match[0])
            stored = match[2:]  # nik, name, sex, birth_date, relation
            now = (
                row.nik or stored[0],
                row.name,
                row.sex,
                row.birth_date or stored[3],
                row.relation,
            )
            if now != stored:
                family.changed.append(
                    (
                        match[0],
                        dict(zip(MEMBER_FIELDS, stored, strict=True)),
                        dict(zip(MEMBER_FIELDS, now, strict=True)),
                    )
                )
        for m in members:
            if m[0] in used:
                continue
            other = listed.get(m[2]) if m[2] else None
            if other and other != family.kk:
                reason = _("moved to KK %(kk)s (DTSEN extract of %(date)s)") % {
                    "kk": other,
                    "date": long_date(self.as_of),
                }
            else:
                reason = _("not in the DTSEN extract of %(date)s") % {"date": long_date(self.as_of)}
            family.gone.append((m[0], reason))
            family.gone_people[m[0]] = (m[2], m[3])
        family.changed_fields = fields
        if moved:
            family.moved_from = self.code.get(area_id)
            family.status = MOVED
        elif fields or family.add or family.gone or family.changed:
            family.status = UPDATED
        else:
            family.status = UNCHANGED

    def _missing(self, families: dict[str, Family], matched: set[int]) -> list[Missing]:
        covered = sorted({f.area_id for f in families.values() if f.area_id})
        found = []
        for part in _chunks(covered, 500):
            found.extend(
                Household.objects.filter(area_id__in=part, status=Household.Status.ACTIVE)
                .exclude(dtsen_id="")
                .values_list("id", "kk_number", "area_id")
            )
        found = [h for h in found if h[0] not in matched]
        accompanied: set[int] = set()
        for part in _chunks([h[0] for h in found]):
            accompanied.update(
                Caseload.objects.filter(household_id__in=part, end_date__isnull=True).values_list(
                    "household_id", flat=True
                )
            )
        return [
            Missing(
                household_id=pk,
                kk=kk,
                area_id=area_id,
                accompanied=pk in accompanied,
                plan={"fields": {"status": [Household.Status.ACTIVE, Household.Status.CLOSED]}},
            )
            for pk, kk, area_id in sorted(found, key=lambda h: h[1])
        ]


def read_all(reader: Reader, rows: Iterable[tuple[int, dict]], on_row=None) -> list[Row]:
    result = []
    for number, raw in rows:
        result.append(reader.read(number, raw))
        if on_row is not None:
            on_row(len(result))
    return result
