"""Rows that cover a period, and the rules the database holds them to.

Two shapes recur across the apps:

- a dated span: a row in force from `start_date` to `end_date` (the last day, inclusive; empty
  while it lasts), of which a thing has at most one open at a time: a pillar's duty
  (registry Assignment), a household's companion (casework Caseload), a KUBE group's companion;
  a Tagana deployment is the same with times (`start`, `end`);
- a month row: one per owner per month (the first day of the month), such as a pillar's monthly
  report, a tali kasih line or a KUBE group's monthly record.

`DatedSpan` gives a model the two date fields; the functions below build the constraints of
either shape, named `<table>_<rule>` (`caseload_end_after_start`,
`caseload_one_open_per_household`, `report_one_per_person_kind_month`), so a model's Meta says
which rules hold and the names stay those of the migrations.
"""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class DatedSpan(models.Model):
    """From `start_date` to `end_date` (inclusive); `end_date` is empty while it lasts. A
    model's Meta adds `span_constraints`; one that inherits this Meta lists the latest first."""

    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-start_date", "-pk"]

    def is_active_on(self, day: datetime.date) -> bool:
        return self.start_date <= day and not self.has_ended_by(day)

    def has_ended_by(self, day: datetime.date) -> bool:
        """Ended before `day`."""
        return self.end_date is not None and self.end_date < day


def end_after_start(
    table: str, *, start: str = "start_date", end: str = "end_date", open_ended: bool = True
) -> models.CheckConstraint:
    """`<table>_end_after_start`: the end is on or after the start (or, `open_ended`, empty)."""
    after = Q(**{f"{end}__gte": F(start)})
    return models.CheckConstraint(
        condition=(Q(**{f"{end}__isnull": True}) | after) if open_ended else after,
        name=f"{table}_end_after_start",
    )


def one_open_per(table: str, owner: str, *, end: str = "end_date") -> models.UniqueConstraint:
    """`<table>_one_open_per_<owner>`: at most one row without an end per `owner`."""
    return models.UniqueConstraint(
        fields=[owner],
        condition=Q(**{f"{end}__isnull": True}),
        name=f"{table}_one_open_per_{owner}",
    )


def span_constraints(
    table: str, *, one_open: str | None = None, start: str = "start_date", end: str = "end_date"
) -> list[models.BaseConstraint]:
    """The rules of an open-ended span: it ends on or after it starts and, with `one_open`,
    that field has at most one open span at a time."""
    rules: list[models.BaseConstraint] = []
    if one_open:
        rules.append(one_open_per(table, one_open, end=end))
    rules.append(end_after_start(table, start=start, end=end))
    return rules


def one_per_month(
    table: str, *owner: str, condition: Q | None = None, rule: str = ""
) -> models.UniqueConstraint:
    """`<table>_one_per_<rule>`: at most one row per `owner` fields and `month` (among the
    rows that match `condition`, when given). `rule` defaults to the fields joined by "_"
    ("person_kind_month")."""
    fields = [*owner, "month"]
    return models.UniqueConstraint(
        fields=fields,
        condition=condition,
        name=f"{table}_one_per_{rule or '_'.join(fields)}",
    )
