"""Households written out as a DTSEN-style extract: the columns of `columns.EXTRACT_COLUMNS` in
order, one row per current member, the household's cells repeated on each of its members' rows.

What goes out comes back in: importing the file gives "all unchanged". With `messy` (a seeded
`random.Random`) the file has the untidiness real extracts have and the import undoes — NIKs as
numbers or behind Excel's apostrophe, spaces around cells, kelurahan names in upper or lower
case, relations as Dukcapil codes or words, sex as L/P or words, dates in mixed formats, a title
row above the header, now and then another name for a column (`columns.VARIANTS`) — but never a
change of meaning.
"""

from __future__ import annotations

import datetime
import random
import tempfile
from collections.abc import Iterable, Iterator

import xlsxwriter
from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When
from django.http import FileResponse
from django.utils import timezone

from pilar.casework.models import HouseholdMember
from pilar.dtsen.columns import EXTRACT_COLUMNS, RELATION_CODES, RELATION_HEADER_WORD, VARIANTS
from pilar.lib.exports import XLSX_TYPE

SHEET = "DTSEN"
TEXT_KEYS = {"dtsen_id", "kk_number", "nik", "rt_rw", "area_code"}
CHUNK = 2000

# The first Dukcapil code of each relation (spouse is 2 or 3: husband or wife; "other" 10 or 11).
_CODE_OF: dict[str, str] = {}
for _code, _relation in RELATION_CODES.items():
    _CODE_OF.setdefault(_relation, _code)

_SEX_WORD = {"L": "LAKI-LAKI", "P": "PEREMPUAN"}
_MONTHS_ID = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]
# Above this a float cannot hold every integer; a NIK ending in 0 is read back as one whose last
# digit Excel may have lost (pilar.imports.engine.normalize.nik_from_cell): neither goes out as
# a number.
_FLOAT_EXACT = 2**53


def _members_first_head():
    return (
        HouseholdMember.objects.filter(left_on__isnull=True)
        .annotate(
            _head_first=Case(
                When(relation="head", then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("_head_first", "pk")
    )


def _with_members(households: Iterable) -> Iterator:
    """The households with their current members and area (and its parent) fetched in bulk,
    a chunk at a time for a queryset."""
    if isinstance(households, QuerySet):
        query = households.select_related("area__parent").prefetch_related(
            Prefetch("members", queryset=_members_first_head(), to_attr="current_members")
        )
        yield from query.iterator(chunk_size=CHUNK)
        return
    for household in households:
        if not hasattr(household, "current_members"):
            household.current_members = list(_members_first_head().filter(household=household))
        yield household


def _household_cells(household) -> dict:
    area = household.area
    parent = area.parent
    return {
        "dtsen_id": household.dtsen_id,
        "kk_number": household.kk_number,
        "address": household.address,
        "rt_rw": household.rt_rw,
        "area_code": area.code,
        "kelurahan": area.name,
        "kecamatan": parent.name if parent is not None else "",
        "decile": household.decile,
    }


def _member_cells(member) -> dict:
    return {
        "nik": member.nik,
        "name": member.name,
        "relation": RELATION_HEADER_WORD.get(member.relation, member.relation),
        "sex": member.sex,
        "birth_date": member.birth_date,
    }


class _Mess:
    """The untidiness of one messy file, decided cell by cell from a seeded Random."""

    def __init__(self, rnd: random.Random):
        self.rnd = rnd

    def header(self, column) -> str:
        variants = VARIANTS.get(column.key) or []
        if variants and self.rnd.random() < 0.35:
            return self.rnd.choice(variants)
        return column.header

    def nik(self, nik: str):
        roll = self.rnd.random()
        if nik and roll < 0.25 and nik[-1] != "0" and int(nik) <= _FLOAT_EXACT:
            return float(int(nik))
        if nik and roll < 0.5:
            return "'" + nik
        if nik and roll < 0.6:
            return f" {nik} "
        return nik

    def spaced(self, text: str) -> str:
        if text and self.rnd.random() < 0.2:
            return self.rnd.choice([" ", "  "]) + text + self.rnd.choice(["", " ", "  "])
        return text

    def area_name(self, name: str) -> str:
        roll = self.rnd.random()
        if roll < 0.3:
            name = name.upper()
        elif roll < 0.45:
            name = name.lower()
        return self.spaced(name)

    def relation(self, relation: str):
        roll = self.rnd.random()
        if roll < 0.4 and relation in _CODE_OF:
            return _CODE_OF[relation]
        word = RELATION_HEADER_WORD.get(relation, relation)
        if roll < 0.6:
            return word.upper()
        if roll < 0.7:
            return word.lower()
        return word

    def sex(self, sex: str) -> str:
        roll = self.rnd.random()
        if roll < 0.4:
            return _SEX_WORD.get(sex, sex)
        if roll < 0.5:
            return _SEX_WORD.get(sex, sex).capitalize()
        return sex

    def date(self, day: datetime.date | None):
        if day is None:
            return None
        roll = self.rnd.random()
        if roll < 0.3:
            return day
        if roll < 0.5:
            return f"{day.day:02d}/{day.month:02d}/{day.year}"
        if roll < 0.65:
            return day.isoformat()
        if roll < 0.8:
            return f"{day.day} {_MONTHS_ID[day.month - 1]} {day.year}"
        return f"{day.day:02d}-{day.month:02d}-{day.year}"

    def decile(self, decile):
        if decile is not None and self.rnd.random() < 0.3:
            return str(decile)
        return decile


def _messy_row(cells: dict, mess: _Mess) -> dict:
    cells = dict(cells)
    cells["nik"] = mess.nik(cells["nik"])
    cells["name"] = mess.spaced(cells["name"])
    cells["address"] = mess.spaced(cells["address"])
    cells["kelurahan"] = mess.area_name(cells["kelurahan"])
    cells["kecamatan"] = mess.area_name(cells["kecamatan"])
    cells["decile"] = mess.decile(cells["decile"])
    cells["birth_date"] = mess.date(cells["birth_date"])
    return cells


def write_extract(households, out, *, messy: random.Random | None = None) -> None:
    """Write `households` (casework.Household, a queryset or a list) to `out` (a path or a
    binary file) as an XLSX extract, one row per current member (`left_on` empty); a household
    without current members writes no row. NIK, KK, RT/RW and codes are text cells, dates
    dd-mm-yyyy dates. With `messy`, see the module's description."""
    mess = _Mess(messy) if messy is not None else None
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet(SHEET)
    bold = book.add_format({"bold": True, "bg_color": "#E8EEF4", "border": 1})
    text = book.add_format({"num_format": "@"})
    date = book.add_format({"num_format": "dd-mm-yyyy"})
    for col, column in enumerate(EXTRACT_COLUMNS):
        width = 14 if column.key in {"nik", "kk_number", "dtsen_id", "area_code"} else 12
        sheet.set_column(col, col, max(width, len(column.header) + 2))
    row = 0
    if mess is not None:
        # A title above the header, as offices' copies have.
        sheet.write_string(0, 0, "DATA TERPADU SOSIAL EKONOMI NASIONAL (DTSEN)", bold)
        row = 2
    for col, column in enumerate(EXTRACT_COLUMNS):
        header = mess.header(column) if mess is not None else column.header
        sheet.write_string(row, col, header, bold)
    if mess is None:
        sheet.freeze_panes(1, 0)
    for household in _with_members(households):
        base = _household_cells(household)
        for member in household.current_members:
            cells = {**base, **_member_cells(member)}
            if mess is not None:
                cells = _messy_row(cells, mess)
                cells["relation"] = mess.relation(member.relation)
                cells["sex"] = mess.sex(member.sex)
            row += 1
            _write_row(sheet, row, cells, text, date)
    book.close()


def _write_row(sheet, row: int, cells: dict, text, date) -> None:
    for col, column in enumerate(EXTRACT_COLUMNS):
        value = cells.get(column.key)
        if value is None or value == "":
            continue
        if isinstance(value, datetime.date):
            sheet.write_datetime(row, col, datetime.datetime.combine(value, datetime.time()), date)
        elif isinstance(value, int | float):
            sheet.write_number(row, col, value)
        elif column.key in TEXT_KEYS:
            sheet.write_string(row, col, str(value), text)
        else:
            sheet.write_string(row, col, str(value))


def households_extract_response(queryset) -> FileResponse:
    """The households of `queryset` as an extract download (the file is built in a temporary
    file, so memory stays flat whatever the number of households)."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it
    try:
        write_extract(queryset, out)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    name = f"ekstrak-dtsen-{timezone.localdate():%Y-%m-%d}.xlsx"
    return FileResponse(out, as_attachment=True, filename=name, content_type=XLSX_TYPE)
