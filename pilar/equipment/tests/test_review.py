"""A reviewer's attempts to break the equipment rules: returns dated against the history,
handovers from an event run twice, scope leaks through the search, and junk input."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from pilar.equipment import services
from pilar.equipment.models import Return
from pilar.equipment.selectors import item_figures
from pilar.equipment.tests.conftest import hand

pytestmark = pytest.mark.django_db
D = datetime.date


def _return(by, person, item, day, quantity=1, condition="good"):
    return services.return_record(
        by=by,
        person=person,
        item=item,
        quantity=quantity,
        condition=condition,
        returned_on=day,
        reason="" if condition == "good" else "rusak",
    )


# --- returns against the history -------------------------------------------------------------


def test_a_return_dated_when_nothing_was_held_is_refused(stocked, people, by):
    """Radio handed in 2022, returned 2023, handed again 2024: a return dated mid-2023 gives
    back a radio the person did not hold then (it was handed in a later BAST)."""
    a1, radio = people["a1"], stocked["radio"]
    hand(by, a1, radio, day=D(2022, 3, 1))
    _return(by, a1, radio, D(2023, 1, 10))
    hand(by, a1, radio, day=D(2024, 3, 1))
    with pytest.raises(ValidationError) as err:
        _return(by, a1, radio, D(2023, 6, 1))
    assert "returned_on" in err.value.message_dict
    assert Return.objects.count() == 1


def test_a_return_dated_before_a_later_return_cannot_make_the_holding_negative(stocked, people, by):
    """Handed 1 (2022), handed 1 (2024), returned 1 on 1 March 2023: a second return dated
    before that one would leave the person holding −1 between March 2023 and 2024."""
    a1, radio = people["a1"], stocked["radio"]
    hand(by, a1, radio, day=D(2022, 3, 1))
    hand(by, a1, radio, day=D(2024, 3, 1))
    _return(by, a1, radio, D(2023, 3, 1))
    with pytest.raises(ValidationError) as err:
        _return(by, a1, radio, D(2023, 2, 1))
    assert "returned_on" in err.value.message_dict
    # Dated after the second handover it is fine.
    _return(by, a1, radio, D(2024, 4, 1))
    assert item_figures([radio.pk])[radio.pk].held == 0


def test_a_return_on_the_day_of_the_handover_is_accepted(stocked, people, by):
    a1, radio = people["a1"], stocked["radio"]
    hand(by, a1, radio, day=D(2024, 3, 1))
    _return(by, a1, radio, D(2024, 3, 1), condition="damaged")
    assert item_figures([radio.pk])[radio.pk].in_stock == 3
