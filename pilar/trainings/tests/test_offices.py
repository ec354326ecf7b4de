"""Trainings on an installation of many offices (docs/TRAININGS.md, "Many offices"): each office
holds its own events and issues its own certificates, numbered from 1 in each, signed and
printed by its own office; nothing of another office is reachable by id; the province sees and
does not act."""

from __future__ import annotations

import subprocess

import pytest
from django.core.exceptions import ValidationError

from pilar.accounts.models import Role, User
from pilar.audit.services import Actor
from pilar.offices.services import remembered
from pilar.tests_support import login
from pilar.trainings import participation, services
from pilar.trainings.certificates.pdf import certificate_pdf
from pilar.trainings.certificates.services import certificate_issue
from pilar.trainings.certificates.tasks import print_event_certificates
from pilar.trainings.models import CertificatePrint, Participant, TrainingEvent
from pilar.trainings.tests.conftest import FIRST_DAY, LAST_DAY

pytestmark = pytest.mark.django_db


def pdf_text(path) -> str:
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    return " ".join(out.stdout.decode().split())


@pytest.fixture
def two(office, other_office, make_user, make_person, make_assignment, course):
    """Bukittinggi and Padang Panjang, each with a PSM, an operator, an event of the shared
    course the PSM passed, and its own certificate signer."""
    office.signer_name, office.signer_title = "Drs. Penanda Bukittinggi", "Kepala Dinas"
    office.save()
    other_office.signer_name, other_office.signer_title = "Dr. Penanda Padang Panjang", "Kadis"
    other_office.save()
    ani = make_person("Ani Bukittinggi", kelurahan="13.75.01.1001")
    make_assignment(ani, "PSM", "13.75.01.1001")
    putri = make_person("Putri Padang Panjang", kelurahan="13.74.01.1001")
    make_assignment(putri, "PSM", "13.74.01.1001")
    ops = {
        "bkt": make_user("op-bkt", Role.OPERATOR, office=office),
        "pp": make_user("op-pp", Role.OPERATOR, office=other_office),
    }
    User.objects.update(language="en")
    out = {"ops": ops, "people": {"bkt": ani, "pp": putri}, "events": {}, "certificates": {}}
    for key, person in out["people"].items():
        by = Actor(user=ops[key])
        with remembered(user=ops[key]):
            event = services.event_create(
                by=by,
                course=course,
                start_date=FIRST_DAY,
                end_date=LAST_DAY,
                place="Aula",
                organiser="Dinas Sosial",
            )
            participation.participants_invite(by=by, event=event, people=[person])
            participant = Participant.objects.get(event=event)
            participation.attendance_record(
                by=by, event=event, day=FIRST_DAY, present_ids=[participant.pk]
            )
            participation.results_record(
                by=by, event=event, results={participant.pk: ("passed", None)}
            )
        # Issued by whoever: the event's office numbers and signs it.
        out["certificates"][key] = certificate_issue(by=by, participant=participant)
        out["events"][key] = event
    return out


def test_each_office_holds_its_events_and_numbers_its_certificates_from_1(
    two, office, other_office
):
    events, certs = two["events"], two["certificates"]
    assert (events["bkt"].office, events["pp"].office) == (office, other_office)
    bkt, pp = certs["bkt"], certs["pp"]
    assert (bkt.office, pp.office) == (office, other_office)
    assert (bkt.year, bkt.seq) == (pp.year, pp.seq) == (2024, 1)
    # Both below no other office: each number names its office's area, so it names one
    # certificate in the whole installation.
    assert (bkt.number, pp.number) == ("0001/SERT/13.75/2024", "0001/SERT/13.74/2024")
    assert (bkt.signer_name, pp.signer_name) == (
        "Drs. Penanda Bukittinggi",
        "Dr. Penanda Padang Panjang",
    )


def test_a_certificate_prints_its_own_office_whoever_prints_it(two, office, tmp_path):
    path = tmp_path / "pp.pdf"
    with remembered(office=office):  # printed while acting for Bukittinggi
        path.write_bytes(certificate_pdf(two["certificates"]["pp"]))
    text = pdf_text(path)
    assert "DINAS SOSIAL KOTA PADANG PANJANG" in text
    assert "Padang Panjang, 22 Oktober 2024" in text
    assert "Dr. Penanda Padang Panjang" in text
    assert "pilar.padangpanjang.example/c/" in text
    assert "BUKITTINGGI" not in text


def test_the_print_task_works_for_the_events_office(two, tmp_path):
    event = two["events"]["pp"]
    job = CertificatePrint.objects.create(event=event, total=1)
    print_event_certificates.call(job.pk)
    job.refresh_from_db()
    assert job.status == "done", job.error
    path = tmp_path / "all.pdf"
    with job.file.open("rb") as f:
        path.write_bytes(f.read())
    text = pdf_text(path)
    assert "DINAS SOSIAL KOTA PADANG PANJANG" in text and "BUKITTINGGI" not in text


def test_the_public_page_names_the_issuing_office(client, two, office, other_office):
    code = two["certificates"]["pp"].code
    page = client.get(f"/c/{code}/").content.decode()
    assert other_office.name in page and office.name not in page
    answer = client.get(f"/api/v1/certificates/verify/{code}").json()
    assert answer["issued_by"] == other_office.name
    # The Bukittinggi one, read by the same visitor, names Bukittinggi.
    page = client.get(f"/c/{two['certificates']['bkt'].code}/").content.decode()
    assert office.name in page and other_office.name not in page


def test_another_offices_event_and_certificate_are_not_found(client, two):
    login(client, two["ops"]["bkt"])
    own_event, other_event = two["events"]["bkt"].pk, two["events"]["pp"].pk
    own_cert, other_cert = two["certificates"]["bkt"].pk, two["certificates"]["pp"].pk
    for url in (
        f"/trainings/events/{own_event}/",
        f"/trainings/certificates/{own_cert}/",
        f"/api/v1/trainings/events/{own_event}",
        f"/api/v1/certificates/{own_cert}",
    ):
        assert client.get(url).status_code == 200, url
    for url in (
        f"/trainings/events/{other_event}/",
        f"/trainings/events/{other_event}/edit/",
        f"/trainings/events/{other_event}/results/",
        f"/trainings/certificates/{other_cert}/",
        f"/trainings/certificates/{other_cert}/pdf/",
        f"/api/v1/trainings/events/{other_event}",
        f"/api/v1/trainings/events/{other_event}/participants",
        f"/api/v1/certificates/{other_cert}",
    ):
        assert client.get(url).status_code == 404, url
    for url, body in (
        (f"/trainings/certificates/{other_cert}/revoke/", {"reason": "x"}),
        (f"/trainings/participants/{two['certificates']['pp'].participant_id}/certificate/", {}),
        (f"/trainings/events/{other_event}/certificates/print/", {}),
    ):
        assert client.post(url, body).status_code == 404, url
    response = client.post(
        "/api/v1/certificates/issue-for-event",
        {"event_id": other_event},
        content_type="application/json",
    )
    assert response.status_code == 400 and "event_id" in response.json()["errors"]
    listed = client.get("/api/v1/trainings/events").json()
    assert [e["id"] for e in listed] == [own_event]
    listed = client.get("/api/v1/certificates").json()
    assert [c["id"] for c in listed] == [own_cert]


def test_an_office_cannot_invite_another_offices_pillar(client, two):
    login(client, two["ops"]["bkt"])
    event = two["events"]["bkt"]
    putri = two["people"]["pp"]
    response = client.post(
        f"/api/v1/trainings/events/{event.pk}/participants",
        {"person_ids": [putri.pk]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "person_ids" in str(response.json())
    response = client.post(
        f"/trainings/events/{event.pk}/invite/?q=Putri", {"how": "people", "people": [putri.pk]}
    )
    assert response.status_code == 400
    # The service itself refuses them too, naming the field.
    with pytest.raises(ValidationError) as exc:
        participation.participants_invite(
            by=Actor(user=two["ops"]["bkt"]), event=event, people=[putri]
        )
    assert "Putri Padang Panjang" in str(exc.value.message_dict["people"])
    # Inviting by kind, anywhere: only the office's own area's pillars.
    added = participation.invitable_duties(event, kinds=list(event.course.kinds.all()), area=None)
    assert putri.pk not in set(added.values_list("person_id", flat=True))
    assert not event.participants.filter(person=putri).exists()


def test_the_province_sees_both_offices_and_acts_on_neither(
    client, two, province_office, make_user, course
):
    viewer = make_user("prov-op", Role.OPERATOR, office=province_office)
    login(client, viewer)
    events = two["events"]
    listed = {e["id"] for e in client.get("/api/v1/trainings/events").json()}
    assert listed == {events["bkt"].pk, events["pp"].pk}
    assert {c["id"] for c in client.get("/api/v1/certificates").json()} == {
        c.pk for c in two["certificates"].values()
    }
    page = client.get("/trainings/").content.decode()
    assert events["pp"].display_title in page
    assert client.get(f"/trainings/events/{events['pp'].pk}/").status_code == 200
    before = TrainingEvent.objects.count()
    day = FIRST_DAY.isoformat()
    event_form = {"course": course.pk, "start_date": day, "end_date": day, "place": "Aula"}
    revoke = f"/trainings/certificates/{two['certificates']['pp'].pk}/revoke/"
    for url, body in (
        ("/trainings/events/new/", {**event_form, "organiser": "Dinas Sosial"}),
        (f"/trainings/events/{events['pp'].pk}/certificates/issue/", {}),
        (revoke, {"reason": "x"}),
    ):
        assert client.post(url, body).status_code == 403, url
    response = client.post(
        "/api/v1/trainings/events",
        {**event_form, "course_id": course.pk, "organiser": "Dinas Sosial"},
        content_type="application/json",
    )
    assert response.status_code == 403
    response = client.post(
        "/api/v1/certificates/issue-for-event",
        {"event_id": events["pp"].pk},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert TrainingEvent.objects.count() == before
