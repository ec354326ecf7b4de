"""Real Chromium at a phone's width: a verivali round end to end (issue 19, "done when"). The
PSM records three findings on the phone (confirmed; decile and address corrected; moved), the
kecamatan's TKSK accepts one and returns one with a note, the PSM sees the note; the office
downloads the results file, whose rows are the accepted finding's."""

from __future__ import annotations

import datetime
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect
from python_calamine import CalamineWorkbook

from pilar.audit.services import Actor
from pilar.casework import services as casework
from pilar.tests_support import PHONE, sign_in
from pilar.verivali import services
from pilar.verivali.models import Finding

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# The WCAG 2 A/AA rules, as pilar/core/tests/test_accessibility_browser.py checks every page.
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}


@pytest.fixture(autouse=True)
def march_2026():
    """Not the other verivali tests' March 2026: the browser keeps the session cookie by the
    real clock, so this round runs around today."""
    yield


@pytest.fixture
def field_round(actors, people, households, make_household, system_actor):
    """The round over kecamatan A and B: the PSM a1 has Pak Amir and Pak Rosna in 13.75.01.1001
    and, accompanying him, Pak Dodi in 13.75.01.1002."""
    from pilar.accounts.models import User

    User.objects.update(language="en")
    dodi = make_household("13.75.01.1002", head="Pak Dodi")
    casework.caseload_assign(
        by=system_actor,
        household=dodi,
        person=people["a1"],
        start_date=datetime.date(2025, 1, 2),
        confirm=True,
    )
    today = timezone.localdate()
    return services.round_open(
        by=Actor(user=actors["operator"]),
        data={
            "name": "Verivali uji",
            "period_start": today - datetime.timedelta(days=10),
            "period_end": today + datetime.timedelta(days=20),
        },
    )


def assert_axe_clean(page):
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations] == []


def open_household(page, name):
    page.get_by_role("link", name=re.compile(name)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


def save(page):
    page.get_by_role("button", name=re.compile("^Save the")).click()
    expect(page.locator(".messages")).to_contain_text("waits for the coordinator's review")


def test_a_round_on_the_phone(live_server, page, field_round, households):
    page.set_viewport_size(PHONE)
    url = live_server.url

    # The PSM: three households in two kelurahan.
    sign_in(page, url, "psm-a1")
    page.locator("nav.menu summary").click()
    page.locator("ul.rest").get_by_role("link", name="My verivali visits").click()
    expect(page.locator(".vv-visit")).to_have_count(3)
    expect(page.locator("main section h2")).to_have_count(2)
    expect(page.get_by_test_id("my-counts")).to_contain_text("To visit 3")

    # Data confirmed. The form passes axe (as the list, the review) and fits the phone.
    open_household(page, "Pak Amir")
    corrections = page.locator(".vv-part[data-kind=corrected]")
    expect(corrections).to_be_hidden()  # shown only for "data corrected"
    assert_axe_clean(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_label("data confirmed").check()
    save(page)

    # Decile and address corrected: the note says why the decile changed.
    open_household(page, "Pak Rosna")
    page.get_by_label("data corrected").check()
    expect(corrections).to_be_visible()
    expect(page.locator(".vv-part[data-kind=moved]")).to_be_hidden()
    page.get_by_label("Address", exact=True).fill("Jl. Merdeka No. 9")
    page.get_by_label("Welfare decile").select_option("7")
    page.get_by_label("Note").fill("Sudah punya warung dan motor")
    save(page)

    # Moved away.
    open_household(page, "Pak Dodi")
    page.get_by_label("moved away").check()
    page.get_by_label("Moved to where?").fill("Padang")
    save(page)
    expect(page.get_by_test_id("my-counts")).to_contain_text("Waiting for review 3")

    # The TKSK: accepts the correction, returns the move with a note.
    sign_in(page, url, "tksk-a")
    page.goto(f"{url}/verivali/review/")
    expect(page.get_by_test_id("review-count")).to_have_text("3 findings waiting")
    assert_axe_clean(page)
    rosna = page.locator(".vv-finding", has_text="Pak Rosna")
    expect(rosna.locator("table")).to_contain_text("Jl. Merdeka No. 9")
    expect(rosna.get_by_role("row", name=re.compile("Welfare decile"))).to_contain_text("7")
    rosna.get_by_role("button", name="Accept").click()
    expect(page.locator(".messages")).to_contain_text("Accepted")
    dodi = page.locator(".vv-finding", has_text="Pak Dodi")
    dodi.get_by_label("What should the pillar correct?").fill("Alamat lengkap di Padang?")
    dodi.get_by_role("button", name="Return to the pillar").click()
    expect(page.locator(".messages")).to_contain_text("Returned")
    expect(page.get_by_test_id("review-count")).to_have_text("1 finding waiting")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # The PSM sees the note, on the list and on the household's form.
    sign_in(page, url, "psm-a1")
    page.goto(f"{url}/verivali/my/")
    returned = page.locator(".vv-visit", has_text="Pak Dodi")
    expect(returned.get_by_test_id("returned-note")).to_contain_text("Alamat lengkap di Padang?")
    assert_axe_clean(page)
    open_household(page, "Pak Dodi")
    expect(page.get_by_test_id("review-note")).to_contain_text("Alamat lengkap di Padang?")
    expect(page.get_by_label("Moved to where?")).to_have_value("Padang")

    statuses = dict(Finding.objects.values_list("visit__household", "status"))
    rosna = households["h2"]
    assert statuses.pop(rosna.pk) == "accepted"
    assert sorted(statuses.values()) == ["returned", "submitted"]
    rosna.refresh_from_db()  # applied to the household's records
    assert (rosna.address, rosna.decile) == ("Jl. Merdeka No. 9", 7)

    # The office downloads the results: one row, the accepted correction's.
    sign_in(page, url, "operator1")
    page.goto(f"{url}/verivali/{field_round.pk}/")
    with page.expect_download() as download:
        page.get_by_test_id("results").click()
    sheet = CalamineWorkbook.from_path(download.value.path()).get_sheet_by_index(0).to_python()
    header, rows = sheet[0], [dict(zip(sheet[0], row, strict=True)) for row in sheet[1:]]
    assert header[:2] == ["ID DTSEN", "No KK"] and "Jenis Perubahan" in header
    assert [
        (r["No KK"], r["Nama"], r["Alamat"], int(r["Desil"]), r["Jenis Perubahan"]) for r in rows
    ] == [(rosna.kk_number, "Pak Rosna", "Jl. Merdeka No. 9", 7, "Data Dikoreksi")]
