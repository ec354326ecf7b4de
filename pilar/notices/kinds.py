"""What each kind of reminder is due for, on a day (docs/NOTICES.md, "Kinds and timing").

Each maker reads, in a few queries whatever the number of people, the records its kind watches
and answers `Due` items: for whom, under which key, and how to write it. The services make a
notice of each, once (the constraint on (user, kind, key)), in the user's language.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pilar.accounts.access import roles_of, top_office
from pilar.accounts.models import Role, User
from pilar.casework.models import Activity, MonthlyReport
from pilar.lib.dates import long_date
from pilar.lib.money import rupiah
from pilar.lib.months import month_end, month_label, previous_month
from pilar.notices.models import Kind
from pilar.offices.models import Office
from pilar.regions.models import within_areas_q
from pilar.registry.models import Assignment
from pilar.stipends.models import StipendLine
from pilar.trainings.models import Certificate

# A month's report: reminded this many days before its due day, and again from the due day on
# while it is still not submitted.
REPORT_DAYS_BEFORE = 3
# A follow-up: reminded on its day (or up to two days later if the worker was away), and as
# overdue three days after it, while it is not done.
FOLLOW_UP_LATE_AFTER = 3
# Nothing older than this is reminded of: the first round after reminders are switched on
# does not flood anyone with what happened months ago.
LOOK_BACK = datetime.timedelta(days=30)
# A certificate: reminded this many days before its last valid day.
CERTIFICATE_DAYS_BEFORE = 30


@dataclass(frozen=True)
class Due:
    """A reminder that is due: `write()` answers (title, body), called in the user's language."""

    user: User
    kind: str
    key: str
    url: str
    write: Callable[[], tuple[str, str]]


def _users_with_person(role: str | None = None) -> dict[int, User]:
    """Active users linked to a person in the registry (holding `role`, when given), by person."""
    users = User.objects.filter(is_active=True, person__isnull=False)
    if role is not None:
        users = users.filter(grants__role=role)
    return {u.person_id: u for u in users.distinct()}


def _office_finder() -> Callable[[str], Office]:
    """The office holding an area code most closely (docs/OFFICE.md, "Many offices"); the top
    office for codes no office holds. The offices are read once."""
    ranked = sorted(
        (
            (o.area.code, o)
            for o in Office.objects.filter(area__isnull=False).select_related("area")
        ),
        key=lambda pair: -len(pair[0]),
    )
    top = top_office()

    def find(code: str) -> Office:
        for prefix, office in ranked:
            if code == prefix or code.startswith(prefix + "."):
                return office
        return top

    return find


def report_due(today: datetime.date) -> Iterator[Due]:
    """A month's report of each duty a pillar served in it, not submitted (nor verified): from
    REPORT_DAYS_BEFORE days before the office's due day in the month after (once), and from the
    due day on (once more) while it is still missing. With a due day of 1 to 3, the days before
    fall in the reported month itself: this month's report is looked at too."""
    users = _users_with_person(Role.PILLAR)
    if not users:
        return
    this_month = today.replace(day=1)
    yield from _report_due(today, previous_month(today), today, users)
    yield from _report_due(today, this_month, month_end(this_month) + datetime.timedelta(1), users)


def _report_due(today, month, due_month, users) -> Iterator[Due]:
    """Report-due notices for `month`, whose due day falls in the month of `due_month`."""
    duties = (
        Assignment.objects.filter(person_id__in=users, start_date__lte=month_end(month))
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=month))
        .order_by("person_id", "kind_id", "start_date")
        .values_list("person_id", "kind_id", "kind__code", "kind__name", "area__code")
    )
    latest = {(p, k): (code, name, area) for p, k, code, name, area in duties}
    done = set(
        MonthlyReport.objects.filter(
            person_id__in=users,
            month=month,
            status__in=[MonthlyReport.Status.SUBMITTED, MonthlyReport.Status.VERIFIED],
        ).values_list("person_id", "kind_id")
    )
    office_of_area = _office_finder()
    url = reverse("casework:my-reports")
    for (person_id, kind_id), (code, name, area) in latest.items():
        if (person_id, kind_id) in done:
            continue
        office = office_of_area(area)
        if office is None:
            continue
        due = due_month.replace(day=office.report_due_day)
        if today >= due:
            phase = "day"
        elif today >= due - datetime.timedelta(days=REPORT_DAYS_BEFORE):
            phase = "before"
        else:
            continue

        def write(name=name, due=due, phase=phase) -> tuple[str, str]:
            values = {"month": month_label(month), "kind": name, "day": long_date(due)}
            if phase == "before":
                title = _("Monthly report for %(month)s due on %(day)s") % values
            elif today == due:
                title = _("Monthly report for %(month)s due today") % values
            else:
                title = _("Monthly report for %(month)s is late") % values
            body = (
                _(
                    "Your report as %(kind)s for %(month)s is not submitted yet. It is due on "
                    "%(day)s."
                )
                % values
            )
            return title, body

        yield Due(users[person_id], Kind.REPORT_DUE, f"{code}:{month:%Y-%m}:{phase}", url, write)


DECIDERS = {Role.COORDINATOR, Role.ADMIN, Role.OPERATOR}


def waiting_for(user):
    """The submitted reports `user` may verify or return (pilar/casework/access.py
    `may_decide`, as a queryset): PSM reports in a coordinator's kecamatan, other kinds the
    office's; never their own."""
    roles = roles_of(user)
    q = Q(pk__in=[])
    if Role.COORDINATOR in roles:
        areas = [g.area for g in user.grants.all() if g.role == Role.COORDINATOR and g.area_id]
        q |= Q(kind__code="PSM") & within_areas_q(areas, "area")
    if roles & {Role.ADMIN, Role.OPERATOR}:
        q |= ~Q(kind__code="PSM")
    reports = MonthlyReport.objects.visible_to(user).filter(q, status="submitted")
    if user.person_id:
        reports = reports.exclude(person_id=user.person_id)
    return reports


def reports_waiting(today: datetime.date, *, skip: set[int]) -> Iterator[Due]:
    """Once a day, to each who may verify reports while any of theirs wait. `skip`: users who
    have today's notice already or switched it off (no need to count theirs)."""
    deciders = (
        User.objects.filter(is_active=True, grants__role__in=DECIDERS)
        .exclude(pk__in=skip)
        .distinct()
        .prefetch_related("grants__area")
    )
    url = reverse("casework:report-status")
    for user in deciders:
        user._pilar_grants = list(user.grants.all())
        n = waiting_for(user).count()
        if not n:
            continue

        def write(n=n) -> tuple[str, str]:
            title = ngettext(
                "%(n)d report waits for verification",
                "%(n)d reports wait for verification",
                n,
            ) % {"n": n}
            return title, _("Open the monthly reports to verify or return them.")

        yield Due(user, Kind.REPORTS_WAITING, today.isoformat(), url, write)


def follow_up(today: datetime.date) -> Iterator[Due]:
    """A pillar's own follow-ups not done: on the day (up to two days after, if the worker was
    away), and as overdue FOLLOW_UP_LATE_AFTER days after it, within LOOK_BACK."""
    users = _users_with_person(Role.PILLAR)
    if not users:
        return
    activities = (
        Activity.objects.current()
        .filter(
            person_id__in=users,
            follow_up_done_on__isnull=True,
            follow_up_on__gte=today - LOOK_BACK,
            follow_up_on__lte=today,
        )
        .select_related("activity_type")
        .order_by()
    )
    late_after = datetime.timedelta(days=FOLLOW_UP_LATE_AFTER)
    for activity in activities:
        day = activity.follow_up_on
        phase = "overdue" if today >= day + late_after else "due"

        def write(activity=activity, day=day, phase=phase) -> tuple[str, str]:
            values = {
                "activity": activity.activity_type.name,
                "date": long_date(activity.date),
                "day": long_date(day),
            }
            if phase == "due":
                title = _("Follow-up due: %(activity)s") % values
            else:
                title = _("Follow-up overdue since %(day)s: %(activity)s") % values
            body = _("%(activity)s of %(date)s is to be followed up on %(day)s.") % values
            return title, body

        yield Due(
            users[activity.person_id],
            Kind.FOLLOW_UP,
            f"{activity.pk}:{phase}",
            reverse("casework:activity-detail", args=[activity.pk]),
            write,
        )


def certificate(today: datetime.date) -> Iterator[Due]:
    """A certificate in force whose last valid day is within CERTIFICATE_DAYS_BEFORE days: once
    (once more if it is renewed to a new date)."""
    users = _users_with_person()
    if not users:
        return
    certificates = Certificate.objects.filter(
        revoked_at__isnull=True,
        valid_until__gte=today,
        valid_until__lte=today + datetime.timedelta(days=CERTIFICATE_DAYS_BEFORE),
        participant__person_id__in=users,
    ).values_list("pk", "participant__person_id", "course_name", "number", "valid_until")
    url = reverse("trainings:mine")
    for pk, person_id, course, number, until in certificates.order_by():

        def write(course=course, number=number, until=until) -> tuple[str, str]:
            values = {"course": course, "number": number, "day": long_date(until)}
            title = _("Certificate expires on %(day)s") % values
            body = _("Your certificate %(course)s (%(number)s) is valid until %(day)s.") % values
            return title, body

        yield Due(users[person_id], Kind.CERTIFICATE, f"{pk}:{until}", url, write)


def stipend_paid(today: datetime.date) -> Iterator[Due]:
    """Each of a pillar's tali kasih lines marked paid (within LOOK_BACK): once."""
    users = _users_with_person(Role.PILLAR)
    if not users:
        return
    lines = StipendLine.objects.filter(
        status=StipendLine.Status.PAID,
        reverses__isnull=True,
        paid_on__gte=today - LOOK_BACK,
        person_id__in=users,
    ).values_list("pk", "person_id", "kind__name", "month", "amount", "paid_on")
    url = reverse("stipends:mine")
    for pk, person_id, kind_name, month, amount, paid_on in lines.order_by():

        def write(kind_name=kind_name, month=month, amount=amount, paid_on=paid_on):
            values = {
                "amount": rupiah(amount),
                "kind": kind_name,
                "month": month_label(month),
                "day": long_date(paid_on),
            }
            title = _("Tali kasih paid: Rp %(amount)s") % values
            body = _("Your tali kasih as %(kind)s for %(month)s was paid on %(day)s.") % values
            return title, body

        yield Due(users[person_id], Kind.STIPEND_PAID, str(pk), url, write)


def kinds_for(user) -> list[str]:
    """The kinds of reminder that can reach `user` by their roles (the settings page shows
    only these)."""
    roles = roles_of(user)
    own = bool(getattr(user, "person_id", None))
    kinds = []
    if own and Role.PILLAR in roles:
        kinds += [Kind.REPORT_DUE]
    if roles & DECIDERS:
        kinds += [Kind.REPORTS_WAITING]
    if own and Role.PILLAR in roles:
        kinds += [Kind.FOLLOW_UP]
    if own:
        kinds += [Kind.CERTIFICATE]
    if own and Role.PILLAR in roles:
        kinds += [Kind.STIPEND_PAID]
    return kinds
