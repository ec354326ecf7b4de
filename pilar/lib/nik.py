"""Helpers for the Indonesian NIK (Nomor Induk Kependudukan).

A NIK has 16 digits laid out as ``PP KK CC DDMMYY SSSS``:

* ``PP KK CC`` (digits 1-6): province, kab/kota and kecamatan of *first* registration;
* ``DDMMYY`` (digits 7-12): birth date, with 40 added to the day for women;
* ``SSSS`` (digits 13-16): serial number, starting at 0001.

NIKs issued anywhere in Indonesia are accepted; nothing here requires a Bukittinggi (1375) prefix.

The province / kab-kota check uses the location table shipped with python-stdnum
(``stdnum.numdb.get("id/loc")``). ``stdnum.id.nik.validate`` itself is deliberately *not* used for
the verdict: it only checks the province (not the kab/kota), accepts days 81-91 (it takes the
day modulo 40), accepts kecamatan ``00`` and serial ``0000``, and prefers 19yy over 20yy.
"""

from __future__ import annotations

import datetime
import functools
import re
from typing import Literal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import numdb

__all__ = [
    "NIK_LENGTH",
    "make_nik",
    "mask_nik",
    "nik_birth_date",
    "nik_sex",
    "normalize_nik",
    "validate_nik",
]

NIK_LENGTH = 16
SEX_MALE = "L"  # laki-laki
SEX_FEMALE = "P"  # perempuan
FEMALE_DAY_OFFSET = 40

Sex = Literal["L", "P"]

# Separators people type or paste: whitespace (incl. NBSP), dots, ASCII and Unicode dashes.
_SEPARATORS_RE = re.compile(r"[\s.\-\u2010-\u2015\u2212\ufe58\ufe63\uff0d]+")
_ASCII_DIGITS = frozenset("0123456789")


def normalize_nik(value: str) -> str:
    """Return ``value`` without surrounding whitespace, spaces, dots and dashes.

    Nothing else is changed; the result is not guaranteed to be a valid NIK.
    """
    if value is None:
        return ""
    return _SEPARATORS_RE.sub("", str(value).strip())


def _is_ascii_digits(value: str) -> bool:
    # str.isdigit() also accepts e.g. "²" and Arabic-Indic digits, which int() may then reject.
    return bool(value) and all(ch in _ASCII_DIGITS for ch in value)


def _normalize_sex(sex: str | None) -> Sex | None:
    """Map ``"L"``/``"P"`` (any case, surrounding spaces) to itself; ``None``/``""`` to None."""
    if sex is None:
        return None
    code = str(sex).strip().upper()
    if not code:
        return None
    if code not in (SEX_MALE, SEX_FEMALE):
        raise ValueError(f"sex must be 'L' or 'P', not {sex!r}")
    return code  # type: ignore[return-value]


def _full_year(yy: int, month: int, day: int, today: datetime.date) -> int:
    """Expand a 2-digit year: 20yy unless that date lies in the future, then 19yy."""
    try:
        if datetime.date(2000 + yy, month, day) <= today:
            return 2000 + yy
    except ValueError:
        pass
    return 1900 + yy


def _decode_date_parts(nik: str) -> tuple[int, int, int, Sex]:
    """Return ``(day, month, yy, sex)`` from a 16-digit NIK without range checks."""
    raw_day = int(nik[6:8])
    sex: Sex = SEX_FEMALE if raw_day > FEMALE_DAY_OFFSET else SEX_MALE
    day = raw_day - FEMALE_DAY_OFFSET if sex == SEX_FEMALE else raw_day
    return day, int(nik[8:10]), int(nik[10:12]), sex


def _decode_birth_date(nik: str, today: datetime.date | None = None) -> datetime.date | None:
    """Return the encoded birth date, or None if digits 7-12 are not a valid date."""
    return _encoded_birth_date(nik[6:12], today or datetime.date.today())


@functools.lru_cache(maxsize=65536)
def _encoded_birth_date(digits: str, today: datetime.date) -> datetime.date | None:
    """The date DDMMYY digits encode (women's day + 40), cached: an import checks 100,000 NIKs
    with far fewer distinct birth dates."""
    raw_day, month, yy = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    if not (1 <= raw_day <= 31 or 41 <= raw_day <= 71) or not 1 <= month <= 12:
        return None
    day = raw_day - FEMALE_DAY_OFFSET if raw_day > FEMALE_DAY_OFFSET else raw_day
    try:
        return datetime.date(_full_year(yy, month, day, today), month, day)
    except ValueError:
        return None


def _require_16_digits(nik: str) -> str:
    value = normalize_nik(nik)
    if len(value) != NIK_LENGTH or not _is_ascii_digits(value):
        raise ValueError(f"not a 16-digit NIK: {nik!r}")
    return value


def nik_birth_date(nik: str, *, today: datetime.date | None = None) -> datetime.date:
    """Return the birth date encoded in ``nik`` (digits 7-12, women's day minus 40).

    The NIK stores a 2-digit year; it becomes 20yy unless that date would be after ``today``
    (default: the current date), else 19yy. A person born in 1925 therefore comes back as 2025
    once 2025 has passed: prefer a stored birth date when you have one.
    Raises ``ValueError`` if ``nik`` is not 16 digits or holds no valid date.
    """
    value = _require_16_digits(nik)
    born = _decode_birth_date(value, today)
    if born is None:
        raise ValueError(f"NIK {nik!r} does not encode a valid birth date")
    return born


def nik_sex(nik: str) -> Sex:
    """Return ``"P"`` (female) if the NIK's day is 41-71, ``"L"`` (male) if it is 01-31.

    Raises ``ValueError`` if ``nik`` is not 16 digits or the day is outside both ranges.
    """
    value = _require_16_digits(nik)
    raw_day = int(value[6:8])
    if 1 <= raw_day <= 31:
        return SEX_MALE
    if 41 <= raw_day <= 71:
        return SEX_FEMALE
    raise ValueError(f"NIK {nik!r} has day {raw_day:02d}; expected 01-31 or 41-71")


# Provinces formed after python-stdnum's location table was compiled (Kemendagri codes).
NEWER_PROVINCES = {
    "65": "Kalimantan Utara",
    "92": "Papua Barat",
    "93": "Papua Selatan",
    "94": "Papua Tengah",
    "95": "Papua Pegunungan",
    "96": "Papua Barat Daya",
}


@functools.lru_cache(maxsize=4096)
def _province_known(prefix: str) -> bool:
    """Whether digits 1-2 of a NIK name a province (cached: imports check 100,000 NIKs)."""
    parts = numdb.get("id/loc").info(prefix)
    # info() splits "1375" into [("13", {...province...}), ("75", {...kab/kota...})] when the
    # province is known, and returns [("1375", {})] when it is not.
    return (len(parts) == 2 and bool(parts[0][1])) or prefix[:2] in NEWER_PROVINCES


def _area_error(nik: str) -> ValidationError | None:
    """Check the province (digits 1-2) and that kab/kota (3-4) and kecamatan (5-6) are not 00.

    Only the province is checked against a list: stdnum's kab/kota table predates regencies
    formed since 2012 (Pangandaran, Pesisir Barat, ...), and rejecting a real KTP is worse than
    missing a typo there.
    """
    if not _province_known(nik[:4]):
        return ValidationError(
            _(
                "NIK starts with province code %(province)s, which does not exist. "
                "The first 2 digits must be a province code such as 13 (Sumatera Barat); "
                "check the number on the KTP."
            ),
            code="nik_area",
            params={"province": nik[:2]},
        )
    if nik[2:4] == "00":
        return ValidationError(
            _(
                "NIK digits 3-4 (regency/city code) are 00, which is never issued. "
                "Check digits 3-4 on the KTP."
            ),
            code="nik_area",
        )
    if nik[4:6] == "00":
        return ValidationError(
            _(
                "NIK digits 5-6 (district code) are 00, which is never issued. "
                "Check digits 5-6 on the KTP."
            ),
            code="nik_area",
        )
    return None


def _fmt(day: int, month: int, year: int) -> str:
    return f"{day:02d}-{month:02d}-{year:04d}"


def validate_nik(
    value: str,
    *,
    birth_date: datetime.date | None = None,
    sex: str | None = None,
) -> str:
    """Return the normalized 16-digit NIK or raise ``ValidationError`` with one message.

    ``birth_date`` (if given) must agree with the NIK's day, month and 2-digit year; ``sex``
    (``"L"`` or ``"P"``, if given) must agree with the day (+40 for women). Error codes:
    ``nik_digits``, ``nik_length``, ``nik_area``, ``nik_date``, ``nik_serial``,
    ``nik_birth_date_mismatch``, ``nik_sex_mismatch``.
    Raises ``ValueError`` (a programming error) if ``sex`` is not L/P/None/"".
    """
    expected_sex = _normalize_sex(sex)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        value = ""
    # Already 16 plain digits (every row of a clean import): skip the clean-up.
    fast = len(value) == NIK_LENGTH and value.isascii() and value.isdigit()
    nik = value if fast else normalize_nik(value)

    bad = [] if fast else sorted({ch for ch in nik if ch not in _ASCII_DIGITS})
    if bad:
        shown = " ".join(repr(ch) for ch in bad[:5]) + (" …" if len(bad) > 5 else "")
        raise ValidationError(
            _(
                "NIK may contain only the digits 0-9, but it contains %(chars)s. "
                "Type the 16 digits from the KTP (spaces, dots and dashes are ignored)."
            ),
            code="nik_digits",
            params={"chars": shown},
        )
    if len(nik) != NIK_LENGTH:
        raise ValidationError(
            _("NIK must have 16 digits; %(count)s were given. Check the number on the KTP."),
            code="nik_length",
            params={"count": len(nik)},
        )

    area_error = _area_error(nik)
    if area_error is not None:
        raise area_error

    encoded = _decode_birth_date(nik)
    if encoded is None:
        raise ValidationError(
            _(
                "NIK digits 7-12 (%(digits)s) are not a valid birth date. They must be DDMMYY "
                "with day 01-31 for men or 41-71 for women (day + 40) and month 01-12. "
                "Check digits 7-12 on the KTP."
            ),
            code="nik_date",
            params={"digits": nik[6:12]},
        )

    if nik[12:] == "0000":
        raise ValidationError(
            _(
                "NIK ends in 0000, but serial numbers start at 0001. "
                "Check the last 4 digits on the KTP."
            ),
            code="nik_serial",
        )

    day, month, yy, encoded_sex = _decode_date_parts(nik)
    if birth_date is not None and (
        (birth_date.day, birth_date.month, birth_date.year % 100) != (day, month, yy)
    ):
        raise ValidationError(
            _(
                "The birth date in the NIK (%(nik_date)s, year ending in %(yy)s) does not match "
                "the recorded birth date (%(birth_date)s). Correct either the NIK or the "
                "birth date."
            ),
            code="nik_birth_date_mismatch",
            params={
                "nik_date": _fmt(encoded.day, encoded.month, encoded.year),
                "yy": f"{yy:02d}",
                "birth_date": _fmt(birth_date.day, birth_date.month, birth_date.year),
            },
        )

    if expected_sex is not None and expected_sex != encoded_sex:
        if encoded_sex == SEX_FEMALE:
            message = _(
                "The NIK belongs to a woman (its day %(nik_day)s is the birth day + 40), but "
                "the sex is recorded as male (L). Correct either the NIK or the sex."
            )
        else:
            message = _(
                "The NIK belongs to a man (its day %(nik_day)s is not the birth day + 40), but "
                "the sex is recorded as female (P). Correct either the NIK or the sex."
            )
        raise ValidationError(message, code="nik_sex_mismatch", params={"nik_day": nik[6:8]})

    return nik


def mask_nik(nik: str) -> str:
    """Hide the middle of a NIK for display, e.g. ``1375014506800001`` -> ``137501******0001``.

    The value is normalized first. A 16-character value keeps its first 6 and last 4
    characters. Any other value is masked entirely except its last ``min(4, len // 2)``
    characters, so at most half of a malformed value is ever shown.
    """
    value = normalize_nik(nik)
    if not value:
        return ""
    if len(value) == NIK_LENGTH:
        return value[:6] + "*" * 6 + value[12:]
    keep = min(4, len(value) // 2)
    return "*" * (len(value) - keep) + value[len(value) - keep :]


def make_nik(*, area6: str, birth_date: datetime.date, sex: str, serial: int) -> str:
    """Build a NIK for synthetic/demo data from its parts.

    ``area6`` is the 6-digit province+kab/kota+kecamatan code (e.g. ``"137501"``), ``sex`` is
    ``"L"`` or ``"P"`` and ``serial`` is 1-9999. The result passes
    ``validate_nik(nik, birth_date=birth_date, sex=sex)``. Raises ``ValueError`` if the parts
    cannot form a valid NIK (e.g. an unknown area code).
    """
    area = normalize_nik(area6)
    if len(area) != 6 or not _is_ascii_digits(area):
        raise ValueError(f"area6 must be 6 digits, not {area6!r}")
    code = _normalize_sex(sex)
    if code is None:
        raise ValueError("sex is required: 'L' or 'P'")
    if isinstance(serial, bool) or not isinstance(serial, int) or not 1 <= serial <= 9999:
        raise ValueError(f"serial must be an int in 1..9999, not {serial!r}")
    day = birth_date.day + (FEMALE_DAY_OFFSET if code == SEX_FEMALE else 0)
    nik = f"{area}{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}{serial:04d}"
    try:
        return validate_nik(nik, birth_date=birth_date, sex=code)
    except ValidationError as exc:
        raise ValueError(f"cannot build a valid NIK from area6={area6!r}: {exc.code}") from exc
