"""Running the engine over a sheet: reading it (`read_sheet`, in a second process for a large
file) and deciding its rows chunk by chunk (`decide_chunks`, with its `Summary`).

Each row is read into registry values (`cells.py`, no database), then decided (`Checker.decide`
in `checker.py`): a new person, a change to a registered one, a new duty, the end of a duty,
nothing, or a rejection with its reasons. What a row records is in `records.py`, how its areas
are worked out in `areas.py`.

The same pass runs for the preview and for the commit, so the commit writes exactly what the
preview showed — and refuses when the registry changed in between (the service compares them).

Reading a sheet (python-calamine, then every cell made into a registry value) and deciding each
row against the registry take about as long as each other, and only deciding must run in order.
For a large file a forked child process opens it, reads and normalises the rows while this
process decides the ones already read; rows travel between them in chunks, with areas and kinds
as ids. The child never touches the database (it inherits the reference tables already read).
A small file is read in this process: a fork costs more than it saves there.
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _

from pilar.imports.engine.cells import column_plan, read_chunks
from pilar.imports.engine.checker import Checker
from pilar.imports.engine.columns import VALUE_KEYS
from pilar.imports.engine.layout import Layout, default_sheet, sheet_layout
from pilar.imports.engine.lookup import Lookup
from pilar.imports.engine.records import DATE_KEYS, NOTE, REJECTED, WARNING, RowResult, StartRule
from pilar.lib.procs import die_with_parent
from pilar.lib.spreadsheet import FileProblem, Spreadsheet

# Reading a sheet ----------------------------------------------------------------------------


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
        columns = column_plan(int_mapping(layout.mapping))
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
    sheet = sheet or default_sheet(book)
    if header_row is not None and mapping is not None:
        return Layout(sheet=sheet, header_row=header_row, headers=[], samples=[], mapping=mapping)
    layout = sheet_layout(book, sheet)
    if mapping is not None:
        layout.mapping = mapping
    return layout


# The reading process -----------------------------------------------------------------------

# Chunks travel column by column (in VALUE_KEYS order), so that the pipe carries lists of
# plain strings and numbers (unpickling 100,000 row dicts with dates in them cost the deciding
# process as much as reading them did).
PACKED_DATE_KEYS = frozenset(DATE_KEYS)
AREA_KEYS = frozenset({"area", "residence"})


def _pack(rows: list[RowResult]) -> tuple:
    """A chunk as columns: dates as day numbers, areas and kinds as ids."""
    columns = []
    for key in VALUE_KEYS:
        column = [row.values.get(key) for row in rows]
        if key in PACKED_DATE_KEYS:
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
        if key in PACKED_DATE_KEYS:
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
            columns = column_plan(int_mapping(layout.mapping))
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
            codes = {p.code for p in row.problems}
            if any(p.severity == WARNING and p.code != "start_rule" for p in row.problems):
                self.warnings += 1
            if any(p.severity == NOTE for p in row.problems):
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
