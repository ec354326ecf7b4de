"""Reads behind the casework pages: a fixed number of queries whatever the number of rows."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Exists, Max, Min, OuterRef, Q, Subquery
from django.utils import timezone

from pilar.accounts.access import Capability, hosts_others, office_of
from pilar.casework.models import (
    Activity,
    Caseload,
    MonthlyReport,
    activity_scope_q,
    report_scope_q,
)
from pilar.casework.report_services import report_due
from pilar.casework.services import today
from pilar.lib.months import month_end, month_start, previous_month
from pilar.offices import current
from pilar.offices.models import Office
from pilar.offices.services import office_for_area
from pilar.registry.models import Assignment, assignment_scope_q


def activity_group(pk: int):
    """The group (a KUBE group) with id `pk` that an activity may name, or None: read through
    the activity's own field, so casework does not import the kube app."""
    group_model = Activity._meta.get_field("kube_group").related_model
    return group_model.objects.filter(pk=pk).first()


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
    phone: str = ""  # the pillar's, from the registry (the status list's WhatsApp link)


def is_late(first_submitted, month: datetime.date, office=None) -> bool:
    """Whether a report first submitted at `first_submitted` missed its due day (in the
    office's time zone, not UTC). `office`: the office whose area holds the report
    (`office_for_area`), so that whoever reads it finds it late or not alike."""
    return first_submitted is not None and timezone.localdate(first_submitted) > report_due(
        month, office
    )


class DueDays:
    """The report due day of the office holding each area code, for a reader whose rows may lie
    in several offices (a province; docs/OFFICE.md, "Many offices"): the offices read once.
    Any other reader's rows all lie within its own office."""

    def __init__(self, user):
        self.own = office_of(user) or current()
        self.offices: list[tuple[str, object]] | None = None
        if hosts_others(office_of(user)):
            self.offices = sorted(
                (
                    (o.area.code, o)
                    for o in Office.objects.filter(area__isnull=False).select_related("area")
                ),
                key=lambda pair: -len(pair[0]),
            )

    def office(self, code: str):
        for prefix, office in self.offices or []:
            if code == prefix or code.startswith(prefix + "."):
                return office
        return self.own


def months_ending(month: datetime.date, count: int) -> list[datetime.date]:
    months = [month_start(month)]
    for _ in range(count - 1):
        months.insert(0, previous_month(months[0]))
    return months


def status_duties(user, first: datetime.date, last: datetime.date, *, area=None, kind=None):
    """Duties overlapping [first, last], within the user's scope (and `area`, `kind`)."""
    duties = (
        Assignment.objects.filter(assignment_scope_q(user, Capability.CASEWORK_VIEW))
        .filter(start_date__lte=last)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=first))
    )
    if area is not None:
        duties = duties.within(area)
    if kind is not None:
        duties = duties.filter(kind=kind)
    return duties


def status_pairs(user, month: datetime.date, *, months: int = 6, area=None, kind=None):
    """The (person, kind) pairs of the status table, in its order (name, then kind): a
    queryset, so that a page of them is one LIMIT."""
    window = months_ending(month, months)
    duties = status_duties(user, window[0], month_end(window[-1]), area=area, kind=kind)
    return (
        duties.values("person_id", "kind_id", "person__name", "kind__order")
        .distinct()
        .order_by("person__name", "person_id", "kind__order", "kind_id")
    )


def monthly_status(
    user,
    month: datetime.date,
    *,
    months: int = 6,
    area=None,
    kind=None,
    on: datetime.date | None = None,
    pairs: list[dict] | None = None,
) -> list[StatusRow]:
    """Pillars whose duties fall in the window (visible to `user`, optionally within `area`
    and of `kind`; only `pairs` when given, a page of `status_pairs`) × the `months` months
    ending with `month`: each cell the report's status, or missing/late/not due, and the
    month's number of activities. Three queries."""
    on = on or today()
    window = months_ending(month, months)
    first, last = window[0], month_end(window[-1])
    duties = status_duties(user, first, last, area=area, kind=kind)
    wanted = None
    if pairs is not None:
        wanted = {(p["person_id"], p["kind_id"]) for p in pairs}
        duties = duties.filter(
            person_id__in={p for p, _k in wanted}, kind_id__in={k for _p, k in wanted}
        )
    duty_rows = [
        r
        for r in duties.order_by(
            "person__name", "person_id", "kind__order", "start_date"
        ).values_list(
            "person_id",
            "person__name",
            "kind_id",
            "kind__code",
            "area__name",
            "start_date",
            "end_date",
            "area__code",
            "person__phone",
        )
        if wanted is None or (r[0], r[2]) in wanted
    ]
    people = {r[0] for r in duty_rows}
    # Reports and activities are read within the user's scope too: a pillar who moved to
    # another kecamatan has their later months there, not here.
    reports = {
        (pid, kid, m): (pk, status, submitted)
        for pk, pid, kid, m, status, submitted in MonthlyReport.objects.filter(
            report_scope_q(user), person_id__in=people, month__gte=first, month__lte=window[-1]
        )
        .order_by()  # the default ordering joins every report to its person to sort by name
        .values_list("pk", "person_id", "kind_id", "month", "status", "first_submitted_at")
    }
    counts = {
        (pid, kid, m): n
        for pid, kid, m, n in Activity.objects.current()
        .filter(activity_scope_q(user))
        .filter(person_id__in=people, month__gte=first, month__lte=window[-1])
        .values("person_id", "kind_id", "month")
        .annotate(n=Count("pk"))
        .values_list("person_id", "kind_id", "month", "n")
    }
    rows: dict[tuple[int, int], StatusRow] = {}
    spans: dict[tuple[int, int], list[tuple]] = {}
    codes: dict[tuple[int, int], str] = {}
    for pid, name, kid, code, area_name, start, end, area_code, phone in duty_rows:
        key = (pid, kid)
        if key not in rows:
            rows[key] = StatusRow(pid, name, code, kid, area_name, phone=phone)
        else:
            rows[key].area_name = area_name  # the latest duty's area
        codes[key] = area_code
        spans.setdefault(key, []).append((start, end))
    # The due day is the office's holding the duty's area (docs/CASEWORK.md): one calendar per
    # office met.
    dues = DueDays(user)
    calendars: dict[int, list[tuple]] = {}
    for key, row in rows.items():
        periods = spans[key]
        office = dues.office(codes[key])
        if office.pk not in calendars:
            calendars[office.pk] = _calendar(window, on, office)
        for m, end, deadline, missing in calendars[office.pk]:
            n = counts.get((*key, m), 0)
            found = reports.get((*key, m))
            if found:
                pk, status, submitted = found
                late = submitted is not None and submitted >= deadline
                row.cells.append(Cell(m, status, pk, n, late))
            elif not any(s <= end and (e is None or e >= m) for s, e in periods):
                row.cells.append(Cell(m, NOT_SERVING, None, n))
            else:
                row.cells.append(Cell(m, missing, None, n, missing == LATE))
    return list(rows.values())


def _calendar(window: list[datetime.date], on: datetime.date, office) -> list[tuple]:
    """Per month of `window` under `office`'s due day: its last day, the moment a report
    becomes late, and what a missing report is on `on`."""
    calendar = []
    for m in window:
        end, due = month_end(m), report_due(m, office)
        missing = LATE if on > due else MISSING if end <= on else NOT_DUE
        # Late: first sent on or after the day after the due day began in the office's zone.
        deadline = timezone.make_aware(
            datetime.datetime.combine(due + datetime.timedelta(days=1), datetime.time())
        )
        calendar.append((m, end, deadline, missing))
    return calendar


def status_totals(
    user, month: datetime.date, *, area=None, kind=None, on: datetime.date | None = None
) -> dict[str, int]:
    """How many pillars serving in `month` are in each state for it, over the whole table (not
    one page): reports by status, and the rest as not yet submitted, late or not due. Two
    queries."""
    on = on or today()
    # The due day of the office holding `area` (a province reading one kota's figures); without
    # an area, the reader's office's.
    end, due = month_end(month), report_due(month, office_for_area(area) if area else None)
    serving = status_duties(user, month, end, area=area, kind=kind)
    count = serving.values("person_id", "kind_id").distinct().count()
    same_pair = serving.filter(person_id=OuterRef("person_id"), kind_id=OuterRef("kind_id"))
    totals: dict[str, int] = dict(
        MonthlyReport.objects.filter(report_scope_q(user), month=month)
        .filter(Exists(same_pair))
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    rest = count - sum(totals.values())
    if rest > 0:
        totals[LATE if on > due else MISSING if end <= on else NOT_DUE] = rest
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


@dataclass
class SummaryRow:
    area: object
    by_sector: dict = field(default_factory=dict)
    activities: int = 0
    reached: int = 0
    households: int = 0
    accompanied: int = 0
    reports: dict = field(default_factory=dict)
    kecamatan: bool = False

    @property
    def coverage(self) -> int | None:
        return round(100 * self.accompanied / self.households) if self.households else None


def summary(areas, month: datetime.date) -> tuple[list[SummaryRow], SummaryRow]:
    """Aggregates only (no person, no household): per kelurahan of `areas` and per kecamatan,
    the month's activities by sector, households reached, households registered and
    accompanied, and monthly reports by state. Six grouped queries."""
    from pilar.casework.models import Household
    from pilar.regions.models import Area, within_areas_q

    scope = within_areas_q(areas, "area") if areas is not None else Q()
    kelurahan = list(
        Area.objects.filter(level=Area.Level.KELURAHAN)
        .filter(within_areas_q(areas, "") if areas is not None else Q())
        .order_by("code")
    )
    kecamatan = {
        a.code: a
        for a in Area.objects.filter(code__in={k.code.rsplit(".", 1)[0] for k in kelurahan})
    }
    rows = {k.pk: SummaryRow(k) for k in kelurahan}
    for area_id, sector, n in (
        Activity.objects.current()
        .filter(scope, month=month)
        .values("area_id", "sector")
        .annotate(n=Count("pk"))
        .values_list("area_id", "sector", "n")
    ):
        if area_id in rows:
            rows[area_id].by_sector[sector] = n
            rows[area_id].activities += n
    for area_id, n in (
        Activity.households.through.objects.filter(
            activity__month=month, activity__cancelled_at__isnull=True
        )
        .filter(within_areas_q(areas, "household__area") if areas is not None else Q())
        .values("household__area_id")
        .annotate(n=Count("household_id", distinct=True))
        .values_list("household__area_id", "n")
    ):
        if area_id in rows:
            rows[area_id].reached = n
    active = Household.objects.filter(scope, status="active")
    for area_id, n in active.values("area_id").annotate(n=Count("pk")).values_list("area_id", "n"):
        rows[area_id].households = n
    open_caseload = Caseload.objects.filter(household=OuterRef("pk"), end_date__isnull=True)
    for area_id, n in (
        active.filter(Exists(open_caseload))
        .values("area_id")
        .annotate(n=Count("pk"))
        .values_list("area_id", "n")
    ):
        rows[area_id].accompanied = n
    for area_id, status, n in (
        # No default order: it would join every report's person only to drop the order.
        MonthlyReport.objects.filter(scope, month=month)
        .order_by()
        .values("area_id", "status")
        .annotate(n=Count("pk"))
        .values_list("area_id", "status", "n")
    ):
        if area_id in rows:
            rows[area_id].reports[status] = n
    out: list[SummaryRow] = []
    total = SummaryRow(None)
    by_kecamatan: dict[str, list[SummaryRow]] = {}
    for r in rows.values():  # rows are in code order: each kecamatan's kelurahan together
        by_kecamatan.setdefault(r.area.code.rsplit(".", 1)[0], []).append(r)
    for code, kec in sorted(kecamatan.items()):
        sub = SummaryRow(kec, kecamatan=True)
        members = by_kecamatan.get(code, [])
        for r in members:
            for target in (sub, total):
                target.activities += r.activities
                target.reached += r.reached
                target.households += r.households
                target.accompanied += r.accompanied
                for k, v in r.by_sector.items():
                    target.by_sector[k] = target.by_sector.get(k, 0) + v
                for k, v in r.reports.items():
                    target.reports[k] = target.reports.get(k, 0) + v
        out += [sub, *members]
    return out, total


def summary_kept(areas, month: datetime.date):
    """((rows, total), counted_at): `summary`, kept for a few minutes for a scope of many
    households (pilar.lib.kept)."""
    from pilar.casework.models import Household
    from pilar.lib.kept import kept, scope_key
    from pilar.regions.models import within_areas_q

    households = Household.objects.all()
    if areas is not None:
        households = households.filter(within_areas_q(areas, "area"))
    key = f"casework-summary:{scope_key(areas)}:{month.isoformat()}"
    return kept(key, lambda: summary(areas, month), size_of=households)
