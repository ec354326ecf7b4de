"""GET /healthz: no login, nothing personal; 200 when all is well, 503 with the same JSON when
the database is away, migrations are pending or unknown, or the task worker is stopped."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys

import pytest
import time_machine
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from pilar.backups import services

pytestmark = pytest.mark.django_db

KEYS = {"status", "database", "migrations", "worker", "backup", "disk", "failures", "warnings"}


@pytest.fixture
def backed_up(settings, tmp_path):
    settings.PILAR_BACKUP_DIR = tmp_path / "backups"
    settings.PILAR_BACKUP_DIR.mkdir()
    name = f"pilar-nightly-{timezone.localtime():%Y%m%d-%H%M%S}.tar.gz"
    (settings.PILAR_BACKUP_DIR / name).write_bytes(b"x")


def get(client):
    response = client.get("/healthz")
    return response, json.loads(response.content)


def test_all_well_is_200_without_login_or_personal_data(
    client, actors, backed_up, django_assert_max_num_queries
):
    services.worker_beat("host:1", timezone.now())
    with django_assert_max_num_queries(3):  # the applied migrations, the heartbeat
        response, body = get(client)
    assert response.status_code == 200, body
    assert set(body) == KEYS
    assert body["status"] == "ok" and body["failures"] == [] and body["warnings"] == []
    assert body["database"]["reachable"] is True
    assert body["migrations"] == {"pending": 0, "unknown": 0}
    assert 0 <= body["worker"]["heartbeat_age_seconds"] < 5
    assert 0 <= body["backup"]["last_age_seconds"] < 5
    assert body["disk"]["free_bytes"] > 0
    assert response["Cache-Control"].startswith("max-age=0")
    assert "Set-Cookie" not in response.headers
    text = response.content.decode()
    for word in ("Ani", "admin1", "13.75", str(os.getpid())):
        assert word not in text


def test_a_stopped_worker_is_503(client, backed_up):
    # No heartbeat at all: the worker never started, or stopped cleanly.
    response, body = get(client)
    assert response.status_code == 503
    assert body["failures"] == ["worker_stopped"]
    assert body["worker"]["heartbeat_age_seconds"] is None
    # A heartbeat older than the threshold: the worker was killed.
    services.worker_beat("host:1", timezone.now())
    assert get(client)[0].status_code == 200
    later = timezone.now() + datetime.timedelta(seconds=121)
    with time_machine.travel(later, tick=False):
        response, body = get(client)
    assert response.status_code == 503 and body["failures"] == ["worker_stopped"]
    assert body["worker"]["heartbeat_age_seconds"] == 121


def test_an_old_or_missing_backup_is_a_warning_not_a_failure(client, settings, tmp_path):
    settings.PILAR_BACKUP_DIR = tmp_path / "none"
    services.worker_beat("host:1", timezone.now())
    response, body = get(client)
    assert response.status_code == 200
    assert body["warnings"] == ["backup_old"] and body["backup"]["last_age_seconds"] is None


def test_pending_migrations_are_503(client, backed_up):
    services.worker_beat("host:1", timezone.now())
    MigrationRecorder.Migration.objects.filter(
        app="backups", name="0002_one_manual_run_at_a_time"
    ).delete()
    response, body = get(client)
    assert response.status_code == 503
    assert body["migrations"]["pending"] == 1 and "migrations_pending" in body["failures"]


def test_a_database_newer_than_the_code_is_503(client, backed_up):
    services.worker_beat("host:1", timezone.now())
    MigrationRecorder.Migration.objects.create(app="backups", name="0099_from_the_future")
    response, body = get(client)
    assert response.status_code == 503
    assert body["migrations"]["unknown"] == 1
    assert body["failures"] == ["database_newer_than_code"]


def test_an_unreachable_database_is_503(tmp_path):
    # A server of its own whose database listens nowhere (port 1 refuses at once).
    env = {
        **os.environ,
        "PILAR_DATA_DIR": str(tmp_path),
        "DATABASE_URL": "postgres://pilar@127.0.0.1:1/pilar",
        "ALLOWED_HOSTS": "testserver",
    }
    code = (
        "import django, json; django.setup(); from django.test import Client; "
        "r = Client().get('/healthz'); print(r.status_code, r.content.decode())"
    )
    env["DJANGO_SETTINGS_MODULE"] = "pilar.settings"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    status, body = done.stdout.split(" ", 1)
    body = json.loads(body)
    assert status == "503"
    assert body["database"]["reachable"] is False
    assert body["failures"] == ["database_unreachable", "worker_stopped"]


def test_hostile_methods_and_query_strings(client, backed_up, settings):
    services.worker_beat("host:1", timezone.now())
    head = client.head("/healthz")
    assert head.status_code == 200 and head.content == b""
    for method in ("post", "put", "delete", "patch", "options"):
        assert getattr(client, method)("/healthz").status_code == 405
    # A query string changes nothing, whatever it holds.
    for query in ("?format=html", "?status=fail", "?a=%ff%fe%22<", "?" + "x=1&" * 500):
        response = client.get("/healthz" + query)
        assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert client.get("/healthz/").status_code == 404


def test_healthz_is_not_sent_to_https(client, backed_up, settings):
    # PILAR_HTTPS=true redirects plain http, but a monitor on the machine asks over http.
    settings.SECURE_SSL_REDIRECT = True
    services.worker_beat("host:1", timezone.now())
    assert client.get("/accounts/login/").status_code == 301
    assert client.get("/healthz").status_code == 200
    assert client.get("/healthz?x=1").status_code == 200


def test_a_backup_folder_that_cannot_be_read_is_a_warning_not_an_error(client, settings, tmp_path):
    # PILAR_BACKUP_DIR naming a file (a typo, a disk not mounted at its place).
    folder = tmp_path / "backups"
    folder.write_text("not a folder")
    settings.PILAR_BACKUP_DIR = folder
    services.worker_beat("host:1", timezone.now())
    response, body = get(client)
    assert response.status_code == 200
    assert body["warnings"] == ["backup_old"]
