"""Sessions that end when idle, the security headers, password rules and expiring API tokens."""

import datetime
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pilar.accounts.models import ApiToken
from pilar.tests_support import PASSWORD, english_messages, login

english = pytest.fixture(autouse=True, name="english")(english_messages)

START = datetime.datetime(2025, 3, 3, 8, 0, tzinfo=datetime.UTC)


def session_writes(queries) -> int:
    return sum(
        1
        for q in queries
        if "django_session" in q["sql"]
        and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))
    )


# --- sessions ----------------------------------------------------------------------------------


def test_a_session_idle_for_longer_than_the_idle_hours_is_signed_out(client, actors, settings):
    assert settings.PILAR_SESSION_IDLE_HOURS == 8
    with time_machine.travel(START, tick=False) as clock:
        login(client, actors["operator"])
        assert client.get("/pillars/").status_code == 200
        clock.shift(datetime.timedelta(hours=8, minutes=1))
        page = client.get("/pillars/")
        assert page.status_code == 302
        assert page.headers["Location"].startswith("/accounts/login/")


def test_a_session_in_use_stays_signed_in_past_the_idle_hours(client, actors):
    with time_machine.travel(START, tick=False) as clock:
        login(client, actors["operator"])
        for _ in range(3):  # 21 hours of work, a request every 7 hours
            clock.shift(datetime.timedelta(hours=7))
            assert client.get("/pillars/").status_code == 200
        # The cookie's lifetime moved with the session's.
        assert client.cookies["sessionid"]["max-age"] == 8 * 3600


def test_the_expiry_is_written_at_most_once_in_the_refresh_interval(client, actors, settings):
    with time_machine.travel(START, tick=False) as clock:
        login(client, actors["operator"])
        with CaptureQueriesContext(connection) as first:
            client.get("/pillars/")
        assert session_writes(first) == 0  # signing in wrote the time of use
        clock.shift(datetime.timedelta(seconds=settings.PILAR_SESSION_REFRESH_SECONDS - 1))
        with CaptureQueriesContext(connection) as soon:
            for _ in range(5):
                client.get("/pillars/")
        assert session_writes(soon) == 0
        clock.shift(datetime.timedelta(seconds=1))
        with CaptureQueriesContext(connection) as later:
            client.get("/pillars/")
        assert session_writes(later) == 1


def test_the_idle_hours_setting_refuses_nonsense(tmp_path):
    env = {**os.environ, "PILAR_DATA_DIR": str(tmp_path), "PILAR_SESSION_IDLE_HOURS": "0"}
    run = subprocess.run(
        [sys.executable, "-c", "import pilar.settings"], env=env, capture_output=True, text=True
    )
    assert run.returncode != 0
    assert "PILAR_SESSION_IDLE_HOURS must be between 1 and 720" in run.stderr


# --- headers -----------------------------------------------------------------------------------


def test_every_answer_carries_the_content_security_policy(client, actors):
    login(client, actors["operator"])
    for path in ["/accounts/login/", "/pillars/", "/api/v1/people", "/no-such-page/"]:
        policy = client.get(path).headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "script-src 'self';" in policy and "style-src 'self';" in policy
        assert "unsafe" not in policy
        assert "frame-ancestors 'none'" in policy


def test_the_api_docs_get_the_styles_swagger_ui_sets(client, actors):
    login(client, actors["operator"])
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy  # still no inline script
    assert "style-src 'self' 'unsafe-inline'" in policy


def test_secure_defaults_and_hsts_on_https(client, actors, settings):
    page = client.get("/accounts/login/")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in page.headers  # secure cookies are off
    settings.SECURE_HSTS_SECONDS = 31_536_000
    page = Client().get("/accounts/login/", secure=True)  # a new handler reads the setting
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000"


@pytest.mark.parametrize(("secure", "hsts"), [("true", "31536000"), ("false", "0")])
def test_hsts_follows_the_secure_cookies_setting(tmp_path, secure, hsts):
    env = {**os.environ, "PILAR_DATA_DIR": str(tmp_path), "PILAR_SECURE_COOKIES": secure}
    code = "import pilar.settings as s; print(s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE)"
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert run.stdout.split() == [hsts, "True" if secure == "true" else "False"]


TEMPLATES = Path(__file__).resolve().parents[2]
BLOCKED = [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I), "inline script"),
    (re.compile(r"\sstyle=", re.I), "style attribute"),
    (re.compile(r"<style", re.I), "style element"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_no_template_holds_what_the_content_security_policy_blocks():
    found = []
    for path in sorted(TEMPLATES.glob("**/templates/**/*.html")):
        text = path.read_text()
        for pattern, what in BLOCKED:
            for match in pattern.finditer(text):
                found.append(f"{path.relative_to(TEMPLATES)}: {what}: {match.group(0)}")
    assert found == []


# --- passwords ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("1234567890123", "entirely numeric"),
        ("password123", "too common"),
        ("Ab1-x", "too short"),
    ],
)
def test_weak_passwords_are_refused(password, reason):
    with pytest.raises(ValidationError) as refused:
        validate_password(password)
    assert reason in " ".join(refused.value.messages)


def test_the_tests_password_passes_the_rules():
    validate_password(PASSWORD)


@pytest.mark.django_db
def test_demo_refuses_a_weak_password_and_says_why():
    with pytest.raises(CommandError) as refused:
        call_command("demo", password="12345678", stdout=io.StringIO())
    message = str(refused.value)
    assert "--password is refused" in message
    assert "too common" in message and "entirely numeric" in message


# --- API tokens --------------------------------------------------------------------------------


def create_token(*args: str) -> tuple[str, str]:
    out = io.StringIO()
    call_command("token", "create", "operator1", *args, stdout=out)
    lines = out.getvalue().strip().splitlines()
    return lines[0], lines[-1]


def token_list() -> str:
    out = io.StringIO()
    call_command("token", "list", stdout=out)
    return out.getvalue()


def test_a_token_with_days_is_refused_once_expired(client, actors):
    with time_machine.travel(START, tick=False) as clock:
        header, raw = create_token("--days", "30")
        token = ApiToken.objects.get()
        assert token.expires_at == START + datetime.timedelta(days=30)
        assert "works until 2025-04-02 15:00" in header  # Jakarta time
        auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
        assert client.get("/api/v1/people", **auth).status_code == 200
        assert "live until 2025-04-02 15:00" in token_list()
        clock.shift(datetime.timedelta(days=30))
        answer = client.get("/api/v1/people", **auth)
        assert answer.status_code == 401
        assert answer.json()["message"] == (
            "This API token expired on 2 April 2025 15:00; ask for a new one."
        )
        assert "expired 2025-04-02 15:00" in token_list()


def test_a_token_with_a_last_day_works_through_that_day(client, actors):
    with time_machine.travel(START, tick=False) as clock:
        _header, raw = create_token("--expires", "2025-03-31")
        auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
        # 31 March 23:59 in Jakarta still works; 1 April 00:00 does not.
        end = timezone.make_aware(datetime.datetime(2025, 4, 1))
        clock.move_to(end - datetime.timedelta(minutes=1))
        assert client.get("/api/v1/people", **auth).status_code == 200
        clock.move_to(end)
        assert client.get("/api/v1/people", **auth).status_code == 401


def test_a_token_without_expiry_lives_until_revoked(client, actors):
    _header, raw = create_token()
    assert ApiToken.objects.get().expires_at is None
    assert "live\n" in token_list()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--expires", "2025-03-02"], "--expires"),  # yesterday
        (["--expires", "31-31-2025"], "--expires"),
        (["--days", "0"], "--days"),
        (["--days", "99999"], "--days"),
        (["--days", "ten"], "--days"),
    ],
)
def test_token_expiry_refuses_bad_values_and_issues_nothing(actors, args, message):
    with time_machine.travel(START, tick=False), pytest.raises(CommandError) as refused:
        create_token(*args)
    assert message in str(refused.value)
    assert not ApiToken.objects.exists()


def test_expires_and_days_cannot_be_combined(actors):
    with pytest.raises(CommandError):
        create_token("--expires", "2030-01-01", "--days", "3")
    assert not ApiToken.objects.exists()
