"""Real Chromium at a phone's width: a PSM records a home visit and submits the month; the TKSK
of the kecamatan returns it, the PSM resubmits, the TKSK verifies; another TKSK sees nothing."""

import re

import pytest
from playwright.sync_api import expect

from pilar.casework.models import MonthlyReport
from pilar.tests_support import PHONE, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_record_submit_return_resubmit_verify(live_server, page, actors, caseload, home_visit):
    from pilar.accounts.models import User

    User.objects.update(language="en")
    page.set_viewport_size(PHONE)
    url = live_server.url

    # The PSM records a home visit on the phone form.
    sign_in(page, url, "psm-a1")
    page.goto(f"{url}/activities/new/")
    page.select_option("#id_activity_type", label=home_visit.name)
    page.fill("#id_date", "2024-10-15")
    page.get_by_label(re.compile("Pak Amir")).check()
    page.fill("#id_notes", "Kunjungan rumah, cek kondisi lansia")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Saved: Kunjungan rumah")
    # Nothing on the page is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # ... and submits October (late: due on 10 November).
    october = page.get_by_test_id("month-2024-10")
    expect(october).to_contain_text("1 activity")
    october.get_by_role("button", name="Submit the report").click()
    expect(page.locator(".messages")).to_contain_text("submitted")
    expect(page.get_by_test_id("month-2024-10")).to_contain_text("Submitted")

    # The TKSK of another kecamatan sees neither the pillar nor the report.
    report = MonthlyReport.objects.get()
    sign_in(page, url, "tksk-b")
    page.goto(f"{url}/reports/?month=2024-10")
    expect(page.locator("table.status-grid")).not_to_contain_text("Ani Kecamatan A")
    assert page.goto(f"{url}/reports/{report.pk}/").status == 404

    # The TKSK of the kecamatan sees who has not reported, opens the report and returns it.
    sign_in(page, url, "tksk-a")
    page.goto(f"{url}/reports/?month=2024-10")
    grid = page.locator("table.status-grid")
    expect(grid).to_contain_text("Ani Kecamatan A")
    budi = page.locator("tr", has_text="Budi Kecamatan A")
    expect(budi.locator("td").first).to_contain_text("Late: not submitted")  # newest first
    cell = page.get_by_test_id(f"cell-{report.person_id}-2024-10")
    expect(cell.get_by_role("link", name="1 activity")).to_be_visible()
    cell.get_by_role("link", name=re.compile("^Submitted")).click()
    expect(page.get_by_test_id("report-status")).to_have_text("Submitted")
    expect(page.locator("body")).to_contain_text("Kunjungan rumah")
    page.fill("input[name=reason]", "Tambahkan catatan tindak lanjut")
    page.get_by_role("button", name="Return to the pillar").click()
    expect(page.get_by_test_id("report-status")).to_have_text("Returned")

    # The PSM sees the reason and submits again.
    sign_in(page, url, "psm-a1")
    page.goto(f"{url}/reports/mine/")
    october = page.get_by_test_id("month-2024-10")
    expect(october).to_contain_text("Tambahkan catatan tindak lanjut")
    october.locator("textarea").fill("Catatan tindak lanjut ditambahkan")
    october.get_by_role("button", name="Submit again").click()
    expect(page.get_by_test_id("month-2024-10")).to_contain_text("Submitted")

    # The TKSK verifies; the month is locked.
    sign_in(page, url, "tksk-a")
    page.goto(f"{url}/reports/{report.pk}/")
    # Verifying needs its tick: without it the browser does not even send the form.
    verify = page.get_by_role("button", name="Verify and lock the month")
    verify.click()
    expect(page.get_by_test_id("report-status")).to_have_text("Submitted")
    page.get_by_label("I have checked the activities and figures of this month").check()
    verify.click()
    expect(page.get_by_test_id("report-status")).to_have_text("Verified")
    report.refresh_from_db()
    assert (report.status, report.submit_count) == ("verified", 2)


def test_a_filled_field_loses_its_required_error(live_server, page, actors, caseload, home_visit):
    """Sent empty, the form comes back with "This field is required." under the activity and
    the date; filling a field takes its error away at once, the other's stays until filled."""
    from pilar.accounts.models import User

    User.objects.update(language="en")
    page.set_viewport_size(PHONE)
    url = live_server.url
    sign_in(page, url, "psm-a1")
    page.goto(f"{url}/activities/new/")
    page.fill("#id_date", "")
    page.get_by_role("button", name="Save", exact=True).click()
    kind_field = page.locator(".field", has=page.locator("#id_activity_type"))
    date_field = page.locator(".field", has=page.locator("#id_date"))
    expect(kind_field.locator(".error")).to_have_text("This field is required.")
    expect(date_field.locator(".error")).to_have_text("This field is required.")

    page.select_option("#id_activity_type", label=home_visit.name)
    expect(kind_field.locator(".error")).to_have_count(0)
    expect(kind_field).not_to_have_class(re.compile("has-error"))
    expect(page.locator("#id_activity_type")).not_to_have_attribute("aria-invalid", "true")
    expect(date_field.locator(".error")).to_have_count(1)
    page.fill("#id_date", "2024-10-15")
    expect(date_field.locator(".error")).to_have_count(0)
    page.get_by_label(re.compile("Pak Amir")).check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Saved: Kunjungan rumah")


def test_activity_list_reads_on_a_phone(live_server, page, actors, caseload, record):
    """At 390 px each activity is a short card: the date with no empty block under it, the
    household count labelled, nothing wider than the screen."""
    from pilar.accounts.models import User

    User.objects.update(language="en")
    record(households=[caseload["h1"], caseload["h2"]])
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, "tksk-a")
    page.goto(f"{live_server.url}/activities/")
    row = page.locator("table.activities tbody tr").first
    date, count = row.locator("td").first, row.locator("td.households")
    expect(date).to_contain_text("5 Oct 2024")
    # The date cell is one line high and as wide as its text: no blank block below it.
    box = date.bounding_box()
    link = date.locator("a").bounding_box()
    assert box["height"] < link["height"] * 1.8, (box, link)
    background = date.evaluate("td => getComputedStyle(td).backgroundColor")
    assert background in {"rgba(0, 0, 0, 0)", "transparent"}, background
    label = count.evaluate("td => getComputedStyle(td, '::before').content")
    assert "Households" in label, label
    expect(count).to_contain_text("2")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
