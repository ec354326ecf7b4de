"""This app's rows of the permission matrix (see pilar/core/tests/test_permissions.py).

The records: the basic PSM course and a two-day event (21–22 October 2024) to which b1 (a PSM in
kecamatan B) is invited and attended the first day. Every coordinator sees the event (an event is
not personal data; its participants are scoped); the `pillar` user (a1, not invited) does not
(404); viewers and users without a role have no training capability (403).
"""

from __future__ import annotations

import datetime

STAFF = {"admin", "operator", "approver", "finance"}
EDIT = {"admin", "operator"}
VIEW = STAFF | {"coordinator_a", "coordinator_b", "pillar"}


def view(role):
    return 200 if role in VIEW else 403


def event_of_b1(role):
    if role in STAFF | {"coordinator_a", "coordinator_b"}:
        return 200
    return 404 if role == "pillar" else 403


def person_b1(role):
    if role in STAFF | {"coordinator_b"}:
        return 200
    return 404 if role in {"coordinator_a", "pillar"} else 403


def post_only(role):
    return 405


def page_edit(role):
    return 200 if role in EDIT else 403


def write(role):
    return 400 if role in EDIT else 403


PAGES = {
    "trainings:event-list": view,
    "trainings:course-list": view,
    "trainings:course-create": page_edit,
    "trainings:course-edit": page_edit,
    "trainings:event-create": page_edit,
    "trainings:event-detail": event_of_b1,
    "trainings:event-edit": page_edit,
    "trainings:participant-invite": page_edit,
    "trainings:participant-remove": post_only,
    "trainings:attendance": page_edit,
    "trainings:results": page_edit,
    "trainings:mine": view,
    "trainings:requirements": view,
}
API_READ = {
    "/api/v1/trainings/courses": view,
    "/api/v1/trainings/events": view,
    "/api/v1/trainings/events/{event_id}": event_of_b1,
    "/api/v1/trainings/events/{event_id}/participants": event_of_b1,
    "/api/v1/trainings/people/{person_id}": person_b1,
    "/api/v1/trainings/requirements": view,
}
_EVENT = {
    "course_id": 0,
    "start_date": "2024-10-22",
    "end_date": "2024-10-21",
    "place": "Aula",
    "organiser": "Dinas Sosial",
}
# Bodies the services refuse: a course of 0 hours, an event ending before it starts, a kind the
# course is not for, withdrawing someone who attended, a day outside the event, a result for
# someone not invited.
API_WRITE = {
    ("POST", "/api/v1/trainings/courses"): (
        {"name": "Kursus Baru", "level": "basic", "hours": 0},
        write,
    ),
    ("PUT", "/api/v1/trainings/courses/{course_id}"): (
        {"name": "Kursus Baru", "level": "basic", "hours": 0},
        write,
    ),
    ("POST", "/api/v1/trainings/events"): (_EVENT, write),
    ("PUT", "/api/v1/trainings/events/{event_id}"): (_EVENT, write),
    ("POST", "/api/v1/trainings/events/{event_id}/participants"): ({"kinds": ["TAGANA"]}, write),
    ("DELETE", "/api/v1/trainings/events/{event_id}/participants/{participant_id}"): ({}, write),
    ("PUT", "/api/v1/trainings/events/{event_id}/attendance/{day}"): (
        {"present_ids": []},
        write,
    ),
    ("POST", "/api/v1/trainings/events/{event_id}/results"): (
        {"results": [{"participant_id": 0, "result": "passed", "score": 80}]},
        write,
    ),
}


def setup(actors, people) -> dict:
    from pilar.audit.services import Actor
    from pilar.registry.models import PillarKind
    from pilar.trainings import participation, services

    by = Actor.system()
    course = services.course_create(
        by=by,
        name="Pelatihan Dasar PSM (matriks)",
        level="basic",
        hours=32,
        kinds=[PillarKind.objects.get(code="PSM")],
        required_for_appointment=True,
    )
    first = datetime.date(2024, 10, 21)
    event = services.event_create(
        by=by,
        course=course,
        start_date=first,
        end_date=datetime.date(2024, 10, 22),
        place="Aula Dinas Sosial",
        organiser="Dinas Sosial",
    )
    participant = participation.participants_invite(
        by=by, event=event, people=[people["b1"]]
    ).added[0]
    participation.attendance_record(by=by, event=event, day=first, present_ids=[participant.pk])
    base = f"/trainings/events/{event.pk}/"
    return {
        "pages": {
            "trainings:course-edit": f"/trainings/courses/{course.pk}/edit/",
            "trainings:event-detail": base,
            "trainings:event-edit": f"{base}edit/",
            "trainings:participant-invite": f"{base}invite/",
            "trainings:participant-remove": f"{base}participants/{participant.pk}/remove/",
            "trainings:attendance": f"{base}attendance/2024-10-21/",
            "trainings:results": f"{base}results/",
        },
        "api": {
            "{course_id}": course.pk,
            "{event_id}": event.pk,
            "{participant_id}": participant.pk,
            "{person_id}": people["b1"].pk,
            "{day}": "2024-10-25",
        },
        "course": course,
        "event": event,
        "participant": participant,
    }


def counts() -> dict[str, int]:
    from pilar.trainings.models import Attendance, Course, Participant, TrainingEvent

    return {
        model.__name__: model.objects.count()
        for model in (Course, TrainingEvent, Participant, Attendance)
    }


def unchanged(made) -> None:
    from pilar.trainings.models import Attendance

    course, event, participant = made["course"], made["event"], made["participant"]
    course.refresh_from_db()
    event.refresh_from_db()
    participant.refresh_from_db()
    assert counts() == made["counts"]
    assert course.hours == 32
    assert event.end_date == datetime.date(2024, 10, 22)
    assert participant.result == "pending"
    assert list(
        Attendance.objects.filter(participant__event=event).values_list("participant_id", "day")
    ) == [(participant.pk, datetime.date(2024, 10, 21))]
