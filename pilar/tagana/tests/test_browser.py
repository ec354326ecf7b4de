"""Real Chromium at a phone's width: the operator records an event, deploys a member, closes it."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect

from pilar.regions.models import Area
from pilar.tagana.models import Deployment, DisasterEvent
from pilar.tests_support import PASSWORD

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_operator_records_deploys_and_closes_on_a_phone(live_server, page, actors, member):
    shots = os.environ.get("TAGANA_SCREENSHOTS")  # a folder: keep screenshots to look at
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", actors["operator"].username)
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.locator("nav.menu summary").click()  # Tagana is behind the phone's Menu
    page.locator("nav.menu .rest a[href='/tagana/']").click()
    page.locator("a[href='/tagana/events/new/']").click()
    page.select_option("#id_kind", "flood")
    tarok_dipo = Area.objects.get(code="13.75.01.1001")
    page.select_option("#id_area", str(tarok_dipo.pk))
    page.fill("#id_description", "Banjir di Tarok Dipo, 12 KK mengungsi")
    page.locator("form.form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/tagana/events/\d+/$"))
    expect(page.locator("[data-testid=event-status]")).to_have_class(re.compile("status-open"))

    page.locator("details.add summary").first.click()
    page.select_option("#id_person", label=member.name)
    page.select_option("#id_role", "evacuation")
    page.locator("[data-testid=deploy-form] button[type=submit]").click()
    expect(page.locator("[data-testid=deployments]")).to_contain_text(member.name)
    if shots:
        page.screenshot(path=f"{shots}/detail-390.png", full_page=True)
    # Closing while the member is still out is refused, saying who.
    page.locator("[data-testid=close-form] button[type=submit]").click()
    expect(page.locator("[data-testid=close-form]")).to_contain_text(member.name)
    page.locator(".end-form button[type=submit]").click()
    expect(page.locator(".end-form")).to_have_count(0)
    page.locator("[data-testid=close-form] button[type=submit]").click()
    expect(page.locator("[data-testid=event-status]")).to_have_class(re.compile("status-closed"))
    # Nothing overflows the phone's width.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    event = DisasterEvent.objects.get()
    assert event.status == "closed"
    assert Deployment.objects.get().end is not None
    if shots:
        page.screenshot(path=f"{shots}/closed-390.png", full_page=True)
        for width in (390, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            for name, url in (("list", "/tagana/"), ("roster", "/tagana/roster/")):
                page.goto(f"{live_server.url}{url}")
                page.screenshot(path=f"{shots}/{name}-{width}.png", full_page=True)
            page.goto(f"{live_server.url}/tagana/events/{event.pk}/")
            page.locator("[data-testid=deployments] details.row-action > summary").click()
            page.screenshot(path=f"{shots}/event-{width}.png", full_page=True)
