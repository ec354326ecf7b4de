"""The province's dashboard in real Chromium: on a phone the page does not scroll sideways (each
table scrolls in its own region), on a desktop every column shows."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from pilar.accounts.tests.test_menu_browser import DESKTOP, PHONE, shoot, signed_in
from pilar.dashboard.tests.test_province import add_kota, two_kota, users  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_province_page_on_a_phone_and_a_desktop(browser, live_server, two_kota, users):  # noqa: F811
    add_kota(["13.71", "13.72", "13.73"])
    for name, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page = signed_in(browser, live_server.url, "prov-viewer", viewport=size)
        page.goto(f"{live_server.url}/dashboard/")
        expect(page.get_by_test_id("total-casework")).to_contain_text("6")
        expect(page.get_by_test_id("office-13.74")).to_contain_text("Kota Padang Panjang")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= size["width"], name
        shoot(page, f"province-{name}")
        page.context.close()
