"""The real thing: a task worker (`pilar db_worker`, a process of its own on the same database)
is killed with SIGKILL in the middle of saving an import; nothing is saved, the import is
marked so once its heartbeat is old, and a worker started again saves it."""

from __future__ import annotations

import datetime
import os
import select
import signal
import subprocess
import sys
import time

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor
from pilar.imports import services, tasks
from pilar.imports.commit import import_request_commit
from pilar.imports.models import Import, ImportChange
from pilar.imports.tests.files import template_row, upload, xlsx_bytes
from pilar.lib.jobs import stale_after
from pilar.lib.nik import make_nik
from pilar.registry.models import Person
from pilar.tests_support import login

ROWS = 2000
D = datetime.date


def big_roster(n: int) -> bytes:
    rows = []
    for i in range(n):
        born = D(1960, 1, 1) + datetime.timedelta(days=i * 7 % 14000)
        nik = make_nik(area6="137502", birth_date=born, sex="L", serial=i + 1)
        rows.append(
            template_row(
                nik=nik,
                name=f"Warga Besar {i}",
                sex="L",
                birth_date=born,
                kind="PSM",
                kelurahan="Campago Ipuh",
                start_date=D(2024, 7, 1),
            )
        )
    return xlsx_bytes(rows)


def _database_url() -> str:
    """The test database, as the worker process must be told it."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{os.path.abspath(s['NAME'])}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"


def _worker(data_dir, *args: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pilar.settings",
        "DATABASE_URL": _database_url(),
        "PILAR_DATA_DIR": str(data_dir),  # its media directory is the test's
        "PILAR_LOG_LEVEL": "INFO",
    }
    command = [sys.executable, "-m", "pilar.cli", "db_worker", "--no-startup-delay", *args]
    return subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)


def _wait_for_line(process: subprocess.Popen, text: str, seconds: float = 180) -> list[str]:
    """Read the process's log until a line holds `text` (bounded; no sleeping)."""
    seen = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _w, _x = select.select([process.stderr], [], [], deadline - time.monotonic())
        if not ready:
            break
        line = process.stderr.readline()
        if not line:
            break
        seen.append(line)
        if text in line:
            return seen
    raise AssertionError(f"the worker never logged {text!r}: {''.join(seen)[-2000:]}")


@pytest.mark.django_db(transaction=True)
def test_kill_9_during_the_commit_then_a_new_worker_saves_it(
    client, actors, people, settings, tmp_path
):
    assert tmp_path / "media" == settings.MEDIA_ROOT
    by = Actor(user=actors["operator"], source=AuditEntry.Source.WEB)
    batch = services.import_upload(by=by, upload=upload(big_roster(ROWS)), filename="besar.xlsx")
    services.import_set_mapping(by=by, batch=batch, mapping=batch.mapping)
    batch = services.import_check(batch_id=batch.pk)
    assert batch.status == Import.Status.PREVIEW and batch.summary["new"] == ROWS
    people_before = Person.objects.count()

    import_request_commit(by=by, batch=batch, accept_warnings=True, accept_rejected=False)
    tasks.queue_commit(batch, by)  # autocommit here: queued at once
    worker = _worker(tmp_path, "--interval", "0.1")
    try:
        _wait_for_line(worker, f"import {batch.pk}: saving, in one transaction")
        worker.send_signal(signal.SIGKILL)
        assert worker.wait(timeout=60) == -signal.SIGKILL
    finally:
        worker.kill()
        worker.stderr.close()

    batch.refresh_from_db()
    assert batch.status == Import.Status.COMMITTING
    # One transaction: nothing of it was kept.
    assert Person.objects.count() == people_before
    assert not ImportChange.objects.filter(batch=batch).exists()
    assert not AuditEntry.objects.filter(source=AuditEntry.Source.IMPORT).exists()

    actors["operator"].language = "en"  # the API answers in the user's language
    actors["operator"].save(update_fields=["language"])
    login(client, actors["operator"])
    assert client.get(f"/api/v1/imports/{batch.pk}").json()["status"] == "committing"
    later = timezone.now() + stale_after() + datetime.timedelta(seconds=1)
    with time_machine.travel(later):
        answer = client.get(f"/api/v1/imports/{batch.pk}").json()
    assert answer["status"] == "preview"
    assert "stopped while saving" in answer["message"]

    batch.refresh_from_db()
    import_request_commit(by=by, batch=batch, accept_warnings=True, accept_rejected=False)
    tasks.queue_commit(batch, by)
    again = _worker(tmp_path, "--batch")  # runs what is queued, then stops
    try:
        _wait_for_line(again, f"import {batch.pk}: saving, in one transaction")
        assert again.wait(timeout=300) == 0
    finally:
        again.kill()
        again.stderr.close()
    batch.refresh_from_db()
    assert batch.status == Import.Status.COMMITTED, batch.message
    assert Person.objects.count() == people_before + ROWS
