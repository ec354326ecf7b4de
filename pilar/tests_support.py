"""Helpers shared by tests (not a test module)."""

from django.test import Client

PASSWORD = "correct-horse-battery"  # noqa: S105 (test users only)


def login(client: Client, user, password: str = PASSWORD) -> None:
    """Sign `client` in as `user` (a User or a username)."""
    username = getattr(user, "username", user)
    assert client.login(username=username, password=password), f"cannot log in as {username}"


def run_task_worker() -> None:
    """Process the queued background tasks as `pilar serve`'s worker does, then return."""
    from django.core.management import call_command

    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)


PHONE = {"width": 390, "height": 844}


def sign_in(page, url: str, username: str) -> None:
    """Sign a Playwright `page` in at the live server `url` as `username`."""
    from playwright.sync_api import expect

    page.context.clear_cookies()
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page.locator("header.top")).to_contain_text(username)


def english_messages(request):
    """A fixture body (a generator): messages in English — in the services, and in pages and
    API answers (which speak each user's language) once the `actors` fixture is in use. Apps
    whose tests read English messages register it in their conftest with
    `english = pytest.fixture(autouse=True, name="english")(english_messages)`; the
    Indonesian catalog is checked on its own (pilar/core/tests/test_translations.py)."""
    from django.core.signals import request_finished
    from django.utils import translation

    def back_to_english(**kwargs):
        # A request through the test client runs in this thread and leaves it in the language
        # the request chose (or none: the office's Indonesian); services called after it speak
        # English again.
        translation.activate("en")

    with translation.override("en"):
        if "actors" in request.fixturenames:
            from pilar.accounts.models import User

            request.getfixturevalue("actors")
            User.objects.update(language="en")
        request_finished.connect(back_to_english, weak=False, dispatch_uid="english-messages")
        try:
            yield
        finally:
            request_finished.disconnect(dispatch_uid="english-messages")
