"""The outbox in real Chromium (docs/FIELD.md): a pillar records with no signal, the phone keeps
the items through a closed page, a lost answer and a sign-out, and the server gets each once."""

import datetime
import io
import re

import pytest
from PIL import Image
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from pilar.accounts.models import PushSubscription
from pilar.accounts.tests.test_push_browser import FAKE_PUSH_MANAGER
from pilar.casework.models import Activity, Caseload
from pilar.tests_support import PHONE, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DAY = "2024-11-18"  # the server's clock stands on 20 November 2024 (conftest.py)


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 120, 160)).save(out, "JPEG")
    return out.getvalue()


def record_activity(page, home_visit, household: str, notes: str, *, photo: bool = False):
    """Fill and save the activity form already open in `page`. The last message goes first, so
    that the caller's wait for "Saved…" waits for this save's own."""
    page.evaluate("document.querySelectorAll('.messages').forEach((m) => m.remove())")
    page.select_option("#id_activity_type", label=home_visit.name)
    page.fill("#id_date", DAY)
    page.get_by_label(re.compile(household)).check()
    page.fill("#id_notes", notes)
    if photo:
        page.set_input_files(
            "#id_photo", files=[{"name": "rumah.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}]
        )
    page.get_by_role("button", name="Save", exact=True).click()


def offline_form(browser, url: str, username: str = "psm-a1"):
    """A phone (its service worker blocked, so that page.route sees every request) signed in
    as `username`, on the activity form, then without signal."""
    context = browser.new_context(viewport=PHONE, service_workers="block")
    page = context.new_page()
    sign_in(page, url, username)
    page.goto(f"{url}/activities/new/")
    context.set_offline(True)
    return context, page


def status(page):
    return page.locator("[data-outbox-status]")


def test_offline_record_close_reopen_and_sync_exactly_two(
    live_server, browser, actors, caseload, home_visit
):
    url = live_server.url
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    sign_in(page, url, "psm-a1")
    page.goto(f"{url}/field/")
    # The service worker installs and keeps the pillar's pages.
    expect(page.locator("[data-cached]")).to_contain_text("copies of 6 pages", timeout=15000)

    context.set_offline(True)
    page.goto(f"{url}/activities/new/")
    expect(page.locator("[data-offline-banner]")).to_contain_text("Offline — data as of")
    record_activity(page, home_visit, "Pak Amir", "Kunjungan tanpa sinyal", photo=True)
    expect(page.locator(".messages")).to_contain_text("Saved on this phone")
    record_activity(page, home_visit, "Ibu Rosna", "Kunjungan kedua", photo=True)
    expect(page.locator(".messages")).to_contain_text("Saved on this phone")
    page.close()

    # The phone's page closed; opened again from the home screen with still no signal.
    page = context.new_page()
    page.goto(f"{url}/field/")
    expect(page.locator("[data-offline-banner]")).to_be_visible()
    expect(page.locator("[data-list=waiting] > li")).to_have_count(2)
    expect(status(page)).to_contain_text("2")
    assert Activity.objects.count() == 0

    context.set_offline(False)
    page.get_by_role("button", name="Sync now").click()
    expect(page.locator("[data-list=accepted] > li")).to_have_count(2, timeout=15000)
    expect(status(page)).to_contain_text("Everything is sent.")
    activities = list(Activity.objects.order_by("pk"))
    assert [a.notes for a in activities] == ["Kunjungan tanpa sinyal", "Kunjungan kedua"]
    assert all(a.photo for a in activities)
    context.close()


def test_a_lost_answer_sent_again_is_received_once(
    live_server, browser, actors, caseload, home_visit
):
    url = live_server.url
    context = browser.new_context(viewport=PHONE, service_workers="block")
    page = context.new_page()
    sign_in(page, url, "psm-a1")
    page.goto(f"{url}/activities/new/")

    def lose_the_answer(route):
        route.fetch()  # the server receives the item and answers...
        route.abort()  # ...but the phone never hears it

    page.route("**/field/sync/", lose_the_answer)
    record_activity(page, home_visit, "Pak Amir", "Jawaban hilang")
    expect(page.locator(".messages")).to_contain_text("Saved on this phone")
    assert Activity.objects.count() == 1
    page.unroute("**/field/sync/")

    page.goto(f"{url}/field/")
    page.get_by_role("button", name="Sync now").click()
    accepted = page.locator("[data-list=accepted] > li")
    expect(accepted).to_have_count(1, timeout=15000)
    expect(accepted).to_contain_text("already received before")
    assert Activity.objects.count() == 1
    context.close()


def test_a_refused_item_shows_the_reason_and_can_be_discarded(
    live_server, browser, actors, caseload, home_visit, system_actor
):
    from pilar.casework import services

    url = live_server.url
    context, page = offline_form(browser, url)
    record_activity(page, home_visit, "Pak Amir", "Rumah sudah pindah")
    expect(page.locator(".messages")).to_contain_text("Saved on this phone")

    # Meanwhile the office takes the household out of the pillar's caseload.
    services.caseload_end(
        by=system_actor,
        caseload=Caseload.objects.get(household=caseload["h1"]),
        end_date=datetime.date(2024, 11, 1),
        reason="Pindah domisili",
    )
    context.set_offline(False)
    page.goto(f"{url}/field/")
    refused = page.locator("[data-list=refused] > li")
    expect(refused).to_have_count(1, timeout=15000)
    expect(refused).to_contain_text("caseload")
    assert Activity.objects.count() == 0
    expect(refused.get_by_role("link", name="Fix")).to_be_visible()

    page.once("dialog", lambda dialog: dialog.accept())
    refused.get_by_role("button", name="Discard").click()
    expect(refused).to_have_count(0)
    expect(status(page)).to_contain_text("Nothing waits to be sent.")
    context.close()


def test_items_left_at_sign_out_are_sent_after_signing_in_again(
    live_server, browser, actors, caseload, home_visit
):
    url = live_server.url
    context, page = offline_form(browser, url)
    record_activity(page, home_visit, "Ibu Rosna", "Dicatat sebelum keluar")
    expect(page.locator(".messages")).to_contain_text("Saved on this phone")
    # The signal returns too weak to send anything (every try fails) — long enough to sign out.
    page.route("**/field/sync/", lambda route: route.abort())
    context.set_offline(False)

    # Signing out warns that one item has not been sent; the pillar signs out anyway.
    warnings = []
    page.once("dialog", lambda dialog: (warnings.append(dialog.message), dialog.accept()))
    page.locator("details.more summary").click()
    page.locator(".more-panel").get_by_role("button", name=re.compile("Log out")).click()
    expect(page.locator("#id_username")).to_be_visible()
    assert "1 item recorded on this phone has not been sent" in warnings[0]
    assert Activity.objects.count() == 0

    page.unroute("**/field/sync/")
    page.fill("#id_username", "psm-a1")
    page.fill("#id_password", "correct-horse-battery")
    page.locator("form button[type=submit]").click()
    page.goto(f"{url}/field/")
    expect(page.locator("[data-list=accepted] > li")).to_have_count(1, timeout=15000)
    assert Activity.objects.get().notes == "Dicatat sebelum keluar"
    context.close()


def test_a_photo_too_large_is_refused_on_the_phone_before_it_waits(
    live_server, browser, actors, caseload, home_visit, settings
):
    settings.PILAR_PHOTO_MAX_BYTES = 2000
    url = live_server.url
    context = browser.new_context(viewport=PHONE, service_workers="block")
    page = context.new_page()
    sign_in(page, url, "psm-a1")
    page.goto(f"{url}/activities/new/")
    record_activity(page, home_visit, "Pak Amir", "Foto terlalu besar", photo=True)
    photo_field = page.locator(".field.has-error", has=page.locator("#id_photo"))
    expect(photo_field).to_contain_text("Photo: this photo is")
    expect(photo_field).to_contain_text("Take it again at a lower resolution")
    assert page.evaluate("PilarOutbox.store.all().then((items) => items.length)") == 0
    assert Activity.objects.count() == 0
    context.close()


def sign_out(page):
    page.locator("details.more summary").click()
    page.locator(".more-panel").get_by_role("button", name=re.compile("Log out")).click()
    expect(page.locator("#id_username")).to_be_visible()


def test_sign_out_turns_this_browsers_push_off_though_another_session_turned_it_on(
    live_server, browser, actors
):
    url = live_server.url
    endpoint = "https://push.example.test/send/phone-1"
    # Push was turned on in an earlier session: the browser holds the subscription, the server
    # its row; this session's cookie knows nothing of it.
    PushSubscription.objects.create(user=actors["pillar"], endpoint=endpoint, p256dh="k", auth="a")
    context = browser.new_context(viewport=PHONE)
    context.add_init_script(FAKE_PUSH_MANAGER % f'{{"endpoint": "{endpoint}"}}')
    page = context.new_page()
    sign_in(page, url, "psm-a1")
    page.goto(f"{url}/field/")
    page.evaluate("navigator.serviceWorker.ready")
    page.evaluate("localStorage.setItem('fake-push', '[4, 2]')")  # the browser's subscription

    sign_out(page)
    assert not PushSubscription.objects.filter(user=actors["pillar"]).exists()
    assert page.evaluate("localStorage.getItem('fake-push')") is None  # unsubscribed here too
    context.close()


def test_an_operators_pages_are_never_stored_and_their_push_switch_works(
    live_server, browser, actors, settings, tmp_path
):
    settings.DATA_DIR = tmp_path
    settings.PILAR_VAPID_PRIVATE_KEY = ""
    url = live_server.url.replace("127.0.0.1", "localhost")  # a secure context, as HTTPS is
    context = browser.new_context(viewport=PHONE)
    context.grant_permissions(["notifications"], origin=url)
    page = context.new_page()
    sign_in(page, url, "operator1")
    page.goto(f"{url}/households/")
    page.evaluate("navigator.serviceWorker.ready")  # registered for them too (web push)
    page.goto(f"{url}/households/")  # now through the worker
    expect(page.locator("main")).to_be_visible()
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    assert (
        page.evaluate("caches.open('pilar-pages').then((c) => c.keys()).then((k) => k.length)") == 0
    )

    context.set_offline(True)
    with pytest.raises(PlaywrightError):
        page.goto(f"{url}/households/")  # no stored copy of it is served
    context.set_offline(False)

    # The push switch finds the worker ready.
    page.goto(f"{url}/notices/settings/")
    expect(page.locator("[data-push-toggle]")).to_have_text("Turn on notifications on this phone")
    context.close()


def test_an_item_the_server_keeps_failing_steps_aside_for_the_next(
    live_server, browser, actors, caseload, home_visit
):
    url = live_server.url
    context, page = offline_form(browser, url)
    record_activity(page, home_visit, "Pak Amir", "Pertama")
    expect(page.locator(".messages")).to_contain_text("Saved on this phone")
    record_activity(page, home_visit, "Ibu Rosna", "Kedua")
    expect(page.locator(".messages")).to_contain_text("Saved on this phone")

    failures = []

    def trouble(route):
        if b"Pertama" in (route.request.post_data_buffer or b""):
            failures.append(1)
            route.fulfill(status=500, content_type="text/html", body="<h1>Server Error</h1>")
        else:
            route.continue_()

    page.route("**/field/sync/", trouble)
    context.set_offline(False)
    page.goto(f"{url}/field/")
    accepted = page.locator("[data-list=accepted] > li")
    for _ in range(30):  # each sync stops at the first item, until it steps aside
        if accepted.count():
            break
        page.get_by_role("button", name="Sync now").click()
        page.wait_for_timeout(300)
    expect(accepted).to_have_count(1)
    assert len(failures) >= 3
    assert Activity.objects.get().notes == "Kedua"
    waiting = page.locator("[data-list=waiting] > li")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text("Server error — will be tried again later.")
    context.close()


def test_an_item_of_another_user_keeps_waiting(live_server, browser, actors, caseload, home_visit):
    url = live_server.url
    context, page = offline_form(browser, url)
    record_activity(page, home_visit, "Pak Amir", "Dicatat oleh orang lain")
    expect(page.locator(".messages")).to_contain_text("Saved on this phone")
    # The server says another user is signed in than the one who recorded it (the lead's 409).
    page.route(
        "**/field/sync/",
        lambda route: route.fulfill(
            status=409,
            content_type="application/json",
            body='{"status": "other_user", "message": "Recorded by another user."}',
        ),
    )
    context.set_offline(False)
    page.goto(f"{url}/field/")
    expect(page.locator("[data-other-user]")).to_have_text(
        "1 item waits for another user to sign in.", timeout=15000
    )
    expect(page.locator("[data-list=refused] > li")).to_have_count(0)
    expect(page.locator("[data-list=waiting] > li")).to_have_count(1)
    context.close()


OLD_COPY = """(path) => caches.open("pilar-pages").then((cache) => cache.match(path)
  .then((copy) => copy.text()).then((text) => cache.put(path, new Response(text, {headers: {
    "Content-Type": "text/html; charset=utf-8", "X-Pilar-Kept": "2024-01-01T00:00:00Z"}}))))"""


def test_a_copy_older_than_the_offline_days_is_deleted_not_served(live_server, browser, actors):
    url = live_server.url
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    sign_in(page, url, "psm-a1")
    page.goto(f"{url}/field/")
    expect(page.locator("[data-cached]")).to_contain_text("copies of 6 pages", timeout=15000)
    for path in ["/households/", "/field/"]:
        page.evaluate(OLD_COPY, path)  # as if stored more than PILAR_OFFLINE_DAYS ago

    context.set_offline(True)
    with pytest.raises(PlaywrightError):
        page.goto(f"{url}/households/")
    context.set_offline(False)
    page.goto(f"{url}/static/pilar/favicon.svg")  # a page of the site that is never stored
    kept = page.evaluate(
        "caches.open('pilar-pages').then((c) => c.keys()).then((k) => k.map((r) => r.url))"
    )
    assert f"{url}/households/" not in kept and f"{url}/field/" not in kept
    assert f"{url}/reports/mine/" in kept  # the fresh ones stay
    context.close()
