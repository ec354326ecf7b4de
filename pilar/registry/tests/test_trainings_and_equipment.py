"""The registry's view of trainings and equipment: a person's page lists their trainings,
certificates and what they hold; appointing a PSM without the required basic training warns
(page and API) but still saves the duty."""

from __future__ import annotations

import datetime

import pytest

from pilar.accounts.models import User
from pilar.audit.services import Actor
from pilar.equipment import services as equipment
from pilar.equipment.models import Condition
from pilar.registry.models import Assignment, PillarKind
from pilar.tests_support import login
from pilar.trainings import participation
from pilar.trainings import services as trainings
from pilar.trainings.certificates.services import certificate_issue
from pilar.trainings.models import Participant

D = datetime.date
TRAINING_DAY = D(2024, 10, 22)


@pytest.fixture(autouse=True)
def english(db):
    yield
    User.objects.update(language="en")


@pytest.fixture
def by(actors):
    User.objects.update(language="en")
    return Actor(user=actors["operator"])


@pytest.fixture
def basic(by, reference):
    return trainings.course_create(
        by=by,
        name="Pelatihan Dasar PSM",
        level="basic",
        hours=40,
        kinds=[PillarKind.objects.get(code="PSM")],
        required_for_appointment=True,
    )


def passed(by, course, person, day=TRAINING_DAY):
    event = trainings.event_create(
        by=by,
        course=course,
        start_date=day,
        end_date=day,
        place="Aula Dinas Sosial",
        organiser="Dinas Sosial",
    )
    participant = participation.participants_invite(by=by, event=event, people=[person]).added[0]
    participation.attendance_record(by=by, event=event, day=day, present_ids=[participant.pk])
    participation.results_record(
        by=by, event=event, results={participant.pk: (Participant.Result.PASSED, 88)}
    )
    return participant


def test_person_page_lists_trainings_certificates_and_equipment(client, actors, people, by, basic):
    a1 = people["a1"]
    participant = passed(by, basic, a1)
    certificate = certificate_issue(by=by, participant=participant)
    vest = equipment.item_create(by=by, name="Rompi Pilar Sosial", category="clothing", unit="buah")
    equipment.stock_receive(
        by=by, item=vest, received_on=D(2024, 10, 1), quantity=10, source="APBD 2024"
    )
    equipment.handover_create(
        by=by,
        handed_on=D(2024, 10, 22),
        giver_name="Kepala Dinas",
        giver_title="",
        witnesses="",
        place="",
        note="",
        lines=[(a1, vest, 1, Condition.NEW)],
    )
    for who in ("operator", "coordinator_a", "pillar"):
        login(client, actors[who])
        html = client.get(f"/pillars/{a1.pk}/").content.decode()
        assert "Pelatihan Dasar PSM" in html and "1 / 1" in html, who
        assert certificate.number in html, who
        assert "Rompi Pilar Sosial" in html and "1 buah" in html, who
        assert 'data-testid="missing-training"' not in html, who
        # The latest BAST, opening its page for whoever sees the row.
        bast = vest.handover_lines.get().handover
        assert f'href="/equipment/handovers/{bast.pk}/">{bast.number}</a>' in html, who
        assert client.get(f"/equipment/handovers/{bast.pk}/").status_code == 200, who
        client.logout()


def test_person_page_warns_of_missing_basic_training_and_unreturned_items(
    client, actors, people, by, basic
):
    a2 = people["a2"]
    radio = equipment.item_create(
        by=by, name="Radio HT", category="communication", unit="unit", needs_return=True
    )
    equipment.stock_receive(by=by, item=radio, received_on=D(2021, 3, 1), quantity=2, source="X")
    equipment.handover_create(
        by=by,
        handed_on=D(2021, 4, 1),
        giver_name="Kepala Dinas",
        giver_title="",
        witnesses="",
        place="",
        note="",
        lines=[(a2, radio, 1, Condition.NEW)],
    )
    login(client, actors["operator"])
    html = client.get(f"/pillars/{a2.pk}/").content.decode()
    assert 'data-testid="missing-training"' in html and "Pelatihan Dasar PSM" in html
    assert 'data-testid="equipment-to-return"' not in html  # still serving
    duty = Assignment.objects.get(person=a2)
    client.post(
        f"/assignments/{duty.pk}/end/", {"end_date": "2024-12-31", "end_reason": "resigned"}
    )
    html = client.get(f"/pillars/{a2.pk}/").content.decode()
    assert 'data-testid="equipment-to-return"' in html
    # Not serving: no duty to warn about.
    assert 'data-testid="missing-training"' not in html
    # Appointed again from a later date: they keep the radio for it, nothing to chase.
    later = datetime.date.today() + datetime.timedelta(days=30)
    client.post(
        f"/pillars/{a2.pk}/assignments/new/",
        {
            "kind": PillarKind.objects.get(code="PSM").pk,
            "area": duty.area_id,
            "start_date": later.isoformat(),
        },
    )
    assert Assignment.objects.filter(person=a2, start_date=later).exists()
    html = client.get(f"/pillars/{a2.pk}/").content.decode()
    assert 'data-testid="equipment-to-return"' not in html


def test_viewer_and_coordinator_elsewhere_see_nothing(client, actors, people, by, basic):
    b1 = people["b1"]
    passed(by, basic, b1)
    login(client, actors["coordinator_a"])
    assert client.get(f"/pillars/{b1.pk}/").status_code == 404
    client.logout()
    login(client, actors["viewer"])
    assert client.get(f"/pillars/{b1.pk}/").status_code == 403


def test_appointing_without_the_basic_training_warns_but_saves(
    client, actors, make_person, by, basic, area, kind
):
    newcomer = make_person("Rina Baru", kelurahan="13.75.01.1002")
    login(client, actors["operator"])
    response = client.post(
        f"/pillars/{newcomer.pk}/assignments/new/",
        {"kind": kind("PSM").pk, "area": area("13.75.01.1002").pk, "start_date": "2024-11-01"},
        follow=True,
    )
    html = response.content.decode()
    assert Assignment.objects.filter(person=newcomer, kind__code="PSM").exists()
    assert "msg-warning" in html and "Pelatihan Dasar PSM" in html
    assert "required before appointment as" in html


def test_appointing_after_the_basic_training_does_not_warn(
    client, actors, make_person, by, basic, area, kind
):
    trained = make_person("Rudi Terlatih", kelurahan="13.75.01.1002")
    passed(by, basic, trained, day=D(2024, 10, 22))
    login(client, actors["operator"])
    html = client.post(
        f"/pillars/{trained.pk}/assignments/new/",
        {"kind": kind("PSM").pk, "area": area("13.75.01.1002").pk, "start_date": "2024-11-01"},
        follow=True,
    ).content.decode()
    assert "msg-warning" not in html and "msg-success" in html


def test_api_new_duty_carries_the_warning(client, actors, make_person, by, basic):
    newcomer = make_person("Rina Api", kelurahan="13.75.01.1002")
    login(client, actors["operator"])
    response = client.post(
        "/api/v1/assignments",
        {
            "person_id": newcomer.pk,
            "kind": "PSM",
            "area_code": "13.75.01.1002",
            "start_date": "2024-11-01",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    warnings = response.json()["warnings"]
    assert len(warnings) == 1 and "Pelatihan Dasar PSM" in warnings[0]
    # A kind without a required course: no warning.
    other = make_person("Tono Tagana", sex="L", kelurahan="13.75.01.1002")
    response = client.post(
        "/api/v1/assignments",
        {"person_id": other.pk, "kind": "TAGANA", "area_code": "13.75", "start_date": "2024-11-01"},
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["warnings"] == []
