"""Back up while another thread writes, restore into a new data directory or database, and find
the same rows and a passing integrity check (docs/BACKUP.md)."""

from __future__ import annotations

import tarfile
import threading

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record
from pilar.backups import archive, services


def _writer(stop: threading.Event, written: list[int]) -> None:
    from django.db import connection as own

    try:
        while not stop.is_set():
            audit_record(
                by=Actor.system(), action=AuditEntry.Action.LOAD, object_type="test.writer"
            )
            written[0] += 1
    finally:
        own.close()


@pytest.mark.django_db(transaction=True)
def test_a_backup_under_concurrent_writes_restores_with_the_same_rows(
    make_person, target, tmp_path
):
    for name in ("Ani", "Budi", "Citra"):
        make_person(name)
    services.worker_beat("host:1", timezone.now())
    media = settings.MEDIA_ROOT
    (media / "photos").mkdir(parents=True)
    (media / "photos" / "ani.jpg").write_bytes(b"\xff\xd8 a photo " * 1000)
    (media / "imports" / "2024").mkdir(parents=True)
    (media / "imports" / "2024" / "psm.csv").write_text("nik;nama\n")

    stop, written = threading.Event(), [0]
    thread = threading.Thread(target=_writer, args=(stop, written))
    thread.start()
    try:
        while written[0] < 20:
            stop.wait(0.01)
        before = written[0]
        result = archive.create_backup(output=tmp_path / "out" / "b.tar.gz")
        after = written[0]
        while written[0] < after + 20:
            stop.wait(0.01)
    finally:
        stop.set()
        thread.join()

    manifest = result.manifest
    writes = manifest["row_counts"]["audit_auditentry"]
    # The copy holds the writes committed up to one moment while the writer ran.
    assert before <= writes - AuditEntry.objects.exclude(object_type="test.writer").count()
    assert writes < AuditEntry.objects.count()
    assert manifest["vendor"] == connection.vendor
    assert ["backups", "0001_backup_runs_and_worker_heartbeat"] in manifest["migrations"]
    assert manifest["media_files"] == 2
    # A worker's heartbeat is of this site, now: not carried to the restored one.
    assert manifest["row_counts"]["backups_workerheartbeat"] == 0
    assert set(manifest["sha256"]) == {
        archive.SQLITE_MEMBER if connection.vendor == "sqlite" else archive.PG_MEMBER,
        "media/photos/ani.jpg",
        "media/imports/2024/psm.csv",
    }
    assert list((tmp_path / "out").iterdir()) == [result.path]  # no temporary file left

    done = target.pilar("restore", str(result.path))
    assert done.returncode == 0, done.stderr
    if connection.vendor == "sqlite":
        assert "Pemeriksaan keutuhan: ok" in done.stdout  # the office's language
    assert "Jumlah baris: semua sesuai manifes." in done.stdout
    counts, migrations = target.facts()
    assert counts == manifest["row_counts"]
    assert migrations == manifest["migrations"]
    restored = target.data_dir / "media"
    assert (restored / "photos" / "ani.jpg").read_bytes() == b"\xff\xd8 a photo " * 1000
    assert (restored / "imports" / "2024" / "psm.csv").read_text() == "nik;nama\n"
    # Nothing of the restore's own is left beside the data.
    assert not [p for p in target.data_dir.iterdir() if p.name.startswith(".pilar-restore")]

    again = target.pilar("restore", str(result.path))
    assert again.returncode == 1
    assert "hanya dipulihkan ke tempat yang kosong" in again.stderr
    assert "tabel" in again.stderr and "folder unggahan" in again.stderr


@pytest.mark.django_db
def test_the_archive_is_private_and_holds_no_secret_key(tmp_path):
    result = archive.create_backup(output=tmp_path / "b.tar.gz")
    assert result.path.stat().st_mode & 0o777 == 0o600  # every record: Pilar's user's alone
    with tarfile.open(result.path) as tar:
        names = tar.getnames()
    assert not [n for n in names if "secret" in n]
    assert names[-1] == archive.MANIFEST
