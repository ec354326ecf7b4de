"""Correction on the record: a saved entry is never edited (docs/CASEWORK.md, "Corrections").

An amendment is a new row that `corrects` the old one, holds the right values and a reason; a
reversal is a new row cancelling the old one, with a reason. The old row stays, marked
`superseded`. Figures count the rows in force (`in_force_q`). The abstract model below gives a
model these four fields; its app adds `correction_constraint` to its Meta and writes the
services (which lock the row, refuse a reversal of a reversal, and audit both rows)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Entry(models.TextChoices):
    ORIGINAL = "original", _("original")
    AMENDMENT = "amendment", _("amendment")
    REVERSAL = "reversal", _("reversal")


def in_force_q(prefix: str = "") -> Q:
    """Rows that count: not superseded by a correction, and not themselves a reversal."""
    return Q(**{f"{prefix}superseded": False}) & ~Q(**{f"{prefix}entry": Entry.REVERSAL})


def correction_constraint(name: str) -> models.CheckConstraint:
    """An original corrects nothing; an amendment or reversal corrects a row, with a reason."""
    return models.CheckConstraint(
        condition=Q(entry=Entry.ORIGINAL, corrects__isnull=True)
        | (~Q(entry=Entry.ORIGINAL) & Q(corrects__isnull=False) & ~Q(reason="")),
        name=name,
    )


class CorrectableQuerySet(models.QuerySet):
    def in_force(self):
        return self.filter(in_force_q())


class Correctable(models.Model):
    entry = models.CharField(
        _("entry"), max_length=10, choices=Entry.choices, default=Entry.ORIGINAL
    )
    # One correction per entry (a second click, or two people at once, meets the constraint).
    corrects = models.OneToOneField(
        "self",
        verbose_name=_("corrects"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrected_by",
    )
    reason = models.CharField(_("reason for the correction"), max_length=250, blank=True)
    superseded = models.BooleanField(_("superseded by a correction"), default=False)

    objects = CorrectableQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def in_force(self) -> bool:
        return not self.superseded and self.entry != Entry.REVERSAL
