"""Fixtures of the trainings tests: a course, an event and invited people made through the
services; and the certificate tests' issuer, event and issued certificate (their factories are in
certificate_support.py)."""

from __future__ import annotations

import datetime

import pytest

from pilar.audit.services import Actor
from pilar.registry.models import PillarKind
from pilar.tests_support import english_messages
from pilar.trainings import participation, services
from pilar.trainings.tests.certificate_support import SECRET_PHONE_ADDRESS, enrol
from pilar.trainings.tests.certificate_support import make_event as make_cert_event

D = datetime.date
FIRST_DAY = D(2024, 10, 21)
LAST_DAY = D(2024, 10, 22)


english = pytest.fixture(autouse=True, name="english")(english_messages)


@pytest.fixture
def by(actors):
    return Actor(user=actors["operator"])


@pytest.fixture
def make_course(by, reference):
    def make(name: str = "Pelatihan Dasar PSM", *, kinds=("PSM",), **extra):
        data = {"level": "basic", "hours": 32, "required_for_appointment": True, **extra}
        return services.course_create(
            by=by, name=name, kinds=list(PillarKind.objects.filter(code__in=kinds)), **data
        )

    return make


@pytest.fixture
def course(make_course):
    """The basic PSM course, required before appointment, never expiring."""
    return make_course()


@pytest.fixture
def make_event(by, course):
    def make(*, start: datetime.date = FIRST_DAY, end: datetime.date = LAST_DAY, **extra):
        data = {"place": "Aula Dinas Sosial", "organiser": "Dinas Sosial", **extra}
        data.setdefault("course", course)
        return services.event_create(by=by, start_date=start, end_date=end, **data)

    return make


@pytest.fixture
def event(make_event):
    """Two days, 21–22 October 2024, of the basic PSM course; nobody invited yet."""
    return make_event()


@pytest.fixture
def invited(by, event, people):
    """The three PSM of the standard people invited to `event`: {a1, a2, b1: Participant}."""
    participation.participants_invite(
        by=by, event=event, kinds=[PillarKind.objects.get(code="PSM")]
    )
    return {key: event.participants.get(person=people[key]) for key in ("a1", "a2", "b1")}


@pytest.fixture
def issuer(actors):
    return Actor(user=actors["operator"])


@pytest.fixture
def cert_event(db):
    return make_cert_event()


@pytest.fixture
def certified(people, cert_event, issuer):
    """a1 passed and attended; her certificate issued. Her NIK, phone and address are set so
    tests can look for them where they must never be."""
    from pilar.trainings.certificates.services import certificate_issue

    a1 = people["a1"]
    a1.phone, a1.address = SECRET_PHONE_ADDRESS
    a1.save(update_fields=["phone", "address"])
    participant = enrol(cert_event, a1)
    return certificate_issue(by=issuer, participant=participant)
