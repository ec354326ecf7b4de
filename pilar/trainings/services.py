"""Every write to courses, training events, participants, attendance and results: validated, in
one transaction, and audited. (Certificates are written by `pilar.trainings.certificates`.)

Each function raises `ValidationError` keyed by the field to fix and changes nothing when the
input breaks a rule: an event ending before it starts, more invitations than places left,
attendance on a day outside the event or for someone not invited, a pass for someone who never
attended, a score outside 0–100.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record, diff, snapshot
from pilar.lib.dates import long_date
from pilar.lib.money import MAX_RUPIAH
from pilar.lib.text import check_columns
from pilar.regions.models import Area, within_areas_q
from pilar.registry.models import Assignment, Person, PillarKind
from pilar.trainings.models import (
    Attendance,
    Certificate,
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
# A name list in an error message stops after this many names ("… and 12 more").
NAMES_SHOWN = 5
# Bounds far beyond any real course or event, well within what the database stores: a number
# past them is a typing slip, refused with a message instead of failing in the database.
MAX_HOURS = 32_000
MAX_VALIDITY_MONTHS = 600
MAX_CAPACITY = 100_000
# An event has a column per day on its page and in its export; a year is far beyond any course.
MAX_EVENT_DAYS = 366


def _user(by: Actor):
    return by.user if getattr(by.user, "is_authenticated", False) else None


def _names(people: list[str]) -> str:
    shown = ", ".join(people[:NAMES_SHOWN])
    if len(people) > NAMES_SHOWN:
        more = len(people) - NAMES_SHOWN
        shown += ngettext(" and %(n)s more", " and %(n)s more", more) % {"n": more}
    return shown


def _audit_many(by: Actor, action: str, rows: list[tuple[object, Person, dict]]) -> None:
    """One audit entry per (object, person, changes), written in one statement: invitations,
    attendance and results come hundreds at a time (360 pillars on 22 October 2024)."""
    user = _user(by)
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                user=user,
                username=user.get_username() if user else "",
                source=by.source,
                ip=by.ip,
                action=action,
                object_type=obj._meta.label_lower,
                object_id=str(obj.pk),
                object_repr=str(obj)[:200],
                person=person,
                changes=changes,
            )
            for obj, person, changes in rows
        ],
        batch_size=500,
    )


# Courses ----------------------------------------------------------------------------------------


def _course_errors(
    *,
    course: Course | None,
    name: str,
    level: str,
    hours,
    validity_months,
) -> dict[str, list]:
    errors: dict[str, list] = {}
    if not name:
        errors.setdefault("name", []).append(_("Give the course a name."))
    else:
        same = Course.objects.filter(name__iexact=name)
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
    """Add a course to the catalogue; `kinds` empty means it is for every kind of pillar."""
    name = (name or "").strip()
    errors = _course_errors(
        course=None, name=name, level=level, hours=hours, validity_months=validity_months
    )
    if errors:
        raise ValidationError(errors)
    course = Course.objects.create(
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
        course=course, name=name, level=level, hours=hours, validity_months=validity_months
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
    if not course.active and (event is None or event.course_id != course.pk):
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


def _checked_event(event: TrainingEvent | None, details: dict) -> dict:
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
        event=event, **{k: v for k, v in values.items() if k not in ("title", "note")}
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
    """Schedule (or record) a run of an offered course."""
    values = _checked_event(
        None,
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
    event = TrainingEvent.objects.create(created_by=_user(by), **values)
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


# Participants -----------------------------------------------------------------------------------


@dataclass
class Invitation:
    """What an invitation did: who was added, and how many were invited already."""

    added: list[Participant] = field(default_factory=list)
    already: int = 0


def course_kinds(course: Course) -> list[PillarKind]:
    """The kinds a course is for (every kind when it names none)."""
    kinds = list(course.kinds.all())
    return kinds or list(PillarKind.objects.all())


def invitable_duties(event: TrainingEvent, *, kinds: Iterable[PillarKind], area: Area | None):
    """Duties active on the event's first day, of `kinds`, within `area` (None: anywhere)."""
    duties = Assignment.objects.active_on(event.start_date).filter(kind__in=[k.pk for k in kinds])
    if area is not None:
        duties = duties.filter(within_areas_q([area], "area"))
    return duties


@transaction.atomic
def participants_invite(
    *,
    by: Actor,
    event: TrainingEvent,
    kinds: Iterable[PillarKind] | None = None,
    area: Area | None = None,
    people: Iterable[Person] | None = None,
) -> Invitation:
    """Invite the picked `people`, or else everyone with a duty of `kinds` (default: the kinds
    the course is for) within `area` (default: anywhere) active on the event's first day.

    People already invited are skipped and counted. Over capacity, nobody is invited and the
    message says how many places are left."""
    event = _locked_event(event)
    errors: dict[str, list] = {}
    if people is not None:
        candidates = {p.pk: p for p in people}
        if not candidates:
            errors.setdefault("people", []).append(_("Pick at least one person to invite."))
    else:
        allowed = course_kinds(event.course)
        chosen = list(kinds) if kinds else allowed
        wrong = [k for k in chosen if k.pk not in {a.pk for a in allowed}]
        if wrong:
            errors.setdefault("kinds", []).append(
                _("%(course)s is not for %(kinds)s; choose among %(allowed)s.")
                % {
                    "course": event.course.name,
                    "kinds": ", ".join(k.name for k in wrong),
                    "allowed": ", ".join(k.name for k in allowed),
                }
            )
            candidates = {}
        else:
            ids = invitable_duties(event, kinds=chosen, area=area).values("person_id")
            candidates = {p.pk: p for p in Person.objects.filter(pk__in=ids)}
            if not candidates:
                errors.setdefault("kinds", []).append(
                    _(
                        "Nobody has an active duty of %(kinds)s %(where)s on %(date)s; choose "
                        "other kinds or a wider area."
                    )
                    % {
                        "kinds": ", ".join(k.name for k in chosen),
                        "where": _("in %(area)s") % {"area": area.label}
                        if area is not None
                        else _("anywhere"),
                        "date": long_date(event.start_date),
                    }
                )
    if errors:
        raise ValidationError(errors)
    invited = set(event.participants.values_list("person_id", flat=True))
    new = [p for pk, p in candidates.items() if pk not in invited]
    result = Invitation(already=len(candidates) - len(new))
    if event.capacity is not None and len(invited) + len(new) > event.capacity:
        left = max(event.capacity - len(invited), 0)
        raise ValidationError(
            {
                "people" if people is not None else "kinds": [
                    ngettext(
                        "Only %(left)s place is left (capacity %(capacity)s, %(invited)s "
                        "invited); this would invite %(new)s more. Invite fewer people or raise "
                        "the capacity.",
                        "Only %(left)s places are left (capacity %(capacity)s, %(invited)s "
                        "invited); this would invite %(new)s more. Invite fewer people or raise "
                        "the capacity.",
                        left,
                    )
                    % {
                        "left": left,
                        "capacity": event.capacity,
                        "invited": len(invited),
                        "new": len(new),
                    }
                ]
            }
        )
    new.sort(key=lambda p: (p.name, p.pk))
    Participant.objects.bulk_create([Participant(event=event, person=p) for p in new])
    result.added = list(
        event.participants.filter(person__in=[p.pk for p in new]).select_related("person")
    )
    _audit_many(
        by,
        AuditEntry.Action.CREATE,
        [(p, p.person, {"event": [None, str(event)]}) for p in result.added],
    )
    return result


@transaction.atomic
def participant_remove(*, by: Actor, participant: Participant) -> None:
    """Withdraw an invitation: only for someone with no attendance and no certificate."""
    participant = (
        Participant.objects.select_for_update()
        .select_related("person", "event__course")
        .get(pk=participant.pk)
    )
    errors: dict[str, list] = {}
    if Certificate.objects.filter(participant=participant).exists():
        errors.setdefault("__all__", []).append(
            _("%(name)s has a certificate for this event; it cannot be withdrawn.")
            % {"name": participant.person.name}
        )
    elif participant.attendance.exists():
        errors.setdefault("__all__", []).append(
            _(
                "%(name)s attended this event; clear their attendance first if they were "
                "invited by mistake."
            )
            % {"name": participant.person.name}
        )
    if errors:
        raise ValidationError(errors)
    audit_record(
        by=by,
        action=AuditEntry.Action.DELETE,
        obj=participant,
        person=participant.person,
        changes={"event": [str(participant.event), None]},
    )
    participant.delete()


# Attendance and results -------------------------------------------------------------------------


def _participants_of(event: TrainingEvent, ids: Iterable[int], field_name: str):
    """The participants of `event` with these ids, and the error when some are not."""
    wanted = set(ids)
    found = {p.pk: p for p in event.participants.filter(pk__in=wanted).select_related("person")}
    missing = sorted(wanted - set(found))
    if missing:
        return found, {
            field_name: [
                ngettext(
                    "%(n)s of the people given (id %(ids)s) is not invited to this event; "
                    "invite them first.",
                    "%(n)s of the people given (ids %(ids)s) are not invited to this event; "
                    "invite them first.",
                    len(missing),
                )
                % {"n": len(missing), "ids": ", ".join(str(i) for i in missing[:10])}
            ]
        }
    return found, {}


@dataclass
class AttendanceChange:
    added: list[Participant] = field(default_factory=list)
    removed: list[Participant] = field(default_factory=list)


@transaction.atomic
def attendance_record(
    *, by: Actor, event: TrainingEvent, day: datetime.date, present_ids: Iterable[int]
) -> AttendanceChange:
    """Set who was present on `day`: the participants with `present_ids` (participant ids) are,
    every other participant is not. Rows are added and removed to match."""
    event = _locked_event(event)
    errors: dict[str, list] = {}
    if not event.start_date <= day <= event.end_date:
        errors.setdefault("day", []).append(
            _(
                "%(day)s is outside the event (%(start)s to %(end)s); record attendance for one "
                "of its days, or change the event's dates first."
            )
            % {
                "day": long_date(day),
                "start": long_date(event.start_date),
                "end": long_date(event.end_date),
            }
        )
    elif day > timezone.localdate():
        errors.setdefault("day", []).append(
            _("%(day)s has not come yet; record attendance on or after the day.")
            % {"day": long_date(day)}
        )
    present, missing = _participants_of(event, present_ids, "present_ids")
    errors.update(missing)
    if errors:
        raise ValidationError(errors)
    before = set(
        Attendance.objects.filter(participant__event=event, day=day).values_list(
            "participant_id", flat=True
        )
    )
    change = AttendanceChange(
        added=[present[pk] for pk in sorted(set(present) - before)],
    )
    gone = before - set(present)
    if gone:
        change.removed = list(event.participants.filter(pk__in=gone).select_related("person"))
        # A pass (or certificate) rests on attendance: keep at least one day for those.
        other_days = set(
            Attendance.objects.filter(participant_id__in=gone)
            .exclude(day=day)
            .values_list("participant_id", flat=True)
        )
        stranded = [
            p.person.name
            for p in change.removed
            if p.result == Participant.Result.PASSED and p.pk not in other_days
        ]
        if stranded:
            raise ValidationError(
                {
                    "present_ids": [
                        _(
                            "%(names)s passed and attended only on this day; set their result "
                            "back to not assessed before marking them absent."
                        )
                        % {"names": _names(stranded)}
                    ]
                }
            )
        Attendance.objects.filter(participant_id__in=gone, day=day).delete()
    Attendance.objects.bulk_create([Attendance(participant=p, day=day) for p in change.added])
    iso = day.isoformat()
    _audit_many(
        by,
        AuditEntry.Action.UPDATE,
        [(p, p.person, {"present": [iso, None]}) for p in change.removed]
        + [(p, p.person, {"present": [None, iso]}) for p in change.added],
    )
    return change


def _score(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        score = Decimal(str(value))
    except InvalidOperation:
        raise ValueError from None
    if not score.is_finite() or not Decimal(0) <= score <= Decimal(100):
        raise ValueError
    if score != score.quantize(Decimal("0.01")):
        raise ValueError
    return score.quantize(Decimal("0.01"))


@transaction.atomic
def results_record(
    *,
    by: Actor,
    event: TrainingEvent,
    results: Mapping[int, tuple[str, object]],
) -> list[Participant]:
    """Record results: {participant_id: (result, score)}; score 0–100 or None. Only someone who
    attended at least one day can pass; a certified pass stays a pass until it is revoked.
    Returns the participants whose result or score changed."""
    event = _locked_event(event)
    found, errors = _participants_of(event, results.keys(), "results")
    attended = set(
        Attendance.objects.filter(participant__event=event).values_list("participant_id", flat=True)
    )
    certified = set(
        Certificate.objects.in_force()
        .filter(participant__event=event)
        .values_list("participant_id", flat=True)
    )
    bad_result, bad_score, absent, locked = [], [], [], []
    parsed: dict[int, tuple[str, Decimal | None]] = {}
    for pk, (result, score) in results.items():
        p = found.get(pk)
        if p is None:
            continue
        if result not in Participant.Result.values:
            bad_result.append(p.person.name)
            continue
        try:
            parsed[pk] = (result, _score(score))
        except ValueError:
            bad_score.append(f"{p.person.name} ({score})")
            continue
        if result == Participant.Result.PASSED and pk not in attended:
            absent.append(p.person.name)
        if pk in certified and result != Participant.Result.PASSED:
            locked.append(p.person.name)
    if bad_result:
        errors.setdefault("results", []).append(
            _("Choose passed, failed or not yet assessed for %(names)s.")
            % {"names": _names(bad_result)}
        )
    if bad_score:
        errors.setdefault("score", []).append(
            _(
                "A score is a number from 0 to 100 with at most two decimals, or empty: check "
                "%(names)s."
            )
            % {"names": _names(bad_score)}
        )
    if absent:
        errors.setdefault("results", []).append(
            ngettext(
                "%(names)s never attended a day of this event and cannot pass; record their "
                "attendance first, or mark them as not passed.",
                "%(names)s never attended a day of this event and cannot pass; record their "
                "attendance first, or mark them as not passed.",
                len(absent),
            )
            % {"names": _names(absent)}
        )
    if locked:
        errors.setdefault("results", []).append(
            _("%(names)s already hold a certificate for this event; revoke it first.")
            % {"names": _names(locked)}
        )
    if errors:
        raise ValidationError(errors)
    changed, audits = [], []
    for pk, (result, score) in parsed.items():
        p = found[pk]
        before = {"result": p.result, "score": None if p.score is None else str(p.score)}
        p.result, p.score = result, score
        after = {"result": p.result, "score": None if score is None else str(score)}
        if before != after:
            changed.append(p)
            audits.append((p, p.person, diff(before, after)))
    Participant.objects.bulk_update(changed, ["result", "score"], batch_size=500)
    _audit_many(by, AuditEntry.Action.UPDATE, audits)
    return changed
