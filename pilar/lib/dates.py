"""Dates as people read them in messages: 22 Oktober 2024 (in the active language)."""

from __future__ import annotations

import datetime

from django.utils.formats import date_format


def long_date(value: datetime.date | str) -> str:
    """`value` (a date, or its ISO text as stored in JSON) written out: 22 Oktober 2024."""
    if isinstance(value, str):
        value = datetime.date.fromisoformat(value)
    return date_format(value, "DATE_FORMAT")
