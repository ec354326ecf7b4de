"""Deciding each read row against the registry (`Checker`): a new person, a change to a
registered one, a new duty, the end of a duty, nothing, or a rejection with its reasons. Rows
earlier in the file count: the checker keeps, per NIK, the state the registry would have after
the rows accepted so far, so a second duty for a person created three rows up is checked against
that person, and two rows that disagree about one person are caught.
"""

from __future__ import annotations

import contextlib
import datetime
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _

from pilar.accounts.access import Capability, area_in_scope, area_scope
from pilar.imports.engine.columns import BY_KEY, PERSON_KEYS
from pilar.imports.engine.lookup import Lookup
from pilar.imports.engine.records import (
    DUTY_FIELDS,
    ERROR,
    NEW,
    NEW_PERSON,
    NOTE,
    PERSON_KEY_SET,
    REJECTED,
    REQUIRED_FOR_NEW,
    STORED_INDEX,
    STORED_PERSON_FIELDS,
    UNCHANGED,
    UPDATED,
    WARNING,
    Duty,
    DutyEnd,
    Holder,
    KnownPerson,
    RowResult,
    StartRule,
    _shared,
    _stored_tuple,
)
from pilar.lib.dates import long_date
from pilar.lib.nik import mask_nik, nik_sex
from pilar.regions.models import Area
from pilar.registry.models import Assignment, Person
from pilar.registry.services import (
    MIN_AGE,
    assignment_field_errors,
    periods_overlap,
    person_field_errors,
    quota_full,
)


class Namesake(NamedTuple):
    """Who has a name and date of birth: a row above (`row`) or a registered person (`name`
    None when outside the user's area, so the warning names nobody)."""

    nik: str
    name: str | None
    row: int | None = None


class Checker:
    """Decides what each row does, remembering what earlier rows did (see the module doc)."""

    def __init__(
        self,
        *,
        user,
        lookup: Lookup,
        today: datetime.date,
        mapped: set[str],
        start_rule: StartRule | None = None,
    ):
        self.user = user if getattr(user, "is_authenticated", False) else None
        self.start_rule = start_rule
        self.lookup = lookup
        self.today = today
        self.mapped = mapped
        self.people: dict[str, KnownPerson] = {}
        self.birth_names: dict[tuple[str, datetime.date], Namesake] = {}
        self.scoped = (
            self.user is not None and area_scope(self.user, Capability.PEOPLE_EDIT) is not None
        )
        self._area_ok: dict[int, bool] = {}
        capped = [k.pk for k in lookup.kinds.values() if k.max_per_area is not None]
        # Duties of capped kinds (TKSK: one per kecamatan), by kind and area.
        self.holders: dict[tuple[int, int], list[Holder]] = {}
        for a in Assignment.objects.filter(kind_id__in=capped).select_related("person"):
            self.holders.setdefault((a.kind_id, a.area_id), []).append(
                Holder(a.start_date, a.end_date, a.person.name, row=None, pk=a.pk)
            )
        # NIKs whose rows disagree with each other: found by a first pass (`conflicts`), every
        # row of them is refused in the next (`poisoned`), not just the second one.
        self.conflicts: dict[str, dict] = {}
        self.poisoned: dict[str, dict] = {}
        self.registry_empty = not Person.objects.exists()
        self.registry_births: dict[tuple[str, datetime.date], Namesake] = {}

    # Registry reads, one chunk at a time ---------------------------------------------------

    def load(self, rows: list[RowResult]) -> None:
        """Read what the registry holds about a chunk's NIKs and birth dates: two statements
        per chunk, as plain values (a large known roster reads 100,000 people). Nothing to read
        from a registry that held nobody when the check began (a first import)."""
        self.registry_births = {}
        if self.registry_empty:
            return
        niks = {r.values["nik"] for r in rows if r.values.get("nik")} - self.people.keys()
        if niks:
            found = {
                row[0]: dict(zip(STORED_PERSON_FIELDS, row[1:], strict=True))
                for row in _select_in(Person, ["id", *PERSON_COLUMNS], "nik", list(niks))
            }
            for values in found.values():
                values["birth_date"] = _as_date(values["birth_date"])
            editable = set(found)
            if self.scoped:
                editable = set(
                    Person.objects.editable_by(self.user)
                    .filter(pk__in=list(found))
                    .values_list("pk", flat=True)
                )
            by_pk = {}
            for pk, values in found.items():
                known = KnownPerson(stored=(), pk=pk, editable=pk in editable)
                known.set_values(values)
                self.people[values["nik"]] = by_pk[pk] = known
            if found:
                for pk, person_id, *duty in Assignment.objects.filter(
                    person_id__in=list(found)
                ).values_list("pk", "person_id", *DUTY_FIELDS):
                    by_pk[person_id].duties.append(Duty(*duty, pk=pk))
        dates = {r.values["birth_date"] for r in rows if r.values.get("birth_date")}
        if dates:
            ops = connection.ops
            found = _select_in(
                Person,
                ["id", "nik", "name", "birth_date"],
                "birth_date",
                [ops.adapt_datefield_value(d) for d in dates],
            )
            visible = {f[0] for f in found}
            if self.scoped and found:
                visible = set(
                    Person.objects.visible_to(self.user)
                    .filter(pk__in=[f[0] for f in found])
                    .values_list("pk", flat=True)
                )
            for pk, nik, name, born in found:
                # Outside the user's area the warning names nobody: "someone outside your area".
                shown = name if pk in visible else None
                self.registry_births.setdefault(
                    (name.casefold(), _as_date(born)), Namesake(nik, shown)
                )

    def _in_scope(self, area: Area) -> bool:
        if not self.scoped:
            return True
        if area.id not in self._area_ok:
            self._area_ok[area.id] = area_in_scope(self.user, Capability.PEOPLE_EDIT, area)
        return self._area_ok[area.id]

    # One row ----------------------------------------------------------------------------------

    def decide(self, row: RowResult) -> None:
        """Decide one row (the module doc says what it may do), in the order its problems are
        worded: the NIK, the person's fields against earlier rows, a new person's missing
        fields, the registry's own checks of the person, then the duty."""
        values = row.values
        nik = values.get("nik")
        if not nik or nik in self.poisoned:
            self._refuse_nik(row, nik)
            return
        known = self.people.get(nik)
        if known is not None and not known.editable:
            row.add(
                ERROR,
                "nik",
                nik,
                _(
                    "This NIK is registered for a person outside your area; ask the office's "
                    "operator to change them."
                ),
            )
        changes: dict[str, object] = {}
        before: dict[str, object] = {}
        if known is None:
            # A new person: the row's values over empty fields (most rows of a first import).
            merged = new_person_values(values)
            self._complete_new(row, nik, merged)
        else:
            merged = known.values
            self._merge(row, nik, known, merged, changes, before)
        candidate = self._check_person(row, nik, known, merged)
        # Another area's (another office's) person: nothing of their duties is told, not even
        # an overlap's dates (docs/OFFICE.md, "A person moving between offices").
        if "kind" in values and (known is None or known.editable):
            self._decide_duty(row, known, candidate)
        elif any(k in values for k in ("start_date", "end_date", "sk_number")) and not any(
            p.key == "kind" for p in row.problems
        ):
            row.add(
                ERROR,
                "kind",
                "",
                _("Jenis Pilar is empty; a row with duty dates needs the pillar kind."),
            )
        if row.has_error:
            row.status = REJECTED
            return
        row.person_create = known is None
        row.person_changes = changes
        row.person_before = before
        if row.person_create or row.duty_create:
            row.status = NEW
        elif changes or row.duty_end is not None:
            row.status = UPDATED
        else:
            row.status = UNCHANGED
        self._remember(row, known, merged)

    def _refuse_nik(self, row: RowResult, nik: str | None) -> None:
        """A row without a NIK, or about a NIK whose rows disagree (`poisoned`)."""
        row.status = REJECTED
        if not nik:
            if not any(p.key == "nik" for p in row.problems):
                row.add(ERROR, "nik", "", _("NIK is empty; every row needs the person's NIK."))
            return
        conflict = self.poisoned[nik]
        row.add(
            ERROR,
            "nik",
            mask_nik(nik),
            _(
                "Rows %(rows)s are about the same NIK but give different %(fields)s; none "
                "of them is saved. Make them agree (or correct the NIK), then import them."
            )
            % {
                "rows": ", ".join(str(n) for n in sorted(conflict["rows"])),
                "fields": ", ".join(conflict["fields"]),
            },
        )

    def _merge(
        self, row: RowResult, nik: str, known: KnownPerson, merged: dict, changes, before
    ) -> None:
        """A known person's fields as this row sets them (into `merged`, and what changes into
        `changes` with the values `before`); a field an earlier row set otherwise is refused."""
        values = row.values
        for key in PERSON_KEYS:
            if key not in values:
                continue
            new = values[key]
            stored_key = "residence_id" if key == "residence" else key
            stored_new = new.id if key == "residence" else new
            if key in known.file_keys and self._disagrees(row, nik, known, key, new, stored_new):
                continue
            if merged.get(stored_key) != stored_new:
                changes[stored_key] = stored_new
                before[stored_key] = merged.get(stored_key)
                merged[stored_key] = stored_new

    def _disagrees(
        self, row: RowResult, nik: str, known: KnownPerson, key: str, new, stored_new
    ) -> bool:
        """Whether an earlier row of the file gave this person's `key` another value (then
        the NIK's rows conflict: noted in `conflicts`, and this row is refused)."""
        stored_key = "residence_id" if key == "residence" else key
        earlier, earlier_row = known.stored[STORED_INDEX[stored_key]], known.file_row(key)
        if earlier == stored_new:
            return False
        conflict = self.conflicts.setdefault(nik, {"rows": [], "fields": []})
        for number in (earlier_row, row.number):
            if number not in conflict["rows"]:
                conflict["rows"].append(number)
        if BY_KEY[key].header not in conflict["fields"]:
            conflict["fields"].append(BY_KEY[key].header)
        row.add(
            ERROR,
            key,
            _show(new),
            _(
                "Row %(row)s gives %(column)s %(earlier)s for the same NIK; one of the two "
                "rows is wrong."
            )
            % {
                "row": earlier_row,
                "column": BY_KEY[key].header,
                "earlier": _show(self._stored_value(key, earlier)),
            },
        )
        return True

    def _complete_new(self, row: RowResult, nik: str, merged: dict) -> None:
        """A new person's sex from the NIK when the row has none; the fields it must have."""
        if not merged.get("sex") and not any(p.key == "sex" for p in row.problems):
            with contextlib.suppress(ValueError, ValidationError):
                # A malformed NIK: the NIK check below names the problem.
                merged["sex"] = nik_sex(nik)
                row.add(NOTE, "sex", "", _("Sex was taken from the NIK."))
        for key, message in REQUIRED_FOR_NEW:
            if not merged.get(key) and not any(p.key == key for p in row.problems):
                row.add(ERROR, key, "", str(message))

    def _check_person(
        self, row: RowResult, nik: str, known: KnownPerson | None, merged: dict
    ) -> PersonDraft:
        """The registry's checks of the person as the row leaves them (`person_field_errors`),
        a namesake with another NIK, a missing bank account; the person as checked."""
        candidate = PersonDraft(merged, self.lookup.areas_by_id.get(merged.get("residence_id")))
        errors = person_field_errors(candidate, self.today)
        seen = {p.key for p in row.problems} if errors else ()
        for key, messages in errors.items():
            if key in seen:
                continue  # the cell's own problem already says it
            for message in messages:
                row.add(ERROR, key, _show(merged.get(key, "")), message)
        if known is None and merged.get("birth_date") and merged.get("name"):
            self._check_namesake(row, nik, merged["name"], merged["birth_date"])
        if "bank_account" in self.mapped and not merged.get("bank_account"):
            row.add(
                NOTE,
                "bank_account",
                "",
                _("No bank account: tali kasih cannot be paid by transfer until one is added."),
            )
        return candidate

    def _stored_value(self, key: str, value):
        if key == "residence" and value:
            return self.lookup.areas_by_id[value]
        return value

    def _check_namesake(self, row: RowResult, nik: str, name: str, born: datetime.date) -> None:
        key = (name.casefold(), born)
        other = self.birth_names.get(key)
        if other and other.nik != nik:
            row.add(
                WARNING,
                "nik",
                mask_nik(nik),
                _(
                    "Row %(row)s has the same name and date of birth with another NIK "
                    "(%(other)s); check that this is not the same person with a typo in the NIK."
                )
                % {"row": other.row, "other": mask_nik(other.nik)},
            )
        registered = self.registry_births.get(key)
        if registered and registered.nik != nik:
            row.add(
                WARNING,
                "nik",
                mask_nik(nik),
                _(
                    "%(name)s, with the same name and date of birth, is registered with another "
                    "NIK (%(other)s); check that this is not the same person with a typo in the "
                    "NIK."
                )
                % {
                    "name": registered.name or _("Someone outside your area"),
                    "other": mask_nik(registered.nik),
                },
            )

    def _decide_duty(self, row: RowResult, known: KnownPerson | None, person: Person) -> None:
        values = row.values
        kind = values["kind"]
        area = values.get("area")
        if area is None:
            return  # the area columns already hold the problem
        if not self._in_scope(area):
            row.add(
                ERROR,
                "kelurahan",
                area.name,
                _("%(area)s is outside the area you manage.") % {"area": area.label},
            )
            return
        duties = [d for d in known.duties if d.kind_id == kind.id] if known else []
        start = values.get("start_date")
        end = values.get("end_date")
        if start is None:
            current = [d for d in duties if d.end is None or d.end >= self.today]
            match = next((d for d in current if d.area_id == area.id), None)
            if match is None:
                other = current[0] if current else None
                if other is not None:
                    row.add(
                        ERROR,
                        "start_date",
                        "",
                        _(
                            "This person serves as %(kind)s in %(area)s since %(start)s; a change "
                            "of area is a new duty: fill in its Tanggal Mulai."
                        )
                        % {
                            "kind": kind.code,
                            "area": self.lookup.areas_by_id[other.area_id].label,
                            "start": long_date(other.start),
                        },
                    )
                    return
                start = self._ruled_start(row, person)
                if start is None:
                    return
                match = next((d for d in duties if d.start == start), None)
        else:
            match = next((d for d in duties if d.start == start), None)
        if match is not None:
            self._compare_duty(row, match, kind, area, end)
            return
        errors = assignment_field_errors(
            person=person,
            kind=kind,
            area=area,
            start_date=start,
            end_date=end,
            end_reason=values.get("end_reason", ""),
            sk_date=values.get("sk_date"),
            today=self.today,
        )
        for key, messages in errors.items():
            for message in messages:
                row.add(ERROR, "kelurahan" if key == "area" else key, "", message)
        if errors:
            return
        for d in duties:
            if periods_overlap(start, end, d.start, d.end):
                where = _("row %(row)s") % {"row": d.row} if d.row else _("the registry")
                row.add(
                    ERROR,
                    "start_date",
                    long_date(start),
                    _(
                        "This overlaps the %(kind)s duty from %(start)s%(end)s in %(where)s; end "
                        "that duty first or correct the dates."
                    )
                    % {
                        "kind": kind.code,
                        "start": long_date(d.start),
                        "end": _(" to %(d)s") % {"d": long_date(d.end)} if d.end else "",
                        "where": where,
                    },
                )
                return
        if kind.max_per_area is not None:
            holders = [
                h
                for h in self.holders.get((kind.id, area.id), [])
                if periods_overlap(start, end, h.start, h.end)
            ]
            if quota_full(kind, len(holders)):
                row.add(
                    ERROR,
                    "kind",
                    kind.code,
                    _(
                        "%(area)s already has %(count)s %(kind)s in that period (%(names)s); the "
                        "maximum is %(max)s. End that duty first, or add this one on the "
                        "person's page with a reason to exceed the quota."
                    )
                    % {
                        "area": area.label,
                        "count": len(holders),
                        "kind": kind.code,
                        "names": ", ".join(
                            h.name + (_(" (row %(row)s)") % {"row": h.row} if h.row else "")
                            for h in holders
                        ),
                        "max": kind.max_per_area,
                    },
                )
                return
        if known is not None and (end is None or end >= self.today) and start <= self.today:
            others = sorted(
                {
                    self.lookup.kinds[d.kind_id].code
                    for d in known.duties
                    if d.kind_id != kind.id
                    and d.start <= self.today
                    and (d.end is None or d.end >= self.today)
                }
            )
            if others:
                row.add(
                    NOTE,
                    "kind",
                    kind.code,
                    _("This person also serves as %(kinds)s.") % {"kinds": ", ".join(others)},
                )
        row.duty_create = {
            "kind": kind,
            "area": area,
            "start_date": start,
            "end_date": end,
            "end_reason": values.get("end_reason", "") if end else "",
            "sk_number": values.get("sk_number", ""),
            "sk_date": values.get("sk_date"),
            "sk_signer": values.get("sk_signer", ""),
        }

    def _ruled_start(self, row: RowResult, person: PersonDraft) -> datetime.date | None:
        """The start date the file's rule gives a new duty whose row has none (with a warning
        saying where it came from), or None with the reason the row is refused."""
        if any(p.key == "start_date" for p in row.problems):
            return None  # the cell holds a start date that cannot be read: that is the reason
        rule = self.start_rule
        if rule is None:
            row.add(
                ERROR,
                "start_date",
                "",
                _(
                    "Tanggal Mulai is empty; a new duty needs its first day (TMT). Fill it in, "
                    "or choose a rule for rows without a start date at the mapping step."
                ),
                "start_missing",
            )
            return None
        sk_date = row.values.get("sk_date")
        if rule.source == StartRule.SK:
            if sk_date is None:
                row.add(
                    ERROR,
                    "start_date",
                    "",
                    _(
                        "Tanggal Mulai is empty and the rule takes it from the SK date, but this "
                        "row has no Tanggal SK; fill in one of the two."
                    ),
                    "start_rule_refused",
                )
                return None
            start = sk_date
            said = _(
                "Taken from this row's SK date (Tanggal SK) by the rule for rows without a "
                "start date."
            )
        else:
            start = rule.date
            if sk_date is not None and start.year > sk_date.year:
                row.add(
                    ERROR,
                    "start_date",
                    long_date(start),
                    _(
                        "The date chosen for rows without a start date, %(date)s, is after the "
                        "year of this row's SK (%(sk)s); fill in this row's Tanggal Mulai."
                    )
                    % {"date": long_date(start), "sk": long_date(sk_date)},
                    "start_rule_refused",
                )
                return None
            said = _(
                "The date chosen for rows without a start date, not one from this row; check "
                "it against the SK."
            )
        if person.birth_date and person.age_on(start) < MIN_AGE:
            row.add(
                ERROR,
                "start_date",
                long_date(start),
                _(
                    "The rule for rows without a start date gives %(date)s, when %(name)s "
                    "(born %(born)s) was not yet %(age)s; fill in this row's Tanggal Mulai."
                )
                % {
                    "date": long_date(start),
                    "name": person.name,
                    "born": long_date(person.birth_date),
                    "age": MIN_AGE,
                },
                "start_rule_refused",
            )
            return None
        row.add(WARNING, "start_date", long_date(start), said, "start_rule")
        return start

    def _compare_duty(self, row: RowResult, match: Duty, kind, area: Area, end) -> None:
        values = row.values
        if match.row is not None:
            row.add(
                ERROR,
                "start_date",
                long_date(match.start),
                _("Row %(row)s already has this %(kind)s duty; remove one of the two rows.")
                % {"row": match.row, "kind": kind.code},
            )
            return
        if match.area_id != area.id:
            row.add(
                ERROR,
                "kelurahan",
                area.name,
                _(
                    "The registered %(kind)s duty from %(start)s is in %(area)s; a change of area "
                    "is a new duty with its own start date."
                )
                % {
                    "kind": kind.code,
                    "start": long_date(match.start),
                    "area": self.lookup.areas_by_id[match.area_id].label,
                },
            )
            return
        for key in ("sk_number", "sk_date", "sk_signer"):
            if key in values and values[key] != getattr(match, key):
                stored = getattr(match, key)
                row.add(
                    ERROR,
                    key,
                    _show(values[key]),
                    _(
                        "The registered duty has %(column)s %(stored)s; a new SK is a new duty: "
                        "end this one and add a row with the new SK's start date."
                    )
                    % {"column": BY_KEY[key].header, "stored": _show(stored) or "—"},
                )
        if end is None:
            if match.end is not None:
                row.add(
                    NOTE,
                    "end_date",
                    "",
                    _("The registry records this duty as ended on %(date)s; that is kept.")
                    % {"date": long_date(match.end)},
                )
            return
        if match.end is not None:
            if match.end != end:
                row.add(
                    ERROR,
                    "end_date",
                    long_date(end),
                    _(
                        "The registry records this duty as ended on %(date)s. To correct that "
                        "date, use the person's page and say why."
                    )
                    % {"date": long_date(match.end)},
                )
            return
        reason = values.get("end_reason")
        if end < match.start:
            row.add(
                ERROR,
                "end_date",
                long_date(end),
                _("The end date %(end)s is before the start date %(start)s.")
                % {"end": long_date(end), "start": long_date(match.start)},
            )
        elif not reason:
            row.add(ERROR, "end_reason", "", _("Say why the duty ended (Alasan Selesai)."))
        else:
            row.duty_end = DutyEnd(match, end, reason)

    # Remembering an accepted row -----------------------------------------------------------

    def _remember(self, row: RowResult, known: KnownPerson | None, merged: dict) -> None:
        nik = merged["nik"]
        number = row.number
        keys = PERSON_KEY_SET.intersection(row.values)  # a frozenset already
        if known is None:
            known = KnownPerson(
                stored=_stored_tuple(merged),
                created_row=number,
                file_keys=_shared(keys),
            )
            self.people[nik] = known
        else:
            known.set_values(merged)
            added = keys - known.file_keys
            if added:
                known.file_keys = _shared(known.file_keys | added)
                known.file_rows = known.file_rows or {}
                for key in added:
                    known.file_rows[key] = number
        if merged.get("birth_date") and merged.get("name"):
            self.birth_names.setdefault(
                (merged["name"].casefold(), merged["birth_date"]),
                Namesake(nik, merged["name"], row=number),
            )
        if row.duty_create:
            d = row.duty_create
            known.duties.append(
                Duty(
                    kind_id=d["kind"].id,
                    area_id=d["area"].id,
                    start=d["start_date"],
                    end=d["end_date"],
                    end_reason=d["end_reason"],
                    sk_number=d["sk_number"],
                    sk_date=d["sk_date"],
                    sk_signer=d["sk_signer"],
                    row=row.number,
                )
            )
            if d["kind"].max_per_area is not None:
                self.holders.setdefault((d["kind"].id, d["area"].id), []).append(
                    Holder(d["start_date"], d["end_date"], merged["name"], row=row.number, pk=None)
                )
        if row.duty_end is not None:
            duty, end, reason = row.duty_end
            duty.end, duty.end_reason = end, reason
            # A row that ends a TKSK frees the place for a new TKSK in a later row.
            for holder in self.holders.get((duty.kind_id, duty.area_id), []):
                if holder.pk == duty.pk:
                    holder.end = end
        row.known = known


PERSON_COLUMNS = [
    Person._meta.get_field(f.removesuffix("_id")).column for f in STORED_PERSON_FIELDS
]


def _select_in(model, columns: list[str], column: str, values: list) -> list[tuple]:
    """Rows of `model` whose `column` is one of `values`, as tuples of `columns`. Plain SQL:
    building the same query through the ORM cost more than running it, once per chunk."""
    if not values:
        return []
    ops = connection.ops
    table = ops.quote_name(model._meta.db_table)
    names = ", ".join(ops.quote_name(c) for c in columns)
    placeholders = ", ".join(["%s"] * len(values))
    # Table and column names come from the model; every value is a parameter.
    sql = f"SELECT {names} FROM {table} WHERE {ops.quote_name(column)} IN ({placeholders})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.fetchall()


def _as_date(value) -> datetime.date | None:
    """A date column's value as SQLite (text) or PostgreSQL (date) hands it over."""
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)[:10])


class PersonDraft:
    """A person's values as the registry's checks read them, without a model instance (the
    check builds one per row: 100,000 Django models cost more than the rest of the row)."""

    __slots__ = (*STORED_PERSON_FIELDS, "residence")
    age_on = Person.age_on

    def __init__(self, values: dict, residence: Area | None):
        get = values.get
        self.nik = get("nik") or ""
        self.name = get("name") or ""
        self.sex = get("sex") or ""
        self.birth_place = get("birth_place") or ""
        self.birth_date = get("birth_date") or None
        self.address = get("address") or ""
        self.residence_id = get("residence_id") or None
        self.phone = get("phone") or ""
        self.education = get("education") or ""
        self.bank_name = get("bank_name") or ""
        self.bank_account = get("bank_account") or ""
        self.bank_holder = get("bank_holder") or ""
        self.residence = residence


def _show(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return long_date(value)
    if isinstance(value, Area):
        return value.name
    return str(value)


def new_person_values(values: dict) -> dict:
    """A new person's stored values from a row: the row's values over empty fields."""
    merged = NEW_PERSON.copy()
    merged["nik"] = values.get("nik", "")
    for key in PERSON_KEY_SET.intersection(values):
        merged[key] = values[key]
    if "residence" in merged:
        merged["residence_id"] = merged.pop("residence").id
    return merged
