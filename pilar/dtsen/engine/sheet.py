"""The first look at an extract's sheet — which row holds the headers and which column is which
(the ministry's names and their variants, `pilar/dtsen/columns.py`) — and its rows, read as
{column key: cell}. The layout follows the roster import's (`pilar.imports.engine.layout`): a
title above the headers is skipped, a few sample rows are kept for the mapping page.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext as _

from pilar.dtsen.columns import EXTRACT_COLUMNS, VARIANTS
from pilar.imports.engine import layout
from pilar.imports.engine.layout import Layout
from pilar.imports.engine.normalize import header_key
from pilar.lib.spreadsheet import FileProblem, Spreadsheet

REQUIRED = ["kk_number", "nik", "name", "relation"]
AREA_KEYS = ["area_code", "kelurahan"]

_SYNONYMS: dict[str, str] = {}
for _column in EXTRACT_COLUMNS:
    _SYNONYMS[header_key(_column.header)] = _column.key
    _SYNONYMS.setdefault(header_key(_column.key), _column.key)
for _key, _names in VARIANTS.items():
    for _name in _names:
        _SYNONYMS.setdefault(header_key(_name), _key)
# "No KK" folds to "no kk", "NOKK" to "nokk": both are listed; a header written without spaces
# is matched too.
for _text, _key in list(_SYNONYMS.items()):
    _SYNONYMS.setdefault(_text.replace(" ", ""), _key)


def guess_key(header: object) -> str | None:
    key = header_key(header)
    return _SYNONYMS.get(key) or _SYNONYMS.get(key.replace(" ", "")) if key else None


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """{column index: key} for the headers recognised, each key taken by its first column."""
    mapping: dict[str, str] = {}
    for index, header in enumerate(headers):
        key = guess_key(header)
        if key and key not in mapping.values():
            mapping[str(index)] = key
    return mapping


def missing_columns(keys) -> list[str]:
    """The required keys a mapping lacks (the kelurahan may come from its code or its name)."""
    keys = set(keys)
    missing = [k for k in REQUIRED if k not in keys]
    if not keys & set(AREA_KEYS):
        missing.append("kelurahan")
    return missing


def sheet_layout(book: Spreadsheet, sheet: str) -> Layout:
    """The extract's header row, samples and notes, found as a roster's are."""
    return layout.sheet_layout(
        book,
        sheet,
        guess=guess_key,
        mapping=guess_mapping,
        empty=_("The sheet %(name)s is empty. Choose the sheet that holds the extract."),
    )


def default_sheet(book: Spreadsheet) -> str:
    """The first visible sheet whose headers name a KK and a NIK column, else the first one."""
    visible = [s.name for s in book.sheets if s.visible] or [book.sheets[0].name]
    for name in visible[:20]:
        try:
            mapped = set(sheet_layout(book, name).mapping.values())
        except FileProblem:
            continue
        if {"kk_number", "nik"} <= mapped:
            return name
    return visible[0]


def read_rows(
    book: Spreadsheet, *, sheet: str, header_row: int, mapping: dict[str, str]
) -> Iterator[tuple[int, dict]]:
    """(row number, {key: cell}) for every row below the header that holds anything."""
    columns = [(int(index), key) for index, key in mapping.items() if key]
    for number, cells in book.rows(sheet):
        if number <= header_row:
            continue
        width = len(cells)
        raw = {key: cells[index] for index, key in columns if index < width}
        if any(v not in (None, "") for v in raw.values()):
            yield number, raw


def count_rows(book: Spreadsheet, sheet: str, header_row: int) -> int:
    return max(book.row_count(sheet) - header_row, 0)
