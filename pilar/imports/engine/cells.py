"""Reading cells into registry values, with no database: one row's cells (`read_row`), or a
sheet a chunk of rows at a time, column by column (`read_chunks`). Both readers turn a cell into
a value through the same converter, chosen once per column from `CONVERTERS`, so they read
every cell alike (pilar/imports/tests/test_cells.py holds them to it). The file itself is opened
and its rows produced by `pilar/lib/spreadsheet.py`.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

from django.utils.translation import gettext as _

from pilar.imports.engine.areas import _read_areas
from pilar.imports.engine.columns import BY_KEY
from pilar.imports.engine.lookup import Lookup
from pilar.imports.engine.normalize import (
    CellProblem,
    date_from_cell,
    nik_from_cell,
    phone_from_cell,
    sex_from_cell,
)
from pilar.imports.engine.records import CHUNK, DATE_KEYS, ERROR, TEXT_LIMITS, WARNING, RowResult
from pilar.lib.spreadsheet import column_letter, text_from_cell

NUMBER_TYPES = (int, float)
DATE_KEY_SET = frozenset(DATE_KEYS)

# A converter reads the cells of a column holding a field (`key`, its length `limit`) into their
# rows: a value in `row.values` (for an area column, its text in `row.area_cells`), or a problem
# (`row.add`); an empty cell gives nothing.
Converter = Callable[[str, int, list, list[RowResult], Lookup, datetime.date], None]


class ColumnPlan(NamedTuple):
    """How one mapped column is read, worked out once per sheet (`column_plan`)."""

    index: int  # 0-based, in the sheet
    key: str  # the field it holds
    convert: Converter
    limit: int  # the field's length limit (0: none)


class Converted(NamedTuple):
    """A repeating cell's value, or the problem with it, remembered per run (`lookup.cells`)."""

    value: object
    message: str | None
    code: str


# The converters ------------------------------------------------------------------------------
# Each reads the cells of one column (`cells`, one per row of `rows`) into those rows. Both
# readers go through them: the column reader with a chunk's whole column at once (a tight loop
# per column, where a large import spends its time), read_row with one cell.


def _plain_text(key: str, limit: int, cells: list, rows: list, lookup: Lookup, today) -> None:
    for row, cell in zip(rows, cells, strict=True):
        if cell is None or cell == "":
            continue
        text = " ".join(cell.split()) if cell.__class__ is str else text_from_cell(cell)
        if not text:
            continue
        if len(text) <= limit:
            row.values[key] = text
        else:
            _too_long(key, text, row)


def _too_long(key: str, text: str, row: RowResult) -> None:
    limit = TEXT_LIMITS[key]
    row.add(
        ERROR,
        key,
        text,
        _("%(column)s is too long (%(count)s characters, at most %(limit)s).")
        % {"column": BY_KEY[key].header, "count": len(text), "limit": limit},
        "too_long",
    )


# How the value of a cell that repeats down its column is found (converted once per run).
_REPEATING_VALUE = {
    "sex": lambda cell, text, lookup, today: sex_from_cell(cell),
    "education": lambda cell, text, lookup, today: lookup.education(text),
    "end_reason": lambda cell, text, lookup, today: lookup.end_reason(text),
    "kind": lambda cell, text, lookup, today: lookup.kind(text),
    **dict.fromkeys(DATE_KEYS, lambda cell, text, lookup, today: date_from_cell(cell, today=today)),
}


def _repeating(key: str, limit: int, cells: list, rows: list, lookup: Lookup, today) -> None:
    """A column whose values repeat (sex, kind, education, dates typed as text): each distinct
    cell is converted once per run (`lookup.cells`)."""
    dates = key in DATE_KEY_SET
    value_of = _REPEATING_VALUE[key]
    memos = lookup.cells
    for row, cell in zip(rows, cells, strict=True):
        if cell is None or cell == "":
            continue
        if dates and cell.__class__ is datetime.date:
            row.values[key] = cell  # a date cell in a date column: nothing to read
            continue
        text = " ".join(cell.split()) if cell.__class__ is str else text_from_cell(cell)
        if not text:
            continue
        memo = (key, cell if cell.__class__ is not float else text)
        found = memos.get(memo)
        if found is None:
            try:
                found = Converted(value_of(cell, text, lookup, today), None, "")
            except CellProblem as exc:
                found = Converted(None, exc.message, exc.code)
            memos[memo] = found
        value, message, code = found
        if message is None:
            row.values[key] = value
        else:
            row.add(ERROR, key, text, message, code)


def _area(key: str, limit: int, cells: list, rows: list, lookup: Lookup, today) -> None:
    """An area column's text, read once the row's area columns are all known (`_finished`)."""
    for row, cell in zip(rows, cells, strict=True):
        if cell is None or cell == "":
            continue
        text = " ".join(cell.split()) if cell.__class__ is str else text_from_cell(cell)
        if text:
            if row.area_cells is None:
                row.area_cells = {}
            row.area_cells[key] = text


def _nik(key: str, limit: int, cells: list, rows: list, lookup: Lookup, today) -> None:
    _each_by(nik_from_cell, key, cells, rows)


def _phone(key: str, limit: int, cells: list, rows: list, lookup: Lookup, today) -> None:
    _each_by(phone_from_cell, key, cells, rows)


def _each_by(convert, key: str, cells: list, rows: list) -> None:
    for row, cell in zip(rows, cells, strict=True):
        if cell is None or cell == "":
            continue
        text = " ".join(cell.split()) if cell.__class__ is str else text_from_cell(cell)
        if not text:
            continue
        try:
            row.values[key] = convert(cell)
        except CellProblem as exc:
            row.add(ERROR, key, text, exc.message, exc.code)


def _digits(key: str, limit: int, cells: list, rows: list, lookup: Lookup, today) -> None:
    """Text made of digits (an account or SK number), which Excel turns into a number when the
    column is not formatted as Text: a number cell is read with a warning (`_number_cell`)."""
    for row, cell in zip(rows, cells, strict=True):
        if cell is None or cell == "":
            continue
        text = " ".join(cell.split()) if cell.__class__ is str else text_from_cell(cell)
        if not text:
            continue
        if len(text) > limit:
            _too_long(key, text, row)
            continue
        # Typed as '0012… so Excel keeps the leading zeros: the quote is not data.
        row.values[key] = "".join(text.split()).lstrip("'") if key == "bank_account" else text
        if cell.__class__ in NUMBER_TYPES:
            _number_cell(row, key, cell, text)


def _place_and_date(key: str, limit: int, cells: list, rows: list, lookup: Lookup, today) -> None:
    """'Bukittinggi, 12-08-1980' in one column: the place and the date of birth."""
    for row, cell in zip(rows, cells, strict=True):
        if cell is None or cell == "":
            continue
        text = " ".join(cell.split()) if cell.__class__ is str else text_from_cell(cell)
        if text:
            _split_place_and_date(row, text, today)


def _split_place_and_date(row: RowResult, text: str, today) -> None:
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
        row.values["birth_date"] = date_from_cell(when.strip(), today=today)
        place = " ".join(place.split())
        if len(place) > TEXT_LIMITS["birth_place"]:
            raise CellProblem(
                _("%(column)s is too long (%(count)s characters, at most %(limit)s).")
                % {
                    "column": BY_KEY["birth_place"].header,
                    "count": len(place),
                    "limit": TEXT_LIMITS["birth_place"],
                },
                "too_long",
            )
        row.values["birth_place"] = place
    except CellProblem as exc:
        row.add(ERROR, "birth_date", text, exc.message, exc.code)


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


# The converter of each field: the one table both readers read cells through.
CONVERTERS: dict[str, Converter] = {
    "nik": _nik,
    "name": _plain_text,
    "sex": _repeating,
    "birth_place": _plain_text,
    "birth_date": _repeating,
    "birth_place_date": _place_and_date,
    "address": _plain_text,
    "residence": _area,
    "phone": _phone,
    "education": _repeating,
    "bank_name": _plain_text,
    "bank_account": _digits,
    "bank_holder": _plain_text,
    "kind": _repeating,
    "kecamatan": _area,
    "kelurahan": _area,
    "sk_number": _digits,
    "sk_date": _repeating,
    "sk_signer": _plain_text,
    "start_date": _repeating,
    "end_date": _repeating,
    "end_reason": _repeating,
}


def column_plan(mapping: dict[int, str]) -> list[ColumnPlan]:
    """How each mapped column is read, worked out once per sheet."""
    return [
        ColumnPlan(index, key, CONVERTERS[key], TEXT_LIMITS.get(key, 0))
        for index, key in sorted(mapping.items())
    ]


# Reading one row -----------------------------------------------------------------------------


def read_row(
    number: int,
    cells: list,
    columns: list[ColumnPlan],
    lookup: Lookup,
    today: datetime.date,
    formulas: set[int] | None = None,
) -> RowResult | None:
    """Turn one row's cells into registry values; None for a row with nothing in it. A cell
    that holds a formula (`formulas`: its column indexes) is read with a warning, or refused
    when it was never calculated."""
    row = RowResult(number=number)
    width = len(cells)
    for column in columns:
        if column.index >= width:
            continue
        cell = cells[column.index]
        if formulas and column.index in formulas:
            text = text_from_cell(cell)
            if not _formula_cell(row, column.key, column.index, number, text):
                continue
        column.convert(column.key, column.limit, [cell], [row], lookup, today)
    return _finished(row, lookup)


def _finished(row: RowResult, lookup: Lookup) -> RowResult | None:
    """The row with its areas worked out; None when it holds nothing."""
    if not row.values and row.area_cells is None and not row.problems:
        return None
    if row.area_cells is not None or "kind" in row.values:
        # A duty without any area cell still needs its area worked out (or refused): a
        # city-wide kind takes the only city; a kelurahan's or kecamatan's kind says what is
        # missing.
        _read_areas(row, row.area_cells or {}, lookup)
        row.area_cells = None
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


# Reading a chunk of rows --------------------------------------------------------------------


def read_chunks(
    rows: Iterable[tuple[int, list]],
    header_row: int,
    columns: list[ColumnPlan],
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
    """read_row for a whole chunk at once, column by column: the same converters, with one
    tight loop per column instead of a dispatch per cell (this is where a large import spends
    its time). A row's problems come out in the same order, as each row is still read from its
    first column to its last."""
    rows = [RowResult(number=number) for number, _cells in chunk]
    cell_rows = [cells for _number, cells in chunk]
    for column in columns:
        index = column.index
        column_cells = [cells[index] if index < len(cells) else None for cells in cell_rows]
        column.convert(column.key, column.limit, column_cells, rows, lookup, today)
    results = []
    for row in rows:
        if _finished(row, lookup) is not None:
            results.append(row)
    return results, len(rows) - len(results)


def _chunks(rows: Iterable[tuple[int, list]], header_row: int) -> Iterator[list]:
    """The rows below the header, CHUNK at a time."""
    rows = itertools.dropwhile(lambda item: item[0] <= header_row, rows)
    while chunk := list(itertools.islice(rows, CHUNK)):
        yield chunk
