"""The backups page: administrators only; downloads audited and confined to the folder; "back
up now" runs in the background, once at a time."""

from __future__ import annotations

import os
import shutil

import pytest
from django.urls import reverse

from pilar.audit.models import AuditEntry
from pilar.backups import archive
from pilar.backups.models import BackupRun
from pilar.tests_support import english_messages, login, run_task_worker

pytestmark = pytest.mark.django_db
# The pages and messages are read in English; the Indonesian catalog is checked on its own.
english = pytest.fixture(autouse=True, name="english")(english_messages)

NAME = "pilar-manual-20261205-101500.tar.gz"


@pytest.fixture
def folder(settings, tmp_path):
    settings.PILAR_BACKUP_DIR = tmp_path / "backups"
    settings.PILAR_BACKUP_DIR.mkdir()
    (settings.PILAR_BACKUP_DIR / NAME).write_bytes(b"archive bytes" * 100)
    return settings.PILAR_BACKUP_DIR


@pytest.mark.parametrize(
    "role", ["operator", "approver", "finance", "coordinator_a", "pillar", "viewer", "norole"]
)
def test_every_role_but_admin_is_refused(client, actors, folder, role):
    login(client, actors[role])
    assert client.get(reverse("backups:list")).status_code == 403
    assert client.get(reverse("backups:download", args=[NAME])).status_code == 403
    assert client.post(reverse("backups:now")).status_code == 403
    assert not BackupRun.objects.exists()
    assert not AuditEntry.objects.filter(object_type="backups.archive").exists()


def test_anonymous_is_sent_to_log_in(client, folder):
    response = client.get(reverse("backups:list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get(reverse("backups:download", args=[NAME])).status_code == 302


def test_the_admin_sees_the_last_backup_and_the_list(client, actors, folder):
    (folder / "pilar-nightly-20261204-010000.tar.gz").write_bytes(b"older")
    (folder / "notes.txt").write_text("not an archive")
    login(client, actors["admin"])
    response = client.get(reverse("backups:list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert NAME in page and "pilar-nightly-20261204-010000.tar.gz" in page
    assert "notes.txt" not in page
    assert "1.3\xa0KB" in page  # the last one's size
    assert page.index(NAME) < page.index("pilar-nightly-20261204-010000.tar.gz")


def test_a_download_streams_the_archive_and_is_audited(client, actors, folder):
    login(client, actors["admin"])
    response = client.get(reverse("backups:download", args=[NAME]))
    assert response.status_code == 200
    assert response.streaming
    assert b"".join(response.streaming_content) == b"archive bytes" * 100
    assert f'filename="{NAME}"' in response["Content-Disposition"]
    # Sent as the file it is: a browser must not unpack it on the way (Content-Encoding).
    assert response["Content-Type"] == "application/gzip"
    assert "Content-Encoding" not in response.headers
    entry = AuditEntry.objects.get(object_type="backups.archive")
    assert entry.user == actors["admin"] and entry.object_repr == NAME
    assert entry.action == AuditEntry.Action.VIEW_PERSONAL


def test_only_a_get_downloads_and_is_audited(client, actors, folder):
    # A HEAD (a link checker, a download manager probing) sends nothing: the audit log must
    # not say the archive was downloaded.
    login(client, actors["admin"])
    url = reverse("backups:download", args=[NAME])
    assert client.head(url).status_code == 405
    assert client.post(url).status_code == 405
    assert not AuditEntry.objects.filter(object_type="backups.archive").exists()


@pytest.mark.parametrize(
    "name",
    [
        "../secret_key",
        "..%2Fsecret_key",
        "%2E%2E%2Fsecret_key",
        "notes.txt",
        "pilar-manual-20261205-101501.tar.gz",  # well named, not there
        "link-pilar-manual-20261205-101502.tar.gz",
        "pilar-manual-20261205-101503.tar.gz",  # a symbolic link to a file outside
    ],
)
def test_a_download_outside_the_folder_is_refused(client, actors, folder, settings, name):
    (folder / "notes.txt").write_text("not an archive")
    os.symlink(settings.DATA_DIR / "secret_key", folder / "pilar-manual-20261205-101503.tar.gz")
    login(client, actors["admin"])
    response = client.get(f"/backups/{name}")
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(object_type="backups.archive").exists()


@pytest.mark.django_db(transaction=True)
def test_back_up_now_runs_in_the_background_once_at_a_time(client, actors, folder, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    login(client, actors["admin"])
    assert client.get(reverse("backups:now")).status_code == 405
    response = client.post(reverse("backups:now"), follow=True)
    assert "being taken" in response.content.decode()
    run = BackupRun.objects.get()
    assert run.status == "queued" and run.requested_by == actors["admin"]
    page = client.get(reverse("backups:list")).content.decode()
    assert 'http-equiv="refresh"' in page and 'data-testid="progress"' in page
    # A second click (or a second admin) while it waits asks for nothing more.
    response = client.post(reverse("backups:now"), follow=True)
    assert "already being taken" in response.content.decode()
    assert BackupRun.objects.count() == 1
    assert AuditEntry.objects.filter(object_type="backups.backuprun").count() == 1

    run_task_worker()
    run.refresh_from_db()
    assert run.status == "done", run.error
    assert (folder / run.filename).exists()
    assert archive.list_backups()[0].name == run.filename
    page = client.get(reverse("backups:list")).content.decode()
    assert 'http-equiv="refresh"' not in page and run.filename in page


def test_the_free_space_shown_is_the_backup_folders_disk(client, actors, folder, monkeypatch):
    # PILAR_BACKUP_DIR on a disk of its own (a USB disk, another partition): its free space is
    # what decides whether tonight's archive fits, not the data directory's.
    real = shutil.disk_usage

    def usage(path):
        if os.fspath(path) == os.fspath(folder):
            return real(path)._replace(free=3 * 1024**3)
        return real(path)._replace(free=500 * 1024**3)

    monkeypatch.setattr(shutil, "disk_usage", usage)
    login(client, actors["admin"])
    page = client.get(reverse("backups:list")).content.decode()
    assert "(3.0\xa0GB free)" in page
