"""Equipment on an installation of many offices (docs/EQUIPMENT.md, "Many offices"): each office
keeps its own catalog and stock and makes its own BASTs, numbered from 1 in each and printed
on its own letterhead; nothing of another office is reachable by id; the province sees and does
not act."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from pilar.accounts.models import Role, User
from pilar.audit.services import Actor
from pilar.equipment import services
from pilar.equipment.bast_pdf import bast_pdf
from pilar.equipment.models import Handover, Item, StockReceipt
from pilar.equipment.tests.conftest import OCT22, hand, make_event
from pilar.equipment.tests.test_bast_pdf import pdf_text
from pilar.equipment.tests.test_views import line_data
from pilar.offices.services import remembered
from pilar.tests_support import login

pytestmark = pytest.mark.django_db
API = "/api/v1/equipment"


def post(client, path, body):
    return client.post(API + path, body, content_type="application/json")


@pytest.fixture
def two(office, other_office, make_user, make_person, make_assignment):
    """Bukittinggi and Padang Panjang: each an operator, a PSM, a vest of its own in stock
    (the same name in both catalogs) and a BAST handing one to its PSM."""
    ani = make_person("Ani Bukittinggi", kelurahan="13.75.01.1001")
    make_assignment(ani, "PSM", "13.75.01.1001")
    putri = make_person("Putri Padang Panjang", kelurahan="13.74.01.1001")
    make_assignment(putri, "PSM", "13.74.01.1001")
    ops = {
        "bkt": make_user("op-bkt", Role.OPERATOR, office=office),
        "pp": make_user("op-pp", Role.OPERATOR, office=other_office),
    }
    User.objects.update(language="en")
    out = {"ops": ops, "people": {"bkt": ani, "pp": putri}, "items": {}, "handovers": {}}
    for key, person in out["people"].items():
        by = Actor(user=ops[key])
        with remembered(user=ops[key]):
            vest = services.item_create(
                by=by, name="Rompi Pilar Sosial", category="clothing", unit="buah"
            )
            services.stock_receive(
                by=by, item=vest, received_on=OCT22, quantity=5, source="APBD 2024"
            )
            out["items"][key] = vest
            out["handovers"][key] = hand(by, person, vest)
    return out


def test_each_office_keeps_its_catalog_and_numbers_its_basts_from_1(two, office, other_office):
    items, handovers = two["items"], two["handovers"]
    assert (items["bkt"].office, items["pp"].office) == (office, other_office)
    bkt, pp = handovers["bkt"], handovers["pp"]
    assert (bkt.office, pp.office) == (office, other_office)
    assert (bkt.year, bkt.seq) == (pp.year, pp.seq) == (2024, 1)
    assert bkt.number == pp.number == "001/BAST-SARPRAS/2024"
    # The next one of Padang Panjang is its second, whatever Bukittinggi made meanwhile.
    by = Actor(user=two["ops"]["pp"])
    with remembered(user=two["ops"]["pp"]):
        second = hand(by, two["people"]["pp"], items["pp"])
    assert (second.seq, second.number) == (2, "002/BAST-SARPRAS/2024")
    # The same name in one catalog twice is refused, naming the field.
    with remembered(user=two["ops"]["pp"]), pytest.raises(ValidationError) as exc:
        services.item_create(by=by, name="rompi pilar sosial", category="clothing", unit="buah")
    assert "name" in exc.value.message_dict


def test_a_bast_prints_its_own_offices_letterhead(two, office, tmp_path):
    handover = two["handovers"]["pp"]
    with remembered(office=office):  # printed while acting for Bukittinggi
        text = pdf_text(bast_pdf(handover), tmp_path)
    assert "DINAS SOSIAL KOTA PADANG PANJANG" in text and "BUKITTINGGI" not in text
    # A BAST from before the office copy prints its own office as it is now.
    Handover.objects.filter(pk=handover.pk).update(office_copy=None)
    handover.refresh_from_db()
    with remembered(office=office):
        text = pdf_text(bast_pdf(handover), tmp_path)
    assert "DINAS SOSIAL KOTA PADANG PANJANG" in text and "BUKITTINGGI" not in text


def test_another_offices_item_and_bast_are_not_found(client, two):
    login(client, two["ops"]["bkt"])
    own_item, other_item = two["items"]["bkt"].pk, two["items"]["pp"].pk
    own, other = two["handovers"]["bkt"].pk, two["handovers"]["pp"].pk
    for url in (
        f"/equipment/items/{own_item}/",
        f"/equipment/handovers/{own}/",
        f"/equipment/handovers/{own}/pdf/",
        f"{API}/items/{own_item}",
        f"{API}/handovers/{own}",
    ):
        assert client.get(url).status_code == 200, url
    for url in (
        f"/equipment/items/{other_item}/",
        f"/equipment/items/{other_item}/edit/",
        f"/equipment/items/{other_item}/repairs/new/",
        f"/equipment/handovers/{other}/",
        f"/equipment/handovers/{other}/pdf/",
        f"{API}/items/{other_item}",
        f"{API}/handovers/{other}",
    ):
        assert client.get(url).status_code == 404, url
    assert [i["id"] for i in client.get(f"{API}/items").json()] == [own_item]
    assert [h["id"] for h in client.get(f"{API}/handovers").json()] == [own]
    assert {r["item_id"] for r in client.get(f"{API}/receipts").json()} == {own_item}
    catalog = client.get("/equipment/").content.decode()
    assert f"/equipment/items/{other_item}/" not in catalog


def test_an_office_cannot_hand_to_another_offices_pillar_or_from_its_stock(
    client, two, other_office
):
    login(client, two["ops"]["bkt"])
    ani, putri = two["people"]["bkt"], two["people"]["pp"]
    own_item, other_item = two["items"]["bkt"], two["items"]["pp"]
    line = {"person_id": putri.pk, "item_id": own_item.pk, "quantity": 1}
    body = {"handed_on": "2024-10-22", "giver_name": "Kabid", "lines": [line]}
    refused = post(client, "/handovers", body)
    assert refused.status_code == 400 and "lines.0.person_id" in refused.json()["errors"]
    body["lines"] = [{**line, "person_id": ani.pk, "item_id": other_item.pk}]
    refused = post(client, "/handovers", body)
    assert refused.status_code == 400 and "lines.0.item_id" in refused.json()["errors"]
    receipt = {"item_id": other_item.pk, "received_on": "2024-10-22", "quantity": 1}
    refused = post(client, "/receipts", {**receipt, "source": "APBD"})
    assert refused.status_code == 400 and "item_id" in refused.json()["errors"]
    # A BAST from another office's training event: no such event.
    event = make_event([putri], office=other_office)
    items = [{"item_id": own_item.pk, "each": 1}]
    body = {"event_id": event.pk, "giver_name": "Kabid", "items": items}
    refused = post(client, "/handovers/from-event", body)
    assert refused.status_code == 400 and "event_id" in refused.json()["errors"]
    # The page: another office's pillar is no choice, nor another office's item.
    response = client.post("/equipment/handovers/new/", line_data([(putri, own_item, 1)]))
    assert response.status_code == 400
    response = client.post("/equipment/handovers/new/", line_data([(ani, other_item, 1)]))
    assert response.status_code == 400
    assert Handover.objects.count() == 2
    assert StockReceipt.objects.count() == 2


def test_the_province_sees_both_offices_and_acts_on_neither(
    client, two, province_office, make_user
):
    viewer = make_user("prov-op", Role.OPERATOR, office=province_office)
    login(client, viewer)
    items = {i["id"] for i in client.get(f"{API}/items").json()}
    assert items == {item.pk for item in two["items"].values()}
    handovers = {h["id"] for h in client.get(f"{API}/handovers").json()}
    assert handovers == {h.pk for h in two["handovers"].values()}
    assert client.get(f"/equipment/handovers/{two['handovers']['pp'].pk}/").status_code == 200
    item = two["items"]["pp"]
    for url, body in (
        ("/equipment/items/new/", {"name": "Tas", "category": "bag", "unit": "buah"}),
        (f"/equipment/items/{item.pk}/edit/", {"name": "Tas", "category": "bag", "unit": "buah"}),
        ("/equipment/receipts/new/", {"item": item.pk, "quantity": 1, "source": "APBD"}),
        ("/equipment/handovers/new/", line_data([(two["people"]["pp"], item, 1)])),
    ):
        assert client.post(url, body).status_code == 403, url
    person = two["people"]["pp"]
    for path, body in (
        ("/items", {"name": "Tas", "category": "bag", "unit": "buah"}),
        (
            "/receipts",
            {"item_id": item.pk, "received_on": "2024-10-22", "quantity": 1, "source": "APBD"},
        ),
        (
            "/handovers",
            {
                "handed_on": "2024-10-22",
                "giver_name": "Kabid",
                "lines": [{"person_id": person.pk, "item_id": item.pk, "quantity": 1}],
            },
        ),
    ):
        assert post(client, path, body).status_code == 403, path
    assert Item.objects.count() == 2 and Handover.objects.count() == 2
    assert StockReceipt.objects.count() == 2
