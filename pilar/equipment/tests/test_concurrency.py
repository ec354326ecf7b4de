"""Real concurrent transactions (threads, each with its own database connection): on
PostgreSQL they truly overlap and meet on the item row locks and the unique BAST number; on
SQLite the database serialises them. Either way the rules hold."""

import datetime

import pytest

from pilar.casework.tests.test_concurrency import race
from pilar.equipment import services
from pilar.equipment.models import Handover, HandoverLine, Return
from pilar.equipment.selectors import item_figures
from pilar.equipment.tests.conftest import OCT22, give_back, hand, make_event

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

    def back():
        give_back(by, people["a1"], radio, datetime.date(2024, 11, 1))

    assert race(back, back) == ["ok", "refused"]
    assert Return.objects.count() == 1


def test_the_same_event_handover_run_twice_at_once_gives_each_attendee_one_vest(items, people, by):
    """Two operators (or a double click) recording the BAST of the same event at once."""
    vest = items["vest"]
    services.stock_receive(by=by, item=vest, received_on=OCT22, quantity=10, source="APBD")
    event = make_event([people["a1"], people["a2"], people["b1"]])

    def record():
        services.handover_from_event(by=by, event=event, items=[(vest, 1)], giver_name="Kadis")

    assert race(record, record) == ["ok", "refused"]
    assert Handover.objects.count() == 1
    assert HandoverLine.objects.count() == 3
    assert item_figures([vest.pk])[vest.pk].in_stock == 7
