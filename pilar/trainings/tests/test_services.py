"""The services' rules: each refusal names the field and the fix, and changes nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from pilar.audit.models import AuditEntry
from pilar.registry.models import PillarKind
from pilar.trainings import participation, services
from pilar.trainings.models import Attendance, Certificate, Course, Participant, TrainingEvent
from pilar.trainings.tests.conftest import FIRST_DAY, LAST_DAY, D

pytestmark = pytest.mark.django_db


def kinds(*codes):
    return list(PillarKind.objects.filter(code__in=codes))


def state():
    """Everything the services write, to compare before and after a refusal."""
    return (
        list(Course.objects.values_list("pk", "name", "hours", "validity_months", "active")),
        list(TrainingEvent.objects.values_list("pk", "start_date", "end_date", "capacity")),
        list(Participant.objects.values_list("pk", "person_id", "result", "score")),
        list(Attendance.objects.values_list("participant_id", "day")),
        AuditEntry.objects.filter(object_type__startswith="trainings.").count(),
    )


def refused(call, field: str, words: str):
    before = state()
    with pytest.raises(ValidationError) as exc:
        call()
    assert field in exc.value.message_dict, exc.value.message_dict
    assert words in " ".join(exc.value.message_dict[field]), exc.value.message_dict
    assert state() == before
    return exc.value


# Courses


def test_course_create_and_update_are_audited(by, course, actors):
    entry = AuditEntry.objects.get(object_type="trainings.course", object_id=str(course.pk))
    assert entry.action == "create" and entry.username == actors["operator"].username
    assert entry.changes["kinds"] == [None, ["PSM"]]
    services.course_update(
        by=by,
        course=course,
        name="Pelatihan Dasar PSM",
        level="basic",
        hours=40,
        kinds=kinds("PSM", "TKSK"),
        required_for_appointment=True,
        validity_months=24,
    )
    course.refresh_from_db()
    assert course.hours == 40 and course.validity_months == 24
    update = AuditEntry.objects.filter(object_type="trainings.course", action="update").get()
    assert update.changes["hours"] == [32, 40]
    assert update.changes["kinds"] == [["PSM"], ["PSM", "TKSK"]]


def test_course_refusals(by, course):
    def create(**kw):
        data = {"name": "Bimtek", "level": "basic", "hours": 8, **kw}
        return lambda: services.course_create(by=by, **data)

    refused(create(name="pelatihan dasar psm"), "name", "already exists")
    refused(create(name="  "), "name", "Give the course a name")
    refused(create(hours=0), "hours", "above 0")
    refused(create(validity_months=0), "validity_months", "never expires")
    refused(create(level="expert"), "level", "Choose the level")
    refused(
        lambda: services.course_update(
            by=by, course=course, name="Pelatihan Dasar PSM", level="basic", hours=-3
        ),
        "hours",
        "above 0",
    )


# Events


def test_event_create_is_audited(event, actors):
    entry = AuditEntry.objects.get(object_type="trainings.trainingevent")
    assert entry.action == "create" and entry.changes["start_date"] == [None, "2024-10-21"]
    assert event.created_by == actors["operator"]
    assert event.days() == [FIRST_DAY, LAST_DAY]


def test_event_refusals(by, make_event, make_course, event):
    refused(lambda: make_event(start=LAST_DAY, end=FIRST_DAY), "end_date", "before the first day")
    refused(lambda: make_event(budget=-1), "budget", "cannot be negative")
    refused(lambda: make_event(budget=Decimal("1500.50")), "budget", "whole rupiah")
    refused(lambda: make_event(capacity=0), "capacity", "above 0")
    refused(lambda: make_event(place=" "), "place", "where the training")
    old = make_course("Kursus Lama", active=False)
    refused(lambda: make_event(course=old), "course", "no longer offered")


def test_event_update_keeps_capacity_and_attendance_days(by, event, invited):
    participation.attendance_record(
        by=by, event=event, day=LAST_DAY, present_ids=[invited["a1"].pk]
    )

    def update(**kw):
        data = {
            "course": event.course,
            "start_date": FIRST_DAY,
            "end_date": LAST_DAY,
            "place": event.place,
            "organiser": event.organiser,
            **kw,
        }
        return lambda: services.event_update(by=by, event=event, **data)

    refused(update(capacity=2), "capacity", "3 people are already invited")
    refused(update(end_date=FIRST_DAY), "start_date", "22 October 2024")
    update(capacity=3, place="Balai Kota")()
    event.refresh_from_db()
    assert event.capacity == 3 and event.place == "Balai Kota"
    entry = AuditEntry.objects.get(object_type="trainings.trainingevent", action="update")
    assert entry.changes["place"] == ["Aula Dinas Sosial", "Balai Kota"]


# Invitations


def test_invite_by_kind_takes_duties_active_on_the_first_day(
    by, event, people, make_person, make_assignment
):
    left = make_person("Eka Sudah Berhenti")
    make_assignment(
        left, "PSM", "13.75.01.1001", D(2020, 1, 2), end_date=D(2024, 10, 20), end_reason="resigned"
    )
    later = make_person("Fajar Baru")
    make_assignment(later, "PSM", "13.75.01.1001", LAST_DAY)
    done = participation.participants_invite(by=by, event=event, kinds=kinds("PSM"))
    assert {p.person.name for p in done.added} == {
        people["a1"].name,
        people["a2"].name,
        people["b1"].name,
    }
    assert done.already == 0
    entries = AuditEntry.objects.filter(object_type="trainings.participant", action="create")
    assert {e.person_id for e in entries} == {p.person_id for p in done.added}
    # Again: nobody new, three counted as invited already; no error.
    again = participation.participants_invite(by=by, event=event, kinds=kinds("PSM"))
    assert again.added == [] and again.already == 3
    assert event.participants.count() == 3


def test_invite_within_an_area(by, make_course, make_event, people, area):
    bimtek = make_course("Bimtek", kinds=())
    event = make_event(course=bimtek)
    done = participation.participants_invite(by=by, event=event, area=area("13.75.01"))
    # Kecamatan A: the two PSM and the TKSK (whose duty area is the kecamatan itself).
    assert {p.person_id for p in done.added} == {
        people["a1"].pk,
        people["a2"].pk,
        people["tksk_a"].pk,
    }


def test_invite_over_capacity_names_the_places_left(
    by, make_course, make_event, people, make_person, make_assignment
):
    event = make_event(course=make_course("Bimtek", kinds=()), capacity=4)
    extra = make_person("Gina Tambahan", kelurahan="13.75.03.1001")
    make_assignment(extra, "PSM", "13.75.03.1001")
    participation.participants_invite(by=by, event=event, people=[people["a1"], people["a2"]])
    error = refused(
        lambda: participation.participants_invite(by=by, event=event, kinds=kinds("PSM", "TKSK")),
        "kinds",
        "Only 2 places are left (capacity 4, 2 invited); this would invite 3 more",
    )
    assert "raise the capacity" in str(error)
    refused(
        lambda: participation.participants_invite(
            by=by, event=event, people=[people["b1"], people["tksk_a"], extra]
        ),
        "people",
        "Only 2 places are left",
    )
    # Exactly the places left is fine; a1, invited already, is skipped and counted.
    done = participation.participants_invite(
        by=by, event=event, people=[people["b1"], people["tksk_a"], people["a1"]]
    )
    assert len(done.added) == 2 and done.already == 1
    assert event.participants.count() == 4


def test_invite_refusals(by, event, area, make_person):
    refused(
        lambda: participation.participants_invite(by=by, event=event, kinds=kinds("TAGANA")),
        "kinds",
        "is not for Taruna Siaga Bencana; choose among Pekerja Sosial",
    )
    refused(
        lambda: participation.participants_invite(
            by=by, event=event, kinds=kinds("PSM"), area=area("13.75.03")
        ),
        "kinds",
        "Nobody has an active duty",
    )
    refused(
        lambda: participation.participants_invite(by=by, event=event, people=[]), "people", "Pick"
    )
    # Someone picked by hand may have no duty yet: the basic course comes before appointment.
    candidate = make_person("Calon PSM")
    done = participation.participants_invite(by=by, event=event, people=[candidate])
    assert [p.person for p in done.added] == [candidate]


def test_participant_remove(by, event, invited):
    participation.attendance_record(
        by=by, event=event, day=FIRST_DAY, present_ids=[invited["a1"].pk]
    )
    refused(
        lambda: participation.participant_remove(by=by, participant=invited["a1"]),
        "__all__",
        "attended this event",
    )
    participation.participant_remove(by=by, participant=invited["a2"])
    assert not Participant.objects.filter(pk=invited["a2"].pk).exists()
    entry = AuditEntry.objects.get(object_type="trainings.participant", action="delete")
    assert entry.person_id == invited["a2"].person_id


# Attendance


def test_attendance_adds_and_removes(by, event, invited):
    a1, a2, b1 = invited["a1"], invited["a2"], invited["b1"]
    change = participation.attendance_record(
        by=by, event=event, day=FIRST_DAY, present_ids=[a1.pk, a2.pk]
    )
    assert {p.pk for p in change.added} == {a1.pk, a2.pk} and change.removed == []
    change = participation.attendance_record(
        by=by, event=event, day=FIRST_DAY, present_ids=[a2.pk, b1.pk]
    )
    assert [p.pk for p in change.added] == [b1.pk] and [p.pk for p in change.removed] == [a1.pk]
    assert set(Attendance.objects.values_list("participant_id", "day")) == {
        (a2.pk, FIRST_DAY),
        (b1.pk, FIRST_DAY),
    }
    entries = AuditEntry.objects.filter(object_type="trainings.participant", action="update")
    assert entries.filter(person=a1.person, changes__present=["2024-10-21", None]).exists()


def test_attendance_on_a_day_outside_the_event_changes_nothing(by, event, invited):
    participation.attendance_record(
        by=by, event=event, day=FIRST_DAY, present_ids=[invited["a1"].pk]
    )
    error = refused(
        lambda: participation.attendance_record(
            by=by, event=event, day=D(2024, 10, 23), present_ids=[invited["a2"].pk]
        ),
        "day",
        "23 October 2024 is outside the event (21 October 2024 to 22 October 2024)",
    )
    assert "change the event's dates first" in str(error)
    refused(
        lambda: participation.attendance_record(
            by=by, event=event, day=D(2024, 10, 20), present_ids=[]
        ),
        "day",
        "outside the event",
    )


def test_attendance_for_someone_not_invited(by, event, invited, make_event):
    other = make_event(title="Angkatan II")
    stranger = participation.participants_invite(by=by, event=other, people=[invited["a1"].person])
    refused(
        lambda: participation.attendance_record(
            by=by, event=event, day=FIRST_DAY, present_ids=[stranger.added[0].pk, 999999]
        ),
        "present_ids",
        "2 of the people given (ids",
    )


def test_attendance_on_a_day_to_come(by, make_event, people):
    today = timezone.localdate()
    event = make_event(start=today, end=today + datetime.timedelta(days=1))
    done = participation.participants_invite(by=by, event=event, people=[people["a1"]])
    participation.attendance_record(by=by, event=event, day=today, present_ids=[done.added[0].pk])
    refused(
        lambda: participation.attendance_record(
            by=by, event=event, day=today + datetime.timedelta(days=1), present_ids=[]
        ),
        "day",
        "has not come yet",
    )


# Results


def test_results_pass_only_those_who_attended(by, event, invited):
    a1, a2 = invited["a1"], invited["a2"]
    participation.attendance_record(by=by, event=event, day=LAST_DAY, present_ids=[a1.pk])
    error = refused(
        lambda: participation.results_record(
            by=by, event=event, results={a1.pk: ("passed", 90), a2.pk: ("passed", None)}
        ),
        "results",
        f"{a2.person.name} never attended a day of this event and cannot pass",
    )
    assert "record their attendance first" in str(error)
    changed = participation.results_record(
        by=by, event=event, results={a1.pk: ("passed", "87.5"), a2.pk: ("failed", None)}
    )
    assert {p.pk for p in changed} == {a1.pk, a2.pk}
    a1.refresh_from_db()
    assert a1.result == "passed" and a1.score == Decimal("87.50")
    entry = AuditEntry.objects.get(
        object_type="trainings.participant",
        person=a1.person,
        action="update",
        changes__has_key="result",
    )
    assert entry.changes == {"result": ["pending", "passed"], "score": [None, "87.50"]}
    # Nothing changed: nothing written.
    assert participation.results_record(by=by, event=event, results={a1.pk: ("passed", 87.5)}) == []
    # Marking the only day absent would strand the pass.
    refused(
        lambda: participation.attendance_record(by=by, event=event, day=LAST_DAY, present_ids=[]),
        "present_ids",
        "passed and attended only on this day",
    )


@pytest.mark.parametrize("score", [101, -1, "abc", "12.345", "NaN"])
def test_results_refuse_an_invalid_score(by, event, invited, score):
    a1 = invited["a1"]
    participation.attendance_record(by=by, event=event, day=FIRST_DAY, present_ids=[a1.pk])
    refused(
        lambda: participation.results_record(
            by=by, event=event, results={a1.pk: ("passed", score)}
        ),
        "score",
        "from 0 to 100",
    )


def test_results_refusals(by, event, invited, make_event):
    a1 = invited["a1"]
    refused(
        lambda: participation.results_record(by=by, event=event, results={a1.pk: ("great", None)}),
        "results",
        "Choose passed, failed",
    )
    refused(
        lambda: participation.results_record(by=by, event=event, results={0: ("failed", None)}),
        "results",
        "not invited to this event",
    )


def test_a_certified_pass_stays_until_revoked(by, event, invited):
    a1 = invited["a1"]
    participation.attendance_record(by=by, event=event, day=FIRST_DAY, present_ids=[a1.pk])
    participation.results_record(by=by, event=event, results={a1.pk: ("passed", None)})
    Certificate.objects.create(
        participant=a1,
        office=event.office,
        code="ABCDEFGH",
        number="1/2024",
        year=2024,
        seq=1,
        name=a1.person.name,
        course_name=event.course.name,
        hours=32,
        event_start=FIRST_DAY,
        event_end=LAST_DAY,
        issued_on=LAST_DAY,
        signer_title="Kepala Dinas",
    )
    refused(
        lambda: participation.results_record(by=by, event=event, results={a1.pk: ("failed", None)}),
        "results",
        "revoke it first",
    )
    refused(
        lambda: participation.participant_remove(by=by, participant=a1),
        "__all__",
        "has a certificate",
    )
