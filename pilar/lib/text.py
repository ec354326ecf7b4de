"""Checks on free text that every service shares."""

from __future__ import annotations

from django.utils.translation import gettext as _


def check_lengths(errors: dict, data: dict, limits: dict[str, int]) -> None:
    """A text longer than its column is refused by name (PostgreSQL would fail the write)."""
    for field, limit in limits.items():
        value = data.get(field) or ""
        if isinstance(value, str) and len(value.strip()) > limit and field not in errors:
            errors[field] = [
                _("Keep this under %(limit)d characters (it has %(count)d).")
                % {"limit": limit, "count": len(value.strip())}
            ]


def check_columns(errors: dict, model, **values: str) -> None:
    """`check_lengths` with each limit read from the column of that name on `model`."""
    limits = {name: model._meta.get_field(name).max_length for name in values}
    check_lengths(errors, values, limits)
