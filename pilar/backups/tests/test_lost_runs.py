"""A background backup whose task worker is gone (killed, never started) does not block the
backups page: it counts as failed, with its reason, and a new one can be asked for."""

from __future__ import annotations

import datetime
import threading

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from pilar.backups import services, work
from pilar.backups.models import BackupRun
from pilar.tests_support import english_messages, login

pytestmark = pytest.mark.django_db(transaction=True)
english = pytest.fixture(autouse=True, name="english")(english_messages)


@pytest.fixture(autouse=True)
def db_tasks(settings, tmp_path):
    settings.PILAR_BACKUP_DIR = tmp_path / "backups"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.PILAR_WORKER_STALE_SECONDS = 120
    settings.PILAR_JOB_STALE_SECONDS = 300


def ask(client) -> str:
    return client.post(reverse("backups:now"), follow=True).content.decode()


def test_back_up_now_that_no_worker_takes_fails_and_can_be_asked_again(client, actors):
    login(client, actors["admin"])
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        ask(client)
    # Four minutes on, no worker has ever beaten: still only waiting (a worker may be starting).
    with time_machine.travel(start + datetime.timedelta(minutes=4), tick=False):
        assert "already being taken" in ask(client)
        assert BackupRun.objects.count() == 1
    with time_machine.travel(start + datetime.timedelta(minutes=6), tick=False):
        page = client.get(reverse("backups:list")).content.decode()
        assert 'http-equiv="refresh"' not in page
        assert "No task worker took this backup" in page
        assert "being taken in the background" in ask(client)
    assert [r.status for r in BackupRun.objects.order_by("pk")] == ["failed", "queued"]


def test_a_queued_run_waits_while_a_worker_is_alive(client, actors):
    # A live worker busy with a long import takes the backup when it is done with it.
    login(client, actors["admin"])
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        ask(client)
    with time_machine.travel(start + datetime.timedelta(minutes=30), tick=False):
        services.worker_beat("host:1", start)
        assert "already being taken" in ask(client)
    assert BackupRun.objects.get().status == "queued"


def test_a_running_run_whose_worker_was_killed_fails_and_a_new_one_can_be_asked(client, actors):
    login(client, actors["admin"])
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        services.worker_beat("host:1", start)
        ask(client)
        # The worker claimed it, copied for a while, then was killed (kill -9): no more beats.
        BackupRun.objects.update(status="running", started_at=start, heartbeat_at=start)
    with time_machine.travel(start + datetime.timedelta(minutes=2), tick=False):
        assert "already being taken" in ask(client)  # a long copy is not taken for dead
    with time_machine.travel(start + datetime.timedelta(minutes=6), tick=False):
        services.worker_beat("host:2", start)  # `pilar serve` restarted its worker
        page = client.get(reverse("backups:list")).content.decode()
        assert "The task worker stopped while taking this backup" in page
        assert "being taken in the background" in ask(client)
    assert [r.status for r in BackupRun.objects.order_by("pk")] == ["failed", "queued"]


def test_restarting_serve_does_not_fail_a_night_just_queued():
    # `pilar serve` recovers lost work when it starts; a second one starting must not fail the
    # nightly run the first one's worker just queued.
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        services.worker_beat("host:1", start)
        run = services.nightly_backup_claim()
        assert services.recover_runs() == 0
    run.refresh_from_db()
    assert run.status == "queued"


def test_back_up_now_twice_at_the_same_moment_asks_for_one_backup(actors):
    from django.core.exceptions import ValidationError
    from django.db import connection

    from pilar.audit.services import Actor

    barrier = threading.Barrier(2)
    outcomes = []

    def click():
        try:
            barrier.wait()
            services.backup_run_request(by=Actor(user=actors["admin"]))
            outcomes.append("asked")
        except ValidationError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["asked", "busy"]
    assert BackupRun.objects.filter(kind="manual").count() == 1


def test_a_long_copy_that_reports_no_progress_still_beats(monkeypatch):
    """A database copy of many minutes (pg_dump, the SQLite backup) says nothing meanwhile: the
    run's heartbeat still moves, so the backups page does not take it for lost and free the
    way for a second backup beside it."""
    run = BackupRun.objects.create(kind=BackupRun.Kind.MANUAL, status=BackupRun.Status.QUEUED)
    seen = []
    real_copy = work.archive.create_backup

    def slow_copy(**kwargs):
        first = BackupRun.objects.get(pk=run.pk).heartbeat_at
        # Wait (bounded) until the helper thread has written a newer heartbeat.
        for _ in range(200):
            now = BackupRun.objects.get(pk=run.pk).heartbeat_at
            if now != first:
                seen.append((first, now))
                break
            threading.Event().wait(0.05)
        return real_copy(**kwargs)

    monkeypatch.setattr(work.archive, "create_backup", slow_copy)
    monkeypatch.setattr("pilar.lib.jobs.BEAT_EVERY", 0.1)
    done = work.backup_run_take(run.pk)
    assert seen, "the heartbeat did not move during the copy"
    assert seen[0][1] > seen[0][0]
    assert done.status == BackupRun.Status.DONE
