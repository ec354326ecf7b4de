"""The trainings part of the JSON API (mounted under /api/v1/trainings): courses, events,
participants, attendance and results through the same services and scoped querysets as the
pages (the scope is in pilar/trainings/models.py). Certificates are in
pilar.trainings.certificates.api."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from pilar.accounts.access import Capability
from pilar.api.common import Body, Day, Id, Limit, Offset, Search, Year, api_actor, choice, require
from pilar.regions.models import Area
from pilar.registry.models import Person, PillarKind, person_scope_q
from pilar.trainings import participation, services
from pilar.trainings.models import Course, FundingSource, Participant, TrainingEvent
from pilar.trainings.selectors import (
    EventFilter,
    RequirementFilter,
    duties_missing_training,
    event_counts,
    matching_events,
    participant_rows,
    person_trainings,
    visible_participants,
)

router = Router(tags=["trainings"])


def _kinds(codes: list[str] | None, field: str) -> list[PillarKind]:
    if not codes:
        return []
    kinds = list(PillarKind.objects.filter(code__in=codes))
    unknown = sorted(set(codes) - {k.code for k in kinds})
    if unknown:
        raise ValidationError(
            {field: [_("Unknown pillar kind: %(codes)s.") % {"codes": ", ".join(unknown)}]}
        )
    return kinds


class CourseOut(Schema):
    id: int
    name: str
    level: str
    hours: int
    kinds: list[str] = Field(description="Pillar kind codes; empty: every kind.")
    required_for_appointment: bool
    validity_months: int | None
    active: bool


class CourseIn(Body):
    columns = (Course,)
    name: str
    level: Course.Level
    hours: int
    kinds: list[str] = Field(default_factory=list, description="Pillar kind codes, e.g. PSM.")
    required_for_appointment: bool = False
    validity_months: int | None = None
    active: bool = True


class TrainingEventOut(Schema):
    id: int
    course_id: int
    course_name: str
    title: str
    display_title: str
    start_date: datetime.date
    end_date: datetime.date
    place: str
    organiser: str
    funding: str
    budget: int | None
    capacity: int | None
    note: str
    invited: int
    attended: int
    passed: int


class TrainingEventIn(Body):
    columns = (TrainingEvent,)
    course_id: int
    title: str = ""
    start_date: datetime.date
    end_date: datetime.date
    place: str
    organiser: str
    funding: choice(FundingSource) | None = None
    budget: int | None = Field(None, description="Whole rupiah.")
    capacity: int | None = None
    note: str = ""


class ParticipantOut(Schema):
    id: int
    person_id: int
    name: str
    masked_nik: str
    kind: str | None = Field(description="Kind of the duty held on the event's first day.")
    area_code: str | None
    days_present: list[datetime.date]
    result: str
    score: Decimal | None


class ParticipantsOut(Schema):
    participants: list[ParticipantOut]
    other_participants: int = Field(description="Participants outside the caller's area.")


class InviteIn(Body):
    kinds: list[str] | None = Field(None, description="Kind codes; default: the course's.")
    area_code: str | None = Field(None, description="Duties within this area; default: all.")
    person_ids: list[Id] | None = Field(None, description="Pick people instead of kinds.")


class InviteOut(Schema):
    invited: list[int] = Field(description="Ids of the new participants.")
    already_invited: int


class AttendanceIn(Body):
    present_ids: list[Id] = Field(description="Participant ids present that day; others absent.")


class AttendanceOut(Schema):
    day: datetime.date
    present_ids: list[int]
    added: int
    removed: int


class ResultIn(Body):
    participant_id: Id
    result: Participant.Result
    score: Decimal | None = Field(None, ge=0, le=100, max_digits=5, decimal_places=2)


class ResultsIn(Body):
    results: list[ResultIn]


class TrainingOut(Schema):
    participant_id: int
    event_id: int
    title: str
    course_name: str
    start_date: datetime.date
    end_date: datetime.date
    days_attended: int
    result: str
    score: Decimal | None


class MissingOut(Schema):
    person_id: int
    name: str
    kind: str
    area_code: str
    since: datetime.date
    missing_courses: list[str]


def _course_out(c: Course) -> CourseOut:
    return CourseOut(
        id=c.pk,
        name=c.name,
        level=c.level,
        hours=c.hours,
        kinds=[k.code for k in c.kinds.all()],
        required_for_appointment=c.required_for_appointment,
        validity_months=c.validity_months,
        active=c.active,
    )


def _event_out(e: TrainingEvent, counts: dict | None = None) -> TrainingEventOut:
    counts = counts or {"invited": e.invited, "attended": e.attended, "passed": e.passed}
    return TrainingEventOut(
        id=e.pk,
        course_id=e.course_id,
        course_name=e.course.name,
        title=e.title,
        display_title=e.display_title,
        start_date=e.start_date,
        end_date=e.end_date,
        place=e.place,
        organiser=e.organiser,
        funding=e.funding,
        budget=e.budget,
        capacity=e.capacity,
        note=e.note,
        **counts,
    )


def _visible_event(request, event_id: int) -> TrainingEvent:
    return get_object_or_404(
        TrainingEvent.objects.visible_to(request.user).select_related("course"), pk=event_id
    )


def _one_event(request, event_id: int) -> TrainingEventOut:
    event = _visible_event(request, event_id)
    return _event_out(event, event_counts(event))


def _course(request, course_id: int, field: str = "course_id") -> Course:
    # Only the caller's office's courses (a province: its offices'): another's has no such id.
    course = Course.objects.visible_to(request.user).filter(pk=course_id).first()
    if course is None:
        raise ValidationError({field: [_("No course has the id %(id)s.") % {"id": course_id}]})
    return course


def _event_data(request, payload: TrainingEventIn) -> dict:
    data = payload.dict()
    data["course"] = _course(request, data.pop("course_id"))
    data["funding"] = data["funding"] or ""
    return data


@router.get("/courses", response=list[CourseOut], summary="The caller's office's courses")
def list_courses(request):
    require(request, Capability.TRAININGS_VIEW)
    courses = Course.objects.visible_to(request.user).prefetch_related("kinds")
    return [_course_out(c) for c in courses]


@router.post("/courses", response={201: CourseOut}, summary="Add a course")
def create_course(request, payload: CourseIn):
    require(request, Capability.TRAININGS_EDIT)
    data = payload.dict()
    data["kinds"] = _kinds(data["kinds"], "kinds")
    return Status(201, _course_out(services.course_create(by=api_actor(request), **data)))


@router.put("/courses/{course_id}", response=CourseOut, summary="Change a course")
def update_course(request, course_id: Id, payload: CourseIn):
    require(request, Capability.TRAININGS_EDIT)
    course = get_object_or_404(Course.objects.visible_to(request.user), pk=course_id)
    data = payload.dict()
    data["kinds"] = _kinds(data["kinds"], "kinds")
    return _course_out(services.course_update(by=api_actor(request), course=course, **data))


@router.get(
    "/events", response=list[TrainingEventOut], summary="Training events, scoped to the caller"
)
def list_events(
    request,
    course_id: Id | None = None,
    level: str | None = None,
    year: Year | None = None,
    kind: str | None = None,
    q: Search | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
):
    require(request, Capability.TRAININGS_VIEW)
    events = matching_events(
        request.user,
        EventFilter(
            course=_course(request, course_id) if course_id else None,
            level=level or "",
            year=year,
            kind=kind or "",
            q=q or "",
        ),
    )
    return [_event_out(e) for e in events[offset : offset + limit]]


@router.post("/events", response={201: TrainingEventOut}, summary="Record a training event")
def create_event(request, payload: TrainingEventIn):
    require(request, Capability.TRAININGS_EDIT)
    event = services.event_create(by=api_actor(request), **_event_data(request, payload))
    return Status(201, _one_event(request, event.pk))


@router.get("/events/{event_id}", response=TrainingEventOut, summary="One training event")
def get_event(request, event_id: Id):
    require(request, Capability.TRAININGS_VIEW)
    return _one_event(request, event_id)


@router.put("/events/{event_id}", response=TrainingEventOut, summary="Change a training event")
def update_event(request, event_id: Id, payload: TrainingEventIn):
    require(request, Capability.TRAININGS_EDIT)
    event = _visible_event(request, event_id)
    services.event_update(by=api_actor(request), event=event, **_event_data(request, payload))
    return _one_event(request, event_id)


@router.get(
    "/events/{event_id}/participants",
    response=ParticipantsOut,
    summary="Participants with their days present and results",
)
def list_participants(request, event_id: Id):
    require(request, Capability.TRAININGS_VIEW)
    event = _visible_event(request, event_id)
    participants, hidden = visible_participants(event, request.user)
    days = event.days()
    return ParticipantsOut(
        participants=[
            ParticipantOut(
                id=r.participant.pk,
                person_id=r.person.pk,
                name=r.person.name,
                masked_nik=r.person.masked_nik,
                kind=r.duty.kind.code if r.duty else None,
                area_code=r.duty.area.code if r.duty else None,
                days_present=[d for d, present in zip(days, r.days, strict=True) if present],
                result=r.participant.result,
                score=r.participant.score,
            )
            for r in participant_rows(event, participants)
        ],
        other_participants=hidden,
    )


@router.post(
    "/events/{event_id}/participants",
    response={201: InviteOut},
    summary="Invite by kinds and area, or pick people",
)
def invite(request, event_id: Id, payload: InviteIn):
    require(request, Capability.TRAININGS_EDIT)
    event = _visible_event(request, event_id)
    people = None
    if payload.person_ids is not None:
        # Only people the caller may see within their office (docs/TRAININGS.md, "Many
        # offices"): another office's pillar is "no person has the id".
        people = list(
            Person.objects.filter(
                person_scope_q(request.user, Capability.TRAININGS_EDIT),
                pk__in=payload.person_ids,
            )
        )
        unknown = sorted(set(payload.person_ids) - {p.pk for p in people})
        if unknown:
            raise ValidationError(
                {
                    "person_ids": [
                        _("No person has the id %(ids)s.")
                        % {"ids": ", ".join(str(i) for i in unknown)}
                    ]
                }
            )
    done = participation.participants_invite(
        by=api_actor(request),
        event=event,
        kinds=_kinds(payload.kinds, "kinds") or None,
        area=Area.objects.by_code(payload.area_code, "area_code"),
        people=people,
    )
    return Status(201, InviteOut(invited=[p.pk for p in done.added], already_invited=done.already))


@router.delete(
    "/events/{event_id}/participants/{participant_id}",
    response={204: None},
    summary="Withdraw an invitation (no attendance, no certificate)",
)
def remove_participant(request, event_id: Id, participant_id: Id):
    require(request, Capability.TRAININGS_EDIT)
    event = _visible_event(request, event_id)
    participant = get_object_or_404(event.participants, pk=participant_id)
    participation.participant_remove(by=api_actor(request), participant=participant)
    return Status(204, None)


@router.put(
    "/events/{event_id}/attendance/{day}",
    response=AttendanceOut,
    summary="Set who was present on a day of the event",
)
def record_attendance(request, event_id: Id, day: Day, payload: AttendanceIn):
    require(request, Capability.TRAININGS_EDIT)
    event = _visible_event(request, event_id)
    change = participation.attendance_record(
        by=api_actor(request), event=event, day=day, present_ids=payload.present_ids
    )
    present = event.participants.filter(attendance__day=day).values_list("pk", flat=True)
    return AttendanceOut(
        day=day,
        present_ids=sorted(present),
        added=len(change.added),
        removed=len(change.removed),
    )


@router.post("/events/{event_id}/results", response=list[ParticipantOut], summary="Record results")
def record_results(request, event_id: Id, payload: ResultsIn):
    require(request, Capability.TRAININGS_EDIT)
    event = _visible_event(request, event_id)
    results = {r.participant_id: (r.result, r.score) for r in payload.results}
    if len(results) != len(payload.results):
        raise ValidationError({"results": [_("Give each participant only once.")]})
    participation.results_record(by=api_actor(request), event=event, results=results)
    return list_participants(request, event_id).participants


@router.get(
    "/people/{person_id}",
    response=list[TrainingOut],
    summary="A person's trainings (those the caller may see)",
)
def trainings_of(request, person_id: Id):
    require(request, Capability.TRAININGS_VIEW)
    person = get_object_or_404(Person.objects.visible_to(request.user), pk=person_id)
    return [
        TrainingOut(
            participant_id=t.participant.pk,
            event_id=t.event.pk,
            title=t.event.display_title,
            course_name=t.event.course.name,
            start_date=t.event.start_date,
            end_date=t.event.end_date,
            days_attended=t.days_attended,
            result=t.participant.result,
            score=t.participant.score,
        )
        for t in person_trainings(person, request.user)
    ]


@router.get(
    "/requirements",
    response=list[MissingOut],
    summary="Who serves without the training their kind requires",
)
def missing_training(
    request,
    kind: str | None = None,
    area: str | None = None,
    on: Day | None = None,
    q: Search | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
):
    require(request, Capability.TRAININGS_VIEW)
    duties, rows = duties_missing_training(
        request.user,
        RequirementFilter(
            kind=kind or "", area=Area.objects.by_code(area, "area"), q=q or "", on=on
        ),
    )
    return [
        MissingOut(
            person_id=r.person.pk,
            name=r.person.name,
            kind=r.duty.kind.code,
            area_code=r.duty.area.code,
            since=r.duty.start_date,
            missing_courses=[c.name for c in r.missing],
        )
        for r in rows(duties[offset : offset + limit])
    ]
