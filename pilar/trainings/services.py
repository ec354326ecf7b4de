"""Every write to courses and training events: validated, in one transaction, and audited.
(Participants, attendance and results are written by `pilar.trainings.participation`,
certificates by `pilar.trainings.certificates.services`.)

Each function raises `ValidationError` keyed by the field to fix and changes nothing when the
input breaks a rule: an event ending before it starts, a number past the bounds below.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record, diff, snapshot
from pilar.lib.dates import long_date
from pilar.lib.money import MAX_RUPIAH
from pilar.lib.text import check_columns
from pilar.offices import current
from pilar.registry.models import PillarKind
from pilar.trainings.models import (
    Attendance,
    Course,
    FundingSource,
    Participant,
    TrainingEvent,
)

COURSE_FIELDS = [
    "name",
    "level",
    "hours",
    "required_for_appointment",
    "validity_months",
    "active",
]
EVENT_FIELDS = [
    "course",
    "title",
    "start_date",
    "end_date",
    "place",
    "organiser",
    "funding",
    "budget",
    "capacity",
    "note",
]
# Bounds far beyond any real course or event, well within what the database stores: a number
# past them is a typing slip, refused with a message instead of failing in the database.
MAX_HOURS = 32_000
MAX_VALIDITY_MONTHS = 600
MAX_CAPACITY = 100_000
# An event has a column per day on its page and in its export; a year is far beyond any course.
MAX_EVENT_DAYS = 366


# Courses ----------------------------------------------------------------------------------------


def _course_errors(
    *,
    course: Course | None,
    office,
    name: str,
    level: str,
    hours,
    validity_months,
) -> dict[str, list]:
    errors: dict[str, list] = {}
    if not name:
        errors.setdefault("name", []).append(_("Give the course a name."))
    else:
        # Names are unique within an office; another office may have a course of that name.
        same = Course.objects.filter(office=office, name__iexact=name)
        if course is not None:
            same = same.exclude(pk=course.pk)
        if same.exists():
            errors.setdefault("name", []).append(
                _("A course named %(name)s already exists; choose another name or edit it.")
                % {"name": same.first().name}
            )
    check_columns(errors, Course, name=name)
    if level not in Course.Level.values:
        errors.setdefault("level", []).append(_("Choose the level: basic, advanced or refresher."))
    if not isinstance(hours, int) or hours <= 0:
        errors.setdefault("hours", []).append(
            _("Give the hours of lessons as a whole number above 0.")
        )
    elif hours > MAX_HOURS:
        errors.setdefault("hours", []).append(
            _("%(n)s hours is more than any course has; give at most %(max)s.")
            % {"n": hours, "max": MAX_HOURS}
        )
    if validity_months is not None and (
        not isinstance(validity_months, int) or validity_months <= 0
    ):
        errors.setdefault("validity_months", []).append(
            _(
                "Give how many months a certificate stays valid (a whole number above 0), or "
                "leave it empty when it never expires."
            )
        )
    elif validity_months is not None and validity_months > MAX_VALIDITY_MONTHS:
        errors.setdefault("validity_months", []).append(
            _(
                "A validity of %(n)s months is too long; give at most %(max)s, or leave it "
                "empty when it never expires."
            )
            % {"n": validity_months, "max": MAX_VALIDITY_MONTHS}
        )
    return errors


def _course_snapshot(course: Course) -> dict:
    data = snapshot(course, COURSE_FIELDS)
    data["kinds"] = sorted(k.code for k in course.kinds.all()) or ["*"]
    return data


@transaction.atomic
def course_create(
    *,
    by: Actor,
    name: str,
    level: str,
    hours: int,
    kinds: Iterable[PillarKind] = (),
    required_for_appointment: bool = False,
    validity_months: int | None = None,
    active: bool = True,
) -> Course:
    """Add a course to the current office's catalogue (docs/TRAININGS.md, "Many offices");
    `kinds` empty means it is for every kind of pillar."""
    name = (name or "").strip()
    office = current()
    errors = _course_errors(
        course=None,
        office=office,
        name=name,
        level=level,
        hours=hours,
        validity_months=validity_months,
    )
    if errors:
        raise ValidationError(errors)
    course = Course.objects.create(
        office=office,
        name=name,
        level=level,
        hours=hours,
        required_for_appointment=required_for_appointment,
        validity_months=validity_months,
        active=active,
    )
    course.kinds.set(list(kinds))
    audit_record(
        by=by,
        action=AuditEntry.Action.CREATE,
        obj=course,
        changes=diff({}, _course_snapshot(course)),
    )
    return course


@transaction.atomic
def course_update(
    *,
    by: Actor,
    course: Course,
    name: str,
    level: str,
    hours: int,
    kinds: Iterable[PillarKind] = (),
    required_for_appointment: bool = False,
    validity_months: int | None = None,
    active: bool = True,
) -> Course:
    """Change a course. Certificates already issued keep what they printed."""
    course = Course.objects.select_for_update().get(pk=course.pk)
    name = (name or "").strip()
    errors = _course_errors(
        course=course,
        office=course.office_id,
        name=name,
        level=level,
        hours=hours,
        validity_months=validity_months,
    )
    if errors:
        raise ValidationError(errors)
    before = _course_snapshot(course)
    course.name = name
    course.level = level
    course.hours = hours
    course.required_for_appointment = required_for_appointment
    course.validity_months = validity_months
    course.active = active
    course.save()
    course.kinds.set(list(kinds))
    changes = diff(before, _course_snapshot(course))
    if changes:
        audit_record(by=by, action=AuditEntry.Action.UPDATE, obj=course, changes=changes)
    return course


# Events -----------------------------------------------------------------------------------------


def _event_errors(
    *,
    event: TrainingEvent | None,
    office,
    course: Course,
    start_date: datetime.date,
    end_date: datetime.date,
    place: str,
    organiser: str,
    funding: str,
    budget,
    capacity,
) -> dict[str, list]:
    errors: dict[str, list] = {}
    if course.office_id != office.pk:
        # An event teaches a course of its own office's catalogue (docs/TRAININGS.md).
        errors.setdefault("course", []).append(
            _("%(course)s is another office's course; choose one of %(office)s's courses.")
            % {"course": course.name, "office": office.name}
        )
    elif not course.active and (event is None or event.course_id != course.pk):
        errors.setdefault("course", []).append(
            _("%(course)s is no longer offered; choose an offered course or offer it again.")
            % {"course": course.name}
        )
    if end_date < start_date:
        errors.setdefault("end_date", []).append(
            _("The last day %(end)s is before the first day %(start)s; check both dates.")
            % {"end": long_date(end_date), "start": long_date(start_date)}
        )
    elif (end_date - start_date).days + 1 > MAX_EVENT_DAYS:
        errors.setdefault("end_date", []).append(
            _(
                "From %(start)s to %(end)s is %(n)s days; an event lasts at most %(max)s days. "
                "Check the year of both dates."
            )
            % {
                "start": long_date(start_date),
                "end": long_date(end_date),
                "n": (end_date - start_date).days + 1,
                "max": MAX_EVENT_DAYS,
            }
        )
    if not place:
        errors.setdefault("place", []).append(_("Say where the training takes place."))
    if not organiser:
        errors.setdefault("organiser", []).append(_("Say who organises the training."))
    if funding and funding not in FundingSource.values:
        errors.setdefault("funding", []).append(_("Choose the source of funding from the list."))
    if budget is not None and (
        isinstance(budget, bool) or not isinstance(budget, int | Decimal) or budget != int(budget)
    ):
        errors.setdefault("budget", []).append(
            _("Give the budget in whole rupiah, without cents (e.g. 25000000).")
        )
    elif budget is not None and budget < 0:
        errors.setdefault("budget", []).append(
            _("The budget cannot be negative; leave it empty when there is none.")
        )
    elif budget is not None and budget > MAX_RUPIAH:
        errors.setdefault("budget", []).append(
            _("The budget %(budget)s is too large; check the number (whole rupiah, e.g. 25000000).")
            % {"budget": budget}
        )
    if capacity is not None and (not isinstance(capacity, int) or capacity <= 0):
        errors.setdefault("capacity", []).append(
            _("Give the number of places as a whole number above 0, or leave it empty.")
        )
    elif capacity is not None and capacity > MAX_CAPACITY:
        errors.setdefault("capacity", []).append(
            _("%(n)s places is more than any training has; give at most %(max)s.")
            % {"n": capacity, "max": MAX_CAPACITY}
        )
    if event is not None and "capacity" not in errors and capacity is not None:
        invited = event.participants.count()
        if capacity < invited:
            errors.setdefault("capacity", []).append(
                _(
                    "%(n)s people are already invited; the capacity cannot be below that. "
                    "Withdraw some first or keep a capacity of at least %(n)s."
                )
                % {"n": invited}
            )
    if event is not None and "end_date" not in errors:
        outside = (
            Attendance.objects.filter(participant__event=event)
            .exclude(day__gte=start_date, day__lte=end_date)
            .order_by("day")
            .values_list("day", flat=True)
            .distinct()
        )
        days = list(outside)
        if days:
            errors.setdefault("start_date", []).append(
                _(
                    "Attendance is recorded on %(days)s, which would fall outside the new dates. "
                    "Clear that day's attendance first or keep those days in the event."
                )
                % {"days": ", ".join(long_date(d) for d in days)}
            )
    return errors


def _checked_event(event: TrainingEvent | None, office, details: dict) -> dict:
    """The event's fields from `details` (texts trimmed), or a ValidationError naming each
    field to fix."""
    values = {
        **details,
        "title": (details["title"] or "").strip(),
        "place": (details["place"] or "").strip(),
        "organiser": (details["organiser"] or "").strip(),
        "funding": details["funding"] or "",
        "note": (details["note"] or "").strip(),
    }
    errors = _event_errors(
        event=event,
        office=office,
        **{k: v for k, v in values.items() if k not in ("title", "note")},
    )
    check_columns(errors, TrainingEvent, **{k: values[k] for k in ("title", "place", "organiser")})
    if event is not None and values["course"].pk != event.course_id:
        assessed = event.participants.exclude(result=Participant.Result.PENDING).count()
        if assessed:
            # A pass counts for the course it was earned in (the required basic training).
            errors.setdefault("course", []).append(
                ngettext(
                    "%(n)s participant has already been assessed in %(course)s; the course "
                    "can't change now. Record a new event for the other course.",
                    "%(n)s participants have already been assessed in %(course)s; the course "
                    "can't change now. Record a new event for the other course.",
                    assessed,
                )
                % {"n": assessed, "course": event.course.name}
            )
    if errors:
        raise ValidationError(errors)
    return values


@transaction.atomic
def event_create(
    *,
    by: Actor,
    course: Course,
    start_date: datetime.date,
    end_date: datetime.date,
    place: str,
    organiser: str,
    title: str = "",
    funding: str = "",
    budget: int | None = None,
    capacity: int | None = None,
    note: str = "",
) -> TrainingEvent:
    """Schedule (or record) a run of an offered course of the current office, held by it."""
    office = current()
    values = _checked_event(
        None,
        office,
        {
            "course": course,
            "start_date": start_date,
            "end_date": end_date,
            "title": title,
            "place": place,
            "organiser": organiser,
            "funding": funding,
            "budget": budget,
            "capacity": capacity,
            "note": note,
        },
    )
    # The office the request acts for holds it (docs/TRAININGS.md, "Many offices").
    event = TrainingEvent.objects.create(office=office, created_by=by.signed_in_user, **values)
    audit_record(
        by=by,
        action=AuditEntry.Action.CREATE,
        obj=event,
        changes=diff({}, snapshot(event, EVENT_FIELDS)),
    )
    return event


def _locked_event(event: TrainingEvent) -> TrainingEvent:
    return TrainingEvent.objects.select_for_update().select_related("course").get(pk=event.pk)


@transaction.atomic
def event_update(
    *,
    by: Actor,
    event: TrainingEvent,
    course: Course,
    start_date: datetime.date,
    end_date: datetime.date,
    place: str,
    organiser: str,
    title: str = "",
    funding: str = "",
    budget: int | None = None,
    capacity: int | None = None,
    note: str = "",
) -> TrainingEvent:
    """Change an event's details. Its dates must still hold every day attendance was recorded,
    and its capacity every person already invited."""
    event = _locked_event(event)
    values = _checked_event(
        event,
        event.office,
        {
            "course": course,
            "start_date": start_date,
            "end_date": end_date,
            "title": title,
            "place": place,
            "organiser": organiser,
            "funding": funding,
            "budget": budget,
            "capacity": capacity,
            "note": note,
        },
    )
    before = snapshot(event, EVENT_FIELDS)
    for key, value in values.items():
        setattr(event, key, value)
    event.save()
    changes = diff(before, snapshot(event, EVENT_FIELDS))
    if changes:
        audit_record(by=by, action=AuditEntry.Action.UPDATE, obj=event, changes=changes)
    return event
