"""The task worker's nightly backup and its retention, with time moved by time-machine."""

from __future__ import annotations

import datetime
import os
import threading
import zoneinfo

import pytest
import time_machine
from django.db import connection

from pilar.backups import archive, services, work
from pilar.backups.management.commands.worker import worker_tick
from pilar.backups.models import BackupRun, WorkerHeartbeat
from pilar.tests_support import english_messages

# The messages are read in English; the Indonesian catalog is checked on its own.
english = pytest.fixture(autouse=True, name="english")(english_messages)

JAKARTA = zoneinfo.ZoneInfo("Asia/Jakarta")


@pytest.fixture(autouse=True)
def backup_settings(settings, tmp_path):
    settings.PILAR_BACKUP_DIR = tmp_path / "backups"
    settings.PILAR_BACKUP_HOUR = 1
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    return settings


def at(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=JAKARTA)


@pytest.mark.django_db
def test_the_nightly_backup_is_taken_once_a_night_after_its_hour(
    django_capture_on_commit_callbacks,
):
    with time_machine.travel(at(5, 0, 30), tick=False):
        # Before 01.00 the night due is the one before: a worker started now takes it.
        with django_capture_on_commit_callbacks(execute=True):
            run = services.nightly_backup_claim()
        assert run.night == datetime.date(2026, 12, 4)
        assert services.nightly_backup_claim() is None
    with time_machine.travel(at(5, 0, 59), tick=False):
        assert services.nightly_backup_claim() is None
    with time_machine.travel(at(5, 1, 0), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            tonight = services.nightly_backup_claim()
        assert tonight.night == datetime.date(2026, 12, 5)
    with time_machine.travel(at(5, 23, 59), tick=False):
        assert services.nightly_backup_claim() is None

    runs = list(BackupRun.objects.order_by("night"))
    assert [r.status for r in runs] == ["done", "done"]
    assert [f.name for f in archive.list_backups()] == [
        "pilar-nightly-20261205-010000.tar.gz",
        "pilar-nightly-20261205-003000.tar.gz",
    ]
    assert runs[1].filename == "pilar-nightly-20261205-010000.tar.gz"
    assert runs[1].size == archive.list_backups()[0].size


@pytest.mark.django_db(transaction=True)
def test_of_two_workers_one_takes_the_night():
    barrier = threading.Barrier(2)
    claimed = []

    def worker():
        try:
            barrier.wait()
            claimed.append(services.nightly_backup_claim(at(6, 2)))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    with time_machine.travel(at(6, 2), tick=False):
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len([c for c in claimed if c is not None]) == 1
    assert BackupRun.objects.filter(night=datetime.date(2026, 12, 6)).count() == 1


@pytest.mark.django_db
def test_retention_keeps_the_last_days_and_weeks_over_forty_archives(backup_settings):
    backup_settings.PILAR_BACKUP_KEEP_DAILY = 7
    backup_settings.PILAR_BACKUP_KEEP_WEEKLY = 4
    folder = backup_settings.PILAR_BACKUP_DIR
    folder.mkdir()
    start = datetime.date(2026, 10, 27)  # a Tuesday; 39 nights to Friday 4 December
    for n in range(39):
        day = start + datetime.timedelta(days=n)
        (folder / f"pilar-nightly-{day:%Y%m%d}-010000.tar.gz").write_bytes(b"x")
    (folder / "pilar-nightly-20261204-120000.tar.gz").write_bytes(b"x")  # a second that day
    (folder / "pilar-manual-20261001-100000.tar.gz").write_bytes(b"x")
    (folder / "pilar-pre-upgrade-20260901-100000.tar.gz").write_bytes(b"x")
    (folder / "notes.txt").write_text("not ours")
    # Left by backups killed mid-way: one a day old, one still being written.
    old = folder / ".pilar-nightly-20261203-010000.tar.gz.k1l2.part"
    old.write_bytes(b"x")
    os.utime(old, (at(3, 1).timestamp(), at(3, 1).timestamp()))
    (folder / ".pilar-manual-20261204-125900.tar.gz.a1b2.db.part").write_bytes(b"x")

    with time_machine.travel(at(4, 13), tick=False):
        gone = work.prune_nightly()
    assert old.name in gone
    gone.remove(old.name)

    left = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    assert [p.name for p in folder.glob(".*")] == [
        ".pilar-manual-20261204-125900.tar.gz.a1b2.db.part"
    ]
    nightly = [n for n in left if n.startswith("pilar-nightly")]
    assert len(gone) == 40 - len(nightly)
    # The newest of the last 7 days (28 Nov - 4 Dec; on 4 Dec the one at 12.00) ...
    daily = (
        ["pilar-nightly-20261204-120000.tar.gz"]
        + [f"pilar-nightly-202611{d}-010000.tar.gz" for d in range(28, 31)]
        + [f"pilar-nightly-202612{d:02}-010000.tar.gz" for d in range(1, 4)]
    )
    # ... and of the last 4 ISO weeks: Sundays 29 Nov, 22 Nov, 15 Nov, and 4 Dec's week.
    weekly = [
        "pilar-nightly-20261115-010000.tar.gz",
        "pilar-nightly-20261122-010000.tar.gz",
        "pilar-nightly-20261129-010000.tar.gz",
    ]
    assert sorted(nightly) == sorted(set(daily + weekly))
    assert "pilar-manual-20261001-100000.tar.gz" in left
    assert "pilar-pre-upgrade-20260901-100000.tar.gz" in left
    assert "notes.txt" in left


@pytest.mark.django_db
def test_the_worker_prunes_after_each_night(backup_settings, django_capture_on_commit_callbacks):
    backup_settings.PILAR_BACKUP_KEEP_DAILY = 2
    backup_settings.PILAR_BACKUP_KEEP_WEEKLY = 1
    for day in range(1, 6):
        with time_machine.travel(at(day, 1, 5), tick=False):
            with django_capture_on_commit_callbacks(execute=True):
                worker_tick("host:1", at(1, 1))
            # The next ticks of the night take nothing more.
            with time_machine.travel(at(day, 1, 6), tick=False):
                worker_tick("host:1", at(1, 1))
    assert BackupRun.objects.filter(status="done").count() == 5
    assert [f.name for f in archive.list_backups()] == [
        "pilar-nightly-20261205-010500.tar.gz",
        "pilar-nightly-20261204-010500.tar.gz",
    ]
    beat = WorkerHeartbeat.objects.get(name="host:1")
    assert beat.beat_at == at(5, 1, 6)


@pytest.mark.django_db
def test_a_failed_nightly_backup_is_recorded_and_not_taken_again(
    backup_settings, django_capture_on_commit_callbacks
):
    backup_settings.PILAR_BACKUP_DIR = "/sys/pilar-backups"  # sysfs refuses new folders
    with (
        time_machine.travel(at(5, 2), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        run = services.nightly_backup_claim()
    run.refresh_from_db()
    assert run.status == "failed"
    assert "cannot write into /sys" in run.error
    assert services.nightly_backup_claim(at(5, 3)) is None
