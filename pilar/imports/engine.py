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
import gc
import itertools
import operator
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pilar.accounts.access import Capability, area_in_scope, area_scope
from pilar.imports.columns import BY_KEY, PERSON_KEYS, column_letter
from pilar.imports.lookup import Lookup
from pilar.imports.normalize import (
    PROBLEM_CODES,
    CellProblem,
    date_from_cell,
    nik_from_cell,
    phone_from_cell,
    sex_from_cell,
    text_from_cell,
)
from pilar.lib.dates import long_date
from pilar.lib.nik import mask_nik, nik_sex, normalize_nik
from pilar.lib.params import InputError, parse_date
from pilar.regions.models import Area
from pilar.registry.models import Assignment, Person
from pilar.registry.services import MIN_AGE, assignment_field_errors, person_field_errors

ERROR, WARNING, NOTE = "error", "warning", "note"
CHUNK = 2000
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
STORED_PERSON_FIELDS = tuple(
    "residence_id" if f == "residence" else f for f in ("nik", *PERSON_KEYS)
)


REQUIRED_FOR_NEW = (
    ("name", gettext_lazy("Name is empty; a new person needs the full name.")),
    ("birth_date", gettext_lazy("Date of birth is empty; a new person needs it.")),
)
# Assignment columns in the order of Duty's first fields.
DUTY_FIELDS = (
    "kind_id",
    "area_id",
    "start_date",
    "end_date",
    "end_reason",
    "sk_number",
    "sk_date",
    "sk_signer",
)


@dataclass(frozen=True, slots=True)
class StartRule:
    """Where a new duty's start date (TMT) comes from when its row has none: the row's own SK
    date (`SK`) or one date chosen for the whole file (`DATE`). Without a rule such a row is
    refused. Chosen at the mapping step (or `pilar import-roster --start-date`), stored with
    the import, applied alike by the preview and the commit (docs/IMPORTS.md)."""

    source: str
    date: datetime.date | None = None

    SK = "sk"
    DATE = "date"

    @classmethod
    def from_text(cls, text: str, field: str) -> StartRule:
        """'sk' or a date (YYYY-MM-DD); raises InputError naming `field` otherwise."""
        text = (text or "").strip()
        if text.casefold() == cls.SK:
            return cls(cls.SK)
        try:
            day = parse_date(text or "-", field, low=EARLIEST_START)
        except InputError as exc:
            raise InputError(
                field,
                exc.message_text + " " + _("Or write sk to take each row's SK date."),
            ) from exc
        return cls(cls.DATE, day)

    @classmethod
    def stored(cls, source: str, day: datetime.date | None) -> StartRule | None:
        """The rule an import keeps (`Import.start_rule`, `Import.start_rule_date`)."""
        if source == cls.SK:
            return cls(cls.SK)
        if source == cls.DATE and day is not None:
            return cls(cls.DATE, day)
        return None


# The earliest start date a rule may give (the registry's oldest duties are younger).
EARLIEST_START = datetime.date(1950, 1, 1)


@dataclass(slots=True)
class RowResult:
    number: int
    values: dict = field(default_factory=dict)
    problems: list[list] = field(default_factory=list)
    status: str = ""
    # What the commit does for this row.
    person_create: bool = False
    person_changes: dict = field(default_factory=dict)
    duty_create: dict | None = None
    duty_end: tuple | None = None  # (registered Duty, end date, end reason)
    person_before: dict = field(default_factory=dict)
    planned: dict = field(default_factory=dict)
    known: KnownPerson | None = None  # the person after this row (for the commit)

    def add(self, severity: str, key: str, value, message: str, code: str = "") -> None:
        problem = [severity, key, "" if value is None else str(value), message]
        if code:
            if code not in PROBLEM_CODES:
                raise ValueError(f"unlisted problem code {code!r}: add it to PROBLEM_CODES")
            problem.append(code)  # what kind of problem, for the rejected-rows report
        self.problems.append(problem)

    def plan(self, lookup: Lookup) -> dict:
        """What saving this row does, in words a person reads and in a form the commit compares
        with the preview's: a row is saved only if it would do exactly what was shown."""
        if self.status in ("", REJECTED):
            return {}
        plan: dict = {}
        if self.person_create:
            plan["person"] = "new"
        elif self.person_changes:
            plan["person"] = [
                [
                    _field_label(k),
                    _plain(k, self.person_before.get(k), lookup),
                    _plain(k, v, lookup),
                ]
                for k, v in sorted(self.person_changes.items())
            ]
        if self.duty_create:
            d = self.duty_create
            plan["duty"] = [
                d["kind"].code,
                d["area"].code,
                d["start_date"].isoformat(),
                d["end_date"].isoformat() if d["end_date"] else "",
            ]
        if self.duty_end is not None:
            duty, end, reason = self.duty_end
            plan["end"] = [duty.pk, end.isoformat(), reason]
        warnings = [p[3] for p in self.problems if p[0] == WARNING]
        if warnings:
            plan["warnings"] = warnings
        return plan

    @property
    def has_error(self) -> bool:
        return bool(self.problems) and any(p[0] == ERROR for p in self.problems)

    @property
    def nik(self) -> str:
        return self.values.get("nik", "")

    @property
    def name(self) -> str:
        return self.values.get("name", "")


@dataclass(slots=True)
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


@dataclass(slots=True)
class KnownPerson:
    """A NIK as the registry would hold it after the rows accepted so far. Kept for every NIK
    of the sheet, so kept small: values as a tuple, the fields file rows set as a shared set."""

    stored: tuple  # in STORED_PERSON_FIELDS order
    pk: int | None = None
    editable: bool = True
    duties: list[Duty] = field(default_factory=list)
    file_keys: frozenset = frozenset()  # fields some row of the file set
    file_rows: dict | None = None  # field -> row, where not the row that created the person
    created_row: int | None = None

    @property
    def values(self) -> dict:
        return dict(zip(STORED_PERSON_FIELDS, self.stored, strict=True))

    def set_values(self, values: dict) -> None:
        self.stored = _stored_tuple(values)

    def file_row(self, key: str) -> int | None:
        return (self.file_rows or {}).get(key, self.created_row)


_stored_tuple = operator.itemgetter(*STORED_PERSON_FIELDS)  # values in stored order, in C
_KEY_SETS: dict[frozenset, frozenset] = {}


def _shared(keys: frozenset) -> frozenset:
    """One frozenset object per distinct set of fields (most rows have the same columns)."""
    return _KEY_SETS.setdefault(keys, keys)


# Reading one row ----------------------------------------------------------------------------


PERSON_KEY_SET = frozenset(PERSON_KEYS)
STORED_INDEX = {f: i for i, f in enumerate(STORED_PERSON_FIELDS)}
NEW_PERSON = {f: "" for f in STORED_PERSON_FIELDS} | {"birth_date": None, "residence_id": None}
NUMBER_TYPES = (int, float)
# Text made of digits that Excel turns into a number when the column is not formatted as Text.
DIGIT_TEXT_KEYS = frozenset({"bank_account", "sk_number"})
CACHED_KEYS = frozenset({"sex", "education", "end_reason", "kind", *DATE_KEYS})
AREA_KEYS = frozenset({"residence", "kecamatan", "kelurahan"})
TEXT_KEYS = frozenset(
    {
        "name",
        "birth_place",
        "address",
        "bank_name",
        "bank_account",
        "bank_holder",
        "sk_number",
        "sk_signer",
    }
)


def _convert(key: str, cell, text: str, lookup: Lookup, today: datetime.date):
    """One cell's value for `key`; raises CellProblem with the fix."""
    if key == "nik":
        return nik_from_cell(cell)
    if key in DATE_KEYS:
        return date_from_cell(cell, today=today)
    if key == "sex":
        return sex_from_cell(cell)
    if key == "phone":
        return phone_from_cell(cell)
    if key == "education":
        return lookup.education(text)
    if key == "end_reason":
        return lookup.end_reason(text)
    if key == "kind":
        return lookup.kind(text)
    limit = TEXT_LIMITS.get(key)
    if limit and len(text) > limit:
        raise CellProblem(
            _("%(column)s is too long (%(count)s characters, at most %(limit)s).")
            % {"column": BY_KEY[key].header, "count": len(text), "limit": limit},
            "too_long",
        )
    if key == "bank_account":
        # Typed as '0012… so Excel keeps the leading zeros: the quote is not data.
        return "".join(text.split()).lstrip("'")
    return text


# How read_row treats a column: plain text, a cell converted once per distinct value, an area
# (read with the other area columns), place-and-date of birth, or its own converter.
TEXT, CACHED, AREA, PLACE_DATE, NIK, PHONE, DIGITS, OTHER = range(8)
PLAIN_TEXT_KEYS = frozenset(
    {"name", "birth_place", "address", "bank_name", "bank_holder", "sk_signer"}
)


def column_plan(mapping: dict[int, str]) -> list[tuple[int, str, int, int]]:
    """(index, field, treatment, length limit) per mapped column, worked out once per sheet."""
    plan = []
    for index, key in sorted(mapping.items()):
        if key in PLAIN_TEXT_KEYS:
            mode = TEXT
        elif key in CACHED_KEYS:
            mode = CACHED
        elif key in AREA_KEYS:
            mode = AREA
        elif key == "birth_place_date":
            mode = PLACE_DATE
        elif key == "nik":
            mode = NIK
        elif key == "phone":
            mode = PHONE
        elif key in DIGIT_TEXT_KEYS:
            mode = DIGITS
        else:
            mode = OTHER
        plan.append((index, key, mode, TEXT_LIMITS.get(key, 0)))
    return plan


def _converted_once(key: str, cell, text: str, lookup: Lookup, today: datetime.date) -> tuple:
    """(value, problem message, problem code) for a cell of a column whose values repeat (sex,
    kind, education, dates typed as text): converted once per run (`lookup.cells`)."""
    memo = (key, cell if cell.__class__ is not float else text)
    found = lookup.cells.get(memo)
    if found is None:
        try:
            found = (_convert(key, cell, text, lookup, today), None, "")
        except CellProblem as exc:
            found = (None, exc.message, exc.code)
        lookup.cells[memo] = found
    return found


def read_row(
    number: int,
    cells: list,
    columns: list[tuple[int, str, int, int]],
    lookup: Lookup,
    today: datetime.date,
    formulas: set[int] | None = None,
) -> RowResult | None:
    """Turn one row's cells into registry values; None for a row with nothing in it.

    Runs for every row of a 100,000-row sheet: cells that repeat (kinds, places, dates typed
    as text) are converted once per run (`lookup.cells`), and a cell becomes text only when a
    column needs its text."""
    width = len(cells)
    row = None
    values: dict = {}
    raw: dict[str, str] = {}
    for index, key, mode, limit in columns:
        if index >= width:
            continue
        cell = cells[index]
        kind_of_cell = type(cell)
        if kind_of_cell is str:
            text = " ".join(cell.split())
        elif kind_of_cell is datetime.date and mode == CACHED and not formulas:
            values[key] = cell  # a date cell in a date column: nothing to read
            continue
        elif cell is None:
            text = ""
        else:
            text = text_from_cell(cell)
        if formulas and index in formulas:
            row = row or RowResult(number=number, values=values)
            if not _formula_cell(row, key, index, number, text):
                continue
        if not text:
            continue
        if mode == TEXT:
            if len(text) <= limit:
                values[key] = text
                continue
        elif mode == AREA:
            raw[key] = text  # read below, where the columns are seen together
            continue
        elif mode == CACHED:
            found = _converted_once(key, cell, text, lookup, today)
            if found[1] is None:
                values[key] = found[0]
            else:
                row = row or RowResult(number=number, values=values)
                row.add(ERROR, key, text, found[1], found[2])
            continue
        elif mode in (NIK, PHONE):
            try:
                values[key] = (nik_from_cell if mode == NIK else phone_from_cell)(cell)
            except CellProblem as exc:
                row = row or RowResult(number=number, values=values)
                row.add(ERROR, key, text, exc.message, exc.code)
            continue
        elif mode == DIGITS and kind_of_cell is str and len(text) <= limit:
            # Typed as '0012… so Excel keeps the leading zeros: the quote is not data.
            values[key] = "".join(text.split()).lstrip("'") if key == "bank_account" else text
            continue
        elif mode == PLACE_DATE:
            row = _place_and_date(row, number, values, text, lookup, today)
            continue
        try:
            values[key] = _convert(key, cell, text, lookup, today)
        except CellProblem as exc:
            row = row or RowResult(number=number, values=values)
            row.add(ERROR, key, text, exc.message, exc.code)
            continue
        if kind_of_cell in NUMBER_TYPES and key in DIGIT_TEXT_KEYS:
            row = row or RowResult(number=number, values=values)
            _number_cell(row, key, cell, text)
    if row is None:
        if not values and not raw:
            return None
        row = RowResult(number=number, values=values)
    if raw or "kind" in values:
        # A duty without any area cell still needs its area worked out (or refused): a
        # city-wide kind takes the only city; a kelurahan's or kecamatan's kind says what is
        # missing.
        _read_areas(row, raw, lookup)
    return row


def _formula_cell(row: RowResult, key: str, index: int, number: int, text: str) -> bool:
    """Note a formula cell; False when it has no value to read."""
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
        return False
    row.add(
        WARNING,
        key,
        text,
        _("Cell %(cell)s holds a formula; its calculated value %(value)s was read.")
        % {"cell": where, "value": text},
    )
    return True


def _place_and_date(row, number, values, text, lookup, today):
    """'Bukittinggi, 12-08-1980' in one column: the place and the date of birth."""
    place, sep, when = text.rpartition(",")
    try:
        if not sep:
            raise CellProblem(
                _(
                    "Place and date of birth %(value)s cannot be split; write it as "
                    "'Bukittinggi, 12-08-1980'."
                )
                % {"value": text},
                "ttl",
            )
        values["birth_date"] = date_from_cell(when.strip(), today=today)
        values["birth_place"] = _convert(
            "birth_place", place, " ".join(place.split()), lookup, today
        )
    except CellProblem as exc:
        row = row or RowResult(number=number, values=values)
        row.add(ERROR, "birth_date", text, exc.message, exc.code)
    return row


def _number_cell(row: RowResult, key: str, cell, text: str) -> None:
    """An account or SK number stored as a number: Excel drops leading zeros, keeps 15 digits
    and turns 800.10 into 800.1. Past 15 digits it is refused; otherwise the operator must
    confirm it (money is paid to this account)."""
    column = BY_KEY[key].header
    if len(text.replace(".", "").lstrip("0")) >= 15 or (isinstance(cell, float) and cell > 2**53):
        row.values.pop(key, None)
        row.add(
            ERROR,
            key,
            text,
            _(
                "%(column)s %(value)s was stored as a number, and Excel keeps only 15 digits of "
                "a number: the last digits may be wrong. Format the column as Text and type it "
                "again."
            )
            % {"column": column, "value": text},
            "number_cell",
        )
    else:
        row.add(
            WARNING,
            key,
            text,
            _(
                "%(column)s %(value)s was stored as a number: a leading 0 (or a final 0 after a "
                "dot) would have been lost. Check it against the original."
            )
            % {"column": column, "value": text},
            "number_cell",
        )


def _read_areas(row: RowResult, raw: dict, lookup: Lookup) -> None:
    """The residence and the area of duty from the area columns (and the kind's level). Rows
    repeat the same few combinations: each is worked out once per run."""
    kind = row.values.get("kind")
    memo = (
        "areas",
        raw.get("residence"),
        raw.get("kecamatan"),
        raw.get("kelurahan"),
        kind.id if kind is not None else None,
    )
    found = lookup.cells.get(memo)
    if found is None:
        scratch = RowResult(number=row.number, values={"kind": kind} if kind else {})
        _work_out_areas(scratch, raw, lookup)
        scratch.values.pop("kind", None)
        found = (scratch.values, scratch.problems)
        lookup.cells[memo] = found
    row.values.update(found[0])
    if found[1]:
        row.problems.extend(found[1])


def _work_out_areas(row: RowResult, raw: dict, lookup: Lookup) -> None:
    values = row.values
    if "residence" in raw:
        try:
            area, warning = lookup.area(raw["residence"], Area.Level.KELURAHAN)
            values["residence"] = area
            if warning:
                row.add(WARNING, "residence", raw["residence"], warning)
        except CellProblem as exc:
            row.add(ERROR, "residence", raw["residence"], exc.message, exc.code)
    kecamatan = kelurahan = None
    if "kecamatan" in raw:
        try:
            kecamatan, warning = lookup.area(raw["kecamatan"], Area.Level.KECAMATAN)
            if warning:
                row.add(WARNING, "kecamatan", raw["kecamatan"], warning)
        except CellProblem as exc:
            row.add(ERROR, "kecamatan", raw["kecamatan"], exc.message, exc.code)
    if "kelurahan" in raw:
        try:
            kelurahan, warning = lookup.area(raw["kelurahan"], Area.Level.KELURAHAN, kecamatan)
            if warning:
                row.add(WARNING, "kelurahan", raw["kelurahan"], warning)
        except CellProblem as exc:
            row.add(ERROR, "kelurahan", raw["kelurahan"], exc.message, exc.code)
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
        row.add(ERROR, "kecamatan", "", exc.message, exc.code)


# Deciding against the registry ------------------------------------------------------------


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
        self.birth_names: dict[tuple[str, datetime.date], tuple[str, int | None, str]] = {}
        self.scoped = (
            self.user is not None and area_scope(self.user, Capability.PEOPLE_EDIT) is not None
        )
        self._area_ok: dict[int, bool] = {}
        capped = [k.pk for k in lookup.kinds.values() if k.max_per_area is not None]
        # Duties of capped kinds (TKSK: one per kecamatan): [start, end, name, row, id].
        self.holders: dict[tuple[int, int], list[list]] = {}
        for a in Assignment.objects.filter(kind_id__in=capped).select_related("person"):
            self.holders.setdefault((a.kind_id, a.area_id), []).append(
                [a.start_date, a.end_date, a.person.name, None, a.pk]
            )
        # NIKs whose rows disagree with each other: found by a first pass (`conflicts`), every
        # row of them is refused in the next (`poisoned`), not just the second one.
        self.conflicts: dict[str, dict] = {}
        self.poisoned: dict[str, dict] = {}
        self.registry_empty = not Person.objects.exists()
        self.registry_births: dict[tuple[str, datetime.date], tuple[str, str | None]] = {}

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
                self.registry_births.setdefault((name.casefold(), _as_date(born)), (nik, shown))

    def _in_scope(self, area: Area) -> bool:
        if not self.scoped:
            return True
        if area.id not in self._area_ok:
            self._area_ok[area.id] = area_in_scope(self.user, Capability.PEOPLE_EDIT, area)
        return self._area_ok[area.id]

    # One row ----------------------------------------------------------------------------------

    def decide(self, row: RowResult) -> None:
        values = row.values
        nik = values.get("nik")
        if not nik:
            if not any(p[1] == "nik" for p in row.problems):
                row.add(ERROR, "nik", "", _("NIK is empty; every row needs the person's NIK."))
            row.status = REJECTED
            return
        if nik in self.poisoned:
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
        changes: dict[str, object] = {}
        before: dict[str, object] = {}
        # A new person: the row's values over empty fields (most rows of a first import).
        merged = new_person_values(values) if known is None else known.values
        for key in PERSON_KEYS if known is not None else ():
            if key not in values:
                continue
            new = values[key]
            stored_key = "residence_id" if key == "residence" else key
            stored_new = new.id if key == "residence" else new
            if key in known.file_keys:
                earlier, earlier_row = known.stored[STORED_INDEX[stored_key]], known.file_row(key)
                if earlier != stored_new:
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
                    before[stored_key] = merged.get(stored_key)
                merged[stored_key] = stored_new
        if known is None:
            if not merged.get("sex") and not any(p[1] == "sex" for p in row.problems):
                with contextlib.suppress(ValueError, ValidationError):
                    # A malformed NIK: the NIK check below names the problem.
                    merged["sex"] = nik_sex(nik)
                    row.add(NOTE, "sex", "", _("Sex was taken from the NIK."))
            for key, message in REQUIRED_FOR_NEW:
                if not merged.get(key) and not any(p[1] == key for p in row.problems):
                    row.add(ERROR, key, "", str(message))
        candidate = PersonDraft(merged, self.lookup.areas_by_id.get(merged.get("residence_id")))
        errors = person_field_errors(candidate, self.today)
        seen = {p[1] for p in row.problems} if errors else ()
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
        row.person_before = before
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
                mask_nik(nik),
                _(
                    "Row %(row)s has the same name and date of birth with another NIK "
                    "(%(other)s); check that this is not the same person with a typo in the NIK."
                )
                % {"row": other[1], "other": mask_nik(other[0])},
            )
        registered = self.registry_births.get(key)
        if registered and registered[0] != nik:
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
                    "name": registered[1] or _("Someone outside your area"),
                    "other": mask_nik(registered[0]),
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
        far = datetime.date.max
        for d in duties:
            if d.start <= (end or far) and (d.end or far) >= start:
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
        if any(p[1] == "start_date" for p in row.problems):
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
            row.duty_end = (match, end, reason)

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
                (merged["name"].casefold(), merged["birth_date"]), (nik, number, merged["name"])
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
                    [d["start_date"], d["end_date"], merged["name"], row.number, None]
                )
        if row.duty_end is not None:
            duty, end, reason = row.duty_end
            duty.end, duty.end_reason = end, reason
            # A row that ends a TKSK frees the place for a new TKSK in a later row.
            for holder in self.holders.get((duty.kind_id, duty.area_id), []):
                if holder[4] == duty.pk:
                    holder[1] = end
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


def _field_label(stored_key: str) -> str:
    return "residence" if stored_key == "residence_id" else stored_key


def _plain(stored_key: str, value, lookup: Lookup):
    if value is None or value == "":
        return ""
    if stored_key == "residence_id":
        area = lookup.areas_by_id.get(value)
        return area.name if area else str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


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
    # Rows whose new duty took its start date from the file's rule (their warning says so;
    # the operator who chose the rule has accepted it, so they are not in `warnings`).
    start_ruled: int = 0
    # Rows refused for want of a start date, with no rule chosen (the preview offers one).
    start_missing: int = 0
    people_new: int = 0
    people_updated: int = 0
    duties_new: int = 0
    duties_ended: int = 0
    conflicts: dict = field(default_factory=dict)  # NIK -> rows and fields (not for display)

    def count(self, row: RowResult) -> None:
        self.rows += 1
        setattr(self, row.status, getattr(self, row.status) + 1)
        if row.problems:
            codes = {p[4] for p in row.problems if len(p) > 4}
            if any(p[0] == WARNING and p[4:] != ["start_rule"] for p in row.problems):
                self.warnings += 1
            if any(p[0] == NOTE for p in row.problems):
                self.notes += 1
            if "start_rule" in codes and row.status != REJECTED:
                self.start_ruled += 1
            if "start_missing" in codes:
                self.start_missing += 1
        if row.status != REJECTED:
            self.people_new += row.person_create
            self.people_updated += bool(row.person_changes)
            self.duties_new += row.duty_create is not None
            self.duties_ended += row.duty_end is not None

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "conflicts"}


def int_mapping(mapping: dict) -> dict[int, str]:
    return {int(k): v for k, v in mapping.items() if v}


def read_chunks(
    rows: Iterable[tuple[int, list]],
    header_row: int,
    columns: list,
    lookup: Lookup,
    today: datetime.date,
    formulas: dict[int, set[int]],
) -> Iterator[tuple[list[RowResult], int]]:
    """(rows read, empty rows skipped) for each chunk of the sheet below the header."""
    for chunk in _chunks(rows, header_row):
        if formulas and any(number in formulas for number, _cells in chunk):
            yield _read_rows_one_by_one(chunk, columns, lookup, today, formulas)
        else:
            yield _read_by_column(chunk, columns, lookup, today)


def _read_rows_one_by_one(chunk, columns, lookup, today, formulas) -> tuple[list, int]:
    results, empty = [], 0
    for number, cells in chunk:
        row = read_row(number, cells, columns, lookup, today, formulas.get(number))
        if row is None:
            empty += 1
        else:
            results.append(row)
    return results, empty


def _read_by_column(chunk, columns, lookup, today) -> tuple[list, int]:
    """read_row for a whole chunk at once, column by column: the same values and problems,
    with one pass of a tight loop per column instead of a dispatch per cell (this is where a
    large import spends its time)."""
    rows = [cells for _number, cells in chunk]
    values = [{} for _ in rows]
    areas: list[dict | None] = [None] * len(rows)
    issues: list[tuple] = []  # (row index, key, text, message, code)
    for index, key, mode, limit in columns:
        column = [cells[index] if index < len(cells) else None for cells in rows]
        if mode == TEXT:
            texts = [
                " ".join(c.split())
                if c.__class__ is str
                else ("" if c is None else text_from_cell(c))
                for c in column
            ]
            for j, text in enumerate(texts):
                if not text:
                    continue
                if len(text) <= limit:
                    values[j][key] = text
                else:
                    try:
                        _convert(key, column[j], text, lookup, today)
                    except CellProblem as exc:
                        issues.append((j, key, text, exc.message, exc.code))
        elif mode == CACHED:
            for j, cell in enumerate(column):
                if cell is None or cell == "":
                    continue
                kind_of_cell = cell.__class__
                if kind_of_cell is datetime.date:
                    values[j][key] = cell  # a date cell in a date column: nothing to read
                    continue
                text = " ".join(cell.split()) if kind_of_cell is str else text_from_cell(cell)
                if not text:
                    continue
                found = _converted_once(key, cell, text, lookup, today)
                if found[1] is None:
                    values[j][key] = found[0]
                else:
                    issues.append((j, key, text, found[1], found[2]))
        elif mode == AREA:
            for j, cell in enumerate(column):
                if cell is None or cell == "":
                    continue
                text = " ".join(cell.split()) if cell.__class__ is str else text_from_cell(cell)
                if text:
                    if areas[j] is None:
                        areas[j] = {}
                    areas[j][key] = text
        elif mode in (NIK, PHONE):
            convert = nik_from_cell if mode == NIK else phone_from_cell
            for j, cell in enumerate(column):
                if cell is None or cell == "":
                    continue
                if cell.__class__ is str and not cell.strip():
                    continue
                try:
                    values[j][key] = convert(cell)
                except CellProblem as exc:
                    issues.append((j, key, text_from_cell(cell), exc.message, exc.code))
        elif mode == DIGITS:
            for j, cell in enumerate(column):
                if cell is None or cell == "":
                    continue
                if cell.__class__ is str:
                    text = " ".join(cell.split())
                    if text and len(text) <= limit:
                        # Typed as '0012… so Excel keeps the leading zeros: not data.
                        values[j][key] = (
                            "".join(text.split()).lstrip("'") if key == "bank_account" else text
                        )
                        continue
                row = read_row(0, [cell], [(0, key, mode, limit)], lookup, today)
                if row is not None:
                    values[j].update(row.values)
                    for problem in row.problems:
                        issues.append((j, problem, None, None, None))
        else:
            for j, cell in enumerate(column):
                if cell is None or cell == "":
                    continue
                # The rest (place and date of birth in one column) as read_row does it.
                row = read_row(0, [cell], [(0, key, mode, limit)], lookup, today)
                if row is None:
                    continue
                values[j].update(row.values)
                for problem in row.problems:
                    issues.append((j, problem, None, None, None))
    results, empty = [], 0
    found_issues: dict[int, list] = {}
    for j, key, text, message, code in issues:
        found_issues.setdefault(j, []).append((key, text, message, code))
    for j, (number, _cells) in enumerate(chunk):
        row_values, row_areas, row_issues = values[j], areas[j], found_issues.get(j)
        if not row_values and not row_areas and not row_issues:
            empty += 1
            continue
        row = RowResult(number=number, values=row_values)
        for key, text, message, code in row_issues or ():
            if text is None and message is None:
                row.problems.append(key)  # a problem read_row already worded
            else:
                row.add(ERROR, key, text, message, code)
        if row_areas or "kind" in row_values:
            _read_areas(row, row_areas or {}, lookup)
        results.append(row)
    return results, empty


def new_person_values(values: dict) -> dict:
    """A new person's stored values from a row: the row's values over empty fields."""
    merged = NEW_PERSON.copy()
    merged["nik"] = values.get("nik", "")
    for key in PERSON_KEY_SET.intersection(values):
        merged[key] = values[key]
    if "residence" in merged:
        merged["residence_id"] = merged.pop("residence").id
    return merged


def decide_chunks(
    chunks: Iterable[tuple[list[RowResult], int]],
    *,
    lookup: Lookup,
    user,
    today: datetime.date,
    mapped: set[str],
    on_chunk: Callable[[list[RowResult]], None] | None = None,
    poisoned: dict | None = None,
    plans: bool = True,
    start_rule: StartRule | None = None,
) -> Summary:
    """Decide the rows of every chunk, in order, against the registry and the rows before.
    `plans`: also word each row's plan (stored checks and commits; a dry run shows none)."""
    with _fewer_collections():
        checker = Checker(
            user=user, lookup=lookup, today=today, mapped=mapped, start_rule=start_rule
        )
        checker.poisoned = poisoned or {}
        summary = Summary(conflicts=checker.conflicts)
        for results, empty in chunks:
            summary.empty += empty
            checker.load(results)
            for row in results:
                checker.decide(row)
                if plans:
                    row.planned = row.plan(lookup)
                summary.count(row)
            if on_chunk is not None:
                on_chunk(results)
        return summary


@contextlib.contextmanager
def _fewer_collections():
    """The check keeps one small object per NIK for the whole sheet; with Python's default
    thresholds the cyclic collector walks that growing heap over and over (a third of the
    time at 100,000 rows). Nothing here makes cycles, so collect rarely while it runs."""
    before = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _chunks(rows: Iterable[tuple[int, list]], header_row: int) -> Iterator[list]:
    """The rows below the header, CHUNK at a time."""
    rows = itertools.dropwhile(lambda item: item[0] <= header_row, rows)
    while chunk := list(itertools.islice(rows, CHUNK)):
        yield chunk


# Showing a problem --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShownProblem:
    severity: str
    key: str
    column: str
    value: str
    message: str
    code: str


def shown_problem(problem: list) -> ShownProblem:
    """A stored problem as the pages, the API and the command line show it: a NIK masked as the
    row's header masks it (`mask_nik`), in the value and wherever the message quotes it."""
    severity, key, value, message = problem[:4]
    code = problem[4] if len(problem) > 4 else ""
    if key == "nik" and value:
        digits = normalize_nik(value)
        if len(digits) >= 8 and digits.isascii() and digits.isdigit():
            masked = mask_nik(digits)
            message = message.replace(value, masked).replace(digits, masked)
            value = masked
    column = BY_KEY[key].header if key in BY_KEY else key
    return ShownProblem(severity, key, column, value, message, code)
