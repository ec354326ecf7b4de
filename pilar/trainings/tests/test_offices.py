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
from pilar.registry.models import PillarKind
from pilar.tests_support import login
from pilar.trainings import participation, services
from pilar.trainings.certificates.pdf import certificate_pdf
from pilar.trainings.certificates.services import certificate_issue
from pilar.trainings.certificates.tasks import print_event_certificates
from pilar.trainings.models import CertificatePrint, Course, Participant, TrainingEvent
from pilar.trainings.tests.conftest import FIRST_DAY, LAST_DAY

pytestmark = pytest.mark.django_db

COURSE_NAMES = {"bkt": "Pelatihan Dasar PSM Bukittinggi", "pp": "Diklat PSM Padang Panjang"}


def pdf_text(path) -> str:
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    return " ".join(out.stdout.decode().split())


@pytest.fixture
def two(office, other_office, make_user, make_person, make_assignment, reference):
    """Bukittinggi and Padang Panjang, each with a PSM, an operator, its own basic PSM course
    (required before appointment), an event of it the PSM passed, and its own certificate
    signer."""
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
    out = {
        "ops": ops,
        "people": {"bkt": ani, "pp": putri},
        "courses": {},
        "events": {},
        "certificates": {},
    }
    psm = PillarKind.objects.get(code="PSM")
    for key, person in out["people"].items():
        by = Actor(user=ops[key])
        with remembered(user=ops[key]):
            course = out["courses"][key] = services.course_create(
                by=by,
                name=COURSE_NAMES[key],
                level="basic",
                hours=32,
                kinds=[psm],
                required_for_appointment=True,
            )
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
    client, two, province_office, make_user
):
    course = two["courses"]["pp"]
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


# Courses: each office keeps its own catalogue and its own requirements.


@pytest.fixture
def lacking(two, make_person, make_assignment):
    """A second PSM in each office, who passed no course: each lacks their office's course."""
    dewi = make_person("Dewi Bukittinggi", kelurahan="13.75.01.1002")
    make_assignment(dewi, "PSM", "13.75.01.1002")
    sari = make_person("Sari Padang Panjang", kelurahan="13.74.01.1002")
    make_assignment(sari, "PSM", "13.74.01.1002")
    return {"bkt": dewi, "pp": sari}


def test_an_office_sees_none_of_another_offices_course_names(client, two, lacking):
    login(client, two["ops"]["pp"])
    own, other = COURSE_NAMES["pp"], COURSE_NAMES["bkt"]
    for url in (
        "/trainings/",
        "/trainings/courses/",
        "/trainings/requirements/",
        "/trainings/certificates/",
        "/trainings/certificates/expiring/",
        "/api/v1/trainings/courses",
        "/api/v1/trainings/events",
        "/api/v1/trainings/requirements",
        "/api/v1/certificates",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        assert other not in text, url
        if url not in ("/trainings/certificates/expiring/",):
            assert own in text, url  # the page does name courses: its own office's
    listed = client.get("/api/v1/trainings/courses").json()
    assert [c["id"] for c in listed] == [two["courses"]["pp"].pk]


def test_another_offices_course_is_not_found_nor_taught(client, two):
    login(client, two["ops"]["pp"])
    other = two["courses"]["bkt"]
    assert client.get(f"/trainings/courses/{other.pk}/edit/").status_code == 404
    assert client.post(f"/trainings/courses/{other.pk}/edit/", {"name": "x"}).status_code == 404
    body = {"name": "Diambil", "level": "basic", "hours": 8}
    response = client.put(
        f"/api/v1/trainings/courses/{other.pk}", body, content_type="application/json"
    )
    assert response.status_code == 404
    response = client.get(f"/api/v1/trainings/events?course_id={other.pk}")
    assert response.status_code == 400 and "course_id" in response.json()["errors"]
    day = FIRST_DAY.isoformat()
    event = {"start_date": day, "end_date": day, "place": "Aula", "organiser": "Dinas Sosial"}
    before = TrainingEvent.objects.count()
    response = client.post(
        "/api/v1/trainings/events",
        {**event, "course_id": other.pk},
        content_type="application/json",
    )
    assert response.status_code == 400 and "course_id" in response.json()["errors"]
    response = client.post("/trainings/events/new/", {**event, "course": other.pk})
    assert response.status_code == 400
    # The form offers only the office's own courses.
    page = client.get("/trainings/events/new/").content.decode()
    assert COURSE_NAMES["pp"] in page and COURSE_NAMES["bkt"] not in page
    # The service itself refuses it, naming the field; and keeps an event on its office's.
    by = Actor(user=two["ops"]["pp"])
    with remembered(user=two["ops"]["pp"]), pytest.raises(ValidationError) as exc:
        services.event_create(
            by=by,
            course=other,
            start_date=FIRST_DAY,
            end_date=FIRST_DAY,
            place="Aula",
            organiser="Dinas Sosial",
        )
    assert "another office" in str(exc.value.message_dict["course"])
    own_event = two["events"]["pp"]
    with pytest.raises(ValidationError) as exc:
        services.event_update(
            by=by,
            event=own_event,
            course=other,
            start_date=FIRST_DAY,
            end_date=LAST_DAY,
            place="Aula",
            organiser="Dinas Sosial",
        )
    assert "course" in exc.value.message_dict
    assert TrainingEvent.objects.count() == before


def test_course_names_are_unique_within_an_office_only(two):
    by = Actor(user=two["ops"]["pp"])
    with remembered(user=two["ops"]["pp"]):
        # Bukittinggi's name is free in Padang Panjang ...
        course = services.course_create(
            by=by, name=COURSE_NAMES["bkt"].upper(), level="basic", hours=8
        )
        assert course.office == two["events"]["pp"].office
        # ... its own is not.
        with pytest.raises(ValidationError) as exc:
            services.course_create(by=by, name=COURSE_NAMES["pp"].lower(), level="basic", hours=8)
        assert "name" in exc.value.message_dict


def test_requirements_are_per_office(client, two, lacking, office, other_office):
    """Bukittinggi's basic course required of its PSM does not make Padang Panjang's PSM lack
    it; Padang Panjang, requiring nothing, has nobody lacking anything."""
    from pilar.dashboard.summary import refresh
    from pilar.trainings.selectors import RequirementFilter, duties_missing_training

    def missing(user) -> dict[str, list[str]]:
        duties, rows = duties_missing_training(user, RequirementFilter())
        return {r.person.name: [c.name for c in r.missing] for r in rows(duties)}

    ops = two["ops"]
    assert missing(ops["bkt"]) == {"Dewi Bukittinggi": [COURSE_NAMES["bkt"]]}
    assert missing(ops["pp"]) == {"Sari Padang Panjang": [COURSE_NAMES["pp"]]}
    Course.objects.filter(pk=two["courses"]["pp"].pk).update(required_for_appointment=False)
    assert missing(ops["pp"]) == {}
    login(client, ops["pp"])
    assert client.get("/api/v1/trainings/requirements").json() == []
    page = client.get("/trainings/requirements/").content.decode()
    assert "Sari Padang Panjang" not in page and "Putri Padang Panjang" not in page
    # Each office's dashboard figures count its own requirements only.
    as_of = LAST_DAY
    assert refresh(office, as_of).figures["missing"] == 1
    assert refresh(other_office, as_of).figures["missing"] == 0


def test_the_province_sees_its_offices_courses_and_requirements_read_only(
    client, two, lacking, province_office, make_user, office, other_office
):
    from pilar.dashboard.summary import refresh

    viewer = make_user("prov-op-courses", Role.OPERATOR, office=province_office)
    User.objects.filter(pk=viewer.pk).update(language="en")
    login(client, viewer)
    listed = {c["name"] for c in client.get("/api/v1/trainings/courses").json()}
    assert listed == set(COURSE_NAMES.values())
    page = client.get("/trainings/courses/").content.decode()
    assert all(name in page for name in COURSE_NAMES.values())
    assert other_office.name in page  # each course names its office
    # Each office's requirement holds for its own pillars only.
    rows = {
        r["name"]: r["missing_courses"] for r in client.get("/api/v1/trainings/requirements").json()
    }
    assert rows == {
        "Dewi Bukittinggi": [COURSE_NAMES["bkt"]],
        "Sari Padang Panjang": [COURSE_NAMES["pp"]],
    }
    # A person's page warns of their own office's required course, whoever reads it.
    html = client.get(f"/pillars/{lacking['pp'].pk}/").content.decode()
    assert 'data-testid="missing-training"' in html
    assert COURSE_NAMES["pp"] in html and COURSE_NAMES["bkt"] not in html
    course = two["courses"]["bkt"]
    assert client.get(f"/trainings/courses/{course.pk}/edit/").status_code == 403
    assert client.post("/trainings/courses/new/", {"name": "x"}).status_code == 403
    body = {"name": "Diambil", "level": "basic", "hours": 8}
    for method, url in (
        (client.put, f"/api/v1/trainings/courses/{course.pk}"),
        (client.post, "/api/v1/trainings/courses"),
    ):
        assert method(url, body, content_type="application/json").status_code == 403, url
    # The province's own figures: its offices' requirements, each within its office's area.
    as_of = LAST_DAY
    assert refresh(province_office, as_of).figures["missing"] == 2
    assert refresh(office, as_of).figures["missing"] == 1
    assert refresh(other_office, as_of).figures["missing"] == 1
