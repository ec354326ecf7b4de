"""One row of an extract made into values: a person (NIK, name, sex, birth date, relation) and
the household fields their KK carries (KK number, DTSEN id, address, RT/RW, kelurahan, decile).

The cell readers of the roster import (`pilar.imports.engine.normalize`) read NIKs, dates and
sexes; areas are found through its `Lookup`. Each problem is kept as the stored shape
`[severity, field, value, message]`, the message naming the field and the fix.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from pilar.accounts.access import Capability, area_scope
from pilar.casework.models import Relation
from pilar.dtsen.columns import RELATION_CODES, RELATION_WORDS
from pilar.imports.engine.lookup import Lookup
from pilar.imports.engine.normalize import (
    CellProblem,
    date_from_cell,
    nik_from_cell,
    sex_from_cell,
)
from pilar.lib.kk import validate_kk
from pilar.lib.nik import mask_nik, nik_sex, validate_nik
from pilar.lib.spreadsheet import text_from_cell
from pilar.offices import current
from pilar.regions.models import Area

REJECTED = "rejected"
WARNING = "warning"

_RT_RW_RE = re.compile(r"^\D*?(\d{1,3})\D+?(\d{1,3})\D*$")
_RT_RW_DIGITS_RE = re.compile(r"^(\d{3})(\d{3})$")
_DIGITS_RE = re.compile(r"\d+")
HOUSEHOLD_KEYS = (
    "kk_number",
    "dtsen_id",
    "address",
    "rt_rw",
    "area_code",
    "kelurahan",
    "kecamatan",
    "decile",
)


@dataclass(slots=True)
class Row:
    """One person's row of the extract, read."""

    number: int
    kk: str = ""
    dtsen_id: str = ""
    nik: str = ""
    name: str = ""
    relation: str = ""
    sex: str = ""
    birth_date: datetime.date | None = None
    address: str = ""
    rt_rw: str = ""
    area_id: int | None = None
    decile: int | None = None
    problems: list = field(default_factory=list)

    def add(self, severity: str, key: str, value, message: str) -> None:
        self.problems.append([severity, key, text_from_cell(value)[:80], str(message)])

    @property
    def rejected(self) -> bool:
        return any(p[0] == REJECTED for p in self.problems)


def relation_key(text: str) -> str:
    return " ".join(text.casefold().replace(".", " ").split())


_RELATIONS: dict[str, str] = {
    **{relation_key(w): v for w, v in RELATION_WORDS.items()},
    **{relation_key(v): v for v in Relation.values},
    **{relation_key(str(label)): v for v, label in Relation.choices},
}


def _relation_of(cell) -> tuple[str, str]:
    """(relation, "") or ("", the problem's message)."""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    text = text_from_cell(cell)
    found = RELATION_CODES.get(text.lstrip("0") or text) or _RELATIONS.get(relation_key(text))
    if found is not None:
        return found, ""
    return "", _(
        "Relation '%(value)s' is not known; write the SHDK code (1 head, 2 husband, 3 wife, "
        "4 child...) or a word such as Kepala Keluarga, Istri, Anak."
    ) % {"value": text}


class Reader:
    """Reads rows for one run: the areas read once (`Lookup`), the user's area scope, today."""

    def __init__(
        self, *, user=None, today: datetime.date, lookup: Lookup | None = None, office=None
    ):
        self.lookup = lookup or Lookup()
        self.today = today
        self.scope = area_scope(user, Capability.IMPORTS) if user is not None else None
        # The office's own area bounds every import, whoever runs it: the import's office
        # (docs/OFFICE.md, "Many offices"), else the one the work acts for.
        office_area = (office if office is not None else current()).area
        self.office_area = self.lookup.areas_by_id.get(office_area.pk) if office_area else None
        self._areas: dict[tuple, tuple] = {}
        self._relations: dict[object, tuple[str, str]] = {}
        self._dates: dict[str, tuple] = {}
        self._rt_rws: dict[str, str] = {}
        self._last_key: tuple | None = None
        self._last = Row(number=0)

    # One row ------------------------------------------------------------------------------

    def read(self, number: int, raw: dict) -> Row:
        row = Row(number=number)
        # The rows of one KK repeat its household's cells: read once per run of equal cells.
        key = tuple(map(raw.get, HOUSEHOLD_KEYS))
        if key != self._last_key:
            self._last = Row(number=number)
            self._household(self._last, raw)
            self._last_key = key
        last = self._last
        row.kk, row.dtsen_id, row.address = last.kk, last.dtsen_id, last.address
        row.rt_rw, row.area_id, row.decile = last.rt_rw, last.area_id, last.decile
        if last.problems:
            row.problems.extend(list(p) for p in last.problems)
        row.name = text_from_cell(raw.get("name"))
        if not row.name:
            row.add(REJECTED, "name", "", _("Name is empty; write the member's name as on the KK."))
        elif not any(ch.isalpha() for ch in row.name):
            # A number where a name belongs: often a formula's cached value (=HYPERLINK(…) read
            # as 0) or a shifted column.
            row.add(
                REJECTED,
                "name",
                row.name[:40],
                _("Name %(value)s has no letters; write the member's name as on the KK.")
                % {"value": row.name[:40]},
            )
        elif len(row.name) > 150:
            row.add(
                REJECTED, "name", row.name, _("Name is longer than 150 characters; shorten it.")
            )
        self._relation(row, raw.get("relation"))
        self._birth_and_sex(row, raw)
        self._nik(row, raw.get("nik"))
        return row

    def _household(self, row: Row, raw: dict) -> None:
        self._kk(row, raw.get("kk_number"))
        row.dtsen_id = self._dtsen_id(raw.get("dtsen_id"))
        row.address = text_from_cell(raw.get("address"))
        if len(row.address) > 250:
            row.add(REJECTED, "address", row.address, _("Address is longer than 250 characters."))
        self._rt_rw(row, raw.get("rt_rw"))
        self._area(row, raw)
        self._decile(row, raw.get("decile"))

    def _kk(self, row: Row, cell) -> None:
        try:
            text = nik_from_cell(cell)
        except CellProblem as exc:
            row.add(REJECTED, "kk_number", cell, exc.message.replace("NIK", "KK"))
            return
        if not text:
            row.add(REJECTED, "kk_number", "", _("KK number is empty; every row needs its KK."))
            return
        try:
            row.kk = validate_kk(text)
        except ValidationError as exc:
            row.add(REJECTED, "kk_number", text, exc.messages[0])

    @staticmethod
    def _dtsen_id(cell) -> str:
        if isinstance(cell, float) and cell.is_integer():
            cell = int(cell)
        return text_from_cell(cell)[:40]

    def _relation(self, row: Row, cell) -> None:
        try:
            found = self._relations.get(cell)
        except TypeError:  # a cell of a type that is not hashable
            found = None
        if found is None:
            found = _relation_of(cell)
            if len(self._relations) < 1000:
                self._relations[cell] = found
        if found[0]:
            row.relation = found[0]
        else:
            row.add(REJECTED, "relation", cell, found[1])

    def _birth_and_sex(self, row: Row, raw: dict) -> None:
        cell = raw.get("birth_date")
        if cell.__class__ is str:
            # Dates typed as text repeat across a large extract: each is read once per run.
            found = self._dates.get(cell)
            if found is None:
                try:
                    found = (date_from_cell(cell, today=self.today), None)
                except CellProblem as exc:
                    found = (None, exc.message)
                self._dates[cell] = found
            row.birth_date = found[0]
            if found[1]:
                row.add(REJECTED, "birth_date", cell, found[1])
        else:
            try:
                row.birth_date = date_from_cell(cell, today=self.today)
            except CellProblem as exc:
                row.add(REJECTED, "birth_date", cell, exc.message)
        if row.birth_date and row.birth_date > self.today:
            row.add(
                REJECTED,
                "birth_date",
                row.birth_date.isoformat(),
                _("The date of birth is in the future; check the year."),
            )
            row.birth_date = None
        try:
            row.sex = sex_from_cell(raw.get("sex")) or ""
        except CellProblem as exc:
            row.add(REJECTED, "sex", raw.get("sex"), exc.message)

    def _nik(self, row: Row, cell) -> None:
        try:
            text = nik_from_cell(cell)
        except CellProblem as exc:
            row.add(REJECTED, "nik", cell, exc.message)
            return
        if text:
            try:
                row.nik = validate_nik(text, birth_date=row.birth_date, sex=row.sex or None)
            except ValidationError as exc:
                row.add(REJECTED, "nik", mask_nik(text), exc.messages[0])
                return
            if not row.sex:
                row.sex = nik_sex(row.nik)
        if not row.sex and not any(p[1] == "sex" for p in row.problems):
            row.add(
                REJECTED,
                "sex",
                "",
                _("Sex is empty and there is no NIK to read it from; write L or P."),
            )

    def _rt_rw(self, row: Row, cell) -> None:
        text = text_from_cell(cell)
        if not text:
            return
        known = self._rt_rws.get(text)
        if known is not None:
            row.rt_rw = known
            return
        match = _RT_RW_RE.match(text) or _RT_RW_DIGITS_RE.match(text)
        if match is None:
            row.add(
                REJECTED,
                "rt_rw",
                text,
                _("RT/RW '%(value)s' cannot be read; write it as 001/002 (RT, then RW).")
                % {"value": text},
            )
            return
        row.rt_rw = f"{int(match.group(1)):03d}/{int(match.group(2)):03d}"
        if len(self._rt_rws) < 10000:
            self._rt_rws[text] = row.rt_rw

    def _decile(self, row: Row, cell) -> None:
        text = text_from_cell(cell)
        if not text:
            return
        digits = _DIGITS_RE.findall(text)
        value = int(digits[0]) if len(digits) == 1 else None
        if value is None or not 1 <= value <= 10:
            row.add(
                REJECTED,
                "decile",
                text,
                _("Decile '%(value)s' is not a whole number from 1 to 10; write the DTSEN decile.")
                % {"value": text},
            )
            return
        row.decile = value

    # Areas --------------------------------------------------------------------------------

    def _area(self, row: Row, raw: dict) -> None:
        memo = (
            text_from_cell(raw.get("area_code")),
            text_from_cell(raw.get("kelurahan")),
            text_from_cell(raw.get("kecamatan")),
        )
        found = self._areas.get(memo)
        if found is None:
            scratch = Row(number=0)
            scratch.area_id = self._work_out_area(scratch, *memo)
            found = (scratch.area_id, scratch.problems)
            self._areas[memo] = found
        row.area_id = found[0]
        if found[1]:
            row.problems.extend(list(p) for p in found[1])

    def _work_out_area(self, row: Row, code: str, kelurahan: str, kecamatan: str) -> int | None:
        lookup = self.lookup
        area = None
        try:
            if code:
                area, warning = lookup.area(code, Area.Level.KELURAHAN)
                key, value = "area_code", code
            elif kelurahan:
                within = None
                if kecamatan:
                    within, warning = lookup.area(kecamatan, Area.Level.KECAMATAN)
                    if warning:
                        row.add(WARNING, "kecamatan", kecamatan, warning)
                area, warning = lookup.area(kelurahan, Area.Level.KELURAHAN, within)
                key, value = "kelurahan", kelurahan
            else:
                row.add(
                    REJECTED,
                    "kelurahan",
                    "",
                    _("The kelurahan is empty; write the Kode Wilayah or the kelurahan's name."),
                )
                return None
        except CellProblem as exc:
            row.add(REJECTED, "area_code" if code else "kelurahan", code or kelurahan, exc.message)
            return None
        if warning:
            row.add(WARNING, key, value, warning)
        outside = self.office_area is not None and not area.is_within(self.office_area)
        if outside or (self.scope is not None and not any(area.is_within(a) for a in self.scope)):
            row.add(
                REJECTED,
                key,
                value,
                _(
                    "%(area)s is outside your area; import only the kelurahan you work for, or "
                    "ask the office to import this file."
                )
                % {"area": area.label},
            )
            return None
        return area.pk
