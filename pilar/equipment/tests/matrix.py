"""This app's rows of the permission matrix (see pilar/core/tests/test_permissions.py).

The records: a vest and a radio in stock; a BAST handing a radio to a1 (kecamatan A, the
`pillar` user themself), who returned it damaged. Corrections and repair records are written by
the office (admin, operator) only. coordinator_a sees the BAST and a1, coordinator_b does not
(404); the BAST's PDF lists every receiver and is printed by the office (others 403). Viewers
and users without a role have no equipment capability (403).
"""

from __future__ import annotations

import datetime

STAFF = {"admin", "operator", "approver", "finance"}
EDIT = {"admin", "operator"}
VIEW = STAFF | {"coordinator_a", "coordinator_b", "pillar"}


def view(role):
    return 200 if role in VIEW else 403


def of_a1(role):
    if role in STAFF | {"coordinator_a", "pillar"}:
        return 200
    return 404 if role == "coordinator_b" else 403


def page_edit(role):
    return 200 if role in EDIT else 403


def print_bast(role):
    if role in STAFF:
        return 200
    return 404 if role == "coordinator_b" else 403


def mine(role):
    # coordinator_a is Dedi (a TKSK) and pillar is a1: both have a person. The others are told
    # nothing is recorded as theirs (the page) or get an empty list (the API).
    return 200 if role in VIEW else 403


def write(role):
    return 400 if role in EDIT else 403


PAGES = {
    "equipment:catalog": view,
    "equipment:item-create": page_edit,
    "equipment:item-detail": view,
    "equipment:item-edit": page_edit,
    "equipment:repair-create": page_edit,
    "equipment:receipt-create": page_edit,
    "equipment:handover-list": view,
    "equipment:handover-create": page_edit,
    "equipment:handover-from-event": page_edit,
    "equipment:handover-detail": of_a1,
    "equipment:handover-pdf": print_bast,
    "equipment:line-correct": page_edit,
    "equipment:return-list": view,
    "equipment:return-correct": page_edit,
    "equipment:return-create": page_edit,
    "equipment:holdings": view,
    "equipment:returns-due": view,
    "equipment:mine": mine,
    "equipment:person": of_a1,
}
API_READ = {
    "/api/v1/equipment/items": view,
    "/api/v1/equipment/items/{item_id}": view,
    "/api/v1/equipment/receipts": view,
    "/api/v1/equipment/handovers": view,
    "/api/v1/equipment/handovers/{handover_id}": of_a1,
    "/api/v1/equipment/returns": view,
    "/api/v1/equipment/holdings": view,
    "/api/v1/equipment/returns-due": view,
    "/api/v1/equipment/mine": mine,
}
# Bodies refused: an item without a name (by the service); ids that name nothing (0) in the
# others, refused by name before any service runs.
API_WRITE = {
    ("POST", "/api/v1/equipment/items"): ({"name": "", "category": "other", "unit": "x"}, write),
    ("POST", "/api/v1/equipment/receipts"): (
        {"item_id": 0, "received_on": "2099-01-01", "quantity": 1, "source": "APBD"},
        write,
    ),
    ("POST", "/api/v1/equipment/handovers"): (
        {
            "handed_on": "2024-10-22",
            "giver_name": "Kabid",
            "lines": [{"person_id": 0, "item_id": 0, "quantity": 99}],
        },
        write,
    ),
    ("POST", "/api/v1/equipment/handovers/from-event"): (
        {"event_id": 0, "giver_name": "Kabid", "items": [{"item_id": 0, "each": 1}]},
        write,
    ),
    ("POST", "/api/v1/equipment/returns"): (
        {
            "person_id": 0,
            "item_id": 0,
            "quantity": 5,
            "condition": "good",
            "returned_on": "2024-11-01",
        },
        write,
    ),
    # More than waits for repair; a correction without its reason.
    ("POST", "/api/v1/equipment/items/{item_id}/repairs"): (
        {
            "quantity": 5,
            "outcome": "repaired",
            "done_on": "2024-11-02",
            "note": "Antena diganti",
            "done_by": "Bengkel",
        },
        write,
    ),
    ("POST", "/api/v1/equipment/handover-lines/{line_id}/correction"): (
        {"reversal_reason": ""},
        write,
    ),
    ("POST", "/api/v1/equipment/returns/{return_id}/correction"): (
        {"reversal_reason": ""},
        write,
    ),
}


def setup(actors, people) -> dict:
    from pilar.audit.services import Actor
    from pilar.equipment import returns, services

    by = Actor.system()
    radio = services.item_create(
        by=by, name="Radio HT", category="communication", unit="unit", needs_return=True
    )
    services.stock_receive(
        by=by, item=radio, received_on=datetime.date(2021, 3, 1), quantity=2, source="Kemensos"
    )
    handover = services.handover_create(
        by=by,
        handed_on=datetime.date(2022, 5, 2),
        giver_name="Kabid",
        lines=[(people["a1"], radio, 1, "new")],
    )
    returned = returns.return_record(
        by=by,
        person=people["a1"],
        item=radio,
        quantity=1,
        condition="damaged",
        returned_on=datetime.date(2022, 6, 1),
        reason="Antena patah",
    )
    line = handover.lines.get()
    a1 = people["a1"].pk
    return {
        "pages": {
            "equipment:item-detail": f"/equipment/items/{radio.pk}/",
            "equipment:item-edit": f"/equipment/items/{radio.pk}/edit/",
            "equipment:handover-detail": f"/equipment/handovers/{handover.pk}/",
            "equipment:handover-pdf": f"/equipment/handovers/{handover.pk}/pdf/",
            "equipment:person": f"/equipment/people/{a1}/",
            "equipment:repair-create": f"/equipment/items/{radio.pk}/repairs/new/",
            "equipment:line-correct": f"/equipment/handover-lines/{line.pk}/correct/",
            "equipment:return-correct": f"/equipment/returns/{returned.pk}/correct/",
        },
        "api": {
            "{item_id}": radio.pk,
            "{handover_id}": handover.pk,
            "{line_id}": line.pk,
            "{return_id}": returned.pk,
        },
        "radio": radio,
    }


def unchanged(made) -> None:
    from pilar.equipment.models import Handover, HandoverLine, Item, Repair, Return, StockReceipt

    assert Item.objects.count() == 1
    assert StockReceipt.objects.count() == 1
    assert Handover.objects.count() == 1 and HandoverLine.objects.in_force().count() == 1
    assert Return.objects.in_force().count() == 1 and Return.objects.count() == 1
    assert HandoverLine.objects.count() == 1 and not Repair.objects.exists()
