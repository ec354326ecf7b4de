"""Real concurrent transactions (threads, each with its own database connection): on
PostgreSQL they truly overlap and meet on the item row locks and the unique BAST number; on
SQLite the database serialises them. Either way the rules hold."""

import datetime

import pytest

from pilar.casework.tests.test_concurrency import race
from pilar.equipment import services
from pilar.equipment.models import Handover, Return
from pilar.equipment.selectors import item_figures
from pilar.equipment.tests.conftest import OCT22, hand

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_handovers_of_the_last_radio_at_once_give_it_once(items, people, by):
    radio = items["radio"]
    services.stock_receive(by=by, item=radio, received_on=OCT22, quantity=1, source="Kemensos")
    outcomes = race(lambda: hand(by, people["a1"], radio), lambda: hand(by, people["a2"], radio))
    assert outcomes == ["ok", "refused"]
    assert Handover.objects.count() == 1
    assert item_figures([radio.pk])[radio.pk].in_stock == 0


def test_two_handovers_at_once_never_share_a_number(items, people, by):
    for item in (items["vest"], items["bag"]):
        services.stock_receive(by=by, item=item, received_on=OCT22, quantity=5, source="APBD")
    outcomes = race(
        lambda: hand(by, people["a1"], items["vest"]),
        lambda: hand(by, people["a2"], items["bag"]),
        lambda: hand(by, people["b1"], items["vest"]),
    )
    assert outcomes == ["ok", "ok", "ok"]
    numbers = sorted(Handover.objects.values_list("number", flat=True))
    assert numbers == [f"00{n}/BAST-SARPRAS/2024" for n in (1, 2, 3)]


def test_two_returns_of_the_one_radio_held_at_once_count_once(items, people, by):
    radio = items["radio"]
    services.stock_receive(by=by, item=radio, received_on=OCT22, quantity=1, source="Kemensos")
    hand(by, people["a1"], radio)

    def give_back():
        services.return_record(
            by=by,
            person=people["a1"],
            item=radio,
            quantity=1,
            condition="good",
            returned_on=datetime.date(2024, 11, 1),
        )

    assert race(give_back, give_back) == ["ok", "refused"]
    assert Return.objects.count() == 1
