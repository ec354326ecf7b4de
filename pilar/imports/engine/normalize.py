"""Turn spreadsheet cells into the values the registry stores.

Cells come from python-calamine (``str``, ``int``, ``float``, ``bool``, ``datetime.date``,
``datetime.datetime``, ``datetime.time``, ``datetime.timedelta``, ``""``/None when empty) or from
the csv module (always ``str``). Offices have typed their rosters in Excel for years, so every
parser here accepts the ways people actually write a value and reports, in one translated
sentence, what is wrong with a cell it cannot read and what to do about it.

Nothing is ever guessed: a NIK that Excel stored as a number may have lost its last digit, so
it is refused rather than padded; numeric dates are always read day-month-year.

These functions run for every cell of large files, so regexes are precompiled, the common
cases are answered by type checks and dict lookups before any regex, and the pure string
parsers are memoised.
"""

from __future__ import annotations

import datetime
import math
import re
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from pilar.lib.nik import NIK_LENGTH, normalize_nik
from pilar.lib.phone import normalize_phone
from pilar.lib.spreadsheet import text_from_cell

__all__ = [
    "PROBLEM_CODES",
    "CellProblem",
    "date_from_cell",
    "header_key",
    "nik_from_cell",
    "phone_from_cell",
    "sex_from_cell",
]

_MAX_SHOWN = 60  # characters of a cell value quoted in a message


# Every kind of problem a checked row can carry, by its code (the fifth item of a stored
# problem). The rejected-rows report and the command line read them; each one has a test going
# through `pilar import-roster` (pilar/imports/tests/test_cli.py), so a new code must be listed
# here, and then tested, before any row can carry it.
PROBLEM_CODES: dict[str, str] = {
    "nik_number": "a NIK stored as a number (digits may be lost)",
    "nik_scientific": "a NIK written in scientific notation",
    "nik_type": "a NIK cell holding a date, time or TRUE/FALSE",
    "date_format": "a date that cannot be read",
    "date_invalid": "a date that does not exist",
    "sex": "a sex other than L or P",
    "phone": "a phone number that cannot be read",
    "ttl": "a place and date of birth that cannot be split",
    "too_long": "a text longer than the registry keeps",
    "number_cell": "an account or SK number stored as a number",
    "area_code": "an area code that names no area of that level",
    "area_ambiguous": "an area name shared by several areas",
    "area_unknown": "an area name that is not known",
    "area_city": "a city-wide duty without a kecamatan or kelurahan to place it",
    "kind": "an unknown pillar kind",
    "education": "an unknown education level",
    "end_reason": "an unknown end reason",
    "start_missing": "a new duty without a start date (TMT) and no rule for it",
    "start_rule": "a start date given by the file's rule (a warning)",
    "start_rule_refused": "a start date the file's rule would give, refused for this row",
}


class CellProblem(ValueError):
    """A cell that cannot be read.

    ``message`` is a sentence for the user, already translated into the active language;
    ``code`` is a short, stable string (``nik_number``, ``date_format``, ``sex``, ...).
    """

    def __init__(self, message: str, code: str) -> None:
        if code not in PROBLEM_CODES:
            raise ValueError(f"unlisted problem code {code!r}: add it to PROBLEM_CODES")
        super().__init__(message)
        self.message = message
        self.code = code

    def __repr__(self) -> str:
        return f"CellProblem({self.message!r}, code={self.code!r})"


def _shown(value: object) -> str:
    """The cell value as quoted in a message: its text, cut short if very long."""
    text = text_from_cell(value)
    if len(text) > _MAX_SHOWN:
        return text[: _MAX_SHOWN - 1] + "…"
    return text


# --- NIK ---------------------------------------------------------------------------------------

# Characters around a NIK that are not part of it: Excel's text prefix and quotes of any kind.
_QUOTES = "'\"`\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u00b4"
# Invisible characters that sneak in when numbers are copied from PDFs, chats and web pages.
_INVISIBLE_RE = re.compile("[\u00ad\u200b-\u200f\u2060\ufeff]")
_WHITESPACE_RE = re.compile(r"\s+")
# "1.37501E+15", "1,37501E+15", "1.375014506800001e15", "1E15" (whitespace already removed).
_SCIENTIFIC_RE = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]*)?[eE][+-]?[0-9]+")
# What a float looks like when written out as text: "1375014506800001.0", "1375014506800001,0".
_FLOAT_SUFFIX_RE = re.compile(r"[.,]0$")
# Separators normalize_nik removes between digit groups.
_NIK_SEPARATOR_RE = re.compile(r"[\s.\-\u2010-\u2015\u2212\ufe58\ufe63\uff0d]")


def _nik_number_problem(value: object) -> CellProblem:
    return CellProblem(
        _(
            "NIK %(value)s was stored as a number. Excel keeps only 15 digits of a number, so "
            "the last digit of the NIK may have been lost. Format the NIK column as Text and "
            "type the NIK again from the KTP."
        )
        % {"value": _shown(value)},
        "nik_number",
    )


def _nik_from_text(text: str) -> str:
    if not text.isascii():
        text = _INVISIBLE_RE.sub("", text)
    text = text.strip().strip(_QUOTES).strip()
    if not text:
        return ""
    if ("e" in text or "E" in text) and _SCIENTIFIC_RE.fullmatch(_WHITESPACE_RE.sub("", text)):
        raise CellProblem(
            _(
                "NIK '%(value)s' is written in scientific notation, so its last digits are "
                "lost. Format the NIK column as Text and type the 16 digits again from the KTP."
            )
            % {"value": _shown(text)},
            "nik_scientific",
        )
    suffix = _FLOAT_SUFFIX_RE.search(text)
    if suffix is not None:
        head = text[: suffix.start()]
        # "1375014506800001.0" is a number written as text: drop the ".0". But in
        # "1375 0145 0680 001.0" the dot only separates a last group, as the other separators
        # show: the whole thing, read with the dot as a separator, is already 16 characters.
        grouped = _NIK_SEPARATOR_RE.search(head) is not None
        if not (grouped and len(normalize_nik(text)) == NIK_LENGTH):
            text = head
    return normalize_nik(text)


def nik_from_cell(value: object) -> str:
    """Return the NIK candidate in a cell, without separators; ``""`` for an empty cell.

    The result is *not* validated (``pilar.lib.nik.validate_nik`` does that later) and may still
    hold characters other than digits. Whitespace, spaces/dots/dashes between digit groups,
    quotes around the value (Excel's leading apostrophe) and a trailing ``.0`` are removed.

    Raises ``CellProblem`` with code ``nik_scientific`` for text in scientific notation
    (``1.37501E+15``), ``nik_number`` for a number cell that may have lost its last digit (a
    float that is not 16 digits ending in something other than 0), and ``nik_type`` for a
    date, time or boolean cell.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        if len(value) == NIK_LENGTH and value.isascii() and value.isdigit():
            return value
        return _nik_from_text(value)
    if isinstance(value, bool):
        raise _nik_type_problem(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise _nik_number_problem(value)
        digits = str(int(value))
        # A 16-digit number not ending in 0 was stored in full (Excel would have written 0) —
        # unless it is above 2^53, where a float cannot hold every integer (NIKs of Papua, 9…).
        if len(digits) == NIK_LENGTH and digits[-1] != "0" and value <= 2**53:
            return digits
        raise _nik_number_problem(value)
    if isinstance(value, datetime.date | datetime.time | datetime.timedelta):
        raise _nik_type_problem(value)
    return _nik_from_text(str(value))


def _nik_type_problem(value: object) -> CellProblem:
    return CellProblem(
        _(
            "The NIK cell holds %(value)s, which the spreadsheet treats as a date, a time or "
            "TRUE/FALSE, not as a NIK. Format the NIK column as Text and type the 16 digits "
            "from the KTP."
        )
        % {"value": _shown(value)},
        "nik_type",
    )


# --- dates -------------------------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("januari", "jan", "january", "djanuari"),
            ("februari", "feb", "pebruari", "peb", "february", "febuari"),
            ("maret", "mar", "march"),
            ("april", "apr"),
            ("mei", "may"),
            ("juni", "jun", "june"),
            ("juli", "jul", "july"),
            ("agustus", "agu", "agt", "ags", "aug", "agust", "agus", "august"),
            ("september", "sep", "sept"),
            ("oktober", "okt", "oct", "october"),
            ("november", "nov", "nop", "nopember"),
            ("desember", "des", "dec", "december"),
        ),
        start=1,
    )
    for name in names
}

_WEEKDAYS = (
    "senin|selasa|rabu|kamis|jum'?at|sabtu|minggu|ahad|"
    "monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    "mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun"
)
_LEADING_WEEKDAY_RE = re.compile(rf"(?:{_WEEKDAYS})\b\.?\s*,?\s*")
# An optional time after the (lowercased) date: " 00:00", "t00:00:00.000".
_TIME = r"(?:\s*[ t]\s*[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?"
_SEP = r"\s*[-/.]\s*|\s+"
# 1980-08-12, 1980/8/12, 1980.08.12 (a 4-digit first part can only be the year).
_YMD_RE = re.compile(rf"([0-9]{{4}})\s*([-/.])\s*([0-9]{{1,2}})\s*\2\s*([0-9]{{1,2}}){_TIME}")
# 12-08-1980, 12/8/80, 12.08.1980, 12 08 1980: always day-month-year.
_DMY_RE = re.compile(
    rf"([0-9]{{1,2}})(?:{_SEP})([0-9]{{1,2}})(?:{_SEP})([0-9]{{4}}|[0-9]{{2}}){_TIME}"
)
# 12 Agustus 1980, 12 Agt 1980, 12-Aug-80, 12. Agustus 1980, 12th August 1980.
_D_NAME_Y_RE = re.compile(
    r"([0-9]{1,2})(?:st|nd|rd|th)?\.?[\s\-/.,]*([a-z]+)\.?[\s\-/.,]*"
    rf"([0-9]{{4}}|[0-9]{{2}}){_TIME}"
)
# August 12, 1980 (a month name makes the order unambiguous).
_NAME_D_Y_RE = re.compile(
    rf"([a-z]+)\.?\s*([0-9]{{1,2}})(?:st|nd|rd|th)?\s*,?\s+([0-9]{{4}}){_TIME}"
)
# An Excel serial number written as text: 29445, 29445.0, 29445.5 (the fraction is a time).
_SERIAL_TEXT_RE = re.compile(r"([0-9]{4,5})(?:\.[0-9]+)?")

_EXCEL_MAX_SERIAL = 2958465  # 9999-12-31
_EXCEL_FAKE_LEAP_DAY = 60  # Excel's 29-02-1900, which never existed
_EXCEL_EPOCH = datetime.date(1899, 12, 30)  # serials from 61 (1900-03-01) on
_EXCEL_EPOCH_EARLY = datetime.date(1899, 12, 31)  # serials 1-59 (before the fake leap day)

# Failure codes returned (not raised) by the cached parsers.
_DATE_FORMAT = "date_format"
_DATE_INVALID = "date_invalid"
_DATE_YEAR_ONLY = "date_year_only"
_DATE_FAKE_LEAP_DAY = "date_fake_leap_day"
_DATE_SERIAL_RANGE = "date_serial_range"


@lru_cache(maxsize=65536)
def _date_from_serial(serial: int) -> datetime.date | str:
    """Excel 1900 date system: 1 = 1900-01-01, 61 = 1900-03-01, 2958465 = 9999-12-31."""
    if serial == _EXCEL_FAKE_LEAP_DAY:
        return _DATE_FAKE_LEAP_DAY
    if not 1 <= serial <= _EXCEL_MAX_SERIAL:
        return _DATE_SERIAL_RANGE
    epoch = _EXCEL_EPOCH if serial > _EXCEL_FAKE_LEAP_DAY else _EXCEL_EPOCH_EARLY
    return epoch + datetime.timedelta(days=serial)


def _make_date(year: int, month: int, day: int) -> datetime.date | str:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return _DATE_INVALID


def _dmy(day: str, month: int, year: str, this_year: int) -> datetime.date | str:
    if len(year) == 2:
        yy = int(year)
        full_year = 2000 + yy if 2000 + yy <= this_year else 1900 + yy
    else:
        full_year = int(year)
    return _make_date(full_year, month, int(day))


@lru_cache(maxsize=8192)
def _date_from_text(text: str, this_year: int) -> datetime.date | str:
    """Parse a date written as text; return the date or a failure code (never raises).

    ``this_year`` decides two-digit years (20yy if that is not after it, else 19yy), which is
    why it is part of the cache key.
    """
    text = " ".join(text.split()).lower()
    if not text:
        return _DATE_FORMAT
    if text[0].isdigit():
        serial = _SERIAL_TEXT_RE.fullmatch(text)
        if serial is not None:
            whole = serial.group(1)
            if len(whole) == 4 and 1900 <= int(whole) <= 2099:
                return _DATE_YEAR_ONLY  # "1980" is a year without day and month, not 1905-06-02
            return _date_from_serial(int(whole))
    else:
        weekday = _LEADING_WEEKDAY_RE.match(text)
        if weekday is not None and weekday.end() < len(text):
            text = text[weekday.end() :]
    match = _YMD_RE.fullmatch(text)
    if match is not None:
        year, _sep, month, day = match.groups()
        return _make_date(int(year), int(month), int(day))
    match = _DMY_RE.fullmatch(text)
    if match is not None:
        day, month, year = match.groups()
        return _dmy(day, int(month), year, this_year)
    match = _D_NAME_Y_RE.fullmatch(text)
    if match is not None:
        day, name, year = match.groups()
        month = _MONTHS.get(name)
        if month is None:
            return _DATE_FORMAT
        return _dmy(day, month, year, this_year)
    match = _NAME_D_Y_RE.fullmatch(text)
    if match is not None:
        name, day, year = match.groups()
        month = _MONTHS.get(name)
        if month is None:
            return _DATE_FORMAT
        return _dmy(day, month, year, this_year)
    return _DATE_FORMAT


def _date_problem(code: str, value: object) -> CellProblem:
    shown = _shown(value)
    if code == _DATE_INVALID:
        message = _(
            "Date '%(value)s' does not exist; check the day and the month and write it as "
            "day-month-year, e.g. 12-08-1980 or 12 Agustus 1980."
        )
    elif code == _DATE_FAKE_LEAP_DAY:
        code = _DATE_INVALID
        message = _(
            "Date %(value)s is Excel's 29-02-1900, a day that does not exist; type the date "
            "again as day-month-year, e.g. 12-08-1980 or 12 Agustus 1980."
        )
    elif code == _DATE_SERIAL_RANGE:
        code = _DATE_FORMAT
        message = _(
            "Date %(value)s is a number that is not a date; write it as day-month-year, "
            "e.g. 12-08-1980 or 12 Agustus 1980."
        )
    elif code == _DATE_YEAR_ONLY:
        code = _DATE_FORMAT
        message = _(
            "Date '%(value)s' is only a year; write the full date as day-month-year, "
            "e.g. 12-08-1980 or 12 Agustus 1980."
        )
    else:
        code = _DATE_FORMAT
        message = _(
            "Date '%(value)s' cannot be read; write it as day-month-year, "
            "e.g. 12-08-1980 or 12 Agustus 1980."
        )
    return CellProblem(message % {"value": shown}, code)


def date_from_cell(value: object, *, today: datetime.date) -> datetime.date | None:
    """Return the date in a cell, or None for an empty cell.

    Date cells are taken as they are (a datetime loses its time). Numbers are Excel serial
    dates (1 = 1900-01-01; a fraction is a time of day and is dropped). Text may be ISO
    (``1980-08-12``, also with a time) or otherwise is always day-month-year: ``12-08-1980``,
    ``12/8/80``, ``12.08.1980``, ``12 Agustus 1980``, ``12 Agt 1980``, ``12-Aug-80``, with
    Indonesian or English month names and an optional leading weekday. A two-digit year is
    20yy if that is not after ``today.year``, else 19yy.

    Raises ``CellProblem`` with code ``date_invalid`` for a date that does not exist
    (``31-02-1980``) and ``date_format`` for anything else that cannot be read.
    """
    if value is None:
        return None
    if isinstance(value, str):
        if not value:
            return None
        result = _date_from_text(value, today.year)
        if isinstance(result, datetime.date):
            return result
        if result == _DATE_FORMAT and not value.strip():
            return None
        raise _date_problem(result, value)
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, bool):
        raise _date_problem(_DATE_FORMAT, value)
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise _date_problem(_DATE_SERIAL_RANGE, value)
        result = _date_from_serial(math.floor(value))
        if isinstance(result, datetime.date):
            return result
        raise _date_problem(result, value)
    raise _date_problem(_DATE_FORMAT, value)


# --- sex ---------------------------------------------------------------------------------------

_MALE, _FEMALE = "L", "P"
_SEX_BY_KEY = {
    **dict.fromkeys(
        ("l", "lk", "laki", "lakilaki", "lelaki", "pria", "m", "male", "man", "cowok"), _MALE
    ),
    **dict.fromkeys(
        ("p", "pr", "prp", "perempuan", "wanita", "w", "f", "female", "woman", "cewek"), _FEMALE
    ),
}
# The exact spellings seen most often, answered without normalising.
_SEX_EXACT = {
    "L": _MALE,
    "P": _FEMALE,
    "l": _MALE,
    "p": _FEMALE,
    "LK": _MALE,
    "PR": _FEMALE,
    "Laki-laki": _MALE,
    "Perempuan": _FEMALE,
    "LAKI-LAKI": _MALE,
    "PEREMPUAN": _FEMALE,
}
_NOT_LETTERS_RE = re.compile(r"[^a-z]+")


@lru_cache(maxsize=1024)
def _sex_from_text(text: str) -> str | None:
    """``"L"``/``"P"``; ``""`` for a blank text; None if unknown."""
    if not text.strip():
        return ""
    return _SEX_BY_KEY.get(_NOT_LETTERS_RE.sub("", text.lower()))


def sex_from_cell(value: object) -> str | None:
    """Return ``"L"`` (laki-laki) or ``"P"`` (perempuan), or None for an empty cell.

    Accepts L/P, Laki-laki/Perempuan, Pria/Wanita, LK/PR, M/F, Male/Female in any case,
    spacing or punctuation (``"laki laki"``, ``"L."``). Raises ``CellProblem`` code ``sex``.
    """
    if value is None or value == "":
        return None
    if isinstance(value, str):
        found = _SEX_EXACT.get(value) or _sex_from_text(value)
        if found:
            return found
        if found == "":
            return None
    raise CellProblem(
        _("Sex '%(value)s' cannot be read; write L (laki-laki) or P (perempuan).")
        % {"value": _shown(value)},
        "sex",
    )


# --- phone -------------------------------------------------------------------------------------

_PHONE_SPLIT_RE = re.compile(r"[/,;]")
_PHONE_FLOAT_TEXT_RE = re.compile(r"(\+?[0-9]+)\.0")  # "81234567890.0" from a float


def _phone_problem(value: object) -> CellProblem:
    # The same wording as pilar.lib.phone, so both share one translation.
    return CellProblem(
        _("Phone %(value)s is not a phone number; write it as 0812xxxxxxxx or +62812xxxxxxxx.")
        % {"value": _shown(value)},
        "phone",
    )


def phone_from_cell(value: object) -> str:
    """Return the phone number in a cell as ``08…``, or ``""`` for an empty cell.

    Accepts ``0812-3456-7890``, ``+62 812 3456 7890``, ``6281234567890``, ``81234567890``
    and the number ``81234567890.0``; a leading apostrophe is ignored. Of several numbers
    (``0812… / 0813…``, also split by ``,`` or ``;``) the first is kept.
    Raises ``CellProblem`` code ``phone``.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        raise _phone_problem(value)
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise _phone_problem(value)
        text = str(int(value))
    else:
        raise _phone_problem(value)
    text = text.strip().lstrip(_QUOTES).strip()
    if not text:
        return ""
    if "/" in text or "," in text or ";" in text:
        text = next((part.strip() for part in _PHONE_SPLIT_RE.split(text) if part.strip()), "")
    if text.isascii() and text.isdigit():
        # The common cases, answered exactly as normalize_phone would answer them.
        if text[0] == "0" and 9 <= len(text) <= 14:
            return text
        if text[0] == "8" and 8 <= len(text) <= 13:
            return "0" + text
    float_text = _PHONE_FLOAT_TEXT_RE.fullmatch(text)
    if float_text is not None:
        text = float_text.group(1)
    try:
        return normalize_phone(text)
    except ValidationError as exc:
        raise CellProblem(" ".join(exc.messages), "phone") from exc


# --- headers -----------------------------------------------------------------------------------

_NOT_ALNUM_RE = re.compile(r"[\W_]+")


@lru_cache(maxsize=1024)
def _header_key(text: str) -> str:
    return _NOT_ALNUM_RE.sub(" ", text.lower()).strip()


def header_key(text: object) -> str:
    """Return a column header normalised for matching.

    Lowercase, every run of characters other than letters and digits replaced by one space:
    ``"No. KTP"`` -> ``"no ktp"``, ``" TGL_LAHIR "`` -> ``"tgl lahir"``,
    ``"Desa/Kelurahan"`` -> ``"desa kelurahan"``.
    """
    if not isinstance(text, str):
        text = text_from_cell(text)
    return _header_key(text)
