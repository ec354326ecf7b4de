"""One input layer: the values people and scripts send in query strings, CLI options and API
bodies (dates, months, years, page numbers, offsets and limits, ids, codes, text), parsed with
bounds in one place.

Every parser raises `InputError` (a ValidationError naming its field) with a message that says
what was wrong and which values are allowed. Pages answer it with a 400 page
(`pilar.core.middleware.InputErrorMiddleware`), the API with a JSON 400 (its ValidationError
handler), commands with a CommandError. Out-of-range input never reaches a query: a year
9999 would otherwise walk thousands of months, an id beyond 64 bits fails in the database.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# The office's records live in these years; nothing before or after is a plausible input.
MIN_YEAR = 2000
MAX_YEAR = 2100
MIN_DATE = datetime.date(MIN_YEAR, 1, 1)
MAX_DATE = datetime.date(MAX_YEAR, 12, 31)
# Birth dates reach further back than duties do.
MIN_BIRTH_YEAR = 1900
# A primary key in the database is a signed 64-bit integer.
MAX_ID = 2**63 - 1
# How many ids one request may name (a list of households, categories...).
MAX_IDS = 10_000
# Offsets and page numbers: far beyond any real list, small enough to stay cheap.
MAX_OFFSET = 100_000_000
MAX_PAGE = 10_000_000
MAX_LIMIT = 500
# A free-text search box.
MAX_QUERY_LENGTH = 200

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# re.ASCII: \d alone also matches look-alike digits (Arabic-Indic, full-width).
_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$", re.ASCII)
_ASCII_DIGITS = re.compile(r"^[0-9]+$")
# Dates as offices write them besides ISO: 22/10/2024, 22-10-2024, 22.10.2024.
_DMY_RE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$", re.ASCII)


class InputError(ValidationError):
    """A value sent by the caller is malformed or out of range; `field` names it."""

    def __init__(self, field: str, message: str):
        super().__init__({field: [message]})
        self.field = field
        self.message_text = message


def year_range_text() -> str:
    return f"{MIN_YEAR}–{MAX_YEAR}"


def parse_date(
    value: str | None,
    field: str,
    *,
    default: datetime.date | None = None,
    low: datetime.date = MIN_DATE,
    high: datetime.date = MAX_DATE,
) -> datetime.date | None:
    """YYYY-MM-DD (or DD/MM/YYYY, DD-MM-YYYY, DD.MM.YYYY) between `low` and `high`; `default`
    when empty."""
    text = (value or "").strip()
    if not text:
        return default
    day = None
    try:
        day = datetime.date.fromisoformat(text) if len(text) == 10 and text[4] == "-" else None
    except ValueError:
        day = None
    if day is None:
        found = _DMY_RE.match(text)
        if found:
            try:
                day = datetime.date(int(found[3]), int(found[2]), int(found[1]))
            except ValueError:
                day = None
    if day is None:
        raise InputError(
            field,
            _("%(field)s: write the date as YYYY-MM-DD, e.g. 2024-10-22 (got “%(value)s”).")
            % {"field": field, "value": text[:40]},
        )
    if not low <= day <= high:
        raise InputError(
            field,
            _("%(field)s: the date must lie between %(low)s and %(high)s (got %(value)s).")
            % {"field": field, "low": low.isoformat(), "high": high.isoformat(), "value": text},
        )
    return day


def parse_month(
    value: str | None, field: str, *, default: datetime.date | None = None
) -> datetime.date | None:
    """YYYY-MM → the first day of that month, in the years MIN_YEAR–MAX_YEAR; `default` when
    empty."""
    text = (value or "").strip()
    if not text:
        return default
    found = _MONTH_RE.match(text)
    if found:
        year, month = int(found[1]), int(found[2])
        if MIN_YEAR <= year <= MAX_YEAR and 1 <= month <= 12:
            return datetime.date(year, month, 1)
    raise InputError(
        field,
        _(
            "%(field)s: write the month as YEAR-MONTH between %(low)s-01 and %(high)s-12, "
            "e.g. 2024-07 (got “%(value)s”)."
        )
        % {"field": field, "low": MIN_YEAR, "high": MAX_YEAR, "value": text[:40]},
    )


def parse_int(
    value: str | int | None, field: str, *, low: int, high: int, default: int | None = None
) -> int | None:
    """A whole number written in ASCII digits (an optional minus), between `low` and `high`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        text = str(value).strip()
        digits = text[1:] if text.startswith("-") else text
        if not _ASCII_DIGITS.match(digits) or len(digits) > 20:
            raise InputError(
                field,
                _("%(field)s: write a whole number between %(low)s and %(high)s (got “%(value)s”).")
                % {"field": field, "low": low, "high": high, "value": text[:40]},
            )
        number = int(text)
    if not low <= number <= high:
        raise InputError(
            field,
            _("%(field)s: the number must lie between %(low)s and %(high)s (got %(value)s).")
            % {"field": field, "low": low, "high": high, "value": number},
        )
    return number


def parse_year(value: str | int | None, field: str = "year", *, default: int | None = None):
    return parse_int(value, field, low=MIN_YEAR, high=MAX_YEAR, default=default)


def parse_id(value: str | int | None, field: str, *, default: int | None = None) -> int | None:
    return parse_int(value, field, low=0, high=MAX_ID, default=default)


def parse_ids(values: Iterable[str | int], field: str) -> list[int]:
    """Ids from a list (a repeated query parameter or a JSON list), each within 64 bits."""
    values = list(values)
    if len(values) > MAX_IDS:
        raise InputError(
            field,
            _("%(field)s: at most %(count)s ids at once.") % {"field": field, "count": MAX_IDS},
        )
    return [parse_id(value, field) for value in values if str(value).strip()]


def parse_page(value: str | None) -> int:
    """A page number for a list: junk or nothing is the first page (as a person following a
    mangled link would expect); a number beyond the list is for the paginator to bring back."""
    text = (value or "").strip()
    if not _ASCII_DIGITS.match(text):
        return 1
    return max(1, min(int(text[:9]), MAX_PAGE))


def parse_offset(value: str | int | None, field: str = "offset") -> int:
    return parse_int(value, field, low=0, high=MAX_OFFSET, default=0)


def parse_limit(value: str | int | None, field: str = "limit", *, default: int = 50) -> int:
    return parse_int(value, field, low=1, high=MAX_LIMIT, default=default)


def clean_text(value: str | None, field: str, *, max_length: int | None = None) -> str:
    """Text without control characters (tabs and line breaks stay), at most `max_length`
    characters: a search box, a reason, a name sent through the API."""
    text = value or ""
    if _CONTROL.search(text):
        raise InputError(
            field,
            _("%(field)s holds invisible control characters; type it again.") % {"field": field},
        )
    if max_length is not None and len(text) > max_length:
        raise InputError(
            field,
            _("%(field)s: at most %(count)s characters (got %(length)s).")
            % {"field": field, "count": max_length, "length": len(text)},
        )
    return text


def has_control_characters(value: str) -> bool:
    """True when `value` holds a control character other than tab and line breaks."""
    return bool(_CONTROL.search(value))


def search_text(value: str | None, field: str = "q") -> str:
    """A list's free-text filter, trimmed; too long or with control characters → InputError."""
    return clean_text((value or "").strip(), field, max_length=MAX_QUERY_LENGTH)


def ascii_digits(value: str) -> bool:
    """True when `value` is written in 0–9 only (str.isdigit() also accepts look-alikes such as
    '١٢٣' or full-width digits, which int() would quietly read)."""
    return bool(_ASCII_DIGITS.match(value))


def argument(parse, field: str, **bounds):
    """An argparse `type=` for a command's option, parsed by `parse` (one of the parsers
    above) under the option's name: `parser.add_argument("--year", type=argument(parse_year,
    "--year"))`. A bad value is argparse's error naming the option (a CommandError under
    `call_command`, the usage and exit status 2 from the shell), never a traceback."""
    import argparse

    def convert(value: str):
        try:
            return parse(value, field, **bounds)
        except InputError as exc:
            # argparse puts "argument --year: " before the message: drop the parser's own
            # "--year: " so that the option is named once.
            message = exc.message_text.removeprefix(f"{field}: ")
            raise argparse.ArgumentTypeError(message) from None

    convert.__name__ = field.lstrip("-")  # argparse names the type in its own messages
    return convert
