"""KK (Kartu Keluarga, family card) numbers: 16 digits, `PPKKCC DDMMYY SSSS`.

Digits 1-6 are the area where the card was issued (checked like a NIK's: a known province,
kab/kota and kecamatan not 00), 7-12 the registration date (only day 01-31 and month 01-12 are
checked: the exact layout is unverified), 13-16 a serial that is never 0000.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from pilar.lib.nik import _province_known, normalize_nik


def validate_kk(value: str) -> str:
    """The normalized 16-digit KK number, or a ValidationError saying what to fix."""
    kk = normalize_nik(str(value or ""))
    if not kk.isascii() or not kk.isdigit():
        raise ValidationError(
            _("KK number may contain only the digits 0-9. Type the 16 digits from the card."),
            code="kk_digits",
        )
    if len(kk) != 16:
        raise ValidationError(
            _("KK number must have 16 digits, not %(count)d. Check the number on the card."),
            code="kk_length",
            params={"count": len(kk)},
        )
    if not _province_known(kk[:4]) or kk[2:4] == "00" or kk[4:6] == "00":
        raise ValidationError(
            _(
                "KK number starts with %(area)s, which is not an area code: the first 6 digits "
                "are the province, city and district where the card was issued."
            ),
            code="kk_area",
            params={"area": kk[:6]},
        )
    day, month = int(kk[6:8]), int(kk[8:10])
    if not (1 <= day <= 31 and 1 <= month <= 12):
        raise ValidationError(
            _("KK digits 7-12 (%(date)s) are not a date (DDMMYY). Check the number on the card."),
            code="kk_date",
            params={"date": kk[6:12]},
        )
    if kk[12:] == "0000":
        raise ValidationError(
            _(
                "KK digits 13-16 (the serial) are 0000, which is never issued. Check the number "
                "on the card."
            ),
            code="kk_serial",
        )
    return kk
