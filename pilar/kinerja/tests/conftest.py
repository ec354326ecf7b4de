"""The kinerja scenario: the standard people's work from July to October 2024, seen on
20 November 2024 (October's reports were due on 10 November)."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from pilar.audit.services import Actor
from pilar.casework import services
from pilar.casework.models import Activity, ActivityType, MonthlyReport
from pilar.casework.tests.conftest import make_household  # noqa: F401
from pilar.registry.models import PillarKind
from pilar.tests_support import english_messages
from pilar.trainings.models import Participant
from pilar.trainings.tests.conftest import by, course, event, invited, make_course, make_event  # noqa: F401

D = datetime.date
OCTOBER = D(2024, 10, 1)

english = pytest.fixture(autouse=True, name="english")(english_messages)


@pytest.fixture(autouse=True)
def november_2024():
    with time_machine.travel(datetime.datetime(2024, 11, 20, 10, tzinfo=datetime.UTC)):
        yield


def at(day: D, hour: int = 9) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def act(reference):
    """An activity of `person` on `day` (as PSM in their kelurahan unless told)."""
    visit = ActivityType.objects.get(code="HOME_VISIT")

    def make(person, day, *, kind="PSM", area=None, households=(), follow_up_on=None, done=None):
        duty = person.assignments.get(kind__code=kind)
        activity = Activity.objects.create(
            person=person,
            kind=PillarKind.objects.get(code=kind),
            area=area or duty.area,
            date=day,
            sector=visit.sector,
            activity_type=visit,
            follow_up_on=follow_up_on,
            follow_up_done_on=done,
        )
        activity.households.set(households)
        return activity

    return make


@pytest.fixture
def report(reference):
    """A monthly report of `person` for `month`, first submitted at `sent` (None: never)."""

    def make(person, month, sent, *, kind="PSM", status=MonthlyReport.Status.SUBMITTED):
        duty = person.assignments.get(kind__code=kind)
        return MonthlyReport.objects.create(
            person=person,
            kind=duty.kind,
            area=duty.area,
            month=month,
            status=status,
            submitted_at=sent,
            first_submitted_at=sent,
            submit_count=1 if sent else 0,
        )

    return make


@pytest.fixture
def story(request, people, actors, make_person, make_assignment, act, report):
    """a1 works every month and reports on time (October's verified); a2 last worked in July
    (quiet) and sent August and September late; b1 sent August, September and October late
    (late three months running); the TKSK reports on time. a1 closes one follow-up on its day
    and one a day late. Households: two in a1's caseload, one in b1's, one nobody accompanies
    (kelurahan 1002), one left with Eko whose duty ended in June (kelurahan 1001). a1 passed
    the required PSM course on 22 October."""
    # Fixtures imported from the casework and trainings tests, asked by name.
    new_household = request.getfixturevalue("make_household")
    participants = request.getfixturevalue("invited")
    system = Actor.system()
    a1, a2, b1, tksk = people["a1"], people["a2"], people["b1"], people["tksk_a"]
    h1 = new_household(head="Pak Amir")
    h2 = new_household(head="Ibu Rosna")
    hb = new_household("13.75.02.1001", head="Pak Bahar")
    new_household("13.75.01.1002", head="Ibu Tanpa Pendamping")
    hd = new_household(head="Pak Ditinggal")
    eko = make_person("Eko Berhenti", sex="L")
    make_assignment(eko, "PSM", "13.75.01.1001", end_date=D(2024, 6, 30), end_reason="resigned")
    for h, p in [(h1, a1), (h2, a1), (hb, b1), (hd, eko)]:
        services.caseload_assign(by=system, household=h, person=p, start_date=D(2024, 1, 2))
    act(a1, D(2024, 8, 6), households=[h1])
    act(a1, D(2024, 9, 3), households=[h1, h2], follow_up_on=D(2024, 9, 20), done=D(2024, 9, 21))
    act(a1, D(2024, 10, 5), households=[h2], follow_up_on=D(2024, 10, 10), done=D(2024, 10, 10))
    act(a2, D(2024, 7, 15))
    act(b1, D(2024, 10, 7), households=[hb])
    act(tksk, D(2024, 9, 12), kind="TKSK")
    for month in (D(2024, 8, 1), D(2024, 9, 1), OCTOBER):
        due = D(month.year, month.month + 1, 8)
        report(a1, month, at(due), status="verified" if month == OCTOBER else "submitted")
        report(tksk, month, at(due), kind="TKSK")
        report(b1, month, at(due.replace(day=11)))
        if month != OCTOBER:
            report(a2, month, at(due.replace(day=12)))
        else:
            report(a2, month, at(due))
    Participant.objects.filter(pk=participants["a1"].pk).update(result=Participant.Result.PASSED)
    return {**people, "eko": eko, "h1": h1, "h2": h2, "hb": hb, "hd": hd}
