"""Real Chromium under the Content-Security-Policy: the key pages work and nothing is refused."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from pilar.imports.models import Import
from pilar.offices import current
from pilar.tests_support import sign_in

pytestmark = pytest.mark.browser

# Every refusal also reaches the console through this listener (Chromium logs most on its own).
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI);
});
"""


@pytest.fixture
def csp_errors(page):
    errors: list[str] = []
    page.add_init_script(REPORT_VIOLATIONS)

    def on_console(message):
        text = message.text
        if "Content Security Policy" in text or "CSP violation" in text:
            errors.append(f"{page.url}: {text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    return errors


def make_import(actors, status: str) -> Import:
    return Import.objects.create(
        office=current(),
        file="imports/2024/daftar.xlsx",
        filename="daftar.xlsx",
        size=1,
        sha256="0" * 64,
        file_format="xlsx",
        status=status,
        progress_total=10,
        summary={"rows": 4, "new": 3, "updated": 1, "unchanged": 0, "rejected": 0},
        created_by=actors["operator"],
        heartbeat_at=timezone.now(),  # its worker is alive: the page polls its progress
    )


def test_key_pages_work_under_the_policy(live_server, page, actors, people, csp_errors):
    url = live_server.url
    page.goto(f"{url}/accounts/login/")
    expect(page.locator("#id_username")).to_be_visible()
    sign_in(page, url, actors["admin"].username)

    page.goto(f"{url}/pillars/")
    expect(page.locator("table.people tbody tr").first).to_be_visible()
    page.goto(f"{url}/households/")
    expect(page.locator("h1")).to_be_visible()
    page.goto(f"{url}/dashboard/")
    expect(page.locator("main h1")).to_be_visible()
    page.goto(f"{url}/headcount/")
    bar = page.locator("svg.bar").first
    expect(bar).to_be_visible()
    assert bar.bounding_box()["height"] > 5  # drawn by the stylesheet, not a style attribute

    page.goto(f"{url}/households/new/")  # a form
    expect(page.locator("form button[type=submit]").last).to_be_visible()

    # htmx (from our static files) polls a running import's progress.
    running = make_import(actors, Import.Status.CHECKING)
    with page.expect_response(lambda r: r.url.endswith(f"/imports/{running.pk}/progress/")):
        page.goto(f"{url}/imports/{running.pk}/")
    assert page.evaluate("typeof htmx") == "object"
    assert page.evaluate("htmx.config.includeIndicatorStyles") is False

    # The undo button asks first (confirm.js, not an inline handler): dismissed, nothing sent.
    saved = make_import(actors, Import.Status.COMMITTED)
    page.goto(f"{url}/imports/{saved.pk}/")
    expect(page.locator("[data-testid=summary] svg.bar").first).to_be_visible()
    asked: list[str] = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.locator("[data-testid=undo]").click()
    expect(page.locator("[data-testid=undo]")).to_be_visible()
    assert len(asked) == 1
    saved.refresh_from_db()
    assert saved.status == Import.Status.COMMITTED

    # The API's docs: Swagger UI from django-ninja's own files, under the docs' policy.
    page.goto(f"{url}/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Pilar API")

    assert csp_errors == []
