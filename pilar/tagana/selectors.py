"""Reads shared by the pages, the exports and the API: filtered events and the roster."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from pilar.lib.corrections import in_force_q
from pilar.regions.models import Area, within_areas_q
from pilar.registry.models import Assignment
from pilar.tagana.access import roster_scope_q
from pilar.tagana.models import TAGANA, Deployment, DisasterEvent


@dataclass
class EventFilter:
    kind: str = ""
    area: Area | None = None
    status: str = ""
    q: str = ""


def matching_events(user, f: EventFilter) -> QuerySet[DisasterEvent]:
    """The events `user` may see that match `f`, each with its number of deployments."""
    events = DisasterEvent.objects.visible_to(user)
    if f.kind:
        events = events.filter(kind=f.kind)
    if f.area is not None:
        events = events.filter(within_areas_q([f.area], "area"))
    if f.status:
        events = events.filter(status=f.status)
    for word in f.q.split():
        events = events.filter(Q(description__icontains=word) | Q(area__name__icontains=word))
    # Meta.ordering does not apply to a GROUP BY query: order explicitly for the pager.
    return (
        events.select_related("area__parent")
        .annotate(deployment_count=Count("deployments", filter=in_force_q("deployments__")))
        .order_by("-started_on", "-pk")
    )


@dataclass
class RosterRow:
    assignment: Assignment
    current: Deployment | None
    hours_this_year: Decimal
    deployments_this_year: int
    deployments: list[Deployment] = field(default_factory=list)

    @property
    def person(self):
        return self.assignment.person

    @property
    def available(self) -> bool:
        return self.current is None


def roster(user, *, status: str = "", q: str = "", now: datetime.datetime | None = None):
    """Active Tagana duties today that `user` may see, as a queryset to page through, and a
    function turning a page of it into RosterRows (deployment and hours this year)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    year_start = timezone.make_aware(datetime.datetime(today.year, 1, 1))
    ongoing = Deployment.objects.ongoing_at(now).filter(person_id=OuterRef("person_id"))
    duties = (
        Assignment.objects.active_on(today)
        .filter(kind__code=TAGANA)
        .filter(roster_scope_q(user))
        .annotate(deployed=Exists(ongoing))
        .select_related("person", "area")
        .order_by("person__name", "pk")
    )
    if status == "available":
        duties = duties.filter(deployed=False)
    elif status == "deployed":
        duties = duties.filter(deployed=True)
    for word in q.split():
        duties = duties.filter(Q(person__name__icontains=word) | Q(person__phone__icontains=word))

    def rows(page) -> list[RosterRow]:
        duties_on_page = list(page)
        recent = (
            Deployment.objects.in_force()
            .filter(person_id__in=[d.person_id for d in duties_on_page])
            .filter(Q(start__gte=year_start) | Q(end__isnull=True) | Q(end__gt=now))
            .select_related("event__area")
            .order_by("start", "pk")
        )
        by_person: dict[int, list[Deployment]] = {}
        for d in recent:
            by_person.setdefault(d.person_id, []).append(d)
        result = []
        for duty in duties_on_page:
            mine = by_person.get(duty.person_id, [])
            ongoing_now = [d for d in mine if d.start <= now and (d.end is None or d.end > now)]
            current = ongoing_now[0] if ongoing_now else None
            this_year = [d for d in mine if d.start >= year_start]
            result.append(
                RosterRow(
                    assignment=duty,
                    current=current,
                    hours_this_year=sum((d.hours_until(now) for d in this_year), Decimal("0.0")),
                    deployments_this_year=len(this_year),
                    deployments=mine,
                )
            )
        return result

    return duties, rows


def event_detail_parts(event: DisasterEvent, user):
    """The deployments of `event` that `user` may see (every entry, corrections beside what they
    correct), how many in force they may not, and the log."""
    everyone = event.deployments.select_related("person", "corrects", "corrected_by").order_by(
        "start", "pk"
    )
    shown = list(everyone.filter(pk__in=Deployment.objects.visible_to(user).values("pk")))
    hidden = everyone.in_force().count() - sum(1 for d in shown if d.in_force)
    log = event.log.select_related("written_by").order_by("at", "pk")
    return shown, hidden, log
