"""axe-core in real Chromium: every page each demo role reaches, at phone width, has no
violation of the WCAG 2 A/AA rules (docs/ACCESSIBILITY.md says what is checked and how)."""

from __future__ import annotations

import hashlib
import io
import re
import time
from collections import deque
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command

import pilar.lib.kept
from pilar.tests_support import PASSWORD, PHONE, sign_in

pytestmark = pytest.mark.browser

# One user of each role in the demo (pilar/core/management/commands/demo.py, make_users).
DEMO_ROLES = {
    "admin": "admin",
    "operator": "operator",
    "approver": "kepala",
    "finance": "bendahara",
    "viewer": "viewer",
    "coordinator": "tksk-137501",
    "pillar (PSM)": "psm-001",
    "pillar (Tagana)": "tagana-004",
}
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
# Not followed: signing out, Django's own admin, the API, files (downloads, prints, photos).
SKIPPED = re.compile(
    r"^/(accounts/logout|admin|api|static|media)/"
    r"|/(download|pdf|xlsx|csv|print|photo|file|export)s?(/|$)"
    r"|\.(pdf|xlsx|xls|csv|zip|gz|json|png|jpe?g|svg)$"
)
FILE_QUERY = re.compile(r"(^|&)(format|download)=", re.IGNORECASE)
MAX_PAGES_PER_ROLE = 150  # far above what any role reaches: a runaway crawl fails
CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*"')


def page_shape(url: str) -> str:
    """A page's kind: its path with numbers as <n>. /pillars/12/ and /pillars/13/, or a list
    and its filtered or next pages, are one template with other data: one of them is checked."""
    return re.sub(r"/\d+(?=/|$)", "/<n>", urlsplit(url).path)


def same_site_links(page, origin: str) -> list[str]:
    # An SVG link's `href` is an object (SVGAnimatedString): read the attribute and resolve it.
    hrefs = page.eval_on_selector_all(
        "a[href]",
        "links => links.map(a => new URL(a.getAttribute('href'), document.baseURI).href)",
    )
    found = []
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != origin or SKIPPED.search(parts.path):
            continue
        if FILE_QUERY.search(parts.query):
            continue
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def describe(violations: list[dict], where: str) -> list[str]:
    lines = []
    for violation in violations:
        for node in violation["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"{where}: {violation['id']} ({violation['impact']}) at {target}")
    return lines


def check_role(
    page, origin: str, axe: Axe, checked: set[str], timings: list | None = None
) -> tuple[list[str], int, int]:
    """Visit every page shape reachable from the home page; run axe on each page whose main
    content was not already checked (for this role or another). Returns the violations, the
    pages visited and the pages checked."""
    problems: list[str] = []
    seen_shapes: set[str] = set()
    queue = deque(["/"])
    visited = ran = 0
    first = True
    while queue and visited < MAX_PAGES_PER_ROLE:
        path = queue.popleft()
        shape = page_shape(path)
        if shape in seen_shapes:
            continue
        seen_shapes.add(shape)
        began = time.monotonic()
        response = page.goto(origin + path)
        visited += 1
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        if response.status >= 400:  # a link the role is shown leads nowhere
            problems.append(f"{path}: HTTP {response.status}")
        main = page.locator("main")
        html = CSRF.sub(r"\1", main.inner_html()) if main.count() else page.content()
        key = hashlib.sha256(html.encode()).hexdigest()
        # The header and footer are the same on every page of a role: checked on its first.
        if first or key not in checked:
            checked.add(key)
            first = False
            ran += 1
            results = axe.run(page, options=AXE_OPTIONS)
            problems += describe(results.response["violations"], path)
        if timings is not None:
            timings.append((time.monotonic() - began, path))
        for link in same_site_links(page, origin):
            if page_shape(link) not in seen_shapes:
                queue.append(link)
    left = {page_shape(path) for path in queue} - seen_shapes
    if left:
        problems.append(f"crawl stopped at {visited} pages; not visited: {sorted(left)}")
    return problems, visited, ran


def test_every_page_of_every_demo_role_passes_axe_at_phone_width(
    live_server, page, capsys, monkeypatch
):
    # The tali kasih arrears (dashboard, arrears page) take seconds to count over the demo's
    # months on SQLite: kept per scope as for a province (pilar/lib/kept.py), they are counted
    # once per scope instead of once per role and page.
    monkeypatch.setattr(pilar.lib.kept, "estimated_rows", lambda queryset: 10**6)
    call_command("demo", password=PASSWORD, stdout=io.StringIO())
    page.set_viewport_size(PHONE)
    page.set_default_navigation_timeout(120_000)  # a page counting them on a busy machine
    axe = Axe()  # axe-core's script from the wheel, evaluated in the page: no network
    origin = live_server.url
    outside: list[str] = []  # no request leaves the test server, axe's included

    def only_local(route):
        if route.request.url.startswith(origin):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    started = time.monotonic()
    checked: set[str] = set()
    problems: list[str] = []
    summary = []
    timings: list[tuple[float, str]] = []
    for role, username in DEMO_ROLES.items():
        sign_in(page, origin, username)
        found, visited, ran = check_role(page, origin, axe, checked, timings)
        problems += [f"[{role}] {line}" for line in found]
        summary.append(f"{role}: {visited} pages visited, {ran} checked")
    slowest = ", ".join(f"{path} {seconds:.1f} s" for seconds, path in sorted(timings)[-3:])
    with capsys.disabled():
        print(f"\naxe: {'; '.join(summary)}; {time.monotonic() - started:.1f} s")
        print(f"axe: slowest pages (load + check): {slowest}")
    assert not problems, "axe violations:\n" + "\n".join(problems)
    assert not outside


def test_the_badge_of_a_month_not_due_is_readable(live_server, page, actors):
    """The month under way on "My reports" ("Belum waktunya") once had contrast 3.54:1."""
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, actors["pillar"].username)
    page.goto(f"{live_server.url}/reports/mine/")
    badge = page.locator(".badge-not_due").first
    assert badge.is_visible()
    results = Axe().run(
        page, options={"runOnly": ["color-contrast"], "resultTypes": ["violations"]}
    )
    assert describe(results.response["violations"], "/reports/mine/") == []


def test_a_wide_table_is_reached_by_keyboard_and_named(live_server, page, actors):
    """On a phone the headcount tables scroll sideways: Tab reaches each, and it has a name."""
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, actors["viewer"].username)
    page.goto(f"{live_server.url}/headcount/")
    regions = page.locator("div.scroll")
    names = regions.evaluate_all("els => els.map(e => e.getAttribute('aria-label'))")
    assert len(names) == 2 and all(names), names
    reached = set()
    for _ in range(60):  # the links and fields before and between them, then the two tables
        page.keyboard.press("Tab")
        reached.add(page.evaluate("document.activeElement.getAttribute('aria-label')"))
    assert set(names) <= reached
