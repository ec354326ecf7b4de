"""Real Chromium at a phone's width: the operator hands vests to everyone who attended a
training event in one BAST; the pillar then sees their vest on their phone."""

import os

import pytest
from playwright.sync_api import expect

from pilar.equipment.models import Handover
from pilar.equipment.tests.conftest import make_event
from pilar.tests_support import PHONE, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("PILAR_SCREENSHOTS")  # a directory, to look at the pages by eye


def fits(page) -> bool:
    page.wait_for_load_state("load")
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def shot(page, name):
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def test_bast_from_a_training_event_on_a_phone(live_server, page, actors, stocked, people):
    from pilar.accounts.models import User

    User.objects.update(language="en")
    event = make_event([people["a1"], people["a2"], people["b1"]], absent=[people["tksk_a"]])
    page.set_viewport_size(PHONE)
    url = live_server.url
    sign_in(page, url, "operator1")
    page.goto(f"{url}/equipment/")
    assert fits(page)
    shot(page, "catalog-390")
    page.get_by_role("link", name="+ BAST from a training event").first.click()
    page.select_option("#id_event", str(event.pk))
    page.fill("#id_giver_name", "Kepala Dinas Sosial")
    page.fill("#id_witnesses-0-name", "Dra. Rina Marlina, S.Sos, M.Si")
    page.fill("#id_witnesses-0-position", "Kasi Linjamsos")
    page.fill(f"#id_item_{stocked['vest'].pk}", "1")
    page.fill(f"#id_item_{stocked['bag'].pk}", "1")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_test_id("preview")).to_contain_text("3 people attended")
    expect(page.get_by_test_id("preview")).to_contain_text(
        "Rompi Pilar Sosial: 1 each, 3 buah in all (10 in stock)"
    )
    assert fits(page)
    shot(page, "from-event-390")
    page.get_by_role("button", name="Record the BAST").click()
    expect(page.locator(".messages")).to_contain_text("BAST 001/BAST-SARPRAS/2024 recorded for 3")
    assert fits(page)
    shot(page, "bast-390")
    assert Handover.objects.get().lines.count() == 6

    sign_in(page, url, "psm-a1")
    page.goto(f"{url}/equipment/mine/")
    expect(page.get_by_test_id("held")).to_contain_text("Rompi Pilar Sosial")
    expect(page.get_by_test_id("held")).to_contain_text("Tas Lapangan")
    assert fits(page)
    shot(page, "mine-390")

    # A BAST by hand grows one line at a time; a line recorded by mistake is reversed.
    sign_in(page, url, "operator1")
    page.goto(f"{url}/equipment/handovers/new/")
    page.fill("#id_witnesses-0-name", "Dra. Rina Marlina, S.Sos, M.Si")
    page.get_by_test_id("add-line").click()
    expect(page.locator("legend", has_text="Line 5")).to_be_visible()
    expect(page.locator("#id_witnesses-0-name")).to_have_value("Dra. Rina Marlina, S.Sos, M.Si")
    assert fits(page)
    shot(page, "new-bast-5-lines-390")
    bast = Handover.objects.get()
    page.goto(f"{url}/equipment/handovers/{bast.pk}/")
    page.get_by_role("link", name="Correct").first.click()
    page.fill("#id_reversal_reason", "Salah orang")
    assert fits(page)
    shot(page, "correct-390")
    page.get_by_role("button", name="Record the correction").click()
    expect(page.get_by_test_id("reversed")).to_contain_text("Salah orang")
    assert fits(page)
    shot(page, "bast-corrected-390")
    if SHOTS:
        from pilar.audit.services import Actor
        from pilar.equipment.tests.conftest import give_back

        give_back(
            Actor.system(), people["a2"], stocked["vest"], condition="damaged", reason="Robek"
        )
        line = bast.lines.in_force().first()
        extra = [
            (f"/equipment/items/{stocked['vest'].pk}/", "item"),
            (f"/equipment/items/{stocked['vest'].pk}/repairs/new/", "repair"),
            (f"/equipment/handover-lines/{line.pk}/correct/", "correct"),
            ("/equipment/returns/", "returns"),
        ]
        sign_in(page, url, "operator1")
        page.set_viewport_size({"width": 1280, "height": 900})
        for path, name in [
            ("/equipment/", "catalog"),
            ("/equipment/holdings/", "holdings"),
            (f"/equipment/handovers/{Handover.objects.get().pk}/", "bast"),
            ("/equipment/handovers/new/", "new-bast"),
            (f"/equipment/returns/new/?person={people['a1'].pk}", "return"),
            *extra,
        ]:
            page.goto(url + path)
            shot(page, f"{name}-1280")
        page.set_viewport_size(PHONE)
        for path, name in [
            ("/equipment/holdings/", "holdings"),
            ("/equipment/handovers/new/", "new-bast"),
            (f"/equipment/returns/new/?person={people['a1'].pk}", "return"),
            *extra,
        ]:
            page.goto(url + path)
            assert fits(page), name
            shot(page, f"{name}-390")
