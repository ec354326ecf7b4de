"""Checking a roster row by row against the registry, and (on commit) writing what it found.

One pass over the sheet in chunks of rows. Each row is read into registry values (`read_row`, no
database), then decided (`Checker.decide`): a new person, a change to a registered one, a new duty,
the end of a duty, nothing, or a rejection with its reasons. Rows earlier in the file count: the
checker keeps, per NIK, the state the registry would have after the rows accepted so far, so a
second duty for a person created three rows up is checked against that person, and two rows that
disagree about one person are caught.

The same pass runs for the preview and for the commit, so the commit writes exactly what the
preview showed — and refuses when the registry changed in between (the service compares them).
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from pilar.accounts.access import Capability, area_in_scope, area_scope
from pilar.imports.columns import BY_KEY, PERSON_KEYS, column_letter
from pilar.imports.lookup import Lookup
from pilar.imports.normalize import (
    CellProblem,
    date_from_cell,
    nik_from_cell,
    phone_from_cell,
    sex_from_cell,
    text_from_cell,
)
from pilar.lib.nik import nik_sex
from pilar.regions.models import Area
from pilar.registry.models import Assignment, Person
from pilar.registry.services import assignment_field_errors, person_field_errors

ERROR, WARNING, NOTE = "error", "warning", "note"
CHUNK = 1000
NEW, UPDATED, UNCHANGED, REJECTED = "new", "updated", "unchanged", "rejected"
TEXT_LIMITS = {
    "name": 150,
    "birth_place": 80,
    "address": 250,
    "bank_name": 60,
    "bank_account": 30,
    "bank_holder": 150,
    "sk_number": 100,
    "sk_signer": 150,
}
DATE_KEYS = ("birth_date", "sk_date", "start_date", "end_date")
# Person fields as the registry stores them, compared and written by imports (not the photo).
STORED_PERSON_FIELDS = (
    "nik",
    "name",
    "sex",
    "birth_place",
    "birth_date",
    "address",
    "residence_id",
    "phone",
    "education",
    "bank_name",
    "bank_account",
    "bank_holder",
)


def _day(value: datetime.date) -> str:
    return date_format(value, "DATE_FORMAT")


@dataclass
class RowResult:
    number: int
    cells: list[str]
    values: dict = field(default_factory=dict)
    problems: list[list] = field(default_factory=list)
    status: str = ""
    # What the commit does for this row.
    person_create: bool = False
    person_changes: dict = field(default_factory=dict)
    duty_create: dict | None = None
    duty_end: tuple | None = None  # (registered Duty, end date, end reason)
    known: KnownPerson | None = None  # the person after this row (for the commit)

    def add(self, severity: str, key: str, value, message: str) -> None:
        self.problems.append([severity, key, "" if value is None else str(value), message])

    @property
    def has_error(self) -> bool:
        return any(p[0] == ERROR for p in self.problems)

    @property
    def nik(self) -> str:
        return self.values.get("nik", "")

    @property
    def name(self) -> str:
        return self.values.get("name", "")


@dataclass
class Duty:
    kind_id: int
    area_id: int
    start: datetime.date
    end: datetime.date | None
    end_reason: str = ""
    sk_number: str = ""
    sk_date: datetime.date | None = None
    sk_signer: str = ""
    pk: int | None = None
    row: int | None = None  # the file row that adds it (None: already registered)


@dataclass
class KnownPerson:
    """A NIK as the registry would hold it after the rows accepted so far."""

    values: dict
    pk: int | None = None
    editable: bool = True
    duties: list[Duty] = field(default_factory=list)
    from_file: dict = field(default_factory=dict)  # field -> (value, row) set by earlier rows
    created_row: int | None = None


# Reading one row ----------------------------------------------------------------------------


def read_row(
    number: int,
    cells: list,
    mapping: dict[int, str],
    lookup: Lookup,
    today: datetime.date,
    formulas: set[int] | None = None,
) -> RowResult | None:
    """Turn one row's cells into registry values; None for a row with nothing in it."""
    texts = [text_from_cell(c) for c in cells]
    if not any(texts[i] for i in mapping if i < len(texts)):
        return None
    row = RowResult(number=number, cells=texts)
    values = row.values
    raw: dict[str, object] = {}
    for index, key in mapping.items():
        if index >= len(cells):
            continue
        cell = cells[index]
        text = texts[index]
        if formulas and index in formulas:
            where = f"{column_letter(index)}{number}"
            if text == "":
                row.add(
                    ERROR,
                    key,
                    "",
                    _(
                        "Cell %(cell)s holds a formula that was never calculated. Open the file "
                        "in Excel or LibreOffice, save it, and upload it again (or paste values)."
                    )
                    % {"cell": where},
                )
                continue
            row.add(
                WARNING,
                key,
                text,
                _("Cell %(cell)s holds a formula; its calculated value %(value)s was read.")
                % {"cell": where, "value": text},
            )
        if text == "":
            continue
        raw[key] = text
        try:
            if key == "nik":
                values["nik"] = nik_from_cell(cell)
            elif key in DATE_KEYS:
                values[key] = date_from_cell(cell, today=today)
            elif key == "sex":
                values["sex"] = sex_from_cell(cell)
            elif key == "phone":
                values["phone"] = phone_from_cell(cell)
            elif key == "birth_place_date":
                place, _sep, when = text.rpartition(",")
                if not _sep:
                    raise CellProblem(
                        _(
                            "Place and date of birth %(value)s cannot be split; write it as "
                            "'Bukittinggi, 12-08-1980'."
                        )
                        % {"value": text},
                        "ttl",
                    )
                values["birth_place"] = " ".join(place.split())
                values["birth_date"] = date_from_cell(when.strip(), today=today)
            elif key == "education":
                values["education"] = lookup.education(text)
            elif key == "end_reason":
                values["end_reason"] = lookup.end_reason(text)
            elif key == "kind":
                values["kind"] = lookup.kind(text)
            elif key in {"residence", "kecamatan", "kelurahan"}:
                pass  # read below, where the columns are seen together
            else:
                limit = TEXT_LIMITS.get(key)
                if limit and len(text) > limit:
                    raise CellProblem(
                        _("%(column)s is too long (%(count)s characters, at most %(limit)s).")
                        % {"column": BY_KEY[key].header, "count": len(text), "limit": limit},
                        "too_long",
                    )
                if key == "bank_account":
                    # Typed as '0012… so Excel keeps the leading zeros: the quote is not data.
                    text = "".join(text.split()).lstrip("'")
                values[key] = text
        except CellProblem as exc:
            row.add(ERROR, "birth_date" if key == "birth_place_date" else key, text, exc.message)
    _read_areas(row, raw, lookup)
    return row


def _read_areas(row: RowResult, raw: dict, lookup: Lookup) -> None:
    values = row.values
    if "residence" in raw:
        try:
            area, warning = lookup.area(raw["residence"], Area.Level.KELURAHAN)
            values["residence"] = area
            if warning:
                row.add(WARNING, "residence", raw["residence"], warning)
        except CellProblem as exc:
            row.add(ERROR, "residence", raw["residence"], exc.message)
    kecamatan = kelurahan = None
    if "kecamatan" in raw:
        try:
            kecamatan, warning = lookup.area(raw["kecamatan"], Area.Level.KECAMATAN)
            if warning:
                row.add(WARNING, "kecamatan", raw["kecamatan"], warning)
        except CellProblem as exc:
            row.add(ERROR, "kecamatan", raw["kecamatan"], exc.message)
    if "kelurahan" in raw:
        try:
            kelurahan, warning = lookup.area(raw["kelurahan"], Area.Level.KELURAHAN, kecamatan)
            if warning:
                row.add(WARNING, "kelurahan", raw["kelurahan"], warning)
        except CellProblem as exc:
            row.add(ERROR, "kelurahan", raw["kelurahan"], exc.message)
    kind = values.get("kind")
    if kind is None:
        return
    try:
        if kind.level == Area.Level.KELURAHAN:
            if kelurahan is None:
                if "kelurahan" not in raw:
                    row.add(
                        ERROR,
                        "kelurahan",
                        "",
                        _("%(kind)s serves a kelurahan: fill in the Kelurahan column.")
                        % {"kind": kind.code},
                    )
                return
            values["area"] = kelurahan
        elif kind.level == Area.Level.KECAMATAN:
            if kecamatan is None and kelurahan is not None:
                kecamatan = lookup.by_code[kelurahan.ancestor_code(Area.Level.KECAMATAN)]
            if kecamatan is None:
                if "kecamatan" not in raw:
                    row.add(
                        ERROR,
                        "kecamatan",
                        "",
                        _("%(kind)s serves a kecamatan: fill in the Kecamatan column.")
                        % {"kind": kind.code},
                    )
                return
            values["area"] = kecamatan
        else:
            values["area"] = lookup.city_for(kelurahan or kecamatan)
    except CellProblem as exc:
        row.add(ERROR, "kecamatan", "", exc.message)


# Deciding against the registry ------------------------------------------------------------


class Checker:
    """Decides what each row does, remembering what earlier rows did (see the module doc)."""

    def __init__(self, *, user, lookup: Lookup, today: datetime.date, mapped: set[str]):
        self.user = user if getattr(user, "is_authenticated", False) else None
        self.lookup = lookup
        self.today = today
        self.mapped = mapped
        self.people: dict[str, KnownPerson] = {}
        self.birth_names: dict[tuple[str, datetime.date], tuple[str, int | None, str]] = {}
        self.scoped = self.user is not None and area_scope(self.user, Capability.PEOPLE_EDIT)
        self._area_ok: dict[int, bool] = {}
        capped = [k.pk for k in lookup.kinds.values() if k.max_per_area is not None]
        self.holders: dict[tuple[int, int], list[tuple]] = {}
        for a in Assignment.objects.filter(kind_id__in=capped).select_related("person"):
            self.holders.setdefault((a.kind_id, a.area_id), []).append(
                (a.start_date, a.end_date, a.person.name, None)
            )

    # Registry reads, one chunk at a time ---------------------------------------------------

    def load(self, rows: list[RowResult]) -> None:
        niks = {r.values["nik"] for r in rows if r.values.get("nik")} - set(self.people)
        if niks:
            found = {p.pk: p for p in Person.objects.filter(nik__in=niks)}
            editable = set(found)
            if self.scoped:
                editable = set(
                    Person.objects.editable_by(self.user)
                    .filter(pk__in=list(found))
                    .values_list("pk", flat=True)
                )
            for p in found.values():
                self.people[p.nik] = KnownPerson(
                    values={f: getattr(p, f) for f in STORED_PERSON_FIELDS},
                    pk=p.pk,
                    editable=p.pk in editable,
                )
            by_pk = {p.pk: self.people[p.nik] for p in found.values()}
            for a in Assignment.objects.filter(person_id__in=list(found)):
                by_pk[a.person_id].duties.append(
                    Duty(
                        kind_id=a.kind_id,
                        area_id=a.area_id,
                        start=a.start_date,
                        end=a.end_date,
                        end_reason=a.end_reason,
                        sk_number=a.sk_number,
                        sk_date=a.sk_date,
                        sk_signer=a.sk_signer,
                        pk=a.pk,
                    )
                )
        dates = {r.values["birth_date"] for r in rows if r.values.get("birth_date")}
        self.registry_births: dict[tuple[str, datetime.date], tuple[str, str]] = {}
        if dates:
            for nik, name, born in Person.objects.filter(birth_date__in=dates).values_list(
                "nik", "name", "birth_date"
            ):
                self.registry_births.setdefault((name.casefold(), born), (nik, name))

    def _in_scope(self, area: Area) -> bool:
        if not self.scoped:
            return True
        if area.pk not in self._area_ok:
            self._area_ok[area.pk] = area_in_scope(self.user, Capability.PEOPLE_EDIT, area)
        return self._area_ok[area.pk]

    # One row ----------------------------------------------------------------------------------

    def decide(self, row: RowResult) -> None:
        values = row.values
        nik = values.get("nik")
        if not nik:
            if not any(p[1] == "nik" for p in row.problems):
                row.add(ERROR, "nik", "", _("NIK is empty; every row needs the person's NIK."))
            row.status = REJECTED
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
        merged = dict(known.values) if known else {f: "" for f in STORED_PERSON_FIELDS}
        if known is None:
            merged.update(nik=nik, birth_date=None, residence_id=None)
        changes: dict[str, object] = {}
        for key in PERSON_KEYS:
            if key not in values:
                continue
            new = values[key]
            stored_key = "residence_id" if key == "residence" else key
            stored_new = new.pk if key == "residence" else new
            if known is not None and key in known.from_file:
                earlier, earlier_row = known.from_file[key]
                if earlier != stored_new:
                    row.add(
                        ERROR,
                        key,
                        _show(new),
                        _(
                            "Row %(row)s gives %(column)s %(earlier)s for the same NIK; one of "
                            "the two rows is wrong."
                        )
                        % {
                            "row": earlier_row,
                            "column": BY_KEY[key].header,
                            "earlier": _show(self._stored_value(key, earlier)),
                        },
                    )
                    continue
            if merged.get(stored_key) != stored_new:
                if known is not None:
                    changes[stored_key] = stored_new
                merged[stored_key] = stored_new
        if known is None:
            if not merged.get("sex") and not any(p[1] == "sex" for p in row.problems):
                with contextlib.suppress(ValueError, ValidationError):
                    # A malformed NIK: the NIK check below names the problem.
                    merged["sex"] = nik_sex(nik)
                    row.add(NOTE, "sex", "", _("Sex was taken from the NIK."))
            for key, message in (
                ("name", _("Name is empty; a new person needs the full name.")),
                ("birth_date", _("Date of birth is empty; a new person needs it.")),
            ):
                if not merged.get(key) and not any(p[1] == key for p in row.problems):
                    row.add(ERROR, key, "", message)
        candidate = Person(**{f: merged.get(f) or _empty(f) for f in STORED_PERSON_FIELDS})
        if merged.get("residence_id"):
            candidate.residence = self.lookup.areas_by_id[merged["residence_id"]]
        errors = person_field_errors(candidate)
        seen = {p[1] for p in row.problems}
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
        if "kind" in values:
            self._decide_duty(row, known, candidate)
        elif any(k in values for k in ("start_date", "end_date", "sk_number")) and not any(
            p[1] == "kind" for p in row.problems
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
        if row.person_create or row.duty_create:
            row.status = NEW
        elif changes or row.duty_end is not None:
            row.status = UPDATED
        else:
            row.status = UNCHANGED
        self._remember(row, known, merged)

    def _stored_value(self, key: str, value):
        if key == "residence" and value:
            return self.lookup.areas_by_id[value]
        return value

    def _check_namesake(self, row: RowResult, nik: str, name: str, born: datetime.date) -> None:
        key = (name.casefold(), born)
        other = self.birth_names.get(key)
        if other and other[0] != nik:
            row.add(
                WARNING,
                "nik",
                nik,
                _(
                    "Row %(row)s has the same name and date of birth with another NIK "
                    "(%(other)s); check that this is not the same person with a typo in the NIK."
                )
                % {"row": other[1], "other": other[0]},
            )
        registered = self.registry_births.get(key)
        if registered and registered[0] != nik:
            row.add(
                WARNING,
                "nik",
                nik,
                _(
                    "%(name)s, born on the same day, is registered with another NIK "
                    "(%(other)s); check that this is not the same person with a typo in the NIK."
                )
                % {"name": registered[1], "other": registered[0]},
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
        duties = [d for d in (known.duties if known else []) if d.kind_id == kind.pk]
        start = values.get("start_date")
        end = values.get("end_date")
        if start is None:
            current = [d for d in duties if d.end is None or d.end >= self.today]
            match = next((d for d in current if d.area_id == area.pk), None)
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
                            "start": _day(other.start),
                        },
                    )
                else:
                    row.add(
                        ERROR,
                        "start_date",
                        "",
                        _("Tanggal Mulai is empty; a new duty needs its first day (TMT)."),
                    )
                return
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
        )
        for key, messages in errors.items():
            for message in messages:
                row.add(ERROR, "kelurahan" if key == "area" else key, "", message)
        if errors:
            return
        far = datetime.date.max
        for d in duties:
            if d.start <= (end or far) and (d.end or far) >= start:
                where = _("row %(row)s") % {"row": d.row} if d.row else _("the registry")
                row.add(
                    ERROR,
                    "start_date",
                    _day(start),
                    _(
                        "This overlaps the %(kind)s duty from %(start)s%(end)s in %(where)s; end "
                        "that duty first or correct the dates."
                    )
                    % {
                        "kind": kind.code,
                        "start": _day(d.start),
                        "end": _(" to %(d)s") % {"d": _day(d.end)} if d.end else "",
                        "where": where,
                    },
                )
                return
        if kind.max_per_area is not None:
            holders = [
                h
                for h in self.holders.get((kind.pk, area.pk), [])
                if h[0] <= (end or far) and (h[1] or far) >= start
            ]
            if len(holders) >= kind.max_per_area:
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
                            h[2] + (_(" (row %(row)s)") % {"row": h[3]} if h[3] else "")
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
                    if d.kind_id != kind.pk
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

    def _compare_duty(self, row: RowResult, match: Duty, kind, area: Area, end) -> None:
        values = row.values
        if match.row is not None:
            row.add(
                ERROR,
                "start_date",
                _day(match.start),
                _("Row %(row)s already has this %(kind)s duty; remove one of the two rows.")
                % {"row": match.row, "kind": kind.code},
            )
            return
        if match.area_id != area.pk:
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
                    "start": _day(match.start),
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
                    % {"date": _day(match.end)},
                )
            return
        if match.end is not None:
            if match.end != end:
                row.add(
                    ERROR,
                    "end_date",
                    _day(end),
                    _(
                        "The registry records this duty as ended on %(date)s. To correct that "
                        "date, use the person's page and say why."
                    )
                    % {"date": _day(match.end)},
                )
            return
        reason = values.get("end_reason")
        if end < match.start:
            row.add(
                ERROR,
                "end_date",
                _day(end),
                _("The end date %(end)s is before the start date %(start)s.")
                % {"end": _day(end), "start": _day(match.start)},
            )
        elif not reason:
            row.add(ERROR, "end_reason", "", _("Say why the duty ended (Alasan Selesai)."))
        else:
            row.duty_end = (match, end, reason)

    # Remembering an accepted row -----------------------------------------------------------

    def _remember(self, row: RowResult, known: KnownPerson | None, merged: dict) -> None:
        nik = merged["nik"]
        if known is None:
            known = KnownPerson(values=merged, created_row=row.number)
            self.people[nik] = known
        else:
            known.values = merged
        for key in PERSON_KEYS:
            if key in row.values and key not in known.from_file:
                value = row.values[key]
                known.from_file[key] = (value.pk if key == "residence" else value, row.number)
        if merged.get("birth_date") and merged.get("name"):
            self.birth_names.setdefault(
                (merged["name"].casefold(), merged["birth_date"]), (nik, row.number, merged["name"])
            )
        if row.duty_create:
            d = row.duty_create
            known.duties.append(
                Duty(
                    kind_id=d["kind"].pk,
                    area_id=d["area"].pk,
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
                self.holders.setdefault((d["kind"].pk, d["area"].pk), []).append(
                    (d["start_date"], d["end_date"], merged["name"], row.number)
                )
        if row.duty_end is not None:
            duty, end, reason = row.duty_end
            duty.end, duty.end_reason = end, reason
        row.known = known


def _empty(field_name: str):
    return None if field_name in {"birth_date", "residence_id"} else ""


def _show(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return _day(value)
    if isinstance(value, Area):
        return value.name
    return str(value)


# One pass over a sheet ----------------------------------------------------------------------


@dataclass
class Summary:
    rows: int = 0
    empty: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    warnings: int = 0
    notes: int = 0
    people_new: int = 0
    people_updated: int = 0
    duties_new: int = 0
    duties_ended: int = 0

    def count(self, row: RowResult) -> None:
        self.rows += 1
        setattr(self, row.status, getattr(self, row.status) + 1)
        if any(p[0] == WARNING for p in row.problems):
            self.warnings += 1
        if any(p[0] == NOTE for p in row.problems):
            self.notes += 1
        if row.status != REJECTED:
            self.people_new += row.person_create
            self.people_updated += bool(row.person_changes)
            self.duties_new += row.duty_create is not None
            self.duties_ended += row.duty_end is not None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def int_mapping(mapping: dict) -> dict[int, str]:
    return {int(k): v for k, v in mapping.items() if v}


def check_rows(
    rows: Iterable[tuple[int, list]],
    *,
    mapping: dict[int, str],
    user,
    header_row: int,
    formulas: dict[int, set[int]] | None = None,
    on_chunk: Callable[[list[RowResult]], None] | None = None,
    today: datetime.date | None = None,
) -> Summary:
    """Read and decide every row below the header, a chunk at a time; `on_chunk` sees each
    chunk's results (to store them, or to write them on commit)."""
    today = today or timezone.localdate()
    lookup = Lookup()
    checker = Checker(user=user, lookup=lookup, today=today, mapped=set(mapping.values()))
    summary = Summary()
    formulas = formulas or {}
    for chunk in _chunks(rows, header_row):
        results = []
        for number, cells in chunk:
            row = read_row(number, cells, mapping, lookup, today, formulas.get(number))
            if row is None:
                summary.empty += 1
                continue
            results.append(row)
        checker.load(results)
        for row in results:
            checker.decide(row)
            summary.count(row)
        if on_chunk is not None:
            on_chunk(results)
    return summary


def _chunks(rows: Iterable[tuple[int, list]], header_row: int) -> Iterator[list]:
    chunk: list = []
    for number, cells in rows:
        if number <= header_row:
            continue
        chunk.append((number, cells))
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
