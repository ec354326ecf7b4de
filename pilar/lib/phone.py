"""Indonesian mobile numbers: accept what people type, store one form (08…)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_SEPARATORS = re.compile(r"[\s\-().]")


def normalize_phone(value: str) -> str:
    """`+62 812-3456-7890`, `62812…`, `0812…` → `0812…`; empty stays empty."""
    if value and value[0] == "0" and 9 <= len(value) <= 14 and value.isascii() and value.isdigit():
        return value  # already in the stored form (imports check 100,000 of these)
    raw = _SEPARATORS.sub("", value or "")
    if not raw:
        return ""
    if raw.startswith("+62"):
        raw = "0" + raw[3:]
    elif raw.startswith("62"):
        raw = "0" + raw[2:]
    elif raw.startswith("8"):
        raw = "0" + raw
    if not re.fullmatch(r"0[0-9]{8,13}", raw):
        raise ValidationError(
            _("Phone %(value)s is not a phone number; write it as 0812xxxxxxxx or +62812xxxxxxxx."),
            code="phone",
            params={"value": value},
        )
    return raw
