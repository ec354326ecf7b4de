"""Reading cells into registry values, with no database: one row's cells (`read_row`), or a
sheet a chunk of rows at a time, column by column (`read_chunks`). The file itself is opened
and its rows produced by `pilar/lib/spreadsheet.py`.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _

from pilar.imports.columns import BY_KEY, PERSON_KEYS
from pilar.imports.engine.areas import _read_areas
from pilar.imports.engine.lookup import Lookup
from pilar.imports.engine.normalize import (
    CellProblem,
    date_from_cell,
    nik_from_cell,
    phone_from_cell,
    sex_from_cell,
)
from pilar.imports.engine.records import (
    CHUNK,
    DATE_KEYS,
    ERROR,
    STORED_PERSON_FIELDS,
    TEXT_LIMITS,
    WARNING,
    RowResult,
)
from pilar.lib.spreadsheet import column_letter, text_from_cell

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


# Reading a chunk of rows -------------------------------------------------------------------


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


def _chunks(rows: Iterable[tuple[int, list]], header_row: int) -> Iterator[list]:
    """The rows below the header, CHUNK at a time."""
    rows = itertools.dropwhile(lambda item: item[0] <= header_row, rows)
    while chunk := list(itertools.islice(rows, CHUNK)):
        yield chunk
