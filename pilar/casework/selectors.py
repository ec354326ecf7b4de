"""Reads behind the casework pages: a fixed number of queries whatever the number of rows."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Max, Min, OuterRef, Q, Subquery

from pilar.accounts.access import Capability, assignment_scope_q
from pilar.casework.models import Activity, Caseload, MonthlyReport
from pilar.casework.services import month_end, month_start, report_due, today
from pilar.registry.models import Assignment

MISSING = "missing"
LATE = "late"
NOT_DUE = "not_due"
NOT_SERVING = "not_serving"


@dataclass
class Cell:
    month: datetime.date
    status: str  # a MonthlyReport.Status value, or MISSING/LATE/NOT_DUE/NOT_SERVING
    report_id: int | None = None
    activities: int = 0
    late: bool = False


@dataclass
class StatusRow:
    person_id: int
    name: str
    kind_code: str
    kind_id: int
    area_name: str
    cells: list[Cell] = field(default_factory=list)


def months_ending(month: datetime.date, count: int) -> list[datetime.date]:
    months = [month_start(month)]
    for _ in range(count - 1):
        months.insert(0, month_start(months[0] - datetime.timedelta(days=1)))
    return months


def monthly_status(
    user,
    month: datetime.date,
    *,
    months: int = 6,
    area=None,
    kind=None,
    on: datetime.date | None = None,
) -> list[StatusRow]:
    """Pillars whose duties fall in the window (visible to `user`, optionally within `area`
    and of `kind`) × the `months` months ending with `month`: each cell the report's status, or
    missing/late/not due, and the month's number of activities. Three queries."""
    on = on or today()
    window = months_ending(month, months)
    first, last = window[0], month_end(window[-1])
    duties = (
        Assignment.objects.filter(assignment_scope_q(user, Capability.CASEWORK_VIEW))
        .filter(start_date__lte=last)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=first))
    )
    if area is not None:
        duties = duties.within(area)
    if kind is not None:
        duties = duties.filter(kind=kind)
    duty_rows = list(
        duties.order_by("person__name", "kind__order", "start_date").values_list(
            "person_id",
            "person__name",
            "kind_id",
            "kind__code",
            "area__name",
            "start_date",
            "end_date",
        )
    )
    people = {r[0] for r in duty_rows}
    reports = {
        (pid, kid, m): (pk, status, submitted)
        for pk, pid, kid, m, status, submitted in MonthlyReport.objects.filter(
            person_id__in=people, month__gte=first, month__lte=window[-1]
        )
        .order_by()  # the default ordering joins every report to its person to sort by name
        .values_list("pk", "person_id", "kind_id", "month", "status", "submitted_at")
    }
    counts = {
        (pid, kid, m): n
        for pid, kid, m, n in Activity.objects.current()
        .filter(person_id__in=people, month__gte=first, month__lte=window[-1])
        .values("person_id", "kind_id", "month")
        .annotate(n=Count("pk"))
        .values_list("person_id", "kind_id", "month", "n")
    }
    rows: dict[tuple[int, int], StatusRow] = {}
    spans: dict[tuple[int, int], list[tuple]] = {}
    for pid, name, kid, code, area_name, start, end in duty_rows:
        key = (pid, kid)
        if key not in rows:
            rows[key] = StatusRow(pid, name, code, kid, area_name)
        else:
            rows[key].area_name = area_name  # the latest duty's area
        spans.setdefault(key, []).append((start, end))
    for key, row in rows.items():
        for m in window:
            served = any(s <= month_end(m) and (e is None or e >= m) for s, e in spans[key])
            n = counts.get((*key, m), 0)
            found = reports.get((*key, m))
            if found:
                pk, status, submitted = found
                late = submitted is not None and submitted.date() > report_due(m)
                row.cells.append(Cell(m, status, pk, n, late))
            elif not served:
                row.cells.append(Cell(m, NOT_SERVING, None, n))
            elif on > report_due(m):
                row.cells.append(Cell(m, LATE, None, n, True))
            elif m <= month_start(on):
                row.cells.append(Cell(m, MISSING, None, n))
            else:
                row.cells.append(Cell(m, NOT_DUE, None, n))
    return list(rows.values())


def status_totals(rows: list[StatusRow]) -> dict[str, int]:
    """How many pillars are in each state in the last month of the window."""
    totals: dict[str, int] = {}
    for row in rows:
        status = row.cells[-1].status
        totals[status] = totals.get(status, 0) + 1
    return totals


def caseload_of(person_id: int, *, households=None):
    """A pillar's current households with their head, last activity and next follow-up."""
    from pilar.casework.models import HouseholdMember

    head = (
        HouseholdMember.objects.filter(
            household=OuterRef("household_id"), relation="head", left_on__isnull=True
        )
        .order_by()
        .values("name")[:1]
    )  # one head: the default ordering would join and sort
    visits = Activity.households.through.objects.filter(
        household_id=OuterRef("household_id"), activity__cancelled_at__isnull=True
    )
    last = visits.order_by().values("household_id").annotate(d=Max("activity__date")).values("d")
    follow = (
        visits.filter(
            activity__follow_up_on__isnull=False, activity__follow_up_done_on__isnull=True
        )
        .order_by()
        .values("household_id")
        .annotate(d=Min("activity__follow_up_on"))
        .values("d")
    )
    rows = (
        Caseload.objects.filter(person_id=person_id, end_date__isnull=True)
        .select_related("household__area")
        .annotate(
            head_name=Subquery(head), last_activity=Subquery(last), follow_up=Subquery(follow)
        )
        .order_by("household__area__code", "head_name", "pk")
    )
    if households is not None:
        rows = rows.filter(household__in=households)
    return rows


def due_follow_ups(activities, *, on: datetime.date | None = None):
    """Open follow-ups (not done, not cancelled), the earliest first."""
    return (
        activities.current()
        .filter(follow_up_on__isnull=False, follow_up_done_on__isnull=True)
        .select_related("person", "activity_type", "area")
        .order_by("follow_up_on", "pk")
    )
