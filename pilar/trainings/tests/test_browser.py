"""Real Chromium at a phone's width: the operator takes attendance and records results."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from pilar.accounts.models import User
from pilar.tests_support import PHONE, sign_in
from pilar.trainings.models import Attendance, Participant
from pilar.trainings.tests.conftest import FIRST_DAY

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_operator_takes_attendance_on_a_phone(live_server, page, actors, event, invited):
    shots = os.environ.get("TRAININGS_SCREENSHOTS")  # a folder: keep screenshots to look at
    User.objects.update(language="en")
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, actors["operator"].username)
    page.goto(f"{live_server.url}/trainings/events/{event.pk}/")
    page.get_by_role("link", name="Attendance 21 Oct").click()
    checklist = page.locator("[data-testid=checklist]")
    expect(checklist.locator("li")).to_have_count(3)
    # Everyone present in one tap, then untick the one who left early.
    page.get_by_role("button", name="Mark all present").click()
    expect(page.locator("[data-testid=present-count]")).to_contain_text("3 of 3")
    page.get_by_label(invited["b1"].person.name).uncheck()
    page.get_by_role("button", name="Save attendance").click()
    expect(page.locator("[data-testid=present-count]")).to_contain_text("2 of 3")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    if shots:
        page.screenshot(path=f"{shots}/attendance-390.png", full_page=True)
    assert set(
        Attendance.objects.filter(day=FIRST_DAY).values_list("participant_id", flat=True)
    ) == {
        invited["a1"].pk,
        invited["a2"].pk,
    }
    # Results: the shortcut passes those who attended.
    page.goto(f"{live_server.url}/trainings/events/{event.pk}/results/")
    page.get_by_role("button", name="All who attended passed").click()
    expect(page.locator("[data-testid=counts]")).to_contain_text("2 passed")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    if shots:
        page.screenshot(path=f"{shots}/event-390.png", full_page=True)
    assert Participant.objects.get(pk=invited["b1"].pk).result == "pending"
