"""Certificate codes never reach the logs: gunicorn's access log (through RedactingLogger) and
Django's request warnings (through RedactCodes), whatever form the URL takes. The addresses are
the trainings app's, registered in TrainingsConfig.ready() (pilar/lib/accesslog.py)."""

import datetime
import logging

import pytest
from gunicorn.config import Config

from pilar.lib.accesslog import RedactCodes, RedactingLogger

CODE = "K7QXM3RT9A"


class Response:
    status = "404 Not Found"
    headers = []
    sent = 10


def access_line(method, raw_uri, path, query="", referer="-"):
    logger = RedactingLogger(Config())
    environ = {
        "REQUEST_METHOD": method,
        "RAW_URI": raw_uri,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.1",
        "HTTP_REFERER": referer,
    }
    atoms = logger.atoms(Response(), environ, environ, datetime.timedelta(seconds=0))
    return logger.cfg.access_log_format % atoms


@pytest.mark.parametrize(
    ("method", "raw_uri", "path", "query", "shown"),
    [
        ("GET", f"/c/{CODE}/", f"/c/{CODE}/", "", "GET /c/…/ HTTP/1.1"),
        ("HEAD", f"/c/{CODE}/", f"/c/{CODE}/", "", "HEAD /c/…/ HTTP/1.1"),
        ("GET", f"/c/{CODE}", f"/c/{CODE}", "", "GET /c/…/ HTTP/1.1"),
        ("GET", f"/c?code={CODE}", "/c", f"code={CODE}", "GET /c/?… HTTP/1.1"),
        ("GET", f"/c/?%63ode={CODE}", "/c/", f"%63ode={CODE}", "GET /c/?… HTTP/1.1"),
        ("GET", f"/%63/{CODE}/", f"/c/{CODE}/", "", "GET /c/…/ HTTP/1.1"),
        ("GET", f"/c//{CODE}/", f"/c//{CODE}/", "", "GET /c/…/ HTTP/1.1"),
        ("POST", f"/c/{CODE}/", f"/c/{CODE}/", "", "POST /c/…/ HTTP/1.1"),
        (
            "GET",
            f"/api/v1/certificates/verify/{CODE}/",
            f"/api/v1/certificates/verify/{CODE}/",
            "",
            "GET /api/v1/certificates/verify/… HTTP/1.1",
        ),
    ],
)
def test_the_access_log_writes_the_address_without_the_code(method, raw_uri, path, query, shown):
    line = access_line(method, raw_uri, path, query)
    assert f'"{shown}"' in line
    assert CODE not in line and "%63" not in line


def test_the_form_page_itself_and_other_pages_are_logged_as_they_are():
    assert '"GET /c/ HTTP/1.1"' in access_line("GET", "/c/", "/c/")
    line = access_line("GET", "/casework/?code=abc", "/casework/", "code=abc")
    assert '"GET /casework/?code=abc HTTP/1.1"' in line


def test_a_referrer_naming_a_certificate_page_is_cut():
    line = access_line("GET", "/static/x.css", "/static/x.css", referer=f"https://x.id/c/{CODE}/")
    assert CODE not in line and "https://x.id/c/…" in line


@pytest.mark.parametrize(
    ("message", "args"),
    [
        ("Not Found: %s", (f"/c/{CODE}/",)),
        ("Method Not Allowed (%s): %s", ("POST", f"/c/{CODE}/")),
        ("Forbidden (%s): %s", ("CSRF cookie not set.", f"/c/{CODE}/")),
        ("Not Found: %s", (f"/api/v1/certificates/verify/{CODE}/",)),
        ('"%s" %s %s', (f"GET /c/?code={CODE} HTTP/1.1", "302", "0")),
    ],
)
def test_django_request_warnings_lose_the_code(message, args):
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, message, args, None)
    assert RedactCodes().filter(record)
    assert CODE not in record.getMessage()


def test_the_filter_sits_on_djangos_request_loggers(client, caplog, db):
    """Through Django itself: a refused method on the public page is logged without its code."""
    caplog.set_level(logging.DEBUG)
    assert client.post(f"/c/{CODE}/").status_code in {403, 405}
    assert client.get(f"/api/v1/certificates/verify/{CODE}/").status_code == 404
    assert client.head(f"/c/{CODE}/").status_code == 404  # HEAD is answered like GET
    messages = [r.getMessage() for r in caplog.records]
    assert any("/c/…" in m for m in messages)
    assert not [m for m in messages if CODE in m]


def test_the_redacted_prefixes_are_the_routes_of_the_public_pages():
    """If a public certificate address moved, the logs would keep its codes: the prefixes the
    redaction looks for must be where the URLs send a code."""
    from django.urls import resolve, reverse

    from pilar.lib.accesslog import public_path
    from pilar.trainings.apps import CERTIFICATE_API, CERTIFICATE_PAGE
    from pilar.trainings.certificates import views

    page, form = reverse("certificate-verify", args=[CODE]), reverse("certificate-verify-form")
    assert public_path(page) and page.startswith(CERTIFICATE_PAGE)
    assert public_path(form) and form == CERTIFICATE_PAGE
    assert resolve(page).func is views.verify
    api = resolve(CERTIFICATE_API + CODE)  # the API's check, where the redaction assumes it is
    assert api.kwargs == {"code": CODE}, api
    assert public_path(CERTIFICATE_API + CODE)
