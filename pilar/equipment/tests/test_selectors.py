"""Stock figures, who holds what and the reminder list, and the property that stock always
equals received − held − lost whatever happens."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pilar.equipment import returns, services
from pilar.equipment.models import HandoverLine, Return
from pilar.equipment.selectors import (
    CatalogFilter,
    HoldingFilter,
    catalog,
    holdings,
    item_figures,
    person_holdings,
    returns_due,
    with_latest_bast,
)
from pilar.equipment.tests.conftest import OCT22, hand
from pilar.registry import services as registry

pytestmark = pytest.mark.django_db
D = datetime.date


def test_figures_take_one_query_per_kind_of_row_whatever_the_number_of_items(
    stocked, people, by, django_assert_num_queries
):
    for n in range(5):
        item = services.item_create(by=by, name=f"Barang {n}", category="other", unit="buah")
        services.stock_receive(by=by, item=item, received_on=OCT22, quantity=2, source="APBD")
        hand(by, people["a1"], item)
    with django_assert_num_queries(4):  # receipts, lines, returns, repairs
        figures = item_figures()
    assert len(figures) == 8
    with django_assert_num_queries(5):  # the items, then their figures
        rows = catalog(CatalogFilter())
    assert [i.name for i, _f in rows][:2] == ["Barang 0", "Barang 1"]
    with django_assert_num_queries(1):
        assert len(list(holdings(None, HoldingFilter()))) == 5
    # The latest BAST of the rows shown: one more query, however many rows.
    with django_assert_num_queries(2):
        rows = list(with_latest_bast(holdings(None, HoldingFilter())))
    assert len(rows) == 5 and all(r["last_handover_id"] for r in rows)


def test_holdings_say_since_when_and_by_which_bast(stocked, people, by, actors):
    a1, b1, radio, vest = people["a1"], people["b1"], stocked["radio"], stocked["vest"]
    first = hand(by, a1, radio, day=D(2022, 3, 1))
    second = hand(by, a1, radio, day=D(2023, 3, 1))
    hand(by, b1, vest, quantity=2)
    returns.return_record(
        by=by, person=a1, item=radio, quantity=1, condition="good", returned_on=D(2024, 1, 5)
    )
    rows = list(with_latest_bast(holdings(None, HoldingFilter())))
    assert [(r["person__name"], r["item__name"], r["held"]) for r in rows] == [
        ("Ani Kecamatan A", "Radio HT", 1),
        ("Citra Kecamatan B", "Rompi Pilar Sosial", 2),
    ]
    assert rows[0]["first_on"] == D(2022, 3, 1) and rows[0]["last_on"] == D(2023, 3, 1)
    assert rows[0]["last_number"] == second.number != first.number
    assert rows[0]["last_handover_id"] == second.pk
    # Filters: item, category, kind, area, free text; scope.
    assert len(holdings(None, HoldingFilter(item=vest))) == 1
    assert len(holdings(None, HoldingFilter(category="communication"))) == 1
    assert len(holdings(None, HoldingFilter(kind="TKSK"))) == 0
    from pilar.regions.models import Area

    assert len(holdings(None, HoldingFilter(area=Area.objects.get(code="13.75.02")))) == 1
    assert len(holdings(None, HoldingFilter(q="citra rompi"))) == 1
    assert len(holdings(actors["coordinator_a"], HoldingFilter())) == 1
    assert len(holdings(actors["coordinator_b"], HoldingFilter())) == 1
    assert [r["item__name"] for r in holdings(actors["pillar"], HoldingFilter())] == ["Radio HT"]
    assert [r["held"] for r in person_holdings(b1)] == [2]


def test_returns_due_lists_people_whose_duties_all_ended(stocked, people, by, system_actor):
    a1, a2, radio, vest = people["a1"], people["a2"], stocked["radio"], stocked["vest"]
    hand(by, a1, radio, day=D(2023, 3, 1))
    hand(by, a1, vest, day=D(2024, 10, 1))
    hand(by, a2, radio, day=D(2023, 3, 1))
    assert list(returns_due(None, HoldingFilter())) == []
    registry.assignment_end(
        by=system_actor,
        assignment=a1.assignments.get(),
        end_date=D(2024, 6, 30),
        end_reason="resigned",
    )
    due = list(returns_due(None, HoldingFilter()))
    # The vest need not come back; a2 still serves.
    assert [(r["person__name"], r["item__name"], r["left_on"]) for r in due] == [
        ("Ani Kecamatan A", "Radio HT", D(2024, 6, 30))
    ]
    returns.return_record(
        by=by, person=a1, item=radio, quantity=1, condition="good", returned_on=D(2024, 7, 1)
    )
    assert list(returns_due(None, HoldingFilter())) == []


def test_someone_appointed_from_a_later_date_keeps_what_they_were_handed(
    stocked, people, by, make_person, make_assignment, system_actor
):
    """A radio handed over before a new appointee's duty starts is not "to be returned": they
    have not left. Once that duty has ended, it is."""
    radio = stocked["radio"]
    newcomer = make_person("Hadi Mulai Nanti", kelurahan="13.75.01.1001")
    duty = make_assignment(newcomer, "PSM", "13.75.01.1001", start=D(2025, 1, 1))
    hand(by, newcomer, radio, day=D(2024, 10, 22))
    on = D(2024, 11, 1)
    assert list(returns_due(None, HoldingFilter(), today=on)) == []
    assert list(returns_due(None, HoldingFilter(), today=D(2025, 3, 1))) == []
    last_day = D(2025, 6, 30)
    registry.assignment_end(
        by=system_actor, assignment=duty, end_date=last_day, end_reason="resigned"
    )
    due = list(returns_due(None, HoldingFilter(), today=D(2025, 7, 1)))
    assert [(r["person__name"], r["left_on"]) for r in due] == [("Hadi Mulai Nanti", last_day)]


def test_the_latest_bast_is_found_per_person_and_item_across_chunks(
    stocked, people, by, monkeypatch
):
    """Filling the latest BAST in chunks gives each row its own BAST, whatever the chunk."""
    from pilar.equipment import selectors

    radio, vest = stocked["radio"], stocked["vest"]
    services.stock_receive(by=by, item=radio, received_on=D(2021, 3, 1), quantity=3, source="x")
    expected = {}
    for n, key in enumerate(["a1", "a2", "b1"]):
        hand(by, people[key], radio, day=D(2022, 1, 1 + n))
        expected[(people[key].pk, radio.pk)] = hand(by, people[key], radio, day=D(2023, 1, 1 + n))
        expected[(people[key].pk, vest.pk)] = hand(by, people[key], vest, day=D(2024, 10, 2 + n))
    monkeypatch.setattr(selectors, "LATEST_BAST_CHUNK", 2)
    rows = list(with_latest_bast(holdings(None, HoldingFilter())))
    assert len(rows) == 6
    for r in rows:
        bast = expected[(r["person_id"], r["item_id"])]
        assert (r["last_handover_id"], r["last_number"]) == (bast.pk, bast.number)


OPS = st.lists(
    st.one_of(
        st.tuples(st.just("receive"), st.integers(0, 1), st.integers(1, 4)),
        st.tuples(st.just("hand"), st.integers(0, 2), st.integers(0, 1), st.integers(1, 4)),
        st.tuples(
            st.just("return"),
            st.integers(0, 2),
            st.integers(0, 1),
            st.integers(1, 3),
            st.sampled_from(["good", "damaged", "lost"]),
        ),
    ),
    max_size=12,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=OPS)
def test_stock_is_received_minus_held_minus_lost_and_never_negative(items, people, by, ops):
    """Any sequence of receipts, handovers and returns: the services accept exactly what a
    plain model of the store accepts, and the figures agree with it after every step."""
    chosen = [items["vest"], items["radio"]]
    who = [people["a1"], people["a2"], people["b1"]]
    with transaction.atomic():
        stock = {i.pk: 0 for i in chosen}
        held: dict[tuple, int] = {}
        lost = {i.pk: 0 for i in chosen}
        damaged = {i.pk: 0 for i in chosen}
        received = {i.pk: 0 for i in chosen}
        # Handovers are dated 22 October and returns 1 November: what comes back cannot have
        # been handed over again on the 22nd, so a handover may give only what was never given.
        never_given = {i.pk: 0 for i in chosen}
        for op in ops:
            if op[0] == "receive":
                item = chosen[op[1]]
                services.stock_receive(
                    by=by, item=item, received_on=OCT22, quantity=op[2], source="APBD"
                )
                stock[item.pk] += op[2]
                received[item.pk] += op[2]
                never_given[item.pk] += op[2]
            elif op[0] == "hand":
                person, item, quantity = who[op[1]], chosen[op[2]], op[3]
                ok = quantity <= never_given[item.pk]
                try:
                    hand(by, person, item, quantity)
                    assert ok
                    stock[item.pk] -= quantity
                    never_given[item.pk] -= quantity
                    key = (person.pk, item.pk)
                    held[key] = held.get(key, 0) + quantity
                except ValidationError:
                    assert not ok
            else:
                person, item, quantity, condition = who[op[1]], chosen[op[2]], op[3], op[4]
                key = (person.pk, item.pk)
                ok = 0 < quantity <= held.get(key, 0)
                try:
                    returns.return_record(
                        by=by,
                        person=person,
                        item=item,
                        quantity=quantity,
                        condition=condition,
                        returned_on=D(2024, 11, 1),
                        reason="" if condition == "good" else "Rusak di lapangan",
                    )
                    assert ok
                    held[key] -= quantity
                    if condition == "lost":
                        lost[item.pk] += quantity
                    elif condition == "good":
                        stock[item.pk] += quantity
                    else:
                        damaged[item.pk] += quantity
                except ValidationError:
                    assert not ok
            figures = item_figures([i.pk for i in chosen])
            for item in chosen:
                f = figures[item.pk]
                assert f.in_stock == stock[item.pk] >= 0
                assert f.lost == lost[item.pk]
                assert f.held == sum(n for (p, i), n in held.items() if i == item.pk) >= 0
                assert f.awaiting_repair == damaged[item.pk]
                assert f.in_stock + f.awaiting_repair == f.received - f.held - f.lost
            rows = {
                (r["person_id"], r["item_id"]): r["held"] for r in holdings(None, HoldingFilter())
            }
            assert rows == {k: n for k, n in held.items() if n > 0}
        assert HandoverLine.objects.filter(quantity__lte=0).count() == 0
        assert Return.objects.filter(quantity__lte=0).count() == 0
        transaction.set_rollback(True)


def test_the_latest_bast_is_the_latest_by_date_not_by_entry(stocked, people, by):
    """A BAST recorded late but dated earlier (a paper form typed in afterwards) is not the
    latest: the one dated last is, and its date is the row's `last_on`."""
    a1, radio = people["a1"], stocked["radio"]
    dated_2023 = hand(by, a1, radio, day=D(2023, 3, 1))
    typed_later = hand(by, a1, radio, day=D(2022, 3, 1))
    (row,) = with_latest_bast(holdings(None, HoldingFilter(person=a1)))
    assert (row["last_handover_id"], row["last_number"]) == (dated_2023.pk, dated_2023.number)
    assert row["last_on"] == D(2023, 3, 1) and row["first_on"] == D(2022, 3, 1)
    assert typed_later.pk > dated_2023.pk
