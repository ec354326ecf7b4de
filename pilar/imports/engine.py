"""Checking a roster row by row against the registry, and (on commit) writing what it found.

One pass over the sheet in chunks of rows (`decide_chunks`, with its `Summary`). Each row is read
into registry values (`read_chunks` and `read_row` in `cells.py`, no database), then decided
(`Checker.decide` in `checker.py`): a new person, a change to a registered one, a new duty, the
end of a duty, nothing, or a rejection with its reasons. What a row records is in `rows.py`, how
its areas are worked out in `areas.py`; `shown_problem` here puts a recorded problem into words.

The same pass runs for the preview and for the commit, so the commit writes exactly what the
preview showed — and refuses when the registry changed in between (the service compares them).
"""

from __future__ import annotations

import contextlib
import datetime
import gc
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pilar.imports.checker import Checker
from pilar.imports.columns import BY_KEY
from pilar.imports.lookup import Lookup
from pilar.imports.rows import NOTE, REJECTED, WARNING, RowResult, StartRule
from pilar.lib.nik import mask_nik, normalize_nik

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
