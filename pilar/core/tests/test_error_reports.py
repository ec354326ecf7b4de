"""An unexpected error: the user sees an id to quote; Sentry or the administrators' mail learn
where the code failed and under which request id, never whom it concerned."""

import json
import logging

import pytest
import sentry_sdk
from django.core import mail
from sentry_sdk.transport import Transport

from pilar.core.errors import init_sentry

pytestmark = [pytest.mark.urls("pilar.core.tests.urls_failing"), pytest.mark.django_db]

NIK = "1375015506850007"
PHONE = "0812-7766-5544"
NAME = "Ratna Kartikasari"
EMAIL = "ratna.k@example.com"
FORM = "application/x-www-form-urlencoded"


class Captured(Transport):
    """Keeps every event in memory instead of sending it anywhere."""

    events: list = []

    def capture_envelope(self, envelope):
        for item in envelope.items:
            if item.type in ("event", "transaction"):
                Captured.events.append(item.payload.json)


@pytest.fixture
def person(make_person):
    return make_person(NAME, nik=NIK, phone=PHONE, email=EMAIL)


def fail(client, person, **headers):
    client.raise_request_exception = False
    client.cookies["pilar_note"] = NIK
    return client.post(
        f"/failing/{person.pk}/?nik={NIK}&q={NAME.replace(' ', '+')}",
        {"name": NAME, "nik": NIK, "phone": PHONE, "email": EMAIL},
        **headers,
    )


def test_the_error_page_shows_the_request_id(client, person, settings):
    settings.DEBUG = False
    response = fail(client, person)
    assert response.status_code == 500
    request_id = response.headers["X-Request-ID"]
    page = response.content.decode()
    assert request_id in page and "Something went wrong" in page
    for secret in (NAME, NIK, "Traceback", "ValueError"):
        assert secret not in page


@pytest.fixture
def sentry():
    Captured.events = []
    init_sentry("https://public@sentry.example.invalid/1", transport=Captured)
    yield Captured.events
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)


def test_sentry_gets_the_place_and_the_request_id_but_no_personal_data(client, person, sentry):
    response = fail(client, person)
    assert response.status_code == 500
    assert sentry, "no event reached the transport"
    request_id = response.headers["X-Request-ID"]
    for event in sentry:
        text = json.dumps(event)
        for secret in (NAME, "Ratna", "Kartikasari", NIK, "081277665544", EMAIL, "pilar_note"):
            assert secret not in text, secret
        assert "csrftoken" not in text and "sessionid" not in text
    event = sentry[0]
    assert event["tags"]["request_id"] == request_id
    assert event["request"]["url"].endswith(f"/failing/{person.pk}/")
    assert event["request"]["method"] == "POST"
    (exception,) = event["exception"]["values"]
    assert exception["type"] == "ValueError" and exception["value"] == ""
    frames = exception["stacktrace"]["frames"]
    assert any("raise ValueError(" in (f.get("context_line") or "") for f in frames)
    assert all("vars" not in f for f in frames)


def test_sentry_gets_a_logged_error_without_its_arguments(client, person, sentry):
    logging.getLogger("pilar.test").error("Payment for %s (%s) failed", NAME, NIK)
    sentry_sdk.flush()
    (event,) = sentry
    assert event["logentry"] == {"message": "Payment for %s (%s) failed"}
    assert NAME not in json.dumps(event) and NIK not in json.dumps(event)


def test_the_administrators_get_a_mail_without_personal_data(client, person, settings):
    settings.DEBUG = False
    settings.PILAR_TRUSTED_PROXIES = ["127.0.0.1"]  # to give an id that looks like a number
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.ADMINS = [("Admin", "admin@example.go.id")]
    from pilar.core.errors import AdminErrorEmail

    handler = AdminErrorEmail()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        response = fail(client, person, HTTP_X_REQUEST_ID="12345678901234567890")
    finally:
        root.removeHandler(handler)
    assert response.status_code == 500
    request_id = response.headers["X-Request-ID"]
    assert request_id == "12345678901234567890"
    (message,) = mail.outbox
    assert message.to == ["admin@example.go.id"]
    assert request_id in message.subject and "ValueError" in message.subject
    assert f"Request id: {request_id}" in message.body
    assert f"POST /failing/{person.pk}/" in message.body
    assert "raise ValueError(" in message.body  # where it failed
    assert not message.alternatives and not message.attachments
    for secret in (NAME, "Ratna", NIK, "081277665544", EMAIL, "pilar_note", "csrftoken"):
        assert secret not in message.subject + message.body, secret


def test_a_5xx_answered_on_purpose_mails_nobody(client, settings):
    """A page that answers 503 itself (a health check while the worker is down) is no fault."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.ADMINS = [("Admin", "admin@example.go.id")]
    from pilar.core.errors import AdminErrorEmail

    record = logging.LogRecord(
        "django.request", logging.ERROR, __file__, 1, "Service Unavailable: %s", ("/x",), None
    )
    AdminErrorEmail().handle(record)
    assert mail.outbox == []


def test_a_strangers_bad_requests_mail_nobody(client, settings):
    """An unknown host name or a body too large is the client's 400, logged by Django as an
    error: a stranger must not be able to fill the administrators' mailbox."""
    settings.DEBUG = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.ADMINS = [("Admin", "admin@example.go.id")]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    from pilar.core.errors import AdminErrorEmail

    handler = AdminErrorEmail()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        assert client.get("/accounts/login/", HTTP_HOST="evil.example").status_code == 400
        big = client.post(
            "/accounts/login/", "x=" + "a" * 5000, "application/x-www-form-urlencoded"
        )
        assert big.status_code == 400
    finally:
        root.removeHandler(handler)
    assert mail.outbox == []


def test_sentry_hears_nothing_of_a_strangers_bad_requests(client, sentry, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    assert client.get("/accounts/login/", HTTP_HOST="evil.example").status_code == 400
    big = client.post("/accounts/login/", "x=" + "a" * 5000, FORM)
    assert big.status_code == 400
    sentry_sdk.flush()
    assert sentry == []
