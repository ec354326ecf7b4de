"""A reviewer's attempts to break the equipment rules: returns dated against the history,
handovers from an event run twice, scope leaks through the search, and junk input."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from pilar.equipment import returns, services
from pilar.equipment.models import Handover, HandoverLine, Return, StockReceipt
from pilar.equipment.selectors import item_figures
from pilar.equipment.tests.conftest import OCT22, give_back, hand, make_event
from pilar.tests_support import login

pytestmark = pytest.mark.django_db
D = datetime.date
API = "/api/v1/equipment"


# --- returns against the history -------------------------------------------------------------


def test_a_return_dated_when_nothing_was_held_is_refused(stocked, people, by):
    """Radio handed in 2022, returned 2023, handed again 2024: a return dated mid-2023 gives
    back a radio the person did not hold then (it was handed in a later BAST)."""
    a1, radio = people["a1"], stocked["radio"]
    hand(by, a1, radio, day=D(2022, 3, 1))
    give_back(by, a1, radio, D(2023, 1, 10))
    hand(by, a1, radio, day=D(2024, 3, 1))
    with pytest.raises(ValidationError) as err:
        give_back(by, a1, radio, D(2023, 6, 1))
    assert "returned_on" in err.value.message_dict
    assert Return.objects.count() == 1


def test_a_return_dated_before_a_later_return_cannot_make_the_holding_negative(stocked, people, by):
    """Handed 1 (2022), handed 1 (2024), returned 1 on 1 March 2023: a second return dated
    before that one would leave the person holding −1 between March 2023 and 2024."""
    a1, radio = people["a1"], stocked["radio"]
    hand(by, a1, radio, day=D(2022, 3, 1))
    hand(by, a1, radio, day=D(2024, 3, 1))
    give_back(by, a1, radio, D(2023, 3, 1))
    with pytest.raises(ValidationError) as err:
        give_back(by, a1, radio, D(2023, 2, 1))
    assert "returned_on" in err.value.message_dict
    # Dated after the second handover it is fine.
    give_back(by, a1, radio, D(2024, 4, 1))
    assert item_figures([radio.pk])[radio.pk].held == 0


def test_a_return_on_the_day_of_the_handover_is_accepted(stocked, people, by):
    a1, radio = people["a1"], stocked["radio"]
    hand(by, a1, radio, day=D(2024, 3, 1))
    give_back(by, a1, radio, D(2024, 3, 1), condition="damaged", reason="rusak")
    figures = item_figures([radio.pk])[radio.pk]
    # In the store, but not available until a repair record says it was repaired.
    assert (figures.in_stock, figures.awaiting_repair, figures.in_store) == (2, 1, 3)


# --- a handover from a training event -----------------------------------------------------------


def test_handover_from_the_same_event_twice_with_the_same_item_is_refused(stocked, people, by):
    """A second click (or a second operator) must not hand everyone a second vest; another
    item at the same event (bags that came later) is still possible."""
    event = make_event([people["a1"], people["a2"]], absent=[people["b1"]])
    first = services.handover_from_event(
        by=by, event=event, items=[(stocked["vest"], 1)], giver_name="Kabid"
    )
    with pytest.raises(ValidationError) as err:
        services.handover_from_event(
            by=by, event=event, items=[(stocked["vest"], 1)], giver_name="Kabid"
        )
    assert "items" in err.value.message_dict
    assert first.number in str(err.value)
    assert Handover.objects.count() == 1
    bags = services.handover_from_event(
        by=by, event=event, items=[(stocked["bag"], 1)], giver_name="Kabid"
    )
    assert sorted(bags.lines.values_list("person__name", flat=True)) == [
        "Ani Kecamatan A",
        "Budi Kecamatan A",
    ]


def test_handover_from_event_page_shows_errors_as_messages_not_python(
    client, actors, stocked, english
):
    login(client, actors["operator"])
    page = client.post("/equipment/handovers/from-event/", {"giver_name": "Kabid"})
    text = page.content.decode()
    assert "This field is required." in text
    assert "(&#x27;" not in text and "[&#x27;" not in text


def test_handover_from_event_page_refuses_the_second_run(client, actors, stocked, people, english):
    event = make_event([people["a1"], people["a2"]])
    login(client, actors["operator"])
    form = {
        "event": event.pk,
        "giver_name": "Kabid",
        f"item_{stocked['vest'].pk}": "1",
        "confirm": "1",
    }
    assert client.post("/equipment/handovers/from-event/", form).status_code == 302
    page = client.post("/equipment/handovers/from-event/", form)
    text = page.content.decode()
    assert "Rompi Pilar Sosial was already handed over at this event (BAST 001/" in text
    assert HandoverLine.objects.count() == 2


# --- scope through the search ---------------------------------------------------------------------


def test_a_coordinator_cannot_find_bast_by_the_name_of_someone_outside_their_area(
    client, actors, stocked, people, by
):
    """The 22 October BAST names a1 (kecamatan A) and b1 (B). Coordinator A sees it, but
    searching it for b1's name must not confirm that b1 is on it."""
    event = make_event([people["a1"], people["b1"]])
    services.handover_from_event(by=by, event=event, items=[(stocked["vest"], 1)], giver_name="K")
    hand(by, people["b1"], stocked["bag"])
    hand(by, people["a2"], stocked["bag"])
    # Coordinator A sees the event BAST and a2's, not b1's bag BAST.
    login(client, actors["coordinator_a"])
    assert len(client.get(f"{API}/handovers").json()) == 2
    assert client.get(f"{API}/handovers?q=Ani").json() != []
    assert client.get(f"{API}/handovers?q=Citra").json() == []
    outside = client.get(f"{API}/handovers?person_id={people['b1'].pk}")
    assert outside.status_code == 400 and "person_id" in outside.json()["errors"]
    bags = client.get(f"{API}/handovers?item_id={stocked['bag'].pk}").json()
    assert [h["number"] for h in bags] == ["003/BAST-SARPRAS/2024"]
    page = client.get("/equipment/handovers/", {"q": "Citra"}).content.decode()
    assert "BAST-SARPRAS" not in page
    page = client.get("/equipment/handovers/", {"person": people["b1"].pk}).content.decode()
    assert "BAST-SARPRAS" not in page
    page = client.get("/equipment/handovers/", {"q": "Ani"}).content.decode()
    assert "BAST-SARPRAS" in page


# --- junk input ---------------------------------------------------------------------------------


def test_a_huge_quantity_received_is_refused_with_a_message(client, actors, stocked, english):
    vest = stocked["vest"]
    login(client, actors["operator"])
    response = client.post(
        f"{API}/receipts",
        {"item_id": vest.pk, "received_on": "2024-10-01", "quantity": 10**20, "source": "APBD"},
        content_type="application/json",
    )
    assert response.status_code in (400, 422), response.content
    assert "quantity" in response.json()["errors"]
    page = client.post(
        "/equipment/receipts/new/",
        {"item": vest.pk, "received_on": "2024-10-01", "quantity": str(10**20), "source": "X"},
    )
    assert page.status_code == 400 and "quantity" in page.content.decode()
    assert StockReceipt.objects.count() == 3


def test_receipts_that_would_overflow_the_totals_are_refused(stocked, people, by):
    """Two receipts of 2**62 each fit a row but not their sum: the catalog would be a 500."""
    with pytest.raises(ValidationError) as err:
        services.stock_receive(
            by=by, item=stocked["vest"], received_on=OCT22, quantity=2**62, source="APBD"
        )
    assert "at most 100000" in str(err.value.message_dict["quantity"])
    for quantity, call in [
        (10**9, lambda q: hand(by, people["a1"], stocked["vest"], quantity=q)),
        (
            10**9,
            lambda q: returns.return_record(
                by=by,
                person=people["a1"],
                item=stocked["vest"],
                quantity=q,
                condition="good",
                returned_on=OCT22,
            ),
        ),
    ]:
        with pytest.raises(ValidationError):
            call(quantity)
    assert item_figures([stocked["vest"].pk])[stocked["vest"].pk].in_stock == 10


@pytest.mark.parametrize(
    "path",
    [
        "/handovers?year=99999999999999999999999",
        "/handovers?item_id=99999999999999999999999",
        "/handovers?person_id=99999999999999999999999",
        "/holdings?item_id=99999999999999999999999",
        "/returns?item_id=99999999999999999999999",
        "/handovers/99999999999999999999999",
        "/items/99999999999999999999999",
    ],
)
def test_huge_ids_in_the_api_are_not_a_server_error(client, actors, stocked, path):
    login(client, actors["operator"])
    assert client.get(API + path).status_code < 500


def test_junk_in_the_handover_api_names_the_field(client, actors, stocked, people, english):
    login(client, actors["operator"])
    base = {"giver_name": "Kabid", "handed_on": "2024-10-22"}
    line = {"person_id": people["a1"].pk, "item_id": stocked["vest"].pk, "quantity": 1}
    cases = [
        ({**base, "lines": [{**line, "quantity": "banyak"}]}, "lines.0.quantity"),
        ({**base, "lines": [{**line, "quantity": 0}]}, "lines"),
        ({**base, "lines": [{**line, "quantity": -3}]}, "lines"),
        ({**base, "lines": [{**line, "condition": "rusak"}]}, "lines"),
        ({**base, "lines": [{**line, "person_id": 999999}]}, "lines.0.person_id"),
        ({**base, "lines": [line, line]}, "lines"),
        ({**base, "handed_on": "2999-01-01", "lines": [line]}, "handed_on"),
        ({**base, "handed_on": "kemarin", "lines": [line]}, "handed_on"),
        ({**base, "giver_name": "  ", "lines": [line]}, "giver_name"),
        ({**base, "lines": []}, "lines"),
        ({**base, "lines": [{**line, "quantity": 10**20}]}, "quantity"),
        ({**base, "giver_name": "x" * 10_000, "lines": [line]}, "giver_name"),
    ]
    for body, field in cases:
        response = client.post(f"{API}/handovers", body, content_type="application/json")
        assert response.status_code in (400, 422), (body, response.content)
        errors = response.json()["errors"]
        assert any(key.endswith(field) for key in errors), (body, errors)
    assert not Handover.objects.exists() and not HandoverLine.objects.exists()


def test_texts_longer_than_their_column_are_refused_by_name(client, actors, stocked, people):
    """SQLite would store them whole; PostgreSQL refuses them with a server error."""
    login(client, actors["operator"])
    long = "x" * 300
    cases = [
        ("/items", {"name": long, "category": "bag", "unit": "buah"}, "name"),
        ("/items", {"name": "Topi", "category": "bag", "unit": long}, "unit"),
        (
            "/receipts",
            {
                "item_id": stocked["bag"].pk,
                "received_on": "2024-10-01",
                "quantity": 1,
                "source": long,
            },
            "source",
        ),
        (
            "/returns",
            {
                "person_id": people["a1"].pk,
                "item_id": stocked["bag"].pk,
                "quantity": 1,
                "condition": "lost",
                "returned_on": "2024-10-01",
                "reason": long,
            },
            "reason",
        ),
    ]
    for path, body, field in cases:
        response = client.post(API + path, body, content_type="application/json")
        assert response.status_code in (400, 422), (path, response.content)
        assert field in response.json()["errors"], (path, response.json())
    assert StockReceipt.objects.count() == 3 and not Return.objects.exists()


# --- query counts -------------------------------------------------------------------------------


def _crowd(make_person, make_assignment, n: int, start: int = 0) -> list:
    people = []
    for i in range(start, start + n):
        person = make_person(f"Peserta {i:03d}", kelurahan="13.75.01.1001")
        make_assignment(
            person, "PSM", "13.75.01.1001", end_date=D(2024, 12, 31), end_reason="Selesai"
        )
        people.append(person)
    return people


def _count_pages(client, handover) -> dict[str, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for url in [
        "/equipment/",
        "/equipment/holdings/",
        "/equipment/returns-due/",
        "/equipment/handovers/",
        f"/equipment/handovers/{handover.pk}/",
        f"/equipment/items/{handover.lines.first().item_id}/",
    ]:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200, url
        counts[url.split("/")[2] or "catalog"] = len(ctx.captured_queries)
    return counts


def test_pages_do_not_query_per_row(client, actors, stocked, make_person, make_assignment, by):
    login(client, actors["operator"])
    counts = [
        _count_pages(client, _bast(stocked, by, _crowd(make_person, make_assignment, n, start)))
        for n, start in [(3, 0), (30, 3)]
    ]
    assert counts[0] == counts[1]
    assert max(counts[1].values()) <= 20, counts


def _bast(stocked, by, crowd):
    n = len(crowd)
    for item in (stocked["vest"], stocked["radio"]):
        services.stock_receive(by=by, item=item, received_on=OCT22, quantity=n, source="APBD")
    handover = services.handover_create(
        by=by,
        handed_on=OCT22,
        giver_name="Kabid",
        lines=[(p, item, 1, "new") for p in crowd for item in (stocked["vest"], stocked["radio"])],
    )
    return handover


# --- the BAST of a big event ---------------------------------------------------------------------


def test_bast_with_356_receivers_repeats_the_header_and_masks_every_nik(
    stocked, make_person, make_assignment, by, tmp_path
):
    import subprocess

    from pilar.equipment.bast_pdf import bast_pdf

    crowd = _crowd(make_person, make_assignment, 356)
    for item in (stocked["vest"], stocked["bag"]):
        services.stock_receive(by=by, item=item, received_on=OCT22, quantity=356, source="APBD")
    event = make_event(crowd)
    handover = services.handover_from_event(
        by=by,
        event=event,
        items=[(stocked["vest"], 1), (stocked["bag"], 1)],
        giver_name="Kepala Dinas Sosial",
        witnesses=[("Rina", "Kasi"), ("Budi", "Sekretaris"), ("Andi", "Kabid"), ("Susi", "Staf")],
    )
    path = tmp_path / "bast.pdf"
    path.write_bytes(bast_pdf(handover))
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), str(tmp_path / "p")], check=True)
    pages = sorted(tmp_path.glob("p-*.png"))
    texts = [
        subprocess.run(
            ["pdftotext", "-f", str(n), "-l", str(n), str(path), "-"],
            capture_output=True,
            check=True,
        ).stdout.decode()
        for n in range(1, len(pages) + 1)
    ]
    lampiran = [t for t in texts if "Tanda tangan" in t]
    assert len(lampiran) == len(pages) - 1 >= 10
    assert all("Barang dan jumlah" in t for t in lampiran)
    assert texts[-1].count("Peserta") >= 1 and "356." in texts[-1]
    everything = "\n".join(texts)
    assert all(p.name in everything for p in crowd)
    assert not any(p.nik in everything for p in crowd)
    assert "Saksi 4" in texts[0] or "Saksi 4" in texts[1]


# --- the returns-due list -------------------------------------------------------------------------


def test_returns_due_agrees_with_the_person_page(
    client, actors, stocked, people, make_person, make_assignment, by, english
):
    """The registry warns about anyone with no active duty who holds an item to return; the
    reminder list must name the same people — also one who never had a duty."""
    today = datetime.date.today()
    radio, vest = stocked["radio"], stocked["vest"]
    never = make_person("Eka Tanpa Tugas", kelurahan="13.75.01.1001")
    ends_today = make_person("Fajar Terakhir Hari Ini", kelurahan="13.75.01.1001")
    make_assignment(ends_today, "PSM", "13.75.01.1001", end_date=today, end_reason="Selesai")
    gave_back = make_person("Gita Sudah Kembali", kelurahan="13.75.01.1001")
    make_assignment(gave_back, "PSM", "13.75.01.1001", end_date=D(2024, 1, 1), end_reason="x")
    for person in (never, ends_today, gave_back):
        hand(by, person, radio, day=D(2024, 10, 22))
    hand(by, never, vest)
    give_back(by, gave_back, radio, D(2024, 11, 1))
    from pilar.equipment.selectors import HoldingFilter, returns_due

    due = [(r["person__name"], r["item__name"]) for r in returns_due(None, HoldingFilter())]
    assert due == [("Eka Tanpa Tugas", "Radio HT")]
    login(client, actors["operator"])
    person_page = client.get(f"/pillars/{never.pk}/").content.decode()
    assert 'data-testid="equipment-to-return"' in person_page
    page = client.get("/equipment/returns-due/").content.decode()
    assert "Eka Tanpa Tugas" in page and "never had a duty" in page
    assert "Fajar" not in page and "Gita" not in page


def test_a_handover_dated_before_the_stock_arrived_is_refused(by, people):
    """Stock counts what is dated up to a day: a vest received on 1 October 2024 cannot have
    been handed over in 2020, and a back-dated handover cannot take stock that a later BAST
    already gave away."""
    D = datetime.date
    vest = services.item_create(by=by, name="Rompi Uji", category="clothing", unit="buah")
    services.stock_receive(
        by=by, item=vest, received_on=D(2024, 10, 1), quantity=10, source="APBD 2024"
    )

    def hand_on(day, quantity, person="a1"):
        return services.handover_create(
            by=by,
            handed_on=day,
            giver_name="Kepala Dinas",
            lines=[(people[person], vest, quantity, "new")],
        )

    with pytest.raises(ValidationError) as refused:
        hand_on(D(2020, 1, 6), 1)
    message = " ".join(refused.value.message_dict["handed_on"])
    assert "On 6 January 2020 only 0 buah of Rompi Uji were in stock" in message
    assert not Handover.objects.exists()
    hand_on(D(2024, 10, 1), 1)  # the day it arrived
    hand_on(D(2024, 10, 22), 7, "a2")
    services.stock_receive(by=by, item=vest, received_on=D(2024, 12, 2), quantity=10, source="X")
    # 12 in stock now, but only 10 − 1 − 7 = 2 from 22 October to 1 December: a handover dated
    # 5 October of 5 would have left −3 then.
    with pytest.raises(ValidationError) as refused:
        hand_on(D(2024, 10, 5), 5, "b1")
    assert "On 22 October 2024 only 2 buah" in " ".join(refused.value.message_dict["handed_on"])
    assert Handover.objects.count() == 2
    hand_on(D(2024, 10, 5), 2, "b1")
    hand_on(D(2024, 12, 2), 10, "b1")
    assert Handover.objects.count() == 4
