"""Where the gaps are in trainings and equipment, as figures without names, for the dashboard:
who serves without a required training, certificates about to expire, who was trained in the
last year, and items still held by people who have left. Scoped to the areas where the user
reads aggregates (`None`: everywhere)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum

from pilar.equipment.selectors import HoldingFilter, returns_due
from pilar.lib.months import add_months
from pilar.regions.models import within_areas_q
from pilar.registry.models import Assignment
from pilar.trainings.models import Certificate, Participant
from pilar.trainings.selectors import lacking_required, required_courses

EXPIRING_DAYS = 60


@dataclass
class Gaps:
    serving: int = 0
    trained: int = 0
    missing: int = 0
    missing_by_kind: list[tuple[str, int]] = field(default_factory=list)
    expiring: int = 0
    due_people: int = 0
    due_items: int = 0

    @property
    def trained_share(self) -> int:
        return round(100 * self.trained / self.serving) if self.serving else 0


def _duties(scope) -> object:
    duties = Assignment.objects.all()
    return duties if scope is None else duties.filter(within_areas_q(scope, "area"))


def training_and_equipment_gaps(scope, as_of: datetime.date) -> Gaps:
    duties = _duties(scope)
    active = duties.active_on(as_of)
    serving = active.values("person_id")
    gaps = Gaps(serving=active.values("person_id").distinct().count())
    year_ago = add_months(as_of, -12)
    gaps.trained = (
        Participant.objects.filter(
            person_id__in=serving,
            result=Participant.Result.PASSED,
            event__end_date__gt=year_ago,
            event__end_date__lte=as_of,
        )
        .values("person_id")
        .distinct()
        .count()
    )
    courses = required_courses()
    if courses:
        lacking = lacking_required(duties, courses, as_of).order_by()
        gaps.missing = lacking.values("person_id").distinct().count()
        gaps.missing_by_kind = [
            (row["kind__code"], row["n"])
            for row in lacking.values("kind__code", "kind__order")
            .annotate(n=Count("person_id", distinct=True))
            .order_by("kind__order", "kind__code")
        ]
    people = duties.values("person_id")
    gaps.expiring = (
        Certificate.objects.valid_on(as_of)
        .filter(
            participant__person_id__in=people,
            valid_until__lt=as_of + datetime.timedelta(days=EXPIRING_DAYS),
        )
        .count()
    )
    due = returns_due(None, HoldingFilter(), today=as_of)
    if scope is not None:
        due = due.filter(Q(person_id__in=people))
    totals = due.order_by().aggregate(items=Sum("held"), people=Count("person_id", distinct=True))
    gaps.due_items = totals["items"] or 0
    gaps.due_people = totals["people"]
    return gaps
