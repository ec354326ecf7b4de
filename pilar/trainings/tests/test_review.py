"""A reviewer's attempts to break trainings and certificates: big events, junk input, scope,
stale prints and the public check's headers."""

from __future__ import annotations

import datetime
import itertools

import pytest

from pilar.accounts.models import User
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor
from pilar.lib.nik import make_nik
from pilar.regions.models import Area
from pilar.registry.models import Person
from pilar.tests_support import login, run_task_worker
from pilar.trainings.certificates.services import (
    certificate_issue,
    certificate_print_start,
    certificate_revoke,
    certificates_issue_for_event,
)
from pilar.trainings.models import Attendance, CertificatePrint, Participant, TrainingEvent
from pilar.trainings.tests.certificate_support import enrol, make_event

pytestmark = pytest.mark.django_db

_serials = itertools.count(5000)


def _crowd(n: int) -> list[Person]:
    """`n` people written straight with the ORM (the rules under test do not depend on how)."""
    home = Area.objects.get(code="13.75.01.1001")
    born = datetime.date(1980, 1, 1)
    return Person.objects.bulk_create(
        [
            Person(
                nik=make_nik(area6="137501", birth_date=born, sex="L", serial=next(_serials)),
                name=f"Peserta {i:04d}",
                sex="L",
                birth_date=born,
                residence=home,
            )
            for i in range(n)
        ]
    )


def _big_event(n: int, *, attended: bool = True) -> TrainingEvent:
    event = make_event()
    participants = Participant.objects.bulk_create(
        [Participant(event=event, person=p) for p in _crowd(n)]
    )
    if attended:
        Attendance.objects.bulk_create(
            [Attendance(participant=p, day=event.start_date) for p in participants]
        )
    return event


@pytest.fixture
def staff(client, actors):
    User.objects.update(language="en")
    login(client, actors["operator"])
    return client


# Big events ----------------------------------------------------------------------------------


def test_results_of_a_600_person_event_can_be_saved(staff, reference):
    event = _big_event(600)
    data = {}
    for p in event.participants.all():
        data[f"result_{p.pk}"] = "passed"
        data[f"score_{p.pk}"] = "80"
    response = staff.post(f"/trainings/events/{event.pk}/results/", data)
    assert response.status_code == 302, response.content[:300]
    assert event.participants.filter(result="passed").count() == 600


def test_attendance_of_a_1200_person_event_can_be_saved(staff, reference):
    event = _big_event(1200, attended=False)
    ids = [str(pk) for pk in event.participants.values_list("pk", flat=True)]
    response = staff.post(
        f"/trainings/events/{event.pk}/attendance/{event.start_date.isoformat()}/",
        {"present": ids},
    )
    assert response.status_code == 302, response.content[:300]
    assert Attendance.objects.filter(participant__event=event).count() == 1200


# Bad input -----------------------------------------------------------------------------------


def _event_form(course, **changes) -> dict:
    return {
        "course": course.pk,
        "start_date": "2024-10-21",
        "end_date": "2024-10-22",
        "place": "Aula",
        "organiser": "Dinas Sosial",
        **changes,
    }


@pytest.mark.parametrize(
    "field,value",
    [
        ("budget", "9" * 25),
        ("capacity", "9" * 25),
        ("budget", "-5"),
        ("budget", "dua juta"),
        ("start_date", "2024-02-30"),
        ("place", "x" * 5000),
    ],
)
def test_event_form_junk_is_a_field_error(staff, course, field, value):
    response = staff.post("/trainings/events/new/", _event_form(course, **{field: value}))
    assert response.status_code == 400
    assert field in response.context["form"].errors, response.context["form"].errors
    assert not TrainingEvent.objects.exists()


@pytest.mark.parametrize(
    "field,value",
    [
        ("budget", 10**25),
        ("capacity", 10**25),
        ("budget", -1),
        ("place", "x" * 5000),
        ("organiser", "o" * 151),
        ("title", "t" * 201),
    ],
)
def test_event_api_junk_is_a_field_error(staff, course, field, value):
    body = {
        "course_id": course.pk,
        "start_date": "2024-10-21",
        "end_date": "2024-10-22",
        "place": "Aula",
        "organiser": "Dinas Sosial",
        field: value,
    }
    r = staff.post("/api/v1/trainings/events", body, content_type="application/json")
    assert r.status_code in (400, 422), r.content
    assert field in r.json()["errors"], r.json()
    assert not TrainingEvent.objects.exists()


def test_course_api_long_name_is_a_field_error(staff, reference):
    body = {"name": "n" * 151, "level": "basic", "hours": 8}
    r = staff.post("/api/v1/trainings/courses", body, content_type="application/json")
    assert r.status_code in (400, 422), r.content
    assert "name" in r.json()["errors"]


def test_nul_bytes_are_refused_with_a_message_and_nothing_saved(staff, course, certified):
    """(pilar.core.middleware refuses them before any view: said here so it stays so.)"""
    r = staff.post("/trainings/events/new/", _event_form(course, place="Aula\x00"))
    assert r.status_code == 400 and b"NUL" in r.content
    r = staff.post(
        f"/api/v1/certificates/{certified.pk}/revoke",
        {"reason": "salah\x00orang"},
        content_type="application/json",
    )
    assert r.status_code == 400 and "NUL" in r.json()["message"]
    certified.refresh_from_db()
    assert not certified.is_revoked
    assert TrainingEvent.objects.count() == 1  # only the certificate's own event


# The public check ----------------------------------------------------------------------------


def test_public_api_check_is_not_cached_nor_indexed(client, certified):
    for code in [certified.code, "23456789AB"]:
        r = client.get(f"/api/v1/certificates/verify/{code}")
        assert r.status_code in (200, 404)
        assert r["Cache-Control"] == "no-store", code
        assert "noindex" in r["X-Robots-Tag"]


# Scope ---------------------------------------------------------------------------------------


def test_certificate_export_is_audited(client, actors, certified):
    login(client, actors["coordinator_a"])
    response = client.get("/trainings/certificates/?format=csv")
    assert response.status_code == 200
    assert certified.name in response.content.decode()
    entry = AuditEntry.objects.get(action=AuditEntry.Action.VIEW_PERSONAL)
    assert entry.object_type == "trainings.certificate" and entry.user == actors["coordinator_a"]


def test_coordinator_b_sees_no_one_of_kecamatan_a(client, actors, people, certified):
    event = certified.participant.event
    login(client, actors["coordinator_b"])
    a1 = people["a1"]
    pages = [
        f"/trainings/events/{event.pk}/",
        f"/trainings/events/{event.pk}/?format=csv",
        "/trainings/certificates/",
        "/trainings/certificates/?format=csv",
        f"/trainings/certificates/?q={certified.code}",
        "/trainings/certificates/expiring/?format=csv",
        f"/api/v1/trainings/events/{event.pk}/participants",
        "/api/v1/certificates",
        f"/api/v1/certificates?q={certified.code}",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert a1.name.encode() not in body, url
    for url in [
        f"/trainings/certificates/{certified.pk}/",
        f"/trainings/certificates/{certified.pk}/pdf/",
        f"/api/v1/certificates/{certified.pk}",
        f"/api/v1/trainings/people/{a1.pk}",
    ]:
        assert client.get(url).status_code == 404, url


# Query counts --------------------------------------------------------------------------------


def _filled_event(n: int) -> TrainingEvent:
    event = make_event()
    for person in _crowd(n):
        enrol(event, person)
    certificates_issue_for_event(by=Actor.system(), event=event)
    return event


@pytest.mark.parametrize("n", [3, 30])
def test_pages_do_not_query_per_row(staff, reference, n, django_assert_max_num_queries):
    event = _filled_event(n)
    for url in [
        f"/trainings/events/{event.pk}/",
        "/trainings/",
        "/trainings/certificates/",
        f"/trainings/events/{event.pk}/results/",
        f"/trainings/events/{event.pk}/attendance/{event.start_date.isoformat()}/",
        f"/api/v1/trainings/events/{event.pk}/participants",
        "/api/v1/certificates",
    ]:
        with django_assert_max_num_queries(25):
            assert staff.get(url).status_code == 200, url


# The background print ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_print_made_before_a_revocation_is_not_served(
    client, actors, people, django_capture_on_commit_callbacks
):
    User.objects.update(language="en")
    login(client, actors["operator"])
    event = make_event()
    for person in people.values():
        enrol(event, person)
    by = Actor(user=actors["operator"])
    summary = certificates_issue_for_event(by=by, event=event)
    with django_capture_on_commit_callbacks(execute=True):
        certificate_print_start(by=by, event=event)
    run_task_worker()
    job = CertificatePrint.objects.get()
    assert job.status == "done"
    assert client.get(f"/trainings/certificate-prints/{job.pk}/file/").status_code == 200

    certificate_revoke(by=by, certificate=summary.issued[0], reason="salah orang")
    response = client.get(f"/trainings/certificate-prints/{job.pk}/file/")
    assert response.status_code != 200
    fragment = client.get(f"/trainings/certificate-prints/{job.pk}/").content.decode()
    assert "Download" not in fragment and "print again" in fragment


@pytest.mark.parametrize(
    "field,value", [("hours", 10**25), ("validity_months", 10**25), ("hours", 0)]
)
def test_course_api_huge_numbers_are_field_errors(staff, reference, field, value):
    body = {"name": "Bimtek", "level": "basic", "hours": 8, field: value}
    r = staff.post("/api/v1/trainings/courses", body, content_type="application/json")
    assert r.status_code in (400, 422), r.content
    assert field in r.json()["errors"]


def test_api_huge_ids_are_not_found_not_500(staff, invited, event):
    huge = 10**25
    for method, url, body in [
        (
            "put",
            f"/api/v1/trainings/events/{event.pk}/attendance/2024-10-21",
            {"present_ids": [huge]},
        ),
        (
            "post",
            f"/api/v1/trainings/events/{event.pk}/results",
            {"results": [{"participant_id": huge, "result": "passed"}]},
        ),
        ("post", f"/api/v1/trainings/events/{event.pk}/participants", {"person_ids": [huge]}),
        ("post", "/api/v1/certificates", {"participant_id": huge}),
        ("post", "/api/v1/certificates/issue-for-event", {"event_id": huge}),
    ]:
        r = getattr(staff, method)(url, body, content_type="application/json")
        assert r.status_code in (400, 404, 422), (url, r.content)
    for url in [
        f"/api/v1/certificates/{huge}",
        f"/api/v1/trainings/events/{huge}",
        f"/trainings/events/{huge}/",
        f"/trainings/certificates/{huge}/",
    ]:
        assert staff.get(url).status_code in (404, 422), url


def test_an_event_of_decades_is_refused_naming_the_last_day(staff, course):
    """A slip in the year (2024 → 2124) made an event of 36 000 days: a column per day on its
    page and in its export (past XLSX's 16 384 columns)."""
    response = staff.post("/trainings/events/new/", _event_form(course, end_date="2124-10-22"))
    assert response.status_code == 400
    assert "end_date" in response.context["form"].errors
    assert not TrainingEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_result_cannot_turn_failed_under_a_certificate_being_issued(people, issuer):
    """Issuing locks the participant joined with its event (PostgreSQL's FOR UPDATE locks the
    joined rows too), and recording results locks the event: a result set back to "failed"
    while a certificate is being issued waits, then finds the certificate and is refused.
    (SQLite's IMMEDIATE transactions make the second writer wait for the first to commit.)"""
    import threading
    import time

    from django.core.exceptions import ValidationError
    from django.db import connection, transaction

    event = make_event()
    participant = enrol(event, people["a1"])
    issued = threading.Event()
    refused = []

    def issue():
        try:
            with transaction.atomic():
                certificate_issue(by=issuer, participant=participant)
                issued.set()
                time.sleep(1)
        finally:
            connection.close()

    def fail():
        try:
            issued.wait(5)
            from pilar.trainings.participation import results_record

            try:
                results_record(by=issuer, event=event, results={participant.pk: ("failed", None)})
            except ValidationError as exc:
                refused.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue), threading.Thread(target=fail)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    participant.refresh_from_db()
    assert participant.result == "passed" and refused


def test_a_reprint_keeps_the_place_and_organiser_first_printed(people, issuer):
    """The certificate copies the place and organiser when issued: an event edited afterwards
    does not change what a reprint or the public check says."""
    import subprocess

    from pilar.trainings.certificates.pdf import certificate_pdf

    event = make_event()
    certificate = certificate_issue(by=issuer, participant=enrol(event, people["a1"]))
    assert certificate.place == event.place and certificate.organiser == event.organiser
    TrainingEvent.objects.filter(pk=event.pk).update(place="Gedung Lain", organiser="Panitia Lain")
    certificate.refresh_from_db()
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=certificate_pdf(certificate), capture_output=True, check=True
    ).stdout.decode()
    assert "Aula Dinas Sosial Kota Bukittinggi" in " ".join(text.split())
    assert "Gedung Lain" not in text and "Panitia Lain" not in text


def test_the_course_of_an_assessed_event_cannot_change(people, issuer, reference):
    """Who has the required training depends on the course a pass was earned in: once anyone is
    assessed, moving the event to another course is refused, naming the course."""
    from django.core.exceptions import ValidationError

    from pilar.trainings import services
    from pilar.trainings.models import Course

    event = make_event()
    enrol(event, people["a1"])
    other = Course.objects.create(
        office=event.office, name="Bimtek Lain", level="advanced", hours=8
    )
    details = {
        "start_date": event.start_date,
        "end_date": event.end_date,
        "place": event.place,
        "organiser": event.organiser,
    }
    with pytest.raises(ValidationError) as refused:
        services.event_update(by=issuer, event=event, course=other, **details)
    assert "already been assessed in Pelatihan Dasar PSM" in refused.value.message_dict["course"][0]
    event.refresh_from_db()
    assert event.course.name == "Pelatihan Dasar PSM"
    # Nobody assessed yet: the course may still be corrected.
    fresh = make_event(course_name="Pelatihan Dasar PSM", title="Gelombang 2")
    Participant.objects.create(event=fresh, person=people["a2"])
    services.event_update(by=issuer, event=fresh, course=other, **details)
    fresh.refresh_from_db()
    assert fresh.course == other


def test_a_print_whose_worker_vanished_does_not_block_a_new_one(
    client, actors, people, issuer, django_capture_on_commit_callbacks
):
    """A print whose worker has not been heard of for PILAR_JOB_STALE_SECONDS lost it (killed,
    a restart): the next "print all" marks it failed, says so, and starts afresh."""
    import time_machine
    from django.utils import timezone

    from pilar.lib.jobs import Heartbeat, stale_after

    User.objects.update(language="en")
    event = make_event()
    enrol(event, people["a1"])
    certificates_issue_for_event(by=issuer, event=event)
    stuck = certificate_print_start(by=issuer, event=event)
    CertificatePrint.objects.filter(pk=stuck.pk).update(status="running")
    assert certificate_print_start(by=issuer, event=event) == stuck  # still fresh
    almost = stale_after() - datetime.timedelta(seconds=10)
    with time_machine.travel(timezone.now() + almost):
        # A slow worker that still beats keeps its print.
        Heartbeat(CertificatePrint.objects.filter(pk=stuck.pk)).beat(force=True)
    with time_machine.travel(timezone.now() + 2 * almost):
        assert certificate_print_start(by=issuer, event=event) == stuck
    later = timezone.now() + 2 * almost + stale_after()
    with time_machine.travel(later), django_capture_on_commit_callbacks(execute=True):
        again = certificate_print_start(by=issuer, event=event)
    assert again != stuck
    stuck.refresh_from_db()
    assert stuck.status == "failed" and "its worker stopped" in stuck.error
    login(client, actors["operator"])
    fragment = client.get(f"/trainings/certificate-prints/{stuck.pk}/").content.decode()
    assert "its worker stopped" in fragment


def test_the_progress_poll_marks_a_vanished_print_failed(client, actors, people, issuer):
    """The event page's poll alone (no new print) tells that the worker stopped."""
    import time_machine
    from django.utils import timezone

    from pilar.lib.jobs import stale_after

    User.objects.update(language="en")
    event = make_event()
    enrol(event, people["a1"])
    certificates_issue_for_event(by=issuer, event=event)
    stuck = certificate_print_start(by=issuer, event=event)
    login(client, actors["operator"])
    url = f"/trainings/certificate-prints/{stuck.pk}/"
    assert "Waiting to print" in client.get(url).content.decode()
    with time_machine.travel(timezone.now() + stale_after() + datetime.timedelta(seconds=1)):
        fragment = client.get(url).content.decode()
    assert "its worker stopped" in fragment and "Print again" in fragment
    assert "hx-get" not in fragment  # the polling stops
    stuck.refresh_from_db()
    assert stuck.status == "failed" and stuck.finished_at is not None
