"""Pages as users meet them: courses, events, invitations, attendance, results, exports, scope."""

from __future__ import annotations

import io

import pytest
from python_calamine import CalamineWorkbook

from pilar.accounts.models import User
from pilar.audit.models import AuditEntry
from pilar.tests_support import login
from pilar.trainings import participation
from pilar.trainings.models import Attendance, Course, Participant, TrainingEvent
from pilar.trainings.tests.conftest import FIRST_DAY, LAST_DAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client, actors):
    User.objects.update(language="en")
    login(client, actors["operator"])
    return client


def sheet(content: bytes) -> list[list]:
    return CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()


def test_operator_adds_and_edits_a_course(operator, kind):
    r = operator.post(
        "/trainings/courses/new/",
        {
            "name": "Pelatihan Tagana",
            "level": "refresher",
            "hours": "16",
            "kinds": [kind("TAGANA").pk],
            "validity_months": "12",
            "active": "on",
        },
    )
    assert r.status_code == 302 and r.url == "/trainings/courses/"
    course = Course.objects.get()
    assert course.validity_months == 12 and [k.code for k in course.kinds.all()] == ["TAGANA"]
    page = operator.get("/trainings/courses/").content.decode()
    assert "Pelatihan Tagana" in page and "valid 12 months" in page
    r = operator.post(
        f"/trainings/courses/{course.pk}/edit/",
        {"name": "Pelatihan Tagana", "level": "refresher", "hours": "0"},
    )
    assert r.status_code == 400 and "Nothing was saved" in r.content.decode()
    course.refresh_from_db()
    assert course.hours == 16


def test_duplicate_course_name_is_refused_on_the_page(operator, course):
    r = operator.post(
        "/trainings/courses/new/", {"name": course.name.upper(), "level": "basic", "hours": "8"}
    )
    assert r.status_code == 400 and "already exists" in r.content.decode()
    assert Course.objects.count() == 1


def test_operator_records_and_edits_an_event(operator, course):
    r = operator.post(
        "/trainings/events/new/",
        {
            "course": course.pk,
            "start_date": "2024-10-22",
            "end_date": "2024-10-22",
            "place": "Balai Kota",
            "organiser": "Dinas Sosial",
            "budget": "25000000",
            "capacity": "400",
        },
    )
    event = TrainingEvent.objects.get()
    assert r.status_code == 302 and r.url == f"/trainings/events/{event.pk}/"
    page = operator.get(r.url).content.decode()
    assert "Balai Kota" in page and "25.000.000" in page and "Invite" in page
    r = operator.post(
        f"/trainings/events/{event.pk}/edit/",
        {
            "course": course.pk,
            "start_date": "2024-10-22",
            "end_date": "2024-10-21",
            "place": "Balai Kota",
            "organiser": "Dinas Sosial",
        },
    )
    assert r.status_code == 400 and "before the first day" in r.content.decode()
    event.refresh_from_db()
    assert event.end_date == event.start_date


def test_fractional_budget_is_refused(operator, course):
    r = operator.post(
        "/trainings/events/new/",
        {
            "course": course.pk,
            "start_date": "2024-10-22",
            "end_date": "2024-10-22",
            "place": "Balai Kota",
            "organiser": "Dinas Sosial",
            "budget": "1500.50",
        },
    )
    assert r.status_code == 400 and not TrainingEvent.objects.exists()


@pytest.mark.parametrize("typed,kept", [("25.000.000", 25_000_000), ("Rp 1.500.000", 1_500_000)])
def test_budget_typed_the_indonesian_way_is_read_as_written(operator, course, typed, kept):
    form = {
        "course": course.pk,
        "start_date": "2024-10-22",
        "end_date": "2024-10-22",
        "place": "Balai Kota",
        "organiser": "Dinas Sosial",
    }
    assert operator.post("/trainings/events/new/", {**form, "budget": typed}).status_code == 302
    assert TrainingEvent.objects.get().budget == kept


def test_budget_with_cents_is_refused_not_misread(operator, course):
    r = operator.post(
        "/trainings/events/new/",
        {
            "course": course.pk,
            "start_date": "2024-10-22",
            "end_date": "2024-10-22",
            "place": "Balai Kota",
            "organiser": "Dinas Sosial",
            "budget": "1500,50",
        },
    )
    assert r.status_code == 400 and not TrainingEvent.objects.exists()
    assert "budget" in r.context["form"].errors


def test_invite_by_kind_and_by_picking(operator, event, people, kind):
    url = f"/trainings/events/{event.pk}/invite/"
    assert operator.get(url).status_code == 200
    r = operator.post(url, {"how": "kinds", "kinds": [kind("PSM").pk], "area": "13.75.01"})
    assert r.status_code == 302
    assert {p.person_id for p in event.participants.all()} == {
        people["a1"].pk,
        people["a2"].pk,
    }
    page = operator.get(r.url).content.decode()
    assert "2 people have been invited." in page
    page = operator.get(url, {"q": "Citra"}).content.decode()
    assert people["b1"].name in page and people["a1"].name not in page
    r = operator.post(url, {"how": "people", "q": "Citra", "people": [people["b1"].pk]})
    assert r.status_code == 302 and event.participants.count() == 3
    r = operator.post(url, {"how": "kinds", "kinds": [kind("PSM").pk]})
    assert "3 were invited already" in operator.get(r.url).content.decode()


def test_invite_over_capacity_says_how_many_places_are_left(operator, make_event, kind):
    event = make_event(capacity=2)
    r = operator.post(
        f"/trainings/events/{event.pk}/invite/", {"how": "kinds", "kinds": [kind("PSM").pk]}
    )
    assert r.status_code == 400
    assert "Only 2 places are left" in r.content.decode()
    assert not Participant.objects.exists()


def test_attendance_page_marks_and_unmarks(operator, event, invited):
    url = f"/trainings/events/{event.pk}/attendance/{FIRST_DAY.isoformat()}/"
    page = operator.get(url).content.decode()
    assert "Mark all present" in page and invited["b1"].person.name in page
    r = operator.post(url, {"all_present": "1"})
    assert r.status_code == 302 and Attendance.objects.filter(day=FIRST_DAY).count() == 3
    r = operator.post(url, {"present": [invited["a1"].pk]})
    assert r.status_code == 302
    assert list(Attendance.objects.values_list("participant_id", flat=True)) == [invited["a1"].pk]
    assert "1 of 3 participants present" in operator.get(url).content.decode()


def test_attendance_for_a_day_outside_the_event(operator, event, invited):
    r = operator.post(
        f"/trainings/events/{event.pk}/attendance/2024-10-25/", {"present": [invited["a1"].pk]}
    )
    assert r.status_code == 302
    page = operator.get(r.url).content.decode()
    assert "2024-10-25 is not a day of this event" in page
    assert not Attendance.objects.exists()
    assert operator.get(f"/trainings/events/{event.pk}/attendance/hari-ini/").status_code == 404


def test_results_page_and_its_shortcut(operator, by, event, invited):
    a1, a2, b1 = invited["a1"], invited["a2"], invited["b1"]
    participation.attendance_record(by=by, event=event, day=FIRST_DAY, present_ids=[a1.pk, a2.pk])
    url = f"/trainings/events/{event.pk}/results/"
    r = operator.post(
        url,
        {
            f"result_{a1.pk}": "passed",
            f"result_{a2.pk}": "pending",
            f"result_{b1.pk}": "passed",
        },
    )
    assert r.status_code == 400 and "never attended" in r.content.decode()
    assert not Participant.objects.filter(result="passed").exists()
    r = operator.post(
        url,
        {
            f"result_{a1.pk}": "pending",
            f"score_{a1.pk}": "101",
            f"result_{a2.pk}": "pending",
            f"result_{b1.pk}": "pending",
        },
    )
    assert r.status_code == 400 and not Participant.objects.filter(score__isnull=False).exists()
    r = operator.post(
        url,
        {
            "all_attended_passed": "1",
            f"result_{a1.pk}": "pending",
            f"score_{a1.pk}": "80",
            f"result_{a2.pk}": "failed",
            f"result_{b1.pk}": "pending",
        },
    )
    assert r.status_code == 302
    results = dict(Participant.objects.values_list("person__name", "result"))
    assert results == {
        a1.person.name: "passed",
        a2.person.name: "failed",
        b1.person.name: "pending",
    }
    page = operator.get(f"/trainings/events/{event.pk}/").content.decode()
    assert "<strong>3</strong> invited" in page and "<strong>1</strong> passed" in page


def test_withdraw_only_without_attendance(operator, by, event, invited):
    participation.attendance_record(
        by=by, event=event, day=LAST_DAY, present_ids=[invited["a1"].pk]
    )
    base = f"/trainings/events/{event.pk}/participants/"
    r = operator.post(f"{base}{invited['a1'].pk}/remove/")
    assert r.status_code == 400 and "attended this event" in r.content.decode()
    assert event.participants.count() == 3
    r = operator.post(f"{base}{invited['a2'].pk}/remove/")
    assert r.status_code == 302 and event.participants.count() == 2
    assert operator.get(f"{base}{invited['b1'].pk}/remove/").status_code == 405


def test_participants_export(operator, by, event, invited):
    participation.attendance_record(
        by=by, event=event, day=LAST_DAY, present_ids=[invited["a1"].pk]
    )
    participation.results_record(by=by, event=event, results={invited["a1"].pk: ("passed", 75)})
    r = operator.get(f"/trainings/events/{event.pk}/", {"format": "xlsx"})
    rows = sheet(r.content)
    assert rows[0] == [
        "Name",
        "NIK",
        "Kind",
        "Area of duty",
        "Present 2024-10-21",
        "Present 2024-10-22",
        "Days present",
        "Result",
        "Score",
    ]
    a1 = invited["a1"].person
    first = rows[1]
    assert first[0] == a1.name and first[1] == a1.masked_nik and "*" in first[1]
    assert first[2] == "Pekerja Sosial Masyarakat" and first[4:] == [
        "no",
        "yes",
        1.0,
        "Passed",
        75.0,
    ]
    r = operator.get(f"/trainings/events/{event.pk}/", {"format": "csv"})
    assert r.content.startswith("\ufeff".encode()) and a1.name in r.content.decode()
    assert (
        AuditEntry.objects.filter(
            object_type="trainings.participant", action="view_personal"
        ).count()
        == 2
    )
    assert operator.get(f"/trainings/events/{event.pk}/", {"format": "pdf"}).status_code == 400


def test_event_list_filters_and_exports(operator, make_event, make_course, invited):
    tagana = make_course(
        "Pelatihan Tagana", kinds=("TAGANA",), level="refresher", required_for_appointment=False
    )
    make_event(course=tagana, start=FIRST_DAY.replace(year=2023), end=LAST_DAY.replace(year=2023))
    page = operator.get("/trainings/").content.decode()
    assert "2 events" in page and "3 invited" in page
    assert "1 event" in operator.get("/trainings/", {"kind": "TAGANA"}).content.decode()
    assert "1 event" in operator.get("/trainings/", {"year": "2024"}).content.decode()
    assert "1 event" in operator.get("/trainings/", {"level": "refresher"}).content.decode()
    assert "0 events" in operator.get("/trainings/", {"q": "tidak ada"}).content.decode()
    assert "0 events" in operator.get("/trainings/", {"year": "abc"}).content.decode()
    rows = sheet(operator.get("/trainings/", {"format": "xlsx", "year": "2024"}).content)
    assert len(rows) == 2 and rows[1][-3:] == [3.0, 0.0, 0.0]


def test_scope_of_event_pages(client, actors, by, event, invited):
    User.objects.update(language="en")
    url = f"/trainings/events/{event.pk}/"
    login(client, actors["coordinator_b"])
    page = client.get(url).content.decode()
    assert invited["b1"].person.name in page and invited["a1"].person.name not in page
    assert "2 other participants are outside your area" in page
    assert "Invite" not in page
    client.logout()
    login(client, actors["pillar"])  # a1 themself
    page = client.get(url).content.decode()
    assert invited["a1"].person.name in page and invited["b1"].person.name not in page
    mine = client.get("/trainings/mine/").content.decode()
    assert event.display_title in mine and "0 of 2 days attended" in mine
    assert client.get(f"{url}results/").status_code == 403
    # The event list offers a pillar their own pages, not the office's lists.
    listing = client.get("/trainings/").content.decode()
    assert event.display_title in listing and 'href="/trainings/certificates/mine/"' in listing
    assert 'href="/trainings/requirements/"' not in listing
    assert 'href="/trainings/courses/"' not in listing
    client.logout()
    login(client, actors["viewer"])
    assert client.get(url).status_code == 403


def test_requirements_list(operator, by, event, invited, people):
    page = operator.get("/trainings/requirements/").content.decode()
    assert "3 duties" in page and event.course.name in page
    participation.attendance_record(
        by=by, event=event, day=FIRST_DAY, present_ids=[invited["a1"].pk]
    )
    participation.results_record(by=by, event=event, results={invited["a1"].pk: ("passed", None)})
    page = operator.get("/trainings/requirements/", {"on": "2024-11-01"}).content.decode()
    assert "2 duties" in page and people["a1"].name not in page
    # Before the event ended nobody had passed it.
    assert (
        "3 duties"
        in operator.get("/trainings/requirements/", {"on": "2024-10-21"}).content.decode()
    )
    assert (
        "1 duty" in operator.get("/trainings/requirements/", {"area": "13.75.02"}).content.decode()
    )
    rows = sheet(operator.get("/trainings/requirements/", {"format": "xlsx"}).content)
    assert [r[0] for r in rows[1:]] == [people["a2"].name, people["b1"].name]
    assert rows[1][-1] == event.course.name


def test_invite_search_does_not_find_a_former_pillar_by_the_new_phone(
    client, make_user, event, make_person, make_assignment, system_actor
):
    """docs/PRIVACY.md: an operator limited to kecamatan A finds a pillar who left A by name,
    not by the phone they have now; the office-wide operator finds them by both."""
    import datetime

    from pilar.accounts.models import Role
    from pilar.registry import services as registry

    eka = make_person("Eka Pernah Di A", kelurahan="13.75.01.1001", phone="081200000001")
    duty = make_assignment(eka, "PSM", "13.75.01.1001", start=datetime.date(2021, 1, 4))
    registry.assignment_end(
        by=system_actor, assignment=duty, end_date=datetime.date(2023, 6, 30), end_reason="moved"
    )
    make_assignment(eka, "PSM", "13.75.02.1001", start=datetime.date(2023, 7, 1))
    registry.person_update(by=system_actor, person=eka, data={"phone": "081977553311"})
    url = f"/trainings/events/{event.pk}/invite/"
    login(client, make_user("op-a", Role.OPERATOR, area="13.75.01"))
    assert "Eka Pernah Di A" not in client.get(url, {"q": "081977553311"}).content.decode()
    assert "Eka Pernah Di A" in client.get(url, {"q": "Eka"}).content.decode()
    client.logout()
    login(client, make_user("op-city", Role.OPERATOR))
    assert "Eka Pernah Di A" in client.get(url, {"q": "081977553311"}).content.decode()
