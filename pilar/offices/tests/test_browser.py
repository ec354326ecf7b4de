"""Real Chromium: an administrator changes the office on a phone and on a desktop; the page
fits both widths and says what was saved."""

import io
import os
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from pilar.offices import current
from pilar.tests_support import PHONE, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("PILAR_SCREENSHOTS")  # a directory to keep screenshots in, when set
DESKTOP = {"width": 1280, "height": 800}


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def test_admin_changes_the_office_on_a_phone_and_a_desktop(live_server, page, actors, tmp_path):
    logo = tmp_path / "lambang.png"
    buffer = io.BytesIO()
    Image.new("RGB", (200, 240), (30, 90, 160)).save(buffer, "PNG")
    logo.write_bytes(buffer.getvalue())
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    sign_in(page, live_server.url, actors["admin"].username)

    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/office/")
    expect(page.get_by_role("heading", name="Office settings")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "office-settings-phone")
    page.get_by_label("head of office: name").fill("Dra. Rina Marlina, S.Sos, M.Si")
    page.get_by_label("head of office: NIP").fill("1970")
    page.locator("#id_logo").set_input_files(str(logo))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert").first).to_contain_text("Nothing was saved")
    expect(page.locator(".has-error")).to_contain_text("A NIP is 18 digits")
    shot(page, "office-settings-phone-error")

    page.set_viewport_size(DESKTOP)
    page.get_by_label("head of office: NIP").fill("19700512 199503 2 001")
    page.locator("#id_logo").set_input_files(str(logo))
    page.get_by_label("pay part of a month by the days served in it").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("Office settings saved")
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    shot(page, "office-settings-desktop")
    office = current()
    assert office.head_name == "Dra. Rina Marlina, S.Sos, M.Si" and office.stipend_prorate
    assert office.logo.name.endswith(".png")
