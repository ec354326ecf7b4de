"""Verivali reads: a round's progress per kelurahan or per pillar (SQL aggregates, one query for
the figures and one for the names, whatever the number of households), and the visits behind
each figure."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from pilar.regions.models import Area
from pilar.registry.models import Person
from pilar.verivali.models import Finding, Round, Visit

STATES = ("visited", "accepted", "returned", "waiting", "outstanding")
FIGURES = ("total", *STATES)


@dataclass
class ProgressRow:
    key: int | None  # the kelurahan's or the pillar's id; None: visits not assigned yet
    label: str
    total: int = 0
    visited: int = 0
    accepted: int = 0
    returned: int = 0
    waiting: int = 0
    outstanding: int = 0


@dataclass
class Progress:
    by: str
    rows: list[ProgressRow] = field(default_factory=list)
    totals: ProgressRow = field(default_factory=lambda: ProgressRow(None, _("Total")))


def _figures():
    status = "finding__status"
    return {
        "total": Count("pk"),
        "visited": Count("finding"),
        "accepted": Count("pk", filter=Q(**{status: Finding.Status.ACCEPTED})),
        "returned": Count("pk", filter=Q(**{status: Finding.Status.RETURNED})),
        "waiting": Count("pk", filter=Q(**{status: Finding.Status.SUBMITTED})),
    }


def progress(round: Round, user, by: str = "area") -> Progress:
    """Per kelurahan (`by="area"`) or per pillar (`by="person"`) of the visits `user` sees:
    total, visited (a finding recorded), accepted, returned, waiting for review, outstanding
    (not visited yet); with the totals."""
    key = "person_id" if by == "person" else "area_id"
    figures = (
        Visit.objects.visible_to(user)
        .filter(round=round)
        .order_by()
        .values(key)
        .annotate(**_figures())
    )
    found = {row[key]: row for row in figures}
    ids = [k for k in found if k is not None]
    if by == "person":
        names = dict(Person.objects.filter(pk__in=ids).values_list("pk", "name"))
    else:
        names = dict(Area.objects.filter(pk__in=ids).values_list("pk", "name"))
    result = Progress(by=by)
    for k, row in found.items():
        label = names.get(k, "") if k is not None else _("not assigned yet")
        line = ProgressRow(k, label, **{f: row[f] for f in FIGURES if f != "outstanding"})
        line.outstanding = line.total - line.visited
        result.rows.append(line)
        for f in FIGURES:
            setattr(result.totals, f, getattr(result.totals, f) + getattr(line, f))
    result.rows.sort(key=lambda r: (r.key is None, r.label))
    return result


def visits(
    round: Round,
    user,
    *,
    area: int | None = None,
    person: int | None = None,
    state: str | None = None,
) -> QuerySet[Visit]:
    """The visits behind a figure of `progress`: of a kelurahan, of a pillar (0: not assigned),
    in a state (one of STATES)."""
    rows = Visit.objects.visible_to(user).filter(round=round)
    if area is not None:
        rows = rows.filter(area_id=area)
    if person == 0:
        rows = rows.filter(person__isnull=True)
    elif person is not None:
        rows = rows.filter(person_id=person)
    if state == "visited":
        rows = rows.filter(finding__isnull=False)
    elif state == "outstanding":
        rows = rows.filter(finding__isnull=True)
    elif state in ("accepted", "returned"):
        rows = rows.filter(finding__status=state)
    elif state == "waiting":
        rows = rows.filter(finding__status=Finding.Status.SUBMITTED)
    return rows.select_related("area", "person", "household", "finding").order_by(
        "area__code", "pk"
    )
