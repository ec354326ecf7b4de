"""Checking a large sheet on two cores: one process reads and normalises, the other decides.

Reading a sheet (python-calamine, then every cell made into a registry value) and deciding each
row against the registry take about as long as each other, and only deciding must run in order.
For a large file a forked child process opens it, reads and normalises the rows while this
process decides the ones already read; rows travel between them in chunks, with areas and kinds
as ids. The child never touches the database (it inherits the reference tables already read).
A small file is read in this process: a fork costs more than it saves there.
"""

from __future__ import annotations

import datetime
import multiprocessing
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _

from pilar.imports import engine
from pilar.imports.cells import column_plan, read_chunks
from pilar.imports.columns import VALUE_KEYS
from pilar.imports.lookup import Lookup
from pilar.imports.reader import FileProblem, Layout, Spreadsheet
from pilar.imports.rows import DATE_KEYS as ROW_DATE_KEYS
from pilar.imports.rows import RowResult
from pilar.lib.procs import die_with_parent


@dataclass
class SheetCheck:
    """Where a sheet's rows come from, and the layout they were read with."""

    layout: Layout
    chunks: Iterator[tuple[list[RowResult], int]]
    lookup: Lookup
    today: datetime.date


def read_sheet(
    path: Path, *, sheet: str | None, header_row: int | None, mapping: dict | None
) -> SheetCheck:
    """Open `path` and read its rows, in a child process when the file is large. Without a
    header row and mapping, the sheet's own layout is worked out (as on upload)."""
    lookup = Lookup()
    today = timezone.localdate()
    if path.stat().st_size >= settings.PILAR_IMPORT_PARALLEL_BYTES:
        return _in_child(path, sheet, header_row, mapping, lookup, today)
    book = Spreadsheet(path)
    try:
        layout, formulas = _open(book, sheet, header_row, mapping)
        columns = column_plan(engine.int_mapping(layout.mapping))
        chunks = read_chunks(
            book.rows(layout.sheet), layout.header_row, columns, lookup, today, formulas
        )
    except BaseException:
        book.close()
        raise
    return SheetCheck(layout=layout, chunks=_closing(chunks, book), lookup=lookup, today=today)


def _closing(chunks, book: Spreadsheet):
    try:
        yield from chunks
    finally:
        book.close()


def _open(book: Spreadsheet, sheet, header_row, mapping) -> tuple[Layout, dict]:
    """Load the sheet (scanning it for formulas meanwhile) and lay it out."""
    first = sheet or book.first_visible()
    formulas = book.load_with_formulas(first)
    layout = _layout(book, sheet, header_row, mapping)
    if layout.sheet != first:
        formulas = book.formula_cells(layout.sheet)
    return layout, formulas


def _layout(book: Spreadsheet, sheet, header_row, mapping) -> Layout:
    sheet = sheet or book.default_sheet()
    if header_row is not None and mapping is not None:
        return Layout(sheet=sheet, header_row=header_row, headers=[], samples=[], mapping=mapping)
    layout = book.layout(sheet)
    if mapping is not None:
        layout.mapping = mapping
    return layout


# The child process -----------------------------------------------------------------------

# Chunks travel column by column (in VALUE_KEYS order), so that the pipe carries lists of
# plain strings and numbers (unpickling 100,000 row dicts with dates in them cost the deciding
# process as much as reading them did).
DATE_KEYS = frozenset(ROW_DATE_KEYS)
AREA_KEYS = frozenset({"area", "residence"})


def _pack(rows: list[RowResult]) -> tuple:
    """A chunk as columns: dates as day numbers, areas and kinds as ids."""
    columns = []
    for key in VALUE_KEYS:
        column = [row.values.get(key) for row in rows]
        if key in DATE_KEYS:
            column = [v.toordinal() if v is not None else None for v in column]
        elif key in AREA_KEYS or key == "kind":
            column = [v.pk if v is not None else None for v in column]
        columns.append(column)
    problems = {i: row.problems for i, row in enumerate(rows) if row.problems}
    return [row.number for row in rows], columns, problems


def _unpack(packed: tuple, lookup: Lookup) -> list[RowResult]:
    numbers, columns, problems = packed
    for index, key in enumerate(VALUE_KEYS):
        column = columns[index]
        if key in DATE_KEYS:
            fromordinal = datetime.date.fromordinal
            columns[index] = [fromordinal(v) if v is not None else None for v in column]
        elif key in AREA_KEYS:
            areas = lookup.areas_by_id
            columns[index] = [areas[v] if v is not None else None for v in column]
        elif key == "kind":
            kinds = lookup.kinds
            columns[index] = [kinds[v] if v is not None else None for v in column]
    rows = []
    for i, (number, values) in enumerate(zip(numbers, zip(*columns, strict=True), strict=True)):
        row = RowResult(
            number=number,
            values={k: v for k, v in zip(VALUE_KEYS, values, strict=True) if v is not None},
        )
        if i in problems:
            row.problems = problems[i]
        rows.append(row)
    return rows


def _child(path, sheet, header_row, mapping, lookup, today, language, conn, parent) -> None:
    """Runs in the forked process: open, lay out, read, normalise, send; then exit. Killed
    with its parent: nobody would read what it sends."""
    die_with_parent(parent)
    try:
        with override(language), Spreadsheet(Path(path)) as book:
            layout, formulas = _open(book, sheet, header_row, mapping)
            conn.send(("layout", layout, 0))
            columns = column_plan(engine.int_mapping(layout.mapping))
            for rows, empty in read_chunks(
                book.rows(layout.sheet), layout.header_row, columns, lookup, today, formulas
            ):
                conn.send(("rows", _pack(rows), empty))
        conn.send(("done", None, 0))
    except FileProblem as exc:
        conn.send(("problem", exc.message, 0))
    except Exception as exc:  # noqa: BLE001 - sent to the parent, which fails the import
        conn.send(("error", repr(exc)[:300], 0))
    finally:
        conn.close()


def _in_child(path, sheet, header_row, mapping, lookup, today) -> SheetCheck:
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_child,
        args=(
            str(path),
            sheet,
            header_row,
            mapping,
            lookup,
            today,
            get_language(),
            sender,
            os.getpid(),
        ),
        daemon=True,
    )
    child.start()
    sender.close()

    def receive():
        try:
            kind, payload, empty = receiver.recv()
        except EOFError as exc:
            raise FileProblem(_("Reading the file stopped unexpectedly; upload it again.")) from exc
        if kind == "problem":
            raise FileProblem(payload)
        if kind == "error":
            raise RuntimeError(f"reading the sheet failed: {payload}")
        return kind, payload, empty

    def finish() -> None:
        receiver.close()
        child.join(timeout=5)
        if child.is_alive():
            child.kill()

    def chunks():
        try:
            while True:
                kind, payload, empty = receive()
                if kind == "done":
                    return
                yield _unpack(payload, lookup), empty
        finally:
            finish()

    try:
        _kind, layout, _empty = receive()
    except BaseException:
        finish()
        raise
    return SheetCheck(layout=layout, chunks=chunks(), lookup=lookup, today=today)
