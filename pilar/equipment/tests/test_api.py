"""The equipment API: the same services, scoped reads, JSON errors a person can act on."""

import pytest

from pilar.equipment.models import Handover
from pilar.equipment.tests.conftest import hand, make_event
from pilar.tests_support import login

pytestmark = pytest.mark.django_db
API = "/api/v1/equipment"


def post(client, path, body):
    return client.post(API + path, body, content_type="application/json")


def test_items_with_stock_and_a_handover(client, actors, stocked, people):
    login(client, actors["operator"])
    items = {i["name"]: i for i in client.get(f"{API}/items").json()}
    assert items["Radio HT"]["in_stock"] == 3 and items["Radio HT"]["needs_return"]
    body = {
        "handed_on": "2024-10-22",
        "giver_name": "Kabid",
        "witnesses": [{"name": "Dra. Rina Marlina, S.Sos, M.Si", "position": "Kasi"}],
        "lines": [{"person_id": people["a1"].pk, "item_id": stocked["radio"].pk, "quantity": 4}],
    }
    refused = post(client, "/handovers", body)
    assert refused.status_code == 400
    assert "Not enough Radio HT in stock: 4 unit asked, 3 in stock" in refused.json()["message"]
    body["lines"][0]["quantity"] = 2
    made = post(client, "/handovers", body)
    assert made.status_code == 201
    data = made.json()
    assert data["number"] == "001/BAST-SARPRAS/2024" and data["witnesses"] == [
        {"name": "Dra. Rina Marlina, S.Sos, M.Si", "position": "Kasi"}
    ]
    assert data["lines"][0]["masked_nik"] == people["a1"].masked_nik
    assert "nik" not in data["lines"][0]
    assert client.get(f"{API}/items/{stocked['radio'].pk}").json()["held"] == 2


def test_handover_from_event_and_returns(client, actors, stocked, people):
    event = make_event([people["a1"], people["b1"]])
    login(client, actors["operator"])
    made = post(
        client,
        "/handovers/from-event",
        {
            "event_id": event.pk,
            "giver_name": "Kadis",
            "items": [{"item_id": stocked["vest"].pk, "each": 1}],
        },
    )
    assert made.status_code == 201 and len(made.json()["lines"]) == 2
    body = {
        "person_id": people["a1"].pk,
        "item_id": stocked["radio"].pk,
        "quantity": 1,
        "condition": "good",
        "returned_on": "2024-11-01",
    }
    refused = post(client, "/returns", body)
    assert refused.status_code == 400 and "never handed over" in refused.json()["message"]
    body["item_id"] = stocked["vest"].pk
    assert post(client, "/returns", body).status_code == 201
    assert client.get(f"{API}/returns").json()[0]["item_name"] == "Rompi Pilar Sosial"


def test_reads_are_scoped(client, actors, stocked, people, by):
    bast = hand(by, people["a1"], stocked["vest"])
    hand(by, people["b1"], stocked["vest"])
    login(client, actors["coordinator_b"])
    names = [r["person_name"] for r in client.get(f"{API}/holdings").json()]
    assert names == ["Citra Kecamatan B"]
    assert client.get(f"{API}/handovers/{bast.pk}").status_code == 404
    assert client.get(f"{API}/mine").json() == []  # not linked to a person: holds nothing
    assert (
        post(client, "/items", {"name": "X", "category": "other", "unit": "x"}).status_code == 403
    )
    login(client, actors["pillar"])
    assert [r["item_name"] for r in client.get(f"{API}/mine").json()] == ["Rompi Pilar Sosial"]
    assert len(client.get(f"{API}/handovers").json()) == 1
    assert Handover.objects.count() == 2
