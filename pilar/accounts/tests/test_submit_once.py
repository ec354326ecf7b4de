"""A form sent twice (a double click, a reload that posts again) saves once
(pilar/accounts/once.py)."""

from __future__ import annotations

import pytest
import time_machine

from pilar.accounts.models import SubmittedForm, User
from pilar.equipment.models import Item, StockReceipt
from pilar.tagana.models import DisasterEvent
from pilar.tests_support import login

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(actors):
    User.objects.update(language="en")


def event(area, description="Kebakaran rumah"):
    return {
        "kind": "fire",
        "started_on": "2024-10-21",
        "area": area("13.75.02.1001").pk,
        "description": description,
    }


def test_the_same_event_sent_twice_is_saved_once(client, actors, area):
    login(client, actors["operator"])
    first = client.post("/tagana/events/new/", event(area))
    second = client.post("/tagana/events/new/", event(area), follow=True)
    saved = DisasterEvent.objects.get()
    assert first.status_code == 302 and first.url == f"/tagana/events/{saved.pk}/"
    # The second click lands on what the first one saved, and says so.
    assert second.redirect_chain == [(f"/tagana/events/{saved.pk}/", 302)]
    assert "already saved a moment ago" in second.content.decode()
    # Another event (another description) is a new post, saved.
    client.post("/tagana/events/new/", event(area, "Banjir"))
    assert DisasterEvent.objects.count() == 2


def test_the_same_post_later_or_by_someone_else_is_saved_again(client, actors, area):
    with time_machine.travel("2024-10-22 09:00:00+07:00", tick=False) as clock:
        login(client, actors["operator"])
        client.post("/tagana/events/new/", event(area))
        client.logout()
        login(client, actors["admin"])
        client.post("/tagana/events/new/", event(area))
        assert DisasterEvent.objects.count() == 2
        clock.shift(60)  # beyond the window: a deliberate second record
        client.post("/tagana/events/new/", event(area))
        assert DisasterEvent.objects.count() == 3
        assert SubmittedForm.objects.count() == 1  # the old fingerprints are gone


def test_a_refused_post_can_be_sent_again_once_corrected(client, actors):
    from pilar.offices import current

    login(client, actors["operator"])
    item = Item.objects.create(office=current(), name="Rompi", category="clothing", unit="buah")
    bad = {"item": item.pk, "received_on": "2099-01-01", "quantity": 3, "source": "APBD"}
    assert client.post("/equipment/receipts/new/", bad).status_code == 400
    # The same refused post again shows the same error (it is not taken as a double click).
    again = client.post("/equipment/receipts/new/", bad)
    assert again.status_code == 400 and "in the future" in again.content.decode()
    good = {**bad, "received_on": "2024-10-01"}
    assert client.post("/equipment/receipts/new/", good).status_code == 302
    assert client.post("/equipment/receipts/new/", good).status_code == 302
    assert StockReceipt.objects.get().quantity == 3
    assert not SubmittedForm.objects.filter(location="").exists()


def test_a_second_click_while_the_first_saves_goes_back_to_the_form_page(client, actors, area):
    """While the first post is still being saved (its fingerprint has no result yet), the
    second is sent back to the page the form was on — the form's own address may take POST
    only (a 405) — never to another site."""
    login(client, actors["operator"])
    client.post("/tagana/events/new/", event(area))
    SubmittedForm.objects.update(location="")  # as while the first is still saving
    back = client.post("/tagana/events/new/", event(area), HTTP_REFERER="http://testserver/tagana/")
    assert back.status_code == 302 and back.url == "http://testserver/tagana/"
    elsewhere = client.post(
        "/tagana/events/new/", event(area), HTTP_REFERER="https://evil.example/x"
    )
    assert elsewhere.url == "/tagana/events/new/"
    assert DisasterEvent.objects.count() == 1


def test_a_file_corrected_in_place_is_another_post(client, actors):
    """Two uploads with the same name and size but other content are two posts (a roster
    corrected by one digit)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from pilar.imports.models import Import

    login(client, actors["operator"])
    for digit in (b"1", b"2"):
        roster = SimpleUploadedFile("daftar.csv", b"nama,nik\nSiti,137501410190000" + digit)
        client.post("/imports/upload/", {"file": roster})
    assert Import.objects.count() == 2
