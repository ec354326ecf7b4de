"""Every answer carries an X-Request-ID, and every log line written while serving it names it."""

import io
import logging
import re

import pytest

from pilar.tests_support import login

PROXY = "127.0.0.1"
GENERATED = re.compile(r"[0-9a-f]{16}")
# Pages read the office (its name in the header) from the database.
pytestmark = pytest.mark.django_db


def test_every_answer_has_a_new_id(client, settings):
    first = client.get("/accounts/login/").headers["X-Request-ID"]
    second = client.get("/no/such/page/").headers["X-Request-ID"]
    assert GENERATED.fullmatch(first) and GENERATED.fullmatch(second) and first != second


def test_an_id_from_an_untrusted_client_is_replaced(client, settings):
    settings.PILAR_TRUSTED_PROXIES = []
    given = client.get("/accounts/login/", HTTP_X_REQUEST_ID="chosen-by-me")
    assert GENERATED.fullmatch(given.headers["X-Request-ID"])


def test_a_trusted_proxys_plain_id_is_kept(client, settings):
    settings.PILAR_TRUSTED_PROXIES = [PROXY]
    uuid = "3f2c8a1e-93b4-4c2f-9d7e-0b1a2c3d4e5f"
    response = client.get("/accounts/login/", REMOTE_ADDR=PROXY, HTTP_X_REQUEST_ID=uuid)
    assert response.headers["X-Request-ID"] == uuid


@pytest.mark.parametrize(
    "given",
    [
        "a" * 65,
        "x" * 100_000,
        "abc\r\nX-Injected: 1",
        "abc\x00def",
        "abc\x1b[31mred",
        "two words",
        "<script>",
        "-leading-hyphen",
        "ü-nicode",
        "",
    ],
)
def test_a_hostile_id_even_from_a_trusted_proxy_is_replaced(client, settings, given):
    settings.PILAR_TRUSTED_PROXIES = [PROXY]
    response = client.get("/accounts/login/", REMOTE_ADDR=PROXY, HTTP_X_REQUEST_ID=given)
    assert response.status_code == 200
    assert GENERATED.fullmatch(response.headers["X-Request-ID"])


@pytest.fixture
def server_log():
    """What the server's own log handler (settings.LOGGING's console) writes."""
    (console,) = [h for h in logging.getLogger().handlers if h.name == "console"]
    stream = io.StringIO()
    # Swapped without setStream, which flushes the old stream first: the handler was made when
    # the settings were read, on a stream an earlier test's output capture may have closed.
    with console.lock:
        previous, console.stream = console.stream, stream
    try:
        yield stream
    finally:
        with console.lock:
            console.stream = previous


def test_the_one_line_403_names_the_request(client, actors, server_log):
    viewer = actors["viewer"]
    login(client, viewer)
    response = client.get("/pillars/")
    assert response.status_code == 403
    request_id = response.headers["X-Request-ID"]
    (line,) = [line for line in server_log.getvalue().splitlines() if "Forbidden" in line]
    assert f"[{request_id}] django.request: Forbidden: GET /pillars/ user={viewer.pk}" in line


def test_a_line_outside_a_request_has_a_dash(server_log):
    logging.getLogger("pilar.test").warning("the nightly job is late")
    assert "WARNING [-] pilar.test: the nightly job is late" in server_log.getvalue()
