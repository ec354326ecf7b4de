"""Kinerja (performance): the pillars' work as 12-month trends, by pillar, kelurahan, kecamatan
and, for an office hosting others, by hosted office (docs/KINERJA.md).

The interface other code calls (the dashboard, the monthly report, the benchmarks):

    office_trend(scope, end_month, months=12, *, person_id=None) -> Trend
        The whole of `scope` month by month: `Trend.months` (first day of each month, oldest
        first) and `Trend.points` (one `Figures` per month).
    rows(scope, end_month, level, months=12) -> list[Row]
        One `Row` per pillar ("person"), kelurahan, kecamatan or hosted office ("office"): the
        same figures summed over the months, and the flags.

`scope` is what `pilar.accounts.access.area_scope` returns: a list of areas, or None for
everything the installation holds. `end_month` is any day of the last month shown.

Each function answers in a fixed number of grouped queries, whatever the number of pillars,
households or activities: the database groups by month (the `month` column of activities and
reports) and by area or pillar; Python only sums the grouped rows and maps area ids to their
kelurahan, kecamatan or office. Rows are read within the scope through `within_areas_q`.

What each figure counts:
- activities: activities not cancelled (`Activity.objects.current()`, as casework's summary
  counts them), by sector, in the month they were done, where the pillar served;
- reached: households with such an activity in the month (distinct), by the household's
  kelurahan (a row's 12-month figure counts each household once);
- caseload: households in a caseload on the month's last day (by the household's kelurahan);
- reports, on_time, verified: monthly reports of the month ever submitted, first submitted by
  the office's due day (`report_due`), verified;
- follow_ups, follow_ups_on_time: follow-ups due in the month (`follow_up_on`) of activities not
  cancelled, and those done on or before that day (`follow_up_done_on`);
- trainings: passes of a course required before appointment (`required_courses`), in the month
  the training event ended, counted by the area of the pillar's duty on that day.

Flags (counts of pillars or households; a person's row holds 0 or 1 for the first two):
- quiet: pillars serving on the last day of `end_month` since before the two months ending with
  it, with no activity in those two months;
- late_run: pillars serving through the three months ending with `end_month` whose report of
  each month was not submitted by its due day (late or missing), once all three are due;
- unserved: households still active whose open caseload's pillar holds no duty on the last day
  of `end_month` (by area; and, on a person's row, the households left in their caseload).
  By area, households accompanied by nobody count too.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone

from pilar.casework.models import Activity, Caseload, Household, MonthlyReport, Sector
from pilar.casework.report_services import report_due
from pilar.lib.months import add_months, month_end, month_start
from pilar.offices import current
from pilar.offices.models import Office
from pilar.regions.models import Area, within_areas_q
from pilar.registry.models import Assignment, Person
from pilar.trainings.models import Participant
from pilar.trainings.selectors import required_courses

__all__ = ["LEVELS", "Figures", "Row", "Trend", "office_trend", "rows", "totals", "window"]

PERSON, KELURAHAN, KECAMATAN, OFFICE = "person", "kelurahan", "kecamatan", "office"
LEVELS = (PERSON, KELURAHAN, KECAMATAN, OFFICE)
AREA_LEVEL = {KELURAHAN: Area.Level.KELURAHAN, KECAMATAN: Area.Level.KECAMATAN}
SECTORS = [value for value, _label in Sector.choices]
COUNTS = (
    "activities",
    "reached",
    "caseload",
    "reports",
    "on_time",
    "verified",
    "follow_ups",
    "follow_ups_on_time",
    "trainings",
)


@dataclass
class Figures:
    """One month's figures (a trend's point), or a row's summed over the months."""

    by_sector: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SECTORS, 0))
    activities: int = 0
    reached: int = 0
    caseload: int = 0
    reports: int = 0
    on_time: int = 0
    verified: int = 0
    follow_ups: int = 0
    follow_ups_on_time: int = 0
    trainings: int = 0

    def add(self, other: Figures, *, caseload: bool = True, reached: bool = True) -> None:
        """Add `other`'s counts; without `caseload` or `reached`, those stay (a row's caseload
        is its last month's, its households reached are counted once over the months)."""
        skip = {name for name, keep in (("caseload", caseload), ("reached", reached)) if not keep}
        for name in COUNTS:
            if name not in skip:
                setattr(self, name, getattr(self, name) + getattr(other, name))
        for sector, n in other.by_sector.items():
            self.by_sector[sector] = self.by_sector.get(sector, 0) + n

    @property
    def on_time_share(self) -> int | None:
        return round(100 * self.on_time / self.reports) if self.reports else None

    @property
    def follow_ups_share(self) -> int | None:
        return round(100 * self.follow_ups_on_time / self.follow_ups) if self.follow_ups else None

    @property
    def reached_share(self) -> int | None:
        return round(100 * self.reached / self.caseload) if self.caseload else None


@dataclass
class Trend:
    months: list[datetime.date]
    points: list[Figures]

    def series(self, name: str) -> list[int]:
        return [getattr(p, name) for p in self.points]

    def sector(self, sector: str) -> list[int]:
        return [p.by_sector.get(sector, 0) for p in self.points]


@dataclass
class Row:
    """A pillar's, an area's or an office's figures over the months, and its flags.

    `key`: the person's id, the area's code or the office's id; `code`: the area's code (the
    office's area for an office; None for a person); `wider`: an area above the level asked
    (a kecamatan's own duties in a table by kelurahan, a kota's Tagana)."""

    level: str
    key: object
    label: str
    code: str | None
    figures: Figures = field(default_factory=Figures)
    serving: int = 0
    quiet: int = 0
    late_run: int = 0
    unserved: int = 0
    wider: bool = False

    @property
    def flagged(self) -> bool:
        return bool(self.quiet or self.late_run or self.unserved)


def window(end_month: datetime.date, months: int = 12) -> list[datetime.date]:
    """The `months` months ending with the month of `end_month`, oldest first."""
    last = month_start(end_month)
    return [add_months(last, n) for n in range(1 - months, 1)]


def _areas(scope):
    """The ids of the areas of `scope`, as a subquery."""
    return Area.objects.filter(within_areas_q(scope, "")).values("pk")


def _scoped(queryset, scope, field: str):
    """`queryset` within `scope` through the area at `field`: by area id from a subquery, not a
    join to the area table, so the big tables (activities, reports) keep to their own indexes
    (as casework's `_area_q`)."""
    if scope is None:
        return queryset
    if not field:
        return queryset.filter(within_areas_q(scope, ""))
    return queryset.filter(**{f"{field}__in": _areas(scope)})


def _in_window(months: list[datetime.date]) -> dict:
    return {"month__gte": months[0], "month__lte": months[-1]}


# The field each question groups by: a pillar, or an area (mapped to its row afterwards).
_GROUP = {
    "activities": {PERSON: "person_id", "area": "area_id"},
    "reached": {PERSON: "activity__person_id", "area": "household__area_id"},
    "caseload": {PERSON: "person_id", "area": "household__area_id"},
    "reports": {PERSON: "person_id", "area": "area_id"},
    "duties": {PERSON: "person_id", "area": "area_id"},
}


def _by(question: str, by: str | None) -> list[str]:
    if by is None:
        return []
    return [_GROUP[question][PERSON if by == PERSON else "area"]]


def _due_offices(scope) -> tuple[list[Office], Office]:
    """The offices whose due day decides reports within `scope`: those inside it (a province's
    kab/kota, most specific first), and the one holding the scope (or the office acted for)."""
    default = current()
    offices = list(Office.objects.filter(area__isnull=False).select_related("area"))
    holding = [
        o
        for o in offices
        if scope is not None and all(a.is_within(o.area) for a in scope) and o.pk != default.pk
    ]
    if holding:
        default = max(holding, key=lambda o: o.area.level)
    inside = [
        o
        for o in offices
        if o.pk != default.pk
        and (scope is None or any(o.area.is_within(a) and o.area != a for a in scope))
    ]
    inside.sort(key=lambda o: -o.area.level)
    return inside, default


def _deadline(month: datetime.date, office: Office) -> datetime.datetime:
    """The moment a report of `month` under `office` becomes late: the day after its due day."""
    due = report_due(month, office)
    return timezone.make_aware(
        datetime.datetime.combine(due + datetime.timedelta(days=1), datetime.time())
    )


def _deadline_expr(months, offices: tuple[list[Office], Office]):
    """A report's deadline as an SQL value, by its month and the office holding its area."""
    inside, default = offices
    whens = []
    for month in months:
        for office in inside:
            whens.append(
                When(
                    Q(month=month) & within_areas_q([office.area], "area"),
                    then=Value(_deadline(month, office)),
                )
            )
        whens.append(When(month=month, then=Value(_deadline(month, default))))
    return Case(*whens, default=Value(None), output_field=DateTimeField())


def _collect(scope, months, by: str | None, person_id: int | None = None) -> dict:
    """{(group, month): Figures}: every figure of `months`, grouped by `by` (PERSON: the
    pillar's id; "area": the area's id; None: the whole scope, group None). Six grouped
    queries, and those reading the offices' due days and the required courses."""
    out: dict[tuple, Figures] = {}

    def at(group, month) -> Figures:
        key = (group, month)
        if key not in out:
            out[key] = Figures()
        return out[key]

    def group_of(row: dict, question: str):
        names = _by(question, by)
        return row[names[0]] if names else None

    mine = Q(person_id=person_id) if person_id is not None else Q()
    activities = _scoped(Activity.objects.current(), scope, "area").filter(
        mine, **_in_window(months)
    )
    for row in (
        activities.values(*_by("activities", by), "month", "sector")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        figures = at(group_of(row, "activities"), row["month"])
        figures.by_sector[row["sector"]] = figures.by_sector.get(row["sector"], 0) + row["n"]
        figures.activities += row["n"]
    # Follow-ups by the month they were due (not the activity's month).
    follow = activities.model.objects.current().filter(
        mine, follow_up_on__gte=months[0], follow_up_on__lte=month_end(months[-1])
    )
    for row in (
        _scoped(follow, scope, "area")
        .annotate(due=TruncMonth("follow_up_on"))
        .values(*_by("activities", by), "due")
        .annotate(
            n=Count("pk"),
            done=Count("pk", filter=Q(follow_up_done_on__lte=F("follow_up_on"))),
        )
        .order_by()
    ):
        figures = at(group_of(row, "activities"), _as_date(row["due"]))
        figures.follow_ups += row["n"]
        figures.follow_ups_on_time += row["done"]
    reached = Activity.households.through.objects.filter(
        activity__cancelled_at__isnull=True,
        activity__month__gte=months[0],
        activity__month__lte=months[-1],
    )
    if person_id is not None:
        reached = reached.filter(activity__person_id=person_id)
    reached = _scoped(reached, scope, "activity__area" if by == PERSON else "household__area")
    for row in (
        reached.values(*_by("reached", by), "activity__month")
        .annotate(n=Count("household_id", distinct=True))
        .order_by()
    ):
        at(group_of(row, "reached"), row["activity__month"]).reached += row["n"]
    caseloads = _scoped(Caseload.objects.all(), scope, "household__area").filter(
        mine, start_date__lte=month_end(months[-1])
    )
    counts = {
        f"m{i}": Count(
            "household_id",
            distinct=True,
            filter=Q(start_date__lte=month_end(m))
            & (Q(end_date__isnull=True) | Q(end_date__gte=month_end(m))),
        )
        for i, m in enumerate(months)
    }
    grouped = caseloads.values(*_by("caseload", by)) if by else caseloads
    results = (
        list(grouped.annotate(**counts).order_by())
        if by
        else [caseloads.order_by().aggregate(**counts)]
    )
    for row in results:
        group = group_of(row, "caseload") if by else None
        for i, m in enumerate(months):
            if row[f"m{i}"]:
                at(group, m).caseload += row[f"m{i}"]
    reports = _scoped(MonthlyReport.objects.all(), scope, "area").filter(
        mine, first_submitted_at__isnull=False, **_in_window(months)
    )
    deadline = _deadline_expr(months, _due_offices(scope))
    for row in (
        reports.annotate(deadline=deadline)
        .values(*_by("reports", by), "month")
        .annotate(
            n=Count("pk"),
            on_time=Count("pk", filter=Q(first_submitted_at__lt=F("deadline"))),
            verified=Count("pk", filter=Q(status=MonthlyReport.Status.VERIFIED)),
        )
        .order_by()
    ):
        figures = at(group_of(row, "reports"), row["month"])
        figures.reports += row["n"]
        figures.on_time += row["on_time"]
        figures.verified += row["verified"]
    _collect_trainings(scope, months, by, person_id, at)
    return out


def _as_date(value) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


def _collect_trainings(scope, months, by, person_id, at) -> None:
    """Passes of a required course, by the month the event ended and the pillar's duty then."""
    courses = [c.pk for c in required_courses()]
    if not courses:
        return
    duty = Q(
        person__assignments__start_date__lte=F("event__end_date"),
    ) & (
        Q(person__assignments__end_date__isnull=True)
        | Q(person__assignments__end_date__gte=F("event__end_date"))
    )
    if scope is not None:
        duty &= Q(person__assignments__area__in=_areas(scope))
    passes = Participant.objects.filter(
        duty,
        result=Participant.Result.PASSED,
        event__course_id__in=courses,
        event__end_date__gte=months[0],
        event__end_date__lte=month_end(months[-1]),
    )
    if person_id is not None:
        passes = passes.filter(person_id=person_id)
    group = {PERSON: ["person_id"], "area": ["person__assignments__area_id"]}.get(by, [])
    for row in (
        passes.annotate(ended=TruncMonth("event__end_date"))
        .values(*group, "ended")
        .annotate(n=Count("pk", distinct=True))
        .order_by()
    ):
        at(row[group[0]] if group else None, _as_date(row["ended"])).trainings += row["n"]


def office_trend(
    scope, end_month: datetime.date, months: int = 12, *, person_id: int | None = None
) -> Trend:
    """The figures of `scope` (of one pillar when `person_id` is given) for each of the
    `months` months ending with `end_month`. A fixed number of queries (about ten), whatever
    the data's size."""
    window_months = window(end_month, months)
    found = _collect(scope, window_months, None, person_id)
    points = [found.get((None, m)) or Figures() for m in window_months]
    return Trend(months=window_months, points=points)


# Flags ------------------------------------------------------------------------------------


def _duties(scope):
    return _scoped(Assignment.objects.all(), scope, "area")


def _quiet(scope, months, by) -> dict:
    """{group: pillars serving at the end of the window, since before its last two months,
    with no activity in those two months}."""
    last, first = months[-1], months[-2] if len(months) > 1 else months[-1]
    active = Activity.objects.current().filter(
        person_id=OuterRef("person_id"), month__gte=first, month__lte=last
    )
    duties = (
        _duties(scope)
        .active_on(month_end(last))
        .filter(start_date__lte=first)
        .filter(~Exists(active))
    )
    return _count_people(duties, by)


def _serving(scope, months, by) -> dict:
    return _count_people(_duties(scope).active_on(month_end(months[-1])), by)


def _count_people(duties, by) -> dict:
    if by is None:
        return {None: duties.values("person_id").distinct().count()}
    names = _by("duties", by)
    return {
        row[names[0]]: row["n"]
        for row in duties.values(*names).annotate(n=Count("person_id", distinct=True)).order_by()
    }


def _late_run(scope, months, by) -> dict:
    """{group: pillars serving through the last three months, whose report of each of them was
    not first submitted by its due day}; nothing while the last of them is not yet due."""
    run = months[-3:]
    offices = _due_offices(scope)
    if len(run) < 3 or timezone.now() < _deadline(run[-1], offices[1]):
        return {}
    deadline = _deadline_expr(run, offices)
    duties = _duties(scope).filter(start_date__lte=run[0]).not_ended_by(month_end(run[-1]))
    for month in run:
        on_time = (
            MonthlyReport.objects.filter(
                person_id=OuterRef("person_id"), kind_id=OuterRef("kind_id"), month=month
            )
            .annotate(deadline=deadline)
            .filter(first_submitted_at__lt=F("deadline"))
        )
        duties = duties.filter(~Exists(on_time))
    return _count_people(duties, by)


def _unserved(scope, day: datetime.date, by) -> dict:
    """{group: active households with no caseload on `day` whose pillar serves then}; by
    person: the households left in the caseload of a pillar without a duty."""
    serving = Assignment.objects.active_on(day).filter(person_id=OuterRef("person_id"))
    if by == PERSON:
        left = (
            _scoped(Caseload.objects.active_on(day), scope, "household__area")
            .filter(household__status=Household.Status.ACTIVE)
            .filter(~Exists(serving))
        )
        return {
            row["person_id"]: row["n"]
            for row in left.values("person_id").annotate(n=Count("household_id")).order_by()
        }
    served = Caseload.objects.active_on(day).filter(household_id=OuterRef("pk"))
    served = served.filter(
        Exists(Assignment.objects.active_on(day).filter(person_id=OuterRef("person_id")))
    )
    households = _scoped(Household.objects.filter(status=Household.Status.ACTIVE), scope, "area")
    households = households.filter(~Exists(served))
    if by is None:
        return {None: households.count()}
    return {
        row["area_id"]: row["n"]
        for row in households.values("area_id").annotate(n=Count("pk")).order_by()
    }


# Rows -------------------------------------------------------------------------------------


@dataclass
class _Places:
    """The areas of a scope (id → code, level, label) and, for the office level, the hosted
    offices by their area's code: what turns an area id into its row."""

    areas: dict[int, tuple[str, int, str]]
    offices: list[Office]

    def key(self, area_id, level: str):
        found = self.areas.get(area_id)
        if found is None:
            return None
        code, area_level, _label = found
        if level == OFFICE:
            for office in self.offices:
                if code == office.area.code or code.startswith(office.area.code + "."):
                    return office.pk
            return None
        wanted = AREA_LEVEL[level]
        return ".".join(code.split(".")[:wanted]) if area_level >= wanted else code


def _places(scope, level: str) -> _Places:
    areas = _scoped(Area.objects.all(), scope, "").order_by()
    found = {
        pk: (code, area_level, Area(code=code, level=area_level, kind=kind, name=name).label)
        for pk, code, area_level, kind, name in areas.values_list(
            "pk", "code", "level", "kind", "name"
        )
    }
    offices = []
    if level == OFFICE:
        offices = [
            o
            for o in Office.objects.filter(area__isnull=False).select_related("area")
            if scope is None or any(o.area.is_within(a) for a in scope)
        ]
        offices = [
            o for o in offices if not any(p.area.is_within(o.area) for p in offices if p != o)
        ]
        offices.sort(key=lambda o: o.area.code)
    return _Places(found, offices)


def rows(scope, end_month: datetime.date, level: str, months: int = 12) -> list[Row]:
    """One row per pillar, kelurahan, kecamatan or hosted office of `scope` (`level`), each with
    its figures summed over the `months` months ending with `end_month` (its caseload: on the
    last day) and its flags. A fixed number of queries (about twenty), one of them naming the
    pillars or areas; rows in the order of their codes (pillars: by name)."""
    if level not in LEVELS:
        raise ValueError(level)
    window_months = window(end_month, months)
    last_day = month_end(window_months[-1])
    by = PERSON if level == PERSON else "area"
    found = _collect(scope, window_months, by)
    reached = _reached_once(scope, window_months, by)
    flags = {
        "serving": _serving(scope, window_months, by),
        "quiet": _quiet(scope, window_months, by),
        "late_run": _late_run(scope, window_months, by),
        "unserved": _unserved(scope, last_day, by),
    }
    out: dict[object, Row] = {}
    places = None if level == PERSON else _places(scope, level)

    def row_of(group) -> Row | None:
        key = group if places is None else places.key(group, level)
        if key is None:
            return None
        if key not in out:
            out[key] = Row(level=level, key=key, label="", code=None)
        return out[key]

    for (group, month), figures in found.items():
        row = row_of(group)
        if row is not None:
            row.figures.add(figures, caseload=month == window_months[-1], reached=False)
    for group, n in reached.items():
        row = row_of(group)
        if row is not None:
            row.figures.reached += n
    for name, counts in flags.items():
        for group, n in counts.items():
            row = row_of(group)
            if row is not None:
                setattr(row, name, getattr(row, name) + n)
    # Rows with nothing to count still show: every kelurahan, kecamatan or office of the scope.
    if places is not None:
        _add_empty_rows(out, places, level)
        _label_areas(out, places, level)
    else:
        _label_people(out)
    ordered = sorted(
        out.values(),
        key=lambda r: (
            (r.label.casefold(), r.key) if level == PERSON else (r.code or "", str(r.key))
        ),
    )
    return ordered


def _reached_once(scope, months, by) -> dict:
    """{group: households reached in the window}, each household once."""
    reached = Activity.households.through.objects.filter(
        activity__cancelled_at__isnull=True,
        activity__month__gte=months[0],
        activity__month__lte=months[-1],
    )
    field_name = _by("reached", by)[0]
    reached = _scoped(reached, scope, "activity__area" if by == PERSON else "household__area")
    return {
        row[field_name]: row["n"]
        for row in reached.values(field_name)
        .annotate(n=Count("household_id", distinct=True))
        .order_by()
    }


def _add_empty_rows(out: dict, places: _Places, level: str) -> None:
    if level == OFFICE:
        for office in places.offices:
            out.setdefault(office.pk, Row(level=level, key=office.pk, label="", code=None))
        return
    wanted = AREA_LEVEL[level]
    for code, area_level, _label in places.areas.values():
        if area_level == wanted:
            out.setdefault(code, Row(level=level, key=code, label="", code=code))


def _label_areas(out: dict, places: _Places, level: str) -> None:
    if level == OFFICE:
        offices = {o.pk: o for o in places.offices}
        for key, row in out.items():
            row.label, row.code = offices[key].name, offices[key].area.code
        return
    by_code = {code: (area_level, label) for code, area_level, label in places.areas.values()}
    wanted = AREA_LEVEL[level]
    for key, row in out.items():
        area_level, label = by_code.get(key, (wanted, key))
        row.code, row.label, row.wider = key, label, area_level < wanted


def _label_people(out: dict) -> None:
    names = dict(Person.objects.filter(pk__in=list(out)).values_list("pk", "name"))
    for key, row in out.items():
        row.label = names.get(key, "")


def totals(found: list[Row]) -> Row:
    """The rows' sum (flags and caseload summed too; `reached` as summed, an upper bound when a
    household was reached from two rows)."""
    total = Row(level="total", key=None, label="", code=None)
    for row in found:
        total.figures.add(row.figures)
        total.serving += row.serving
        total.quiet += row.quiet
        total.late_run += row.late_run
        total.unserved += row.unserved
    return total
