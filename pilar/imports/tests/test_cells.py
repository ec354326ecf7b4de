"""The two cell readers of the import engine agree: a chunk read column by column
(`_read_by_column`, the fast path) gives the same records and problems as the same rows read one
by one (`read_row`, which a chunk with formula cells takes), for random rows of every kind of
cell a spreadsheet hands over."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pilar.imports.engine.cells import (
    CONVERTERS,
    _read_by_column,
    _read_rows_one_by_one,
    column_plan,
)
from pilar.imports.engine.columns import COLUMNS
from pilar.imports.engine.lookup import Lookup
from pilar.lib.nik import make_nik

TODAY = datetime.date(2024, 6, 1)
HEADER_ROW = 1
KEYS = [c.key for c in COLUMNS]
FORMULA_MESSAGES = ("holds a formula that was never calculated", "holds a formula; its calculated")

NIKS = [
    make_nik(area6="137501", birth_date=datetime.date(1980, 8, 12), sex="P", serial=1),
    make_nik(area6="137502", birth_date=datetime.date(1975, 1, 31), sex="L", serial=22),
    "1375015208800001",  # the date digits do not match a woman born on 12 August 1980
    "'1375011208800003",
    "1375 0112 0880 0003",
    "13750112088000",  # too short
]
WORDS = [
    "Siti Aminah",
    "  Budi   Santoso ",
    "Bukittinggi",
    "Bukittinggi, 12-08-1980",
    "Padang , 31-02-1980",
    "Agam 12 Agustus 1980",
    "L",
    "perempuan",
    "Laki-laki",
    "X",
    "SMA",
    "S1",
    "tidak sekolah",
    "SD sederajat",
    "PSM",
    "TKSK",
    "Karang Taruna",
    "Tagana",
    "pilar entah",
    "meninggal",
    "mengundurkan diri",
    "12-08-1980",
    "1980-08-12",
    "31-02-1980",
    "12/8/80",
    "44000",
    "Guguk Panjang",
    "Mandiangin Koto Selayan",
    "Aur Birugo Tigo Baleh",
    "Benteng Pasar Atas",
    "Pakan Kurai",
    "Tarok Dipo",
    "Tarok Dipa",
    "13.75.01",
    "13.75.01.1001",
    "Kota Bukittinggi",
    "0812-3456-7890",
    "+62 812 3456 7890",
    "0812345",
    "'0012345678",
    "0012 3456 78",
    "1234567890123456789012345678901234",
    "800/123/DINSOS/2020",
    "Bank Nagari",
    "=SUM(A1:A2)",
    "x" * 260,
    " ",
    "\t",
]

cells = st.one_of(
    st.none(),
    st.just(""),
    st.sampled_from(WORDS),
    st.sampled_from(NIKS),
    st.text(max_size=40),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([3.0, 800.1, 81234567890.0, 1375011208800003.0, 2.0**60, 44000.5]),
    st.booleans(),
    st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2100, 12, 31)),
    st.datetimes(min_value=datetime.datetime(1900, 1, 1), max_value=datetime.datetime(2100, 1, 1)),
    st.times(),
)


@st.composite
def sheets(draw):
    """A mapping of some columns to some positions, rows of random cells under it (some rows
    shorter than the mapping is wide), and which of those cells are formulas."""
    keys = draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=len(KEYS), unique=True))
    positions = draw(
        st.lists(st.integers(0, 30), min_size=len(keys), max_size=len(keys), unique=True)
    )
    mapping = dict(zip(positions, keys, strict=True))
    width = max(positions) + 1
    rows = draw(st.lists(st.lists(cells, min_size=0, max_size=width + 1), min_size=1, max_size=12))
    chunk = [(HEADER_ROW + 1 + i, row) for i, row in enumerate(rows)]
    formulas = draw(
        st.dictionaries(
            st.sampled_from([number for number, _row in chunk]),
            st.sets(st.sampled_from(positions), min_size=1),
        )
    )
    return mapping, chunk, formulas


def records(rows) -> list[tuple]:
    return [(r.number, r.values, [tuple(p) for p in r.problems]) for r in rows]


def without_formula_notes(rows) -> list[tuple]:
    """The records less the notes about formula cells (only the row-by-row reader sees which
    cells are formulas), and less the rows that held nothing else."""
    kept = []
    for number, values, problems in records(rows):
        problems = [p for p in problems if not any(m in p[3] for m in FORMULA_MESSAGES)]
        if values or problems:
            kept.append((number, values, problems))
    return kept


@pytest.fixture
def lookup(reference):
    return Lookup()


def fresh(lookup: Lookup) -> Lookup:
    """The lookup with nothing remembered, so that neither reader reuses the other's answers."""
    lookup.cells = {}
    lookup._cache = {}
    return lookup


def test_every_template_column_has_a_converter():
    assert set(CONVERTERS) == set(KEYS)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sheet=sheets())
def test_both_readers_give_the_same_records_and_problems(lookup, sheet):
    mapping, chunk, _formulas = sheet
    columns = column_plan(mapping)
    by_column, empty_by_column = _read_by_column(chunk, columns, fresh(lookup), TODAY)
    one_by_one, empty_one_by_one = _read_rows_one_by_one(chunk, columns, fresh(lookup), TODAY, {})
    assert records(by_column) == records(one_by_one)
    assert empty_by_column == empty_one_by_one
    assert len(by_column) + empty_by_column == len(chunk)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sheet=sheets())
# A row whose only cell is a kecamatan: a record without values in both readers.
@example(sheet=({0: "nik", 1: "kecamatan"}, [(2, [None, "13.75.01"])], {}))
def test_formula_cells_are_read_alike_but_for_their_notes(lookup, sheet):
    """A chunk with formulas is read row by row; its cells read as they would without them,
    each formula cell adding a warning (or an error when it was never calculated)."""
    mapping, chunk, formulas = sheet
    columns = column_plan(mapping)
    by_column, _empty = _read_by_column(chunk, columns, fresh(lookup), TODAY)
    one_by_one, _empty = _read_rows_one_by_one(chunk, columns, fresh(lookup), TODAY, formulas)
    # Both sides less the rows that hold nothing (a row whose only cell is its kecamatan is
    # such a record in both readers; test_both_readers_give_the_same_records_and_problems
    # compares them whole).
    assert without_formula_notes(by_column) == without_formula_notes(one_by_one)
    noted = {
        r.number
        for r in one_by_one
        if any(any(m in p.message for m in FORMULA_MESSAGES) for p in r.problems)
    }
    width = {number: len(row) for number, row in chunk}
    assert noted == {
        number for number, indexes in formulas.items() if any(i < width[number] for i in indexes)
    }
