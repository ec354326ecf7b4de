"""Real Chromium at a phone's width: an operator founds a group, adds members and a month."""

import os
import re

import pytest
from playwright.sync_api import expect

from pilar.kube.tests.conftest import KEL_A
from pilar.tests_support import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_operator_builds_a_group_on_a_phone(live_server, page, actors, make_household, area):
    for n in range(5):
        make_household(KEL_A, head=f"Kepala {n}")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "operator1")
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.goto(f"{live_server.url}/kube/new/")
    page.fill("#id_name", "KUBE Layar Kecil")
    page.select_option("#id_area", str(area(KEL_A).pk))
    page.fill("#id_business_type", "Kerupuk sanjai")
    page.fill("#id_founded_on", "2023-03-01")
    page.locator("form.card button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/kube/\d+/$"))
    expect(page.locator("h1")).to_have_text("KUBE Layar Kecil")
    expect(page.get_by_test_id("size-warning")).to_be_visible()  # no members yet
    for n, role in enumerate(["chair", "secretary", "treasurer", "member", "member"]):
        page.locator("#members details.add > summary").click()
        page.locator("#members select[name=household]").select_option(index=1)
        page.locator("#members select[name=role]").select_option(role)
        page.locator("#members details.add button[type=submit]").click()
        expect(page.locator("table.kube-members tbody tr")).to_have_count(n + 1)
    expect(page.get_by_test_id("size-warning")).to_have_count(0)  # five: a proper KUBE
    page.locator("#records details.add > summary").click()
    page.fill("#id_month", "2024-01")
    # Typed the Indonesian way; cents are refused first, naming the field.
    page.fill("#id_turnover", "Rp 3.500.000")
    page.fill("#id_savings", "400000,50")
    page.locator("#records details.add button[type=submit]").click()
    expect(page.locator("#records")).to_contain_text("write 400.000 or 400.001")
    page.fill("#id_savings", "400.000")
    page.locator("#records details.add button[type=submit]").click()
    chart = page.get_by_test_id("kube-chart")
    expect(chart).to_be_visible()
    expect(chart.locator("rect.turnover")).to_have_count(1)
    box = chart.bounding_box()
    assert box and box["width"] <= 390
    # Nothing on the page is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # Correct the month: the original stays, struck through, beside the correction.
    page.locator("#records details.row-action > summary").click()
    row = page.locator("#records details.row-action")
    row.locator("input[name=turnover]").fill("3.600.000")
    row.locator("input[name=reason]").first.fill("Nota kedua terlewat")
    row.locator("form").first.locator("button[type=submit]").click()
    expect(page.get_by_test_id("turnover-total")).to_contain_text(re.compile(r"3.600.000"))
    expect(page.locator("#records tr.not-in-force s").first).to_contain_text(
        re.compile(r"3.500.000")
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shots = os.environ.get("KUBE_SCREENSHOTS")  # a folder: keep screenshots to look at
    if shots:
        page.locator("#records details.row-action > summary").first.click()
        page.screenshot(path=f"{shots}/group-390.png", full_page=True)
        page.set_viewport_size({"width": 1280, "height": 800})
        page.screenshot(path=f"{shots}/group-1280.png", full_page=True)
