import datetime
import itertools

import pytest
import time_machine

from pilar.casework import services as casework
from pilar.casework.models import Activity, ActivityType
from pilar.regions.models import Area
from pilar.registry.models import PillarKind
from pilar.stipends.models import StipendBatch, StipendLine
from pilar.trainings.models import Course, Participant, TrainingEvent

D = datetime.date
AS_OF = D(2024, 11, 20)
_kk = itertools.count(1)


@pytest.fixture(autouse=True)
def november_2024():
    with time_machine.travel(datetime.datetime(2024, 11, 20, 10, tzinfo=datetime.UTC)):
        yield


@pytest.fixture
def figures(office, people, system_actor, make_person):
    """Small numbers in every dataset of Bukittinggi's office on 20 November 2024:
    - households accompanied: 3 in 13.75.01.1001 (a1), 12 in 13.75.01.1002 (a2), 7 in
      13.75.02.1001 (b1);
    - activities: October 2024: 2 rehabilitation, 9 protection; September: 20 protection;
      households reached in October: 3;
    - tali kasih: 2 months paid in Q3 2024 (a1, a2), 6 in Q4 (a1, a2, b1 twice each);
    - trainings: one event of "Dasar PSM" in October with 3 participants, 2 of them passed, and
      one of "Lanjutan" with 6 participants, 6 passed.
    """
    made = {"households": {}}
    counts = {"13.75.01.1001": ("a1", 3), "13.75.01.1002": ("a2", 12), "13.75.02.1001": ("b1", 7)}
    for code, (key, n) in counts.items():
        area = Area.objects.get(code=code)
        for i in range(n):
            household = casework.household_create(
                by=system_actor,
                data={
                    "kk_number": f"{code.replace('.', '')[:6]}1501200{next(_kk):03d}",
                    "area": area,
                    "address": "Jl. Sudirman",
                },
                head={"name": f"Kepala Rahasia {code} {i}", "sex": "L", "nik": ""},
            )
            casework.caseload_assign(
                by=system_actor, household=household, person=people[key], start_date=D(2024, 1, 2)
            )
            made["households"].setdefault(key, []).append(household)
    visit = ActivityType.objects.get(code="HOME_VISIT")
    psm = PillarKind.objects.get(code="PSM")
    a1 = people["a1"]
    area = Area.objects.get(code="13.75.01.1001")

    def activity(day, sector, households=()):
        made_activity = Activity.objects.create(
            person=a1, kind=psm, area=area, date=day, sector=sector, activity_type=visit
        )
        made_activity.households.set(households)

    for _ in range(2):
        activity(D(2024, 10, 5), "rehabilitasi", made["households"]["a1"][:3])
    for _ in range(9):
        activity(D(2024, 10, 6), "perlindungan")
    for _ in range(20):
        activity(D(2024, 9, 6), "perlindungan")
    batch = StipendBatch.objects.create(
        office=office,
        seq=1,
        title="Tali kasih 2024",
        first_month=D(2024, 7, 1),
        last_month=D(2024, 10, 1),
        year=2024,
        status="paid",
    )

    def paid(person, month, on):
        StipendLine.objects.create(
            batch=batch,
            person=person,
            kind=psm,
            month=month,
            area=person.assignments.get().area,
            funding_source="APBD",
            amount=400_000,
            days_served=30,
            days_in_month=30,
            method="transfer",
            status="paid",
            paid_on=on,
            name=person.name,
            nik=person.nik,
        )

    for key in ("a1", "a2"):
        paid(people[key], D(2024, 7, 1), D(2024, 8, 20))
    for key in ("a1", "a2", "b1"):
        paid(people[key], D(2024, 8, 1), D(2024, 10, 15))
        paid(people[key], D(2024, 9, 1), D(2024, 10, 15))
    for name, joined, passed in (("Dasar PSM", 3, 2), ("Lanjutan", 6, 6)):
        course = Course.objects.create(office=office, name=name, level="basic", hours=16)
        event = TrainingEvent.objects.create(
            office=office,
            course=course,
            start_date=D(2024, 10, 21),
            end_date=D(2024, 10, 22),
            place="Aula",
            organiser="Dinas Sosial",
        )
        for i in range(joined):
            if i < 4:
                person = people[("a1", "a2", "b1", "tksk_a")[i]]
            else:
                person = make_person(f"Peserta Rahasia {name} {i}", kelurahan="13.75.01.1001")
            Participant.objects.create(
                event=event, person=person, result="passed" if i < passed else "failed"
            )
    return made
