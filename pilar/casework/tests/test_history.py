"""A household's history of status, PMKS categories and decile (pilar/casework/history.py):
written on every path that changes them, so the latest record always says what the household
says now. Each test breaks nothing silently: `history_matches` fails on any change made
without its history row."""

import datetime

import pytest

from pilar.audit.services import Actor
from pilar.casework import services
from pilar.casework.models import (
    CategoryRecord,
    DecileRecord,
    Household,
    NeedCategory,
    StatusRecord,
)
from pilar.dtsen import services as extracts
from pilar.dtsen.tests import extract_support as ex
from pilar.dtsen.tests.test_services import _extract_of

pytestmark = pytest.mark.django_db
D = datetime.date


def history_matches() -> None:
    """Every household's latest status record, open category records and latest decile record
    agree with the household's own fields."""
    for h in Household.objects.prefetch_related("categories"):
        latest = h.status_history.order_by("-as_of", "-pk").first()
        assert latest is not None, f"{h} has no status history"
        assert (latest.status, latest.reason) == (
            h.status,
            h.status_reason if h.status != "active" else "",
        ), h
        open_ = set(
            CategoryRecord.objects.filter(household=h, end_date=None).values_list(
                "category_id", flat=True
            )
        )
        assert open_ == {c.pk for c in h.categories.all()}, h
        decile = h.decile_history.order_by("-as_of", "-pk").first()
        assert (decile.decile if decile else None) == h.decile, h


def test_the_forms_paths_write_status_categories_and_decile(make_household, system_actor):
    fakir, lansia, anak = NeedCategory.objects.filter(number__in=[24, 8, 1]).order_by("-number")
    h = make_household(decile=2, categories=[fakir, lansia])
    history_matches()
    assert list(h.status_history.values_list("status", "as_of", "source")) == [
        ("active", D(2024, 11, 20), "form")
    ]
    services.household_update(
        by=system_actor, household=h, data={"categories": [fakir, anak], "decile": 3}
    )
    history_matches()
    # Added and dropped the same day: no day held, no span left.
    assert not CategoryRecord.objects.filter(household=h, category=lansia).exists()
    services.household_update(
        by=system_actor,
        household=h,
        data={"status": "closed", "status_reason": "Sudah mampu", "status_date": D(2024, 11, 1)},
    )
    history_matches()
    closed = h.status_history.get(status="closed")
    # Dated back before the record it follows: kept after it, so the newest is the status.
    assert (closed.as_of, closed.reason, closed.source) == (D(2024, 11, 20), "Sudah mampu", "form")
    services.household_update(by=system_actor, household=h, data={"status": "active"})
    history_matches()
    assert h.status_history.count() == 3


def test_a_category_held_for_days_ends_the_day_before_it_was_dropped(
    make_household, system_actor, time_machine
):
    fakir = NeedCategory.objects.get(number=24)
    h = make_household(categories=[fakir])
    time_machine.move_to(datetime.datetime(2024, 12, 5, 10, tzinfo=datetime.UTC))
    services.household_update(by=system_actor, household=h, data={"categories": []})
    record = CategoryRecord.objects.get(household=h)
    assert (record.start_date, record.end_date) == (D(2024, 11, 20), D(2024, 12, 4))
    history_matches()


def test_an_extract_writes_the_history_and_its_undo_takes_it_back(
    make_household, actors, system_actor
):
    by = Actor(user=actors["operator"])
    listed = make_household(head="Amir", decile=2, dtsen_id="DT-1")
    quiet = make_household(head="Rosna", dtsen_id="DT-2")
    # The listed household and a new family; `quiet` is missing, not accompanied: closed.
    batch = ex.saved(
        by,
        ex.checked(
            by,
            _extract_of([listed], lambda rows: rows + ex.family(decile=4)),
            as_of=D(2024, 11, 1),
        ),
    )
    assert batch.status == "committed", batch.message
    history_matches()
    quiet.refresh_from_db()
    closing = quiet.status_history.get(status="closed")
    # The extract is dated before the household was recorded (20 November): kept after it.
    assert (closing.as_of, closing.source, closing.reference) == (
        D(2024, 11, 20),
        StatusRecord.Source.EXTRACT,
        batch.pk,
    )
    new = Household.objects.exclude(pk__in=[listed.pk, quiet.pk]).get()
    assert list(new.status_history.values_list("status", "source")) == [("active", "extract")]
    assert DecileRecord.objects.filter(household=new, decile=4).exists()
    extracts.extract_request_undo(by=by, batch=batch)
    batch = extracts.extract_undo(batch_id=batch.pk, by=by)
    assert batch.status == "undone", batch.message
    history_matches()
    assert not StatusRecord.objects.filter(reference=batch.pk).exists()
