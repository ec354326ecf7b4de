"""What the import engine records about a row: severities, statuses, field lists and limits,
the start-date rule (`StartRule`), one row's result (`RowResult`) with its problems (`Problem`)
and the duty it ends (`DutyEnd`), and the registry state the checker keeps per person
(`KnownPerson`, `Duty`) and per capped kind and area (`Holder`).
"""

from __future__ import annotations

import datetime
import operator
from dataclasses import dataclass, field
from typing import NamedTuple

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pilar.imports.engine.columns import BY_KEY, PERSON_KEYS
from pilar.imports.engine.lookup import Lookup
from pilar.imports.engine.normalize import PROBLEM_CODES
from pilar.lib.nik import mask_nik, normalize_nik
from pilar.lib.params import InputError, parse_date

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

PERSON_KEY_SET = frozenset(PERSON_KEYS)
STORED_INDEX = {f: i for i, f in enumerate(STORED_PERSON_FIELDS)}
NEW_PERSON = {f: "" for f in STORED_PERSON_FIELDS} | {"birth_date": None, "residence_id": None}

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


class Problem(NamedTuple):
    """One thing wrong with (or worth saying about) a row. Stored with the row as a JSON list in
    this order (`ImportRow.problems`); a stored problem without a code has four items."""

    severity: str  # ERROR, WARNING or NOTE
    key: str  # the field (column key) it concerns
    value: str  # the cell's text, as the message quotes it
    message: str
    code: str = ""  # what kind of problem (PROBLEM_CODES), for the rejected-rows report

    @classmethod
    def stored(cls, items: list) -> Problem:
        """A problem as `ImportRow.problems` keeps it (a list of four or five items)."""
        return cls(*items)

    def as_stored(self) -> list:
        return list(self) if self.code else list(self[:4])


class DutyEnd(NamedTuple):
    """A registered duty that a row ends."""

    duty: Duty
    end: datetime.date
    reason: str


@dataclass(slots=True)
class Holder:
    """A duty of a kind with a maximum per area (TKSK: one per kecamatan), registered or added
    by a row above, as the quota check counts it."""

    start: datetime.date
    end: datetime.date | None
    name: str
    row: int | None  # the file row that adds it (None: registered)
    pk: int | None  # the registered duty's id (None: added by a row)


@dataclass(slots=True)
class RowResult:
    number: int
    values: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    status: str = ""
    # What the commit does for this row.
    person_create: bool = False
    person_changes: dict = field(default_factory=dict)
    duty_create: dict | None = None
    duty_end: DutyEnd | None = None
    person_before: dict = field(default_factory=dict)
    planned: dict = field(default_factory=dict)
    known: KnownPerson | None = None  # the person after this row (for the commit)
    # The area columns' text while the row is read, until its areas are worked out (cells.py).
    area_cells: dict | None = None

    def add(self, severity: str, key: str, value, message: str, code: str = "") -> None:
        if code and code not in PROBLEM_CODES:
            raise ValueError(f"unlisted problem code {code!r}: add it to PROBLEM_CODES")
        self.problems.append(
            Problem(severity, key, "" if value is None else str(value), message, code)
        )

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
            ended = self.duty_end
            plan["end"] = [ended.duty.pk, ended.end.isoformat(), ended.reason]
        warnings = [p.message for p in self.problems if p.severity == WARNING]
        if warnings:
            plan["warnings"] = warnings
        return plan

    @property
    def has_error(self) -> bool:
        return bool(self.problems) and any(p.severity == ERROR for p in self.problems)

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


# Showing a problem --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShownProblem:
    severity: str
    key: str
    column: str
    value: str
    message: str
    code: str


def shown_problem(problem: Problem | list) -> ShownProblem:
    """A stored problem as the pages, the API and the command line show it: a NIK masked as the
    row's header masks it (`mask_nik`), in the value and wherever the message quotes it."""
    severity, key, value, message, code = Problem.stored(problem)
    if key == "nik" and value:
        digits = normalize_nik(value)
        if len(digits) >= 8 and digits.isascii() and digits.isdigit():
            masked = mask_nik(digits)
            message = message.replace(value, masked).replace(digits, masked)
            value = masked
    column = BY_KEY[key].header if key in BY_KEY else key
    return ShownProblem(severity, key, column, value, message, code)
