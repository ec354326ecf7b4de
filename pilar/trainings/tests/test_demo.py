import datetime
import random

import pytest

from pilar.audit.services import Actor
from pilar.trainings.demo import load_trainings
from pilar.trainings.models import Attendance, Course, Participant

pytestmark = pytest.mark.django_db


@pytest.fixture
def made(people, make_person, make_assignment):
    tagana = []
    for i, start in enumerate([datetime.date(2020, 1, 6), datetime.date(2023, 6, 1)]):
        person = make_person(f"Demo Tagana {i}", sex="L")
        make_assignment(person, "TAGANA", "13.75", start)
        tagana.append(person)
    left = make_person("Sudah Berhenti", sex="L")
    make_assignment(
        left,
        "PSM",
        "13.75.01.1001",
        datetime.date(2019, 1, 2),
        end_date=datetime.date(2024, 6, 30),
        end_reason="resigned",
    )
    return {
        "PSM": [people["a1"], people["a2"], people["b1"], left],
        "TKSK": [people["tksk_a"]],
        "TAGANA": tagana,
        "PENDAMPING_KUBE": [],
    }


def test_demo_trainings(made):
    events = load_trainings(rng=random.Random(3), by=Actor.system(), made=made)
    assert set(events) == {"2024-10-22", "tagana-2022", "tagana-2023", "psm-basic-2025"}
    assert Course.objects.get(required_for_appointment=True).kinds.get().code == "PSM"
    day = events["2024-10-22"]
    assert day.display_title.startswith("Pelatihan dan Penyerahan Sarpras")
    # Everyone active that day: 3 PSM (not the one who left), the TKSK, both Tagana.
    invited = day.participants.all()
    assert invited.count() == 6 and not invited.filter(person__name="Sudah Berhenti").exists()
    present = invited.filter(attendance__isnull=False)
    assert present.count() == 2
    assert set(invited.filter(result="passed")) == set(present)
    # The 2022 refresher: only the Tagana member of 2020 (the other joined in 2023).
    assert events["tagana-2022"].participants.count() == 1
    assert events["tagana-2023"].participants.count() == 2
    for key in ("tagana-2022", "tagana-2023"):
        for p in events[key].participants.all():
            days = Attendance.objects.filter(participant=p).count()
            assert p.result == {2: "passed", 1: "failed", 0: "pending"}[days]
    # Same seed, same absentees.
    absent = sorted(p.person.name for p in invited.filter(attendance__isnull=True))
    assert len(absent) == 4 and Participant.objects.filter(result="passed").count() >= 2
    # The basic training of November 2025: the PSM serving then (not the one who left), all
    # three days, all passed.
    basic = events["psm-basic-2025"]
    assert basic.course.required_for_appointment
    assert set(basic.participants.values_list("person__name", flat=True)) == {
        made["PSM"][0].name,
        made["PSM"][1].name,
        made["PSM"][2].name,
    }
    assert Attendance.objects.filter(participant__event=basic).count() == 9
    assert basic.participants.filter(result="passed").count() == 3
