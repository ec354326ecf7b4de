from __future__ import annotations

import datetime

import pytest

from pilar.audit.services import Actor
from pilar.registry.models import PillarKind
from pilar.trainings import services

D = datetime.date
FIRST_DAY = D(2024, 10, 21)
LAST_DAY = D(2024, 10, 22)


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
    services.participants_invite(by=by, event=event, kinds=[PillarKind.objects.get(code="PSM")])
    return {key: event.participants.get(person=people[key]) for key in ("a1", "a2", "b1")}
