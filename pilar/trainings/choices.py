"""The courses a form lets a user choose (the event filters, the certificate filters)."""

from __future__ import annotations

from django import forms

from pilar.accounts.access import hosts_others, office_of
from pilar.trainings.models import Course


def course_choices(field: forms.ModelChoiceField, user) -> None:
    """`field` chooses among the courses `user` sees: their office's; a province's offices',
    each named with its office (docs/TRAININGS.md, "Many offices")."""
    field.queryset = Course.objects.visible_to(user).select_related("office")
    if hosts_others(office_of(user)):
        field.label_from_instance = lambda c: f"{c.name} · {c.office.name}"
