"""The header in real Chromium: one row on a phone with each role's daily links one tap away,
the rest behind "Menu" (with JavaScript and without), every link on a desktop."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from pilar.tests_support import PASSWORD

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
ROW = 64  # px: the most one row of the phone's header may take

# The demo's roles (README, "Quickstart") by the actors of pilar/conftest.py, with where their
# daily links lead.
DAILY = {
    "admin": ["/pillars/", "/reports/", "/stipends/"],
    "operator": ["/pillars/", "/reports/", "/stipends/"],
    "approver": ["/dashboard/", "/stipends/", "/headcount/"],
    "finance": ["/stipends/", "/dashboard/"],
    "coordinator_a": ["/reports/", "/caseload/", "/activities/new/"],
    "pillar": ["/activities/new/", "/reports/mine/", "/stipends/mine/"],
    "viewer": ["/dashboard/", "/headcount/"],
}


@pytest.fixture
def cast(actors):
    actors["admin"].is_staff = True  # as the demo's administrator: Settings too
    actors["admin"].save()
    return actors


def shoot(page, name: str) -> None:
    """Keep a screenshot to look at when NAV_SCREENSHOTS names a folder."""
    folder = os.environ.get("NAV_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{folder}/{name}.png")


def signed_in(browser, url: str, username: str, **options):
    """A new browser context signed in as `username` (the login form works without script)."""
    context = browser.new_context(**options)
    page = context.new_page()
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page.locator("header.top")).to_contain_text(username)
    return page


def box(locator) -> dict:
    found = locator.bounding_box()
    assert found is not None
    return found


@pytest.mark.parametrize("script", [True, False], ids=["script", "no-script"])
@pytest.mark.parametrize("who", list(DAILY))
def test_phone_header_is_one_row_with_the_daily_links_one_tap_away(
    live_server, browser, cast, who, script
):
    user = cast[who]
    page = signed_in(
        browser, live_server.url, user.username, viewport=PHONE, java_script_enabled=script
    )
    header = page.locator("header.top")
    menu = page.locator("nav.menu summary")
    daily = page.locator("nav.menu ul.daily a")
    rest = page.locator("nav.menu ul.rest a")
    shoot(page, f"{who}-390{'' if script else '-noscript'}")

    # One row: the brand, the daily links and Menu side by side, inside the screen's width.
    head = box(header)
    assert head["height"] <= ROW, head
    expect(page.get_by_role("navigation", name=re.compile("menu", re.I))).to_be_visible()
    expect(menu).to_be_visible()
    assert [link.get_attribute("href") for link in daily.all()] == DAILY[who]
    for item in [page.locator("header.top .brand"), menu, *daily.all()]:
        expect(item).to_be_visible()
        b = box(item)
        assert head["y"] <= b["y"] and b["y"] + b["height"] <= head["y"] + head["height"], b
        assert b["x"] >= 0 and b["x"] + b["width"] <= PHONE["width"], b
    expect(page.locator("nav.menu ul.all")).to_be_hidden()
    # The rest waits behind Menu.
    assert rest.count() > 0
    for link in rest.all():
        expect(link).to_be_hidden()
    expect(page.locator("nav.menu .more-panel button.logout")).to_be_hidden()

    # Each daily link: one tap, the right page.
    start = page.url
    for url in DAILY[who]:
        with page.expect_navigation() as navigation:
            page.locator(f"nav.menu ul.daily a[href='{url}']").click()
        assert navigation.value.status == 200, url
        assert page.url == f"{live_server.url}{url}"
        page.goto(start)

    # Menu is named, next in the keyboard's order after the daily links, and opens with Enter
    # to show the rest, Log out included.
    expect(menu).to_have_accessible_name("Menu")
    for _ in range(1 + len(DAILY[who]) + 1):  # the brand, the daily links, Menu
        page.keyboard.press("Tab")
    expect(menu).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("details.more")).to_have_attribute("open", "")
    for link in rest.all():
        expect(link).to_be_visible()
    logout = page.locator("nav.menu .more-panel button.logout")
    expect(logout).to_be_visible()
    shoot(page, f"{who}-390-menu{'' if script else '-noscript'}")
    # And one of the rest leads to its page.
    other = rest.first
    target = other.get_attribute("href")
    with page.expect_navigation() as navigation:
        other.click()
    assert navigation.value.status == 200
    assert page.url == f"{live_server.url}{target}"
    # The panel closes with the page left; Log out is two taps away.
    expect(rest.first).to_be_hidden()
    menu.click()
    logout.click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.context.close()


@pytest.mark.parametrize("who", list(DAILY))
def test_desktop_shows_every_link(live_server, browser, cast, who):
    user = cast[who]
    page = signed_in(browser, live_server.url, user.username, viewport=DESKTOP)
    shoot(page, f"{who}-1280")
    expect(page.locator("nav.menu summary")).to_be_hidden()
    expect(page.locator("nav.menu ul.daily")).to_be_hidden()
    links = page.locator("nav.menu ul.all a")
    assert links.count() == len(DAILY[who]) + page.locator("nav.menu ul.rest a").count()
    for link in links.all():
        expect(link).to_be_visible()
    expect(page.locator("nav.menu ul.all button.logout")).to_be_visible()
    # The visible menu has each link once.
    hrefs = [link.get_attribute("href") for link in page.locator("nav.menu a:visible").all()]
    assert len(hrefs) == len(set(hrefs)) == links.count()
    with page.expect_navigation() as navigation:
        links.last.click()
    assert navigation.value.status == 200
    page.context.close()


def test_language_switch_stays_reachable_on_a_phone(live_server, browser, cast):
    page = signed_in(browser, live_server.url, cast["pillar"].username, viewport=PHONE)
    expect(page.locator("nav.menu summary")).to_have_text("Menu")
    page.get_by_role("button", name="English").click()
    expect(page.locator("ul.daily")).to_contain_text("My reports")
    page.get_by_role("button", name="Bahasa Indonesia").click()
    expect(page.locator("ul.daily")).to_contain_text("Laporan saya")
    page.context.close()
