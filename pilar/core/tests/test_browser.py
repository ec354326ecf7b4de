"""Real Chromium through Playwright: log in → headcount → click a number → see the people."""

import re

import pytest
from playwright.sync_api import expect

from pilar.tests_support import PASSWORD

pytestmark = pytest.mark.browser


def test_login_headcount_click_number_shows_people(live_server, page, actors, people):
    page.set_viewport_size({"width": 390, "height": 844})  # a cheap phone
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    page.fill("#id_username", "operator1")
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/headcount/$"))
    page.fill("#as_of", "2024-10-22")
    page.locator(".inline-form button").click()
    psm = page.locator('td[data-kind="PSM"] a')
    expect(psm).to_have_text("3")
    psm.click()
    expect(page).to_have_url(re.compile(r"/pillars/\?.*kind=PSM"))
    rows = page.locator("table.people tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator("table.people")).to_contain_text("Citra Kecamatan B")
    # NIKs are masked in the list.
    expect(page.locator("table.people")).not_to_contain_text(people["a1"].nik)
    expect(page.locator("table.people")).to_contain_text(people["a1"].masked_nik)


def test_coordinator_sees_only_own_kecamatan_in_browser(live_server, page, actors, people):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "tksk-b")
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.goto(f"{live_server.url}/pillars/")
    expect(page.locator("table.people tbody tr")).to_have_count(1)
    expect(page.locator("table.people")).to_contain_text("Citra Kecamatan B")
    response = page.goto(f"{live_server.url}/pillars/{people['a1'].pk}/")
    assert response.status == 404
