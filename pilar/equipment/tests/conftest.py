"""Equipment fixtures: a small catalog with stock, and a training event with attendance."""

from __future__ import annotations

import datetime

import pytest

from pilar.audit.services import Actor
from pilar.equipment import returns, services
from pilar.tests_support import english_messages

D = datetime.date
OCT22 = D(2024, 10, 22)
NOV1 = D(2024, 11, 1)


english = pytest.fixture(autouse=True, name="english")(english_messages)


@pytest.fixture
def by(system_actor) -> Actor:
    return system_actor


@pytest.fixture
def items(db, by):
    vest = services.item_create(by=by, name="Rompi Pilar Sosial", category="clothing", unit="buah")
    bag = services.item_create(by=by, name="Tas Lapangan", category="bag", unit="buah")
    radio = services.item_create(
        by=by,
        name="Radio HT",
        category="communication",
        unit="unit",
        asset_code="KIB-B 02.06.01",
        needs_return=True,
    )
    return {"vest": vest, "bag": bag, "radio": radio}


@pytest.fixture
def stocked(items, by):
    services.stock_receive(
        by=by, item=items["vest"], received_on=D(2024, 10, 1), quantity=10, source="APBD 2024"
    )
    services.stock_receive(
        by=by, item=items["bag"], received_on=D(2024, 10, 1), quantity=10, source="APBD 2024"
    )
    services.stock_receive(
        by=by, item=items["radio"], received_on=D(2021, 3, 1), quantity=3, source="Kemensos"
    )
    return items


def make_event(people: list, *, absent: list = (), day: datetime.date = OCT22, office=None):
    """A one-day training event: `people` attended, `absent` were invited and did not come."""
    from pilar.offices import current
    from pilar.trainings.models import Attendance, Course, Participant, TrainingEvent

    course, _ = Course.objects.get_or_create(
        office=office or current(),
        name="Bimbingan Teknis Pilar Sosial",
        defaults={"level": "basic", "hours": 8},
    )

    event = TrainingEvent.objects.create(
        office=office or current(),
        course=course,
        title="Bimtek Pilar Sosial 2024",
        start_date=day,
        end_date=day,
        place="Aula Dinas Sosial",
        organiser="Dinas Sosial",
    )
    for person in people:
        p = Participant.objects.create(event=event, person=person)
        Attendance.objects.create(participant=p, day=day)
    for person in absent:
        Participant.objects.create(event=event, person=person)
    return event


def hand(by, person, item, quantity=1, day=OCT22, **extra):
    return services.handover_create(
        by=by,
        handed_on=day,
        giver_name="Kepala Bidang",
        lines=[(person, item, quantity, "new")],
        **extra,
    )


def give_back(by, person, item, day=NOV1, quantity=1, condition="good", reason=""):
    return returns.return_record(
        by=by,
        person=person,
        item=item,
        quantity=quantity,
        condition=condition,
        returned_on=day,
        reason=reason,
    )
