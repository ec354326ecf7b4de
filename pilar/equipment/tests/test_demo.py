"""The demo's equipment story, on a small event made with the ORM."""

import datetime
import random

import pytest

from pilar.equipment.demo import load_equipment
from pilar.equipment.models import Handover, Return
from pilar.equipment.selectors import HoldingFilter, item_figures, returns_due
from pilar.equipment.tests.conftest import make_event
from pilar.registry import services as registry

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def tagana(make_person, make_assignment, system_actor):
    members = []
    for n in range(6):
        person = make_person(f"Tagana {n}", sex="L")
        duty = make_assignment(person, "TAGANA", "13.75", start=D(2020, 1, 6))
        if n < 3:
            registry.assignment_end(
                by=system_actor, assignment=duty, end_date=D(2024, 3, 31), end_reason="resigned"
            )
        members.append(person)
    return members


def test_demo_tells_the_equipment_story(people, tagana, by):
    event = make_event([people["a1"], people["a2"], people["b1"], people["tksk_a"], tagana[4]])
    made = load_equipment(rng=random.Random(7), by=by, event_1022=event, tagana=tagana)
    bast = made["event_handover"]
    assert bast.number == "001/BAST-SARPRAS/2024" and bast.handed_on == D(2024, 10, 22)
    assert bast.lines.count() == 10
    radios = Handover.objects.filter(year__lt=2024)
    assert radios.exists() and radios.count() == len(made["radio_handovers"])
    figures = item_figures()
    vest, radio = made["items"]["vest"], made["items"]["radio"]
    assert figures[vest.pk].in_stock == 395
    assert figures[radio.pk].lost == 1
    assert Return.objects.filter(condition="good").count() == 1
    due = list(returns_due(None, HoldingFilter()))
    assert due and all(r["item__name"] == "Radio HT" for r in due)
    assert all(r["left_on"] == D(2024, 3, 31) for r in due)
