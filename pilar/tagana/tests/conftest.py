from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from pilar.audit.services import Actor
from pilar.tagana import services

D = datetime.date
MEMBER_SINCE = D(2023, 1, 2)
EVENT_DAY = D(2024, 10, 20)


def at(day: datetime.date, hour: int = 8, minute: int = 0) -> datetime.datetime:
    """A moment in Bukittinggi's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@pytest.fixture
def by(actors):
    return Actor(user=actors["operator"])


@pytest.fixture
def make_member(make_person, make_assignment):
    """A Tagana member of the city unit (13.75) since `start`."""

    def make(name: str = "Rudi Tagana", *, start: datetime.date = MEMBER_SINCE, **extra):
        person = make_person(name, sex="L", kelurahan="13.75.02.1002", **extra)
        make_assignment(person, "TAGANA", "13.75", start)
        return person

    return make


@pytest.fixture
def member(make_member):
    return make_member()


@pytest.fixture
def make_event(area, by):
    def make(
        kind: str = "flood",
        *,
        started_on: datetime.date = EVENT_DAY,
        kelurahan: str = "13.75.01.1001",
        description: str = "Banjir di tepi sungai",
    ):
        return services.event_create(
            by=by, kind=kind, started_on=started_on, area=area(kelurahan), description=description
        )

    return make


@pytest.fixture
def event(make_event):
    """An open flood in kecamatan A (13.75.01)."""
    return make_event()
