"""Tests for pilar.imports.engine.normalize: reading spreadsheet cells (no database needed)."""

from __future__ import annotations

import datetime
import math

import pytest
from django.conf import settings
from django.utils import translation
from hypothesis import assume, given
from hypothesis import strategies as st

if not settings.configured:  # run with `-p no:django`: messages only need minimal settings
    settings.configure(USE_I18N=False)

from pilar.imports.engine.normalize import (  # noqa: E402
    CellProblem,
    date_from_cell,
    header_key,
    nik_from_cell,
    phone_from_cell,
    sex_from_cell,
)
from pilar.lib.spreadsheet import text_from_cell  # noqa: E402

D = datetime.date
TODAY = D(2024, 6, 1)
NIK = "1375014506800001"


def problem_of(func, value, **kwargs) -> CellProblem:
    """Call ``func(value)`` expecting a CellProblem; return it (messages in English)."""
    with translation.override("en"), pytest.raises(CellProblem) as info:
        func(value, **kwargs)
    exc = info.value
    assert type(exc.message) is str  # translated when raised, not lazy
    assert str(exc) == exc.message
    return exc


def excel_serial(day: datetime.date) -> int:
    """The Excel 1900-system serial of ``day`` (which skips Excel's fake 29-02-1900)."""
    if day >= D(1900, 3, 1):
        return (day - D(1899, 12, 30)).days
    return (day - D(1899, 12, 31)).days


# --- CellProblem -------------------------------------------------------------------------------


def test_cell_problem_carries_message_and_code():
    exc = CellProblem("Something is wrong.", "sex")
    assert isinstance(exc, ValueError)
    assert exc.message == "Something is wrong."
    assert exc.code == "sex"
    assert str(exc) == "Something is wrong."
    assert "sex" in repr(exc)


def test_a_problem_code_must_be_listed():
    # Every listed code is printed by `pilar import-roster` in a test (test_cli.py): an
    # unlisted one would reach rows untested.
    with pytest.raises(ValueError, match="PROBLEM_CODES"):
        CellProblem("Something is wrong.", "code_x")


# --- text --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("", ""),
        ("   ", ""),
        ("  Siti  Rahmah ", "Siti Rahmah"),
        ("Siti\u00a0Rahmah", "Siti Rahmah"),
        ("Jl. Sudirman\n\tNo. 5", "Jl. Sudirman No. 5"),
        ("\u00a0Guguak\u00a0\u00a0Panjang\u00a0", "Guguak Panjang"),
        (3, "3"),
        (-12, "-12"),
        (3.0, "3"),
        (81234567890.0, "81234567890"),
        (3.5, "3.5"),
        (0.1, "0.1"),
        (True, "TRUE"),
        (False, "FALSE"),
        (D(1980, 8, 12), "1980-08-12"),
        (datetime.datetime(1980, 8, 12), "1980-08-12"),
        (datetime.datetime(1980, 8, 12, 7, 30), "1980-08-12 07:30:00"),
        (datetime.time(7, 30), "07:30:00"),
    ],
)
def test_text_from_cell(value, expected):
    assert text_from_cell(value) == expected


@given(st.text())
def test_text_from_cell_is_trimmed_single_spaced(value):
    text = text_from_cell(value)
    assert text == text.strip()
    assert "  " not in text
    assert not any(ch.isspace() and ch != " " for ch in text)
    assert text_from_cell(text) == text


# --- NIK ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("", ""),
        ("  ", ""),
        (NIK, NIK),
        (f"  {NIK}\u00a0", NIK),
        (f"'{NIK}", NIK),
        (f"\u2019{NIK}", NIK),
        (f'"{NIK}"', NIK),
        (f"`{NIK}", NIK),
        (f"\u201c{NIK}\u201d", NIK),
        ("1375 0145 0680 0001", NIK),
        ("137501 450680 0001", NIK),
        ("13.75.01.450680.0001", NIK),
        ("1375-0145-0680-0001", NIK),
        ("1375\u20130145\u20130680\u20130001", NIK),  # en dashes
        ("1375\u00a00145\u00a00680\u00a00001", NIK),
        (f"{NIK}.0", NIK),
        (f"{NIK},0", NIK),
        (f"'{NIK}.0", NIK),
        ("1375 0145 0680 0001.0", NIK),
        (f"\u200b{NIK}\ufeff", NIK),  # invisible characters from copy-paste
        # A last group of one "0" after other separators is a group, not a float's ".0".
        ("1375 0145 0680 001.0", "1375014506800010"),
        ("1375.0145.0680.001.0", "1375014506800010"),
        # Not a NIK, but that is for validate_nik to say: only separators are removed.
        ("13750145068O0001", "13750145068O0001"),
        ("137501450680001", "137501450680001"),
        ("NIK: 1375014506800001", "NIK:1375014506800001"),
        (1375014506800001, NIK),  # an int cell is exact
        (137501450680000, "137501450680000"),
        (1375014506800001.0, NIK),  # 16 digits not ending in 0: stored in full
    ],
)
def test_nik_from_cell(value, expected):
    assert nik_from_cell(value) == expected


def test_nik_float_text_of_15_digits_stays_15_digits():
    # "137501450680001.0" is a number written as text (15 digits), not "…0010" with a stray
    # dot: reading it as 16 digits would invent a plausible NIK.
    assert nik_from_cell("137501450680001.0") == "137501450680001"


@pytest.mark.parametrize(
    "value",
    [
        "1.37501E+15",
        "1,37501E+15",
        "1.37501e+15",
        "1.375014506800001e15",
        "1.37501E15",
        " 1.37501E+15 ",
        "'1.37501E+15",
        "1 .37501E+15",
        "1E+15",
    ],
)
def test_nik_in_scientific_notation_is_refused(value):
    exc = problem_of(nik_from_cell, value)
    assert exc.code == "nik_scientific"
    assert "1" in exc.message and "E" in exc.message.upper()
    assert "Text" in exc.message


@pytest.mark.parametrize(
    "value",
    [
        1375014506800000.0,  # ends in 0: the 16th digit may have been lost
        1375014506800010.0,
        137501450680000.0,  # 15 digits
        13750145068000012.0,  # 17 digits
        1.5,
        1375014506800001.5,
        math.nan,
        math.inf,
        -1375014506800001.0,
    ],
)
def test_nik_stored_as_float_is_refused_when_digits_may_be_lost(value):
    exc = problem_of(nik_from_cell, value)
    assert exc.code == "nik_number"
    assert "15 digits" in exc.message
    assert "KTP" in exc.message


def test_nik_number_message_names_the_value():
    exc = problem_of(nik_from_cell, 1375014506800000.0)
    assert "1375014506800000" in exc.message
    assert "1375014506800000.0" not in exc.message


@pytest.mark.parametrize(
    "value",
    [
        True,
        False,
        D(1980, 8, 12),
        datetime.datetime(1980, 8, 12, 0, 0),
        datetime.time(12, 0),
        datetime.timedelta(days=3),
    ],
)
def test_nik_of_the_wrong_cell_type_is_refused(value):
    exc = problem_of(nik_from_cell, value)
    assert exc.code == "nik_type"
    assert text_from_cell(value) in exc.message


_DIGITS = "0123456789"
nik_strings = st.text(alphabet=_DIGITS, min_size=16, max_size=16)


@st.composite
def grouped(draw, nik: str) -> str:
    """``nik`` with spaces/dots/dashes between randomly chosen digit groups."""
    cuts = sorted(draw(st.sets(st.integers(min_value=1, max_value=15), max_size=6)))
    parts = [nik[a:b] for a, b in zip([0, *cuts], [*cuts, 16], strict=True)]
    seps = draw(
        st.lists(
            st.sampled_from([" ", ".", "-", "  ", "\u00a0", " - ", ". "]),
            min_size=len(parts) - 1,
            max_size=len(parts) - 1,
        )
    )
    written = parts[0]
    for sep, part in zip(seps, parts[1:], strict=True):
        written += sep + part
    return written


@given(st.data(), nik_strings)
def test_nik_written_any_usual_way_gives_back_the_digits(data, nik):
    written = data.draw(grouped(nik))
    # A single "." before a last digit 0 reads as a float's ".0" (see the 15-digit test above).
    assume(not (written.endswith(".0") and written[:-2].isdigit()))
    if data.draw(st.booleans()):
        written += data.draw(st.sampled_from([".0", ",0"]))
    if data.draw(st.booleans()):
        written = data.draw(st.sampled_from(["'", "\u2019", '"', "`"])) + written
    before = data.draw(st.sampled_from(["", " ", "\u00a0", "\t", "  "]))
    after = data.draw(st.sampled_from(["", " ", "\u00a0", "\n", " \t"]))
    assert nik_from_cell(before + written + after) == nik


@given(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["{:e}", "{:E}", "{:.5E}", "{:.15e}", "{:.0E}"]),
    st.booleans(),
)
def test_nik_any_float_in_scientific_notation_raises(number, pattern, comma):
    written = pattern.format(number)
    if comma:
        written = written.replace(".", ",")
    with pytest.raises(CellProblem) as info:
        nik_from_cell(written)
    assert info.value.code == "nik_scientific"


@given(st.integers(min_value=10**14, max_value=10**16 - 1).map(lambda n: n - n % 10))
def test_nik_float_ending_in_zero_raises(number):
    with pytest.raises(CellProblem) as info:
        nik_from_cell(float(number))
    assert info.value.code == "nik_number"


@given(st.integers(min_value=10**15, max_value=2**53).filter(lambda n: n % 10))
def test_nik_float_with_16_exact_digits_is_kept(number):
    assert nik_from_cell(float(number)) == str(number)


@given(st.integers(min_value=0, max_value=10**20))
def test_nik_int_is_exact(number):
    assert nik_from_cell(number) == str(number)


# --- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        (D(1980, 8, 12), D(1980, 8, 12)),
        (datetime.datetime(1980, 8, 12, 13, 45), D(1980, 8, 12)),
        # ISO, with or without a time
        ("1980-08-12", D(1980, 8, 12)),
        ("1980-8-2", D(1980, 8, 2)),
        ("1980-08-12 00:00:00", D(1980, 8, 12)),
        ("1980-08-12T00:00:00", D(1980, 8, 12)),
        ("1980-08-12 13:45", D(1980, 8, 12)),
        ("1980/08/12", D(1980, 8, 12)),
        # numeric: always day-month-year
        ("12-08-1980", D(1980, 8, 12)),
        ("12/08/1980", D(1980, 8, 12)),
        ("12.08.1980", D(1980, 8, 12)),
        ("12 08 1980", D(1980, 8, 12)),
        ("12/8/80", D(1980, 8, 12)),
        ("1/2/1980", D(1980, 2, 1)),  # 1 February, never 2 January
        ("08/12/1980", D(1980, 12, 8)),  # 8 December, never 12 August
        ("12 - 08 - 1980", D(1980, 8, 12)),
        (" 12-08-1980 ", D(1980, 8, 12)),
        ("12\u00a008\u00a01980", D(1980, 8, 12)),
        ("12-08-1980 00:00:00", D(1980, 8, 12)),
        # two-digit years: 20yy unless after this year (2024), then 19yy
        ("12-08-24", D(2024, 8, 12)),  # the year decides, not the day
        ("12-08-25", D(1925, 8, 12)),
        ("01-01-00", D(2000, 1, 1)),
        ("29-02-00", D(2000, 2, 29)),
        ("12-08-99", D(1999, 8, 12)),
        # month names, Indonesian and English, any case
        ("12 Agustus 1980", D(1980, 8, 12)),
        ("12 agustus 1980", D(1980, 8, 12)),
        ("12 AGUSTUS 1980", D(1980, 8, 12)),
        ("12 Agt 1980", D(1980, 8, 12)),
        ("12 Agt. 1980", D(1980, 8, 12)),
        ("12 Ags 1980", D(1980, 8, 12)),
        ("12 Agu 1980", D(1980, 8, 12)),
        ("12-Aug-80", D(1980, 8, 12)),
        ("12-aug-1980", D(1980, 8, 12)),
        ("12 August 1980", D(1980, 8, 12)),
        ("12Agustus1980", D(1980, 8, 12)),
        ("12th August 1980", D(1980, 8, 12)),
        ("August 12, 1980", D(1980, 8, 12)),
        ("Agustus 12, 1980", D(1980, 8, 12)),
        ("1 Januari 1990", D(1990, 1, 1)),
        ("1 Jan 1990", D(1990, 1, 1)),
        ("1 January 1990", D(1990, 1, 1)),
        ("3 Februari 1990", D(1990, 2, 3)),
        ("3 Pebruari 1990", D(1990, 2, 3)),
        ("3 Peb 1990", D(1990, 2, 3)),
        ("3 Feb 1990", D(1990, 2, 3)),
        ("4 Maret 1990", D(1990, 3, 4)),
        ("4 Mar 1990", D(1990, 3, 4)),
        ("5 April 1990", D(1990, 4, 5)),
        ("5 Apr 1990", D(1990, 4, 5)),
        ("6 Mei 1990", D(1990, 5, 6)),
        ("6 May 1990", D(1990, 5, 6)),
        ("7 Juni 1990", D(1990, 6, 7)),
        ("7 Jun 1990", D(1990, 6, 7)),
        ("8 Juli 1990", D(1990, 7, 8)),
        ("8 Jul 1990", D(1990, 7, 8)),
        ("9 September 1990", D(1990, 9, 9)),
        ("9 Sep 1990", D(1990, 9, 9)),
        ("9 Sept 1990", D(1990, 9, 9)),
        ("10 Oktober 1990", D(1990, 10, 10)),
        ("10 Okt 1990", D(1990, 10, 10)),
        ("10 Oct 1990", D(1990, 10, 10)),
        ("11 November 1990", D(1990, 11, 11)),
        ("11 Nov 1990", D(1990, 11, 11)),
        ("11 Nop 1990", D(1990, 11, 11)),
        ("11 Nopember 1990", D(1990, 11, 11)),
        ("12 Desember 1990", D(1990, 12, 12)),
        ("12 Des 1990", D(1990, 12, 12)),
        ("12 Dec 1990", D(1990, 12, 12)),
        # a leading weekday is ignored (not checked)
        ("Senin, 12 Agustus 1980", D(1980, 8, 12)),
        ("Jumat, 12 Agustus 1980", D(1980, 8, 12)),
        ("Jum'at 12-08-1980", D(1980, 8, 12)),
        ("Tuesday, 12 August 1980", D(1980, 8, 12)),
        ("Tuesday, August 12, 1980", D(1980, 8, 12)),
        # Excel serial numbers
        (29445, D(1980, 8, 12)),
        (29445.0, D(1980, 8, 12)),
        (29445.75, D(1980, 8, 12)),  # the fraction is a time of day
        ("29445", D(1980, 8, 12)),
        ("29445.0", D(1980, 8, 12)),
        (1, D(1900, 1, 1)),
        (59, D(1900, 2, 28)),
        (61, D(1900, 3, 1)),
        (2958465, D(9999, 12, 31)),
        ("10000", D(1927, 5, 18)),
        ("9999", D(1927, 5, 17)),
    ],
)
def test_date_from_cell(value, expected):
    assert date_from_cell(value, today=TODAY) == expected


@pytest.mark.parametrize(
    "value",
    ["31-02-1980", "30/02/1980", "29-02-1981", "12-13-1980", "00-08-1980", "32-01-1980",
     "1980-02-30", "1980-13-01", "31 Juni 1980", "29-02-00"],
)  # fmt: skip
def test_impossible_date_is_refused(value):
    exc = problem_of(date_from_cell, value, today=D(1999, 1, 1))  # "00" is 1900, not leap
    assert exc.code == "date_invalid"
    assert f"'{value}'" in exc.message


@pytest.mark.parametrize(
    "value",
    [
        "kemarin",
        "12 Agustusan 1980",
        "12 Foo 1980",
        "12-08",
        "12/08/198",
        "1980",  # a year alone, not serial 1980 (1905-06-02)
        "2001",
        "12081980",  # no separators: never guessed
        "19800812",
        "1980-08-12-01",
        "-",
        "?",
        "Senin",
        "12 Agustus",
        "Agustus 1980",
    ],
)
def test_unreadable_date_text_is_refused(value):
    exc = problem_of(date_from_cell, value, today=TODAY)
    assert exc.code == "date_format"
    assert f"'{value}'" in exc.message
    assert "12-08-1980" in exc.message


def test_date_format_message():
    exc = problem_of(date_from_cell, "kemarin", today=TODAY)
    assert exc.message == (
        "Date 'kemarin' cannot be read; write it as day-month-year, "
        "e.g. 12-08-1980 or 12 Agustus 1980."
    )


@pytest.mark.parametrize("value", [0, -1, 2958466, 0.5, -29445.0, 10**12, math.nan, math.inf])
def test_excel_serial_out_of_range_is_refused(value):
    exc = problem_of(date_from_cell, value, today=TODAY)
    assert exc.code == "date_format"
    assert text_from_cell(value) in exc.message


@pytest.mark.parametrize("value", [60, 60.0, 60.5, "60.0"])
def test_excel_fake_leap_day_is_refused(value):
    if isinstance(value, str):  # 2 digits as text is not read as a serial
        assert problem_of(date_from_cell, value, today=TODAY).code == "date_format"
        return
    exc = problem_of(date_from_cell, value, today=TODAY)
    assert exc.code == "date_invalid"
    assert "29-02-1900" in exc.message


@pytest.mark.parametrize("value", [True, False, datetime.time(8, 0), datetime.timedelta(1)])
def test_date_of_the_wrong_cell_type_is_refused(value):
    assert problem_of(date_from_cell, value, today=TODAY).code == "date_format"


def test_two_digit_year_follows_today_even_when_cached():
    assert date_from_cell("12/8/25", today=D(2024, 12, 31)) == D(1925, 8, 12)
    assert date_from_cell("12/8/25", today=D(2025, 1, 1)) == D(2025, 8, 12)
    assert date_from_cell("12/8/25", today=D(2024, 12, 31)) == D(1925, 8, 12)
    assert date_from_cell("29-02-00", today=TODAY) == D(2000, 2, 29)
    with pytest.raises(CellProblem):
        date_from_cell("29-02-00", today=D(1999, 1, 1))


_INDONESIAN_MONTHS = [
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
]  # fmt: skip
_ABBREVIATIONS = [
    ["jan"], ["feb", "peb"], ["mar"], ["apr"], ["mei", "may"], ["jun"],
    ["jul"], ["agu", "agt", "ags", "aug"], ["sep", "sept"], ["okt", "oct"],
    ["nov", "nop"], ["des", "dec"],
]  # fmt: skip


@st.composite
def written_dates(draw, day: datetime.date, today: datetime.date) -> object:
    """One way an office may have written ``day`` in a spreadsheet."""
    forms = [
        day.isoformat(),
        f"{day.day:02d}-{day.month:02d}-{day.year}",
        f"{day.day:02d}/{day.month:02d}/{day.year}",
        f"{day.day}/{day.month}/{day.year}",
        f"{day.day:02d}.{day.month:02d}.{day.year}",
        f"{day.day} {_INDONESIAN_MONTHS[day.month - 1]} {day.year}",
        f"{day.day} {_INDONESIAN_MONTHS[day.month - 1].lower()} {day.year}",
        f"{day.day} {draw(st.sampled_from(_ABBREVIATIONS[day.month - 1])).title()} {day.year}",
        excel_serial(day),
        float(excel_serial(day)),
        excel_serial(day) + draw(st.floats(min_value=0, max_value=0.99)),
        datetime.datetime.combine(day, datetime.time(0)),
        day,
    ]
    yy = day.year % 100
    if (2000 + yy if 2000 + yy <= today.year else 1900 + yy) == day.year:
        forms.append(f"{day.day}/{day.month}/{yy:02d}")
        forms.append(f"{day.day:02d}-{_ABBREVIATIONS[day.month - 1][-1].title()}-{yy:02d}")
    return draw(st.sampled_from(forms))


@given(
    st.data(),
    st.dates(min_value=D(1900, 1, 1), max_value=D(2100, 12, 31)),
    st.dates(min_value=D(1990, 1, 1), max_value=D(2060, 12, 31)),
)
def test_every_writing_of_a_date_reads_back(data, day, today):
    written = data.draw(written_dates(day, today))
    assert date_from_cell(written, today=today) == day


@given(st.dates(min_value=D(1900, 1, 1), max_value=D(9999, 12, 31)))
def test_excel_serials_match_excel(day):
    serial = excel_serial(day)
    assert date_from_cell(serial, today=TODAY) == day
    assert date_from_cell(float(serial), today=TODAY) == day


# --- sex ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("  ", None),
        ("L", "L"),
        ("l", "L"),
        (" L ", "L"),
        ("L.", "L"),
        ("LK", "L"),
        ("Lk", "L"),
        ("Laki-laki", "L"),
        ("Laki-Laki", "L"),
        ("LAKI-LAKI", "L"),
        ("laki laki", "L"),
        ("lakilaki", "L"),
        ("Laki2", "L"),
        ("Pria", "L"),
        ("M", "L"),
        ("Male", "L"),
        ("P", "P"),
        ("p", "P"),
        ("P.", "P"),
        ("PR", "P"),
        ("Pr", "P"),
        ("Perempuan", "P"),
        ("PEREMPUAN", "P"),
        (" perempuan\u00a0", "P"),
        ("Wanita", "P"),
        ("F", "P"),
        ("Female", "P"),
        ("female", "P"),
    ],
)
def test_sex_from_cell(value, expected):
    assert sex_from_cell(value) == expected


@pytest.mark.parametrize("value", ["X", "-", "?", "LP", "Laki-laki/Perempuan", "1", 1, 2, True])
def test_unknown_sex_is_refused(value):
    exc = problem_of(sex_from_cell, value)
    assert exc.code == "sex"
    assert f"'{text_from_cell(value)}'" in exc.message


def test_sex_message():
    exc = problem_of(sex_from_cell, "X")
    assert exc.message == "Sex 'X' cannot be read; write L (laki-laki) or P (perempuan)."


# --- phone -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("", ""),
        ("  ", ""),
        ("081234567890", "081234567890"),
        ("0812-3456-7890", "081234567890"),
        ("0812 3456 7890", "081234567890"),
        ("+62 812 3456 7890", "081234567890"),
        ("+62-812-3456-7890", "081234567890"),
        ("+62 (812) 3456-7890", "081234567890"),
        ("6281234567890", "081234567890"),
        ("81234567890", "081234567890"),
        ("'081234567890", "081234567890"),
        ("'+6281234567890", "081234567890"),
        ("81234567890.0", "081234567890"),
        ("6281234567890.0", "081234567890"),
        (81234567890, "081234567890"),
        (81234567890.0, "081234567890"),
        (6281234567890.0, "081234567890"),
        ("0812-3456-7890 / 0813-1111-2222", "081234567890"),
        ("0812-3456-7890, 0813-1111-2222", "081234567890"),
        ("0812-3456-7890; 0813-1111-2222", "081234567890"),
        (" / 0813-1111-2222", "081311112222"),
        ("0752 21234", "075221234"),  # a landline in Bukittinggi
    ],
)
def test_phone_from_cell(value, expected):
    assert phone_from_cell(value) == expected


@pytest.mark.parametrize(
    "value", ["12345", "bukan nomor", "0812", "081234567890123456", 8.5, True, math.nan]
)
def test_bad_phone_is_refused(value):
    exc = problem_of(phone_from_cell, value)
    assert exc.code == "phone"
    assert "0812xxxxxxxx" in exc.message
    assert text_from_cell(value) in exc.message


@st.composite
def separated(draw, text: str) -> str:
    """``text`` with spaces or dashes inserted at random places."""
    out = []
    for index, char in enumerate(text):
        if index and draw(st.integers(min_value=0, max_value=4)) == 0:
            out.append(draw(st.sampled_from([" ", "-", " - "])))
        out.append(char)
    return "".join(out)


@given(st.data(), st.text(alphabet=_DIGITS, min_size=8, max_size=11))
def test_every_writing_of_a_phone_number_gives_the_same_result(data, rest):
    subscriber = "8" + rest
    expected = "0" + subscriber
    form = data.draw(
        st.sampled_from(
            [
                "0" + subscriber,
                "+62" + subscriber,
                "+62 " + subscriber,
                "62" + subscriber,
                subscriber,
                "'0" + subscriber,
            ]
        )
    )
    assert phone_from_cell(form) == expected
    assert phone_from_cell(data.draw(separated(form))) == expected
    assert phone_from_cell(float(subscriber)) == expected
    assert phone_from_cell(float("62" + subscriber)) == expected
    assert phone_from_cell(int(subscriber)) == expected
    assert phone_from_cell(f"{int(subscriber)}.0") == expected


# --- headers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("No. KTP", "no ktp"),
        (" TGL_LAHIR ", "tgl lahir"),
        ("Desa/Kelurahan", "desa kelurahan"),
        ("Tempat, Tgl Lahir", "tempat tgl lahir"),
        ("NIK", "nik"),
        ("Jenis Kelamin (L/P)", "jenis kelamin l p"),
        ("No.\u00a0HP/WA", "no hp wa"),
        ("Nama\nLengkap", "nama lengkap"),
        ("  ", ""),
        ("", ""),
        (None, ""),
        (2024, "2024"),
        ("Alamat RT/RW 01", "alamat rt rw 01"),
    ],
)
def test_header_key(value, expected):
    assert header_key(value) == expected


@given(st.text())
def test_header_key_is_idempotent(value):
    key = header_key(value)
    assert header_key(key) == key
    assert key == key.strip()
    assert "  " not in key
