"""The outcomes of accompaniment as figures (docs/OUTCOMES.md): households accompanied six
months or more against those not (yet) accompanied, over the twelve months ending `as_of` —
decile movement, leaving the poorest deciles, cases closed (by reason and by PMKS category)
— and KUBE groups' monthly turnover.

`outcome_figures(scope, as_of)` is the interface other code calls (the page, the monthly
report): `scope` as `area_scope` returns it (a list of areas, or None for everywhere). Four
queries whatever the number of households; every count is of households, aggregated in the
database by the definitions of pilar/casework/cohorts.py, which the household list's filters
share (`households_query` builds the address of the rows behind a figure).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from pilar.casework.cohorts import (
    POOREST,
    Change,
    Closure,
    Group,
    Poorest,
    closed_by_category,
    outcome_households,
    window,
)
from pilar.casework.models import Household, NeedCategory
from pilar.kube.models import KubeMonthlyRecord
from pilar.lib.corrections import in_force_q
from pilar.lib.months import add_months, month_end, month_start, months_between
from pilar.regions.models import Area, within_areas_q

COMPARED = Group.COMPARED  # the two groups every figure compares


@dataclass(frozen=True)
class CategoryClosed:
    """Households closed or moved within the window holding a PMKS category that day."""

    category_id: int
    name: str
    by_group: dict[str, int]  # Group -> households
    better_off: dict[str, int]  # of them, found better off in a verification round


@dataclass(frozen=True)
class KubeMonth:
    month: datetime.date
    groups: int  # groups with a record in force for the month
    turnover: int  # their summed turnover, in rupiah

    @property
    def average(self) -> int | None:
        return round(self.turnover / self.groups) if self.groups else None


@dataclass
class Outcomes:
    as_of: datetime.date
    start: datetime.date
    households: dict[str, int] = field(default_factory=dict)  # Group -> households
    movement: dict[str, dict[str, int]] = field(default_factory=dict)  # Group -> Change -> n
    poorest: dict[str, dict[str, int]] = field(default_factory=dict)  # Group -> Poorest -> n
    closures: dict[str, dict[str, int]] = field(default_factory=dict)  # Group -> Closure -> n
    by_category: list[CategoryClosed] = field(default_factory=list)
    kube: list[KubeMonth] = field(default_factory=list)

    def in_poorest(self, group: str) -> int:
        """Households of `group` in deciles 1–2 at the window's start."""
        return sum(self.poorest.get(group, {}).values())

    def closed(self, group: str) -> int:
        return sum(self.closures.get(group, {}).values())

    def share(self, group: str, change: str) -> float | None:
        """The share (0–1) of `group`'s households with a known movement that moved as
        `change`; None when none is known."""
        known = sum(n for c, n in self.movement.get(group, {}).items() if c != Change.UNKNOWN)
        return self.movement.get(group, {}).get(change, 0) / known if known else None

    def as_tables(self) -> list[tuple[str, list[str], list[list]]]:
        """The figures as (title, columns, rows) for the monthly report's XLSX and PDF: the
        same numbers as the page, the groups compared in the columns."""
        groups = [str(Group.LABELS[g]) for g in COMPARED]
        period = _("%(start)s to %(end)s") % {
            "start": self.start.isoformat(),
            "end": self.as_of.isoformat(),
        }
        tables = [
            (
                _("Households compared (%(period)s)") % {"period": period},
                [_("Group"), _("Households")],
                [[str(Group.LABELS[g]), self.households.get(g, 0)] for g in Group.LABELS],
            ),
            (
                _("Decile movement over 12 months"),
                [_("Movement"), *groups],
                [
                    [str(label), *(self.movement.get(g, {}).get(c, 0) for g in COMPARED)]
                    for c, label in Change.LABELS.items()
                ],
            ),
            (
                _("Households in deciles 1–%(n)s twelve months before") % {"n": POOREST},
                [_("Where they are now"), *groups],
                [
                    [str(label), *(self.poorest.get(g, {}).get(p, 0) for g in COMPARED)]
                    for p, label in Poorest.LABELS.items()
                ],
            ),
            (
                _("Cases closed in the 12 months, by reason"),
                [_("Reason"), *groups],
                [
                    [str(label), *(self.closures.get(g, {}).get(c, 0) for g in COMPARED)]
                    for c, label in Closure.LABELS.items()
                ],
            ),
            (
                _("Cases closed in the 12 months, by PMKS category"),
                [
                    _("PMKS category"),
                    *groups,
                    *(_("%(group)s: found better off") % {"group": g} for g in groups),
                ],
                [
                    [
                        row.name,
                        *(row.by_group.get(g, 0) for g in COMPARED),
                        *(row.better_off.get(g, 0) for g in COMPARED),
                    ]
                    for row in self.by_category
                ],
            ),
            (
                _("KUBE groups' monthly turnover"),
                [_("Month"), _("Groups reporting"), _("Turnover (Rp)"), _("Average (Rp)")],
                [[m.month.strftime("%Y-%m"), m.groups, m.turnover, m.average] for m in self.kube],
            ),
        ]
        return tables


def _households(scope) -> object:
    households = Household.objects.all()
    if scope is not None:
        households = households.filter(
            area__in=Area.objects.filter(within_areas_q(scope, "")).values("pk")
        )
    return households


def outcome_figures(scope, as_of: datetime.date) -> Outcomes:
    """The outcome figures within `scope` (area_scope's list of areas, or None: everywhere)
    over the twelve months ending `as_of`."""
    start, end = window(as_of)
    figures = Outcomes(as_of=as_of, start=start)
    annotated = outcome_households(_households(scope), as_of)
    rows = (
        annotated.values("group", "decile_change", "poorest", "closure")
        .annotate(n=Count("pk"))
        .order_by()
    )
    nested = lambda: defaultdict(int)  # noqa: E731
    movement, poorest, closures = (defaultdict(nested) for _ in range(3))
    households: dict[str, int] = defaultdict(int)
    for row in rows:
        group, n = row["group"], row["n"]
        households[group] += n
        movement[group][row["decile_change"]] += n
        if row["poorest"]:
            poorest[group][row["poorest"]] += n
        if row["closure"]:
            closures[group][row["closure"]] += n
    figures.households = dict(households)
    figures.movement = {g: dict(v) for g, v in movement.items()}
    figures.poorest = {g: dict(v) for g, v in poorest.items()}
    figures.closures = {g: dict(v) for g, v in closures.items()}
    by_category: dict[int, tuple[dict, dict]] = {}
    for row in closed_by_category(annotated):
        counts, better = by_category.setdefault(row["category"], (defaultdict(int), {}))
        counts[row["group"]] += row["n"]
        if row["closure"] == Closure.BETTER_OFF:
            better[row["group"]] = better.get(row["group"], 0) + row["n"]
    names = dict(NeedCategory.objects.filter(pk__in=list(by_category)).values_list("pk", "name"))
    figures.by_category = sorted(
        (
            CategoryClosed(category_id=pk, name=names[pk], by_group=dict(c), better_off=b)
            for pk, (c, b) in by_category.items()
        ),
        key=lambda r: (-sum(r.by_group.get(g, 0) for g in COMPARED), r.name),
    )
    figures.kube = kube_turnover(scope, as_of)
    return figures


def kube_turnover(scope, as_of: datetime.date) -> list[KubeMonth]:
    """The twelve months up to the last one ended by `as_of` (its own month when `as_of` is the
    month's last day, else the month before): KUBE groups reporting and their summed turnover
    (the records in force: a corrected month counts once)."""
    last = month_start(as_of) if as_of == month_end(as_of) else add_months(month_start(as_of), -1)
    first = add_months(last, -11)
    records = KubeMonthlyRecord.objects.filter(in_force_q(), month__gte=first, month__lte=last)
    if scope is not None:
        records = records.filter(within_areas_q(scope, "group__area"))
    found = {
        r["month"]: r
        for r in records.values("month")
        .annotate(groups=Count("group", distinct=True), turnover=Sum("turnover"))
        .order_by()
    }
    return [
        KubeMonth(
            month=m,
            groups=found.get(m, {}).get("groups", 0),
            turnover=found.get(m, {}).get("turnover") or 0,
        )
        for m in months_between(first, last)
    ]


def households_query(as_of: datetime.date, **filters: str | int) -> str:
    """The household list's query string for the rows behind a figure."""
    return urlencode({**{k: v for k, v in filters.items() if v}, "as_of": as_of.isoformat()})
