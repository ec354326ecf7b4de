"""Real Chromium at phone width: upload a messy DTSEN extract, check the columns and the date,
read the preview, save, and find the households in the household list."""

from __future__ import annotations

import datetime
import os
import random

import pytest
from playwright.sync_api import expect

from pilar.audit.services import Actor
from pilar.casework import services as casework
from pilar.casework.models import Household, HouseholdMember
from pilar.dtsen.tests.web_support import extract_bytes, forget, make_family
from pilar.tests_support import PHONE, run_task_worker, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("PILAR_SCREENSHOTS")  # a directory to keep screenshots in, when set


def shoot(page, name: str) -> None:
    if not SHOTS:
        return
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 844})
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
    page.set_viewport_size(PHONE)


def test_upload_mapping_preview_commit_at_phone_width(live_server, page, actors, people, tmp_path):
    families = [make_family("13.75.01.1001", members=4), make_family("13.75.02.1001", members=2)]
    kept = make_family("13.75.01.1002", members=3)  # in the office and in the extract
    path = tmp_path / "ekstrak-dtsen-juni.xlsx"
    path.write_bytes(extract_bytes(Household.objects.order_by("pk"), messy=random.Random(5)))
    names = sorted(HouseholdMember.objects.exclude(household=kept).values_list("name", flat=True))
    forget(families)
    # Accompanied by a1, not in the extract: it waits for the operator's decision.
    gone = make_family("13.75.01.1001", members=2)
    casework.caseload_assign(
        by=Actor.system(), household=gone, person=people["a1"], start_date=datetime.date(2024, 1, 2)
    )

    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, actors["operator"].username)
    page.goto(f"{live_server.url}/imports/")
    page.locator("[data-testid=dtsen-link]").click()
    page.set_input_files("#id_file", str(path))
    shoot(page, "dtsen-list")
    page.locator("[data-testid=upload-form] button[type=submit]").click()

    mapping = page.locator("[data-testid=mapping]")
    selects = mapping.locator("select")
    recognised = [selects.nth(i).input_value() for i in range(selects.count())]
    assert recognised == [
        "dtsen_id",
        "kk_number",
        "nik",
        "name",
        "relation",
        "sex",
        "birth_date",
        "address",
        "rt_rw",
        "area_code",
        "kelurahan",
        "kecamatan",
        "decile",
    ]
    expect(page.locator("#id_header_row")).to_have_value("3")  # below the title
    page.fill("#id_as_of", "2025-06-30")
    shoot(page, "dtsen-mapping")
    page.locator("[data-testid=check]").click()
    expect(page.locator("[data-testid=progress]")).to_be_visible()
    run_task_worker()
    # The page follows the check by itself and turns into the preview.
    expect(page.locator("[data-testid=summary]")).to_be_visible(timeout=15000)
    expect(page.locator("[data-testid=count-new]")).to_have_text("2")
    expect(page.locator("[data-testid=count-unchanged]")).to_have_text("1")
    expect(page.locator("[data-testid=count-rejected]")).to_have_text("0")
    expect(page.locator("[data-testid=count-missing]")).to_have_text("1")
    table = page.locator("[data-testid=households]")
    expect(table.locator("[data-testid=household-new]")).to_have_count(2)
    expect(table).to_contain_text(names[0])
    # The table fits the phone: no sideways scrolling of the page itself.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert Household.objects.count() == 2
    shoot(page, "dtsen-preview")

    # Saving is refused until the accompanied household is decided on.
    decisions = page.locator("[data-testid=decisions]")
    expect(decisions.locator("[data-testid=undecided]")).to_be_visible()
    decisions.locator("input[value=keep]").check()
    decisions.locator("[data-testid=decide]").click()
    expect(page.locator("[data-testid=undecided]")).to_have_count(0)
    page.locator("[data-testid=commit]").click()
    run_task_worker()
    expect(page.locator("[data-testid=undo]")).to_be_visible(timeout=15000)
    assert Household.objects.filter(status="active").count() == 4
    shoot(page, "dtsen-saved")

    page.goto(f"{live_server.url}/households/")
    expect(page.locator("[data-testid=result-count]")).to_contain_text("4")
    expect(page.locator("[data-testid=extract-download]")).to_be_visible()
    expect(page.locator("table.grid")).to_contain_text(
        HouseholdMember.objects.get(name=names[0]).household.area.name
    )
