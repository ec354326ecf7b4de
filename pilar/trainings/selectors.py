"""Reads shared by the pages, the exports and the API: filtered events, an event's participants
with their days, a person's trainings, and who serves without a required training."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.translation import ngettext

from pilar.accounts.access import Capability
from pilar.lib.months import add_months
from pilar.offices import current
from pilar.offices.models import Office
from pilar.regions.models import Area, within_areas_q
from pilar.registry.models import Assignment, Person, PillarKind, assignment_scope_q
from pilar.trainings.certificates.services import may_issue
from pilar.trainings.models import Attendance, Certificate, Course, Participant, TrainingEvent


@dataclass
class EventFilter:
    course: Course | None = None
    level: str = ""
    year: int | None = None
    kind: str = ""
    q: str = ""


def for_kind_q(kind_code: str, prefix: str = "") -> Q:
    """Courses (through `prefix`) for the kind `kind_code`: naming it, or naming no kind."""
    return Q(**{f"{prefix}kinds__code": kind_code}) | Q(**{f"{prefix}kinds__isnull": True})


def matching_events(user, f: EventFilter) -> QuerySet[TrainingEvent]:
    """The events `user` may see that match `f`, counted: invited, attended, passed."""
    events = TrainingEvent.objects.visible_to(user)
    if f.course is not None:
        events = events.filter(course=f.course)
    if f.level:
        events = events.filter(course__level=f.level)
    if f.year:
        events = events.filter(start_date__year=f.year)
    if f.kind:
        courses = Course.objects.filter(for_kind_q(f.kind)).values("pk")
        events = events.filter(course__in=courses)
    for word in f.q.split():
        events = events.filter(
            Q(title__icontains=word)
            | Q(course__name__icontains=word)
            | Q(place__icontains=word)
            | Q(organiser__icontains=word)
        )
    # Meta.ordering does not apply to a GROUP BY query: order explicitly for the pager.
    return (
        events.select_related("course")
        .annotate(
            invited=Count("participants", distinct=True),
            attended=Count(
                "participants",
                filter=Q(participants__attendance__isnull=False),
                distinct=True,
            ),
            passed=Count(
                "participants",
                filter=Q(participants__result=Participant.Result.PASSED),
                distinct=True,
            ),
        )
        .order_by("-start_date", "-pk")
    )


def event_counts(event: TrainingEvent) -> dict[str, int]:
    """Invited, attended (at least one day) and passed, over every participant of `event`."""
    participants = event.participants.all()
    return {
        "invited": participants.count(),
        "attended": participants.filter(attendance__isnull=False).distinct().count(),
        "passed": participants.filter(result=Participant.Result.PASSED).count(),
    }


@dataclass
class ParticipantRow:
    participant: Participant
    days: list[bool]
    duty: Assignment | None = None
    certificate: Certificate | None = None  # the one in force
    revoked: Certificate | None = None  # the latest revoked, when none is in force

    @property
    def may_have_certificate(self) -> bool:
        """No certificate in force, and issuing one would be accepted (passed, attended, the
        event over)."""
        return self.certificate is None and may_issue(
            self.participant, attended=self.days_present > 0
        )

    @property
    def person(self) -> Person:
        return self.participant.person

    @property
    def days_present(self) -> int:
        return sum(self.days)


def _duty_on(day: datetime.date):
    return Prefetch(
        "person__assignments",
        queryset=Assignment.objects.active_on(day)
        .select_related("kind", "area")
        .order_by("kind__order", "pk"),
        to_attr="duties_then",
    )


def participant_rows(event: TrainingEvent, participants) -> list[ParticipantRow]:
    """`participants` (of `event`) with a present/absent flag per event day and the duty they
    held on its first day (kind and area)."""
    days = event.days()
    participants = list(
        participants.select_related("person").prefetch_related(
            _duty_on(event.start_date),
            Prefetch("attendance", queryset=Attendance.objects.only("participant_id", "day")),
            Prefetch(
                "certificates",
                queryset=Certificate.objects.only(
                    "participant_id", "number", "revoked_at", "valid_until", "issued_on"
                ).order_by("-pk"),
            ),
        )
    )
    rows = []
    for p in participants:
        present = {a.day for a in p.attendance.all()}
        duties = p.person.duties_then
        certificates = list(p.certificates.all())
        current = next((c for c in certificates if c.revoked_at is None), None)
        rows.append(
            ParticipantRow(
                participant=p,
                days=[d in present for d in days],
                duty=duties[0] if duties else None,
                certificate=current,
                revoked=None if current or not certificates else certificates[0],
            )
        )
    return rows


def visible_participants(event: TrainingEvent, user, q: str = ""):
    """The participants of `event` that `user` may see (by name), and how many others there
    are."""
    everyone = event.participants.all()
    shown = everyone.visible_to(user)
    for word in q.split():
        shown = shown.filter(person__name__icontains=word)
    hidden = everyone.count() - everyone.visible_to(user).count()
    return shown.order_by("person__name", "pk"), hidden


def attendance_sheet(event: TrainingEvent, day: datetime.date) -> list[tuple[Participant, bool]]:
    """Every participant of `event` and whether they were present on `day`."""
    present = set(
        Attendance.objects.filter(participant__event=event, day=day).values_list(
            "participant_id", flat=True
        )
    )
    participants = event.participants.select_related("person").order_by("person__name", "pk")
    return [(p, p.pk in present) for p in participants]


@dataclass
class Training:
    """One participation of a person, as their own page lists it."""

    participant: Participant
    days_attended: int
    days_total: int

    @property
    def event(self) -> TrainingEvent:
        return self.participant.event


def person_trainings(person: Person, user) -> list[Training]:
    """The trainings of `person` that `user` may see, newest first, with days attended."""
    participants = (
        Participant.objects.visible_to(user)
        .filter(person=person)
        .select_related("event__course")
        .annotate(days_attended=Count("attendance"))
        .order_by("-event__start_date", "-pk")
    )
    return [
        Training(
            participant=p,
            days_attended=p.days_attended,
            days_total=(p.event.end_date - p.event.start_date).days + 1,
        )
        for p in participants
    ]


def _passed_q(course: Course, on: datetime.date, person_ref) -> Exists:
    """A pass of `course` by the person at `person_ref` that counts on `on`: the event ended by
    then, and if the course expires, not longer ago than its validity."""
    passed = Participant.objects.filter(
        person=person_ref,
        event__course=course,
        result=Participant.Result.PASSED,
        event__end_date__lte=on,
    )
    if course.validity_months:
        # valid_until(end) = end + validity − 1 day ≥ on  ⇔  end > on − validity
        passed = passed.filter(event__end_date__gt=add_months(on, -course.validity_months))
    return Exists(passed)


def _offices_courses_q(office) -> Q:
    """The courses of `office` and of the offices within its area (a province: its kab/kota's;
    docs/TRAININGS.md, "Many offices"); every course for an office of no area."""
    if office is None or office.area_id is None:
        return Q()
    return Q(office=office) | within_areas_q([office.area], "office__area")


def _with_office_rule(courses: QuerySet[Course]) -> QuerySet[Course]:
    """`courses` with `office_below`: whether their office lies below another (is not the
    installation's top office), in which case its rules hold only within its own area."""
    outside = Office.objects.exclude(area__code=OuterRef("office__area__code")).exclude(
        area__code__startswith=Concat(OuterRef("office__area__code"), Value("."))
    )
    return courses.select_related("office__area").annotate(office_below=Exists(outside))


def required_courses(kind: PillarKind | None = None, *, office=None) -> list[Course]:
    """The courses required before appointment that hold for `office` (by default the office
    acted for, `current()`): its own; for an office hosting others, its offices', each for
    the duties within its own office's area (`lacking_required`)."""
    office = office if office is not None else current()
    return _required(Course.objects.filter(_offices_courses_q(office)), kind)


def _required(courses: QuerySet[Course], kind: PillarKind | None = None) -> list[Course]:
    courses = _with_office_rule(courses.filter(required_for_appointment=True))
    courses = courses.prefetch_related("kinds")
    if kind is not None:
        courses = courses.filter(for_kind_q(kind.code)).distinct()
    return list(courses)


def _annotate_passes(qs, courses: list[Course], on: datetime.date, person_ref: str):
    """`qs` with a boolean `passed_<course pk>` per course (see `_passed_q`)."""
    return qs.annotate(
        **{f"passed_{c.pk}": _passed_q(c, on, OuterRef(person_ref)) for c in courses}
    )


def _applies(course: Course, kind_id: int) -> bool:
    kinds = course.kinds.all()
    return not kinds or any(k.pk == kind_id for k in kinds)


def required_training_missing(
    person: Person, kind: PillarKind, on: datetime.date | None = None, *, office=None
) -> list[Course]:
    """The courses of `office` (by default the office acted for) required before appointment
    as `kind` that `person` has not passed (in a way still valid on `on`, today by default)."""
    on = on or timezone.localdate()
    courses = required_courses(kind, office=office)
    if not courses:
        return []
    flags = _annotate_passes(Person.objects.filter(pk=person.pk), courses, on, "pk")
    row = flags.values(*[f"passed_{c.pk}" for c in courses]).get()
    return [c for c in courses if not row[f"passed_{c.pk}"]]


def appointment_warning(person: Person, kind: PillarKind, on: datetime.date) -> str | None:
    """The warning to show when `person` is appointed as `kind` from `on` without having passed
    a course required before that appointment (None when nothing is missing)."""
    missing = required_training_missing(person, kind, on)
    if not missing:
        return None
    return ngettext(
        "%(name)s has no pass of %(courses)s on record, which is required before appointment "
        "as %(kind)s. Record the training, or keep the reason the SK was issued without it.",
        "%(name)s has no pass of %(courses)s on record, which are required before appointment "
        "as %(kind)s. Record the trainings, or keep the reason the SK was issued without them.",
        len(missing),
    ) % {
        "name": person.name,
        "courses": ", ".join(f"“{c.name}”" for c in missing),
        "kind": kind.name,
    }


@dataclass
class RequirementFilter:
    kind: str = ""
    area: Area | None = None
    q: str = ""
    on: datetime.date | None = None


@dataclass
class RequirementRow:
    duty: Assignment
    missing: list[Course] = field(default_factory=list)

    @property
    def person(self) -> Person:
        return self.duty.person


def _within_own_office(course: Course) -> bool:
    """Whether `course`'s requirement holds only within its office's area: the office lies
    below another (`_with_office_rule`; a course read otherwise is taken as such)."""
    return course.office.area_id is not None and getattr(course, "office_below", True)


def _applies_to(course: Course, duty: Assignment) -> bool:
    if not _applies(course, duty.kind_id):
        return False
    return not _within_own_office(course) or duty.area.is_within(course.office.area)


def lacking_required(duties, courses: list[Course], on: datetime.date):
    """Of `duties`, those active on `on` of a kind some course in `courses` is required for,
    whose holder has not passed it (annotated with `passed_<course pk>`)."""
    missing_q = Q(pk__in=[])
    for course in courses:
        kinds = [k.pk for k in course.kinds.all()]
        lacks = Q(**{f"passed_{course.pk}": False})
        if _within_own_office(course):
            # An office's requirements hold for the duties within its own area only.
            lacks &= within_areas_q([course.office.area], "area")
        missing_q |= (Q(kind__in=kinds) & lacks) if kinds else lacks
    return _annotate_passes(duties.active_on(on), courses, on, "person_id").filter(missing_q)


def duties_missing_training(user, f: RequirementFilter):
    """Duties active on `f.on` (today) that `user` may see, of a kind some course is required
    for, whose holder has not passed every such course; and a function turning a page of them
    into RequirementRows naming the missing courses."""
    on = f.on or timezone.localdate()
    # The requirements of the user's office (a province: of its offices, each in its area).
    courses = _required(Course.objects.visible_to(user))
    duties = (
        lacking_required(
            Assignment.objects.filter(assignment_scope_q(user, Capability.TRAININGS_VIEW)),
            courses,
            on,
        )
        .select_related("person", "kind", "area")
        .order_by("person__name", "kind__order", "pk")
    )
    if f.kind:
        duties = duties.filter(kind__code=f.kind)
    if f.area is not None:
        duties = duties.filter(within_areas_q([f.area], "area"))
    for word in f.q.split():
        duties = duties.filter(person__name__icontains=word)

    def rows(page) -> list[RequirementRow]:
        return [
            RequirementRow(
                duty=duty,
                missing=[
                    c
                    for c in courses
                    if _applies_to(c, duty) and not getattr(duty, f"passed_{c.pk}")
                ],
            )
            for duty in page
        ]

    return duties, rows
