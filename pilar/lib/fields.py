"""Form fields with the bounds of the one input layer (`pilar.lib.params`, docs/INPUT.md).

A date typed into a form lies in the office's years (2000–2100); a birth date between 1900
and today; a month in YEAR-MONTH form in the same years. Beyond that is a typing slip (a year
20224, a year 0024), and a far date would make the pages that walk month by month do work
for nothing. Every form takes its date fields from here rather than bounding them one by one.
"""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _

from pilar.lib import params


def _date_text(day: datetime.date) -> str:
    return day.isoformat()


class DateField(forms.DateField):
    """A date between `low` and `high` (by default the office's years, 2000–2100)."""

    def __init__(
        self,
        *args,
        low: datetime.date = params.MIN_DATE,
        high: datetime.date | None = params.MAX_DATE,
        **kwargs,
    ):
        self.low, self.high = low, high
        super().__init__(*args, **kwargs)

    def upper(self) -> datetime.date:
        return self.high or params.MAX_DATE

    def to_python(self, value):
        # strptime reads look-alike digits ('٢٠٢٤', '２０２４') as numbers: only 0-9 are digits.
        if isinstance(value, str) and not value.isascii():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            return super().to_python(value)
        except (OverflowError, ValueError):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None

    def validate(self, value):
        super().validate(value)
        if value is not None and not self.low <= value <= self.upper():
            raise forms.ValidationError(
                _("Choose a date between %(low)s and %(high)s.")
                % {"low": _date_text(self.low), "high": _date_text(self.upper())},
                code="out_of_range",
            )


class BirthDateField(DateField):
    """A date of birth: from 1900 up to today."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("low", datetime.date(params.MIN_BIRTH_YEAR, 1, 1))
        kwargs.setdefault("high", None)
        super().__init__(*args, **kwargs)

    def upper(self) -> datetime.date:
        return self.high or timezone.localdate()


class MonthField(DateField):
    """A month written YEAR-MONTH (2024-07), cleaned to its first day, in the office's years."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m"])
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "month"}, format="%Y-%m"))
        super().__init__(*args, **kwargs)

    def validate(self, value):
        forms.DateField.validate(self, value)
        if value is not None and not params.MIN_YEAR <= value.year <= params.MAX_YEAR:
            raise forms.ValidationError(
                _("Choose a month between %(low)s-01 and %(high)s-12.")
                % {"low": params.MIN_YEAR, "high": params.MAX_YEAR},
                code="out_of_range",
            )


def refuse_control_characters(value: str) -> None:
    """Text holding invisible control characters (tabs and line breaks stay) is refused."""
    if value and params.has_control_characters(value):
        raise forms.ValidationError(
            _("This holds invisible control characters; type it again."),
            code="control_characters",
        )


class SearchField(forms.CharField):
    """A list's free-text filter: at most MAX_QUERY_LENGTH characters, no control characters."""

    default_validators = [refuse_control_characters]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", params.MAX_QUERY_LENGTH)
        super().__init__(*args, **kwargs)


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Several records chosen by id: an id that is not a whole number within 64 bits is refused
    as not a choice before any query (a `pk__in` with a 20-digit number fails in SQLite)."""

    def _check_values(self, value):
        meta = self.queryset.model._meta
        field = meta.get_field(self.to_field_name) if self.to_field_name else meta.pk
        if field.get_internal_type() in ("AutoField", "BigAutoField", "IntegerField"):
            for pk in value if isinstance(value, list | tuple) else []:
                text = str(pk)
                if not params.ascii_digits(text) or int(text) > params.MAX_ID:
                    raise forms.ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": text[:40]},
                    )
        return super()._check_values(value)


class IntegerField(forms.IntegerField):
    """A whole number written with the digits 0-9: int() would also read look-alike digits
    ('١٢٣', '１２３') as a number."""

    def to_python(self, value):
        if isinstance(value, str) and not value.strip().isascii():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)
