"""Web push in real Chromium: the switch turns notifications on through push.js, the server
sends an encrypted message, and Pilar's service worker shows it.

Chromium's pushManager.subscribe() needs Google's push service (the network), so the test
plays the browser's push subscription (an init script hands push.js a subscription to the local
push service of test_push.py, with keys the test holds), and delivers the message it decrypted
to the service worker through the DevTools protocol (ServiceWorker.deliverPushMessage)."""

from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import expect

from pilar.accounts import push
from pilar.accounts.models import PushSubscription
from pilar.accounts.tests.test_menu_browser import shoot, signed_in
from pilar.accounts.tests.test_push import NOTICE, PushService
from pilar.lib.tests.pushphone import Phone
from pilar.tests_support import PHONE, english_messages

pytestmark = pytest.mark.browser
english = pytest.fixture(autouse=True, name="english")(english_messages)

FAKE_PUSH_MANAGER = """
(() => {
  // The browser keeps its subscription across reloads: so does this one (in localStorage).
  const SUB = %s;
  function made(key) {
    return {
      endpoint: SUB.endpoint,
      options: { userVisibleOnly: true, applicationServerKey: new Uint8Array(key).buffer },
      toJSON() { return SUB; },
      unsubscribe() { localStorage.removeItem("fake-push"); return Promise.resolve(true); },
    };
  }
  PushManager.prototype.getSubscription = function () {
    const key = localStorage.getItem("fake-push");
    return Promise.resolve(key ? made(JSON.parse(key)) : null);
  };
  PushManager.prototype.subscribe = function (options) {
    const key = Array.from(new Uint8Array(options.applicationServerKey));
    localStorage.setItem("fake-push", JSON.stringify(key));
    return Promise.resolve(made(key));
  };
})();
"""

NOTIFICATIONS = """() => navigator.serviceWorker.ready
  .then((r) => r.getNotifications())
  .then((all) => all.map((n) => ({title: n.title, body: n.body, tag: n.tag, data: n.data})))"""


@pytest.fixture
def service(settings, tmp_path):
    running = PushService()
    settings.DATA_DIR = tmp_path
    settings.PILAR_VAPID_PRIVATE_KEY = ""
    settings.PILAR_PUSH_HOSTS = [*settings.PILAR_PUSH_HOSTS, running.origin]
    yield running
    running.stop()


def test_turn_on_send_and_see_the_notification(browser, live_server, actors, service):
    url = live_server.url.replace("127.0.0.1", "localhost")  # a secure context, as HTTPS is
    phone = Phone()
    page = signed_in(browser, url, "psm-a1", viewport=PHONE)
    page.context.grant_permissions(["notifications"], origin=url)
    page.context.add_init_script(
        FAKE_PUSH_MANAGER % json.dumps(phone.subscription(service.endpoint("phone")))
    )
    cdp = page.context.new_cdp_session(page)
    registrations = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda e: registrations.extend(e["registrations"]),
    )
    cdp.send("ServiceWorker.enable")

    # The reminder settings hold the switch; the offline app's own worker (registered on a
    # pillar's pages, docs/FIELD.md) carries web push's handlers.
    page.goto(f"{url}/notices/settings/")
    toggle = page.locator("[data-push-toggle]")
    expect(toggle).to_have_text("Turn on notifications on this phone")
    shoot(page, "push-off-phone")
    toggle.click()
    expect(toggle).to_have_text("Turn off notifications on this phone")
    expect(page.locator("[data-push-state]")).to_have_text("Notifications are on for this phone.")
    shoot(page, "push-on-phone")
    row = PushSubscription.objects.get()
    assert (row.user, row.endpoint) == (actors["pillar"], service.endpoint("phone"))

    # A reload asks the server: still on, for this user, on this phone.
    page.reload()
    expect(toggle).to_have_text("Turn off notifications on this phone")

    assert push.send_to_user(actors["pillar"], **NOTICE) == 1
    message = phone.read(service.requests[0]["body"])
    registration = None
    deadline = time.monotonic() + 10
    while registration is None and time.monotonic() < deadline:
        page.wait_for_timeout(50)  # lets Playwright take the DevTools events in
        registration = next((r for r in registrations if r["scopeURL"] == f"{url}/"), None)
    assert registration, registrations
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": url,
            "registrationId": registration["registrationId"],
            "data": json.dumps(message),
        },
    )
    deadline = time.monotonic() + 10
    shown = []
    while not shown and time.monotonic() < deadline:
        page.wait_for_timeout(50)
        shown = page.evaluate(NOTIFICATIONS)
    assert shown == [
        {
            "title": NOTICE["title"],
            "body": NOTICE["body"],
            "tag": NOTICE["tag"],
            "data": {"url": f"{url}{NOTICE['url']}"},
        }
    ]

    toggle.click()
    expect(toggle).to_have_text("Turn on notifications on this phone")
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize(
    ("init", "why"),
    [
        ("Object.defineProperty(Notification, 'permission', {get: () => 'denied'});", "denied"),
        ("delete window.PushManager;", "unsupported"),
    ],
)
def test_a_browser_that_cannot_is_told_why(browser, live_server, actors, service, init, why):
    url = live_server.url.replace("127.0.0.1", "localhost")
    page = signed_in(browser, url, "psm-a1", viewport=PHONE)
    page.context.add_init_script(init)
    page.goto(f"{url}/notices/settings/")
    expect(page.locator(f"[data-push-{why}]")).to_be_visible()
    expect(page.locator("[data-push-toggle]")).to_be_hidden()
    shoot(page, f"push-{why}-phone")
