"""Every archive or place `pilar backup` and `pilar restore` must refuse: a clear message, a
non-zero exit, and nothing half-written (issue 17, "Bad input")."""

from __future__ import annotations

import hashlib
import io
import json
import os
import resource
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from pilar.backups import archive
from pilar.tests_support import english_messages

pytestmark = pytest.mark.django_db
# The refusals are read in English; the Indonesian catalog is checked on its own.
english = pytest.fixture(autouse=True, name="english")(english_messages)


@pytest.fixture
def good(tmp_path) -> Path:
    photo = settings.MEDIA_ROOT / "photos" / "a.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(os.urandom(50_000))
    return archive.create_backup(output=tmp_path / "good.tar.gz").path


def _rewrite(source: Path, out: Path, *, member: str = "", manifest=None) -> Path:
    """A copy of the archive `source` with `member`'s bytes changed and/or the manifest edited
    by `manifest(dict)`; checksums recomputed only when the manifest is edited."""
    with tarfile.open(source) as tar:
        contents = {info.name: tar.extractfile(info).read() for info in tar}
    data = json.loads(contents.pop(archive.MANIFEST))
    if member:
        contents[member] = contents[member][:-10] + b"0123456789"
    if manifest:
        manifest(data)
        data["sha256"] = {n: hashlib.sha256(b).hexdigest() for n, b in contents.items()}
    contents[archive.MANIFEST] = json.dumps(data).encode()
    with tarfile.open(out, "w:gz") as tar:
        for name, body in contents.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    return out


def _restore_refused(path: Path, *needles: str) -> str:
    with pytest.raises(CommandError) as refused:
        call_command("restore", str(path))
    message = str(refused.value)
    for needle in needles:
        assert needle in message
    # Nothing was written: no upload folder, no staging folder beside the database.
    assert not settings.MEDIA_ROOT.exists()
    db = Path(settings.DATABASES["default"]["NAME"])
    assert not list(db.parent.glob(".pilar-restore-*"))
    assert not list(settings.MEDIA_ROOT.parent.glob(".pilar-restore-*"))
    return message


def _remove_media():
    import shutil

    shutil.rmtree(settings.MEDIA_ROOT)


def test_a_damaged_archive_is_refused(good, tmp_path):
    _remove_media()
    broken = tmp_path / "broken.tar.gz"
    data = bytearray(good.read_bytes())
    for at in range(len(data) // 2, len(data) // 2 + 64):
        data[at] ^= 0xFF
    broken.write_bytes(bytes(data))
    _restore_refused(broken, "damaged")


def test_a_member_changed_after_the_backup_is_refused_by_its_checksum(good, tmp_path):
    _remove_media()
    tampered = _rewrite(good, tmp_path / "t.tar.gz", member="media/photos/a.jpg")
    _restore_refused(tampered, "media/photos/a.jpg", "checksum")


def test_a_truncated_archive_is_refused(good, tmp_path):
    _remove_media()
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    _restore_refused(cut, "cut short")


def test_a_file_that_is_no_archive_is_refused(tmp_path):
    other = tmp_path / "notes.tar.gz"
    other.write_text("not an archive")
    _restore_refused(other, "not a readable Pilar backup")
    _restore_refused(tmp_path / "absent.tar.gz", "does not exist")


def test_an_archive_from_a_newer_version_is_refused(good, tmp_path):
    _remove_media()

    def newer(manifest):
        manifest["pilar_version"] = "9.0.0"
        manifest["migrations"].append(["backups", "0099_from_the_future"])

    future = _rewrite(good, tmp_path / "future.tar.gz", manifest=newer)
    _restore_refused(future, "Pilar 9.0.0", "newer", "backups.0099_from_the_future")


def test_an_archive_of_the_other_database_vendor_is_refused(good, tmp_path):
    _remove_media()
    ours = connection.vendor
    theirs = "postgresql" if ours == "sqlite" else "sqlite"
    other = _rewrite(good, tmp_path / "o.tar.gz", manifest=lambda m: m.update(vendor=theirs))
    _restore_refused(other, f"holds a {theirs} database", f"this Pilar uses {ours}")


@pytest.mark.parametrize(
    "edit",
    [
        lambda m: m.update(sha256=["database.sqlite3"]),
        lambda m: m.update(migrations=[["registry"]]),
        lambda m: m.update(row_counts={"t": "many"}),
    ],
)
def test_a_manifest_pilar_did_not_write_is_refused(good, tmp_path, edit):
    _remove_media()
    forged = tmp_path / "f.tar.gz"
    with tarfile.open(good) as tar:
        contents = {info.name: tar.extractfile(info).read() for info in tar}
    manifest = json.loads(contents[archive.MANIFEST])
    edit(manifest)
    contents[archive.MANIFEST] = json.dumps(manifest).encode()
    with tarfile.open(forged, "w:gz") as tar:
        for name, body in contents.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    _restore_refused(forged, "manifest Pilar did not write")


def test_an_archive_with_a_path_outside_is_refused(good, tmp_path):
    _remove_media()
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as tar:
        info = tarfile.TarInfo("media/../../escaped.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    _restore_refused(evil, "never holds")
    assert not (tmp_path / "escaped.txt").exists()


def test_a_restore_into_a_database_that_holds_data_is_refused(good):
    # The test database holds every table, and MEDIA_ROOT the photo.
    with pytest.raises(CommandError) as refused:
        call_command("restore", str(good))
    message = str(refused.value)
    assert "only into an empty place" in message
    assert "tables" in message and str(settings.MEDIA_ROOT) in message
    assert (settings.MEDIA_ROOT / "photos" / "a.jpg").exists()


def _unwritable_folder(tmp_path: Path) -> Path:
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        return locked
    # root writes through any mode bits; sysfs refuses it new files.
    return Path("/sys")


def test_a_backup_into_a_folder_it_may_not_write_is_refused(tmp_path):
    folder = _unwritable_folder(tmp_path)
    before = set(os.listdir(folder))
    with pytest.raises(CommandError) as refused:
        call_command("backup", "--output", str(folder / "b.tar.gz"))
    assert f"cannot write into {folder}" in str(refused.value)
    assert set(os.listdir(folder)) == before


def test_a_backup_that_does_not_fit_leaves_nothing(tmp_path):
    # A full disk, honestly and without root: the kernel refuses writes past a file size limit
    # (RLIMIT_FSIZE; EFBIG where a full disk gives ENOSPC), on the same write path.
    folder = tmp_path / "small"
    folder.mkdir()
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (16_384, hard))
    try:
        with pytest.raises(CommandError) as refused:
            call_command("backup", "--output", str(folder / "b.tar.gz"))
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    message = str(refused.value)
    assert str(folder) in message
    assert "space" in message or "File too large" in message
    assert list(folder.iterdir()) == []


def test_an_existing_file_is_never_overwritten(tmp_path):
    kept = tmp_path / "b.tar.gz"
    kept.write_text("precious")
    with pytest.raises(CommandError, match="exists already"):
        call_command("backup", "--output", str(kept))
    assert kept.read_text() == "precious"


def test_a_backup_of_a_database_pilar_never_used_is_refused(target):
    # `pilar backup` run without the service's settings (as root on a server set up by
    # docs/DEPLOY.md) reads another data directory, or an empty database: it must not answer
    # with an "archive" of nothing that the administrator takes for a backup.
    done = target.pilar("backup", "--output", str(target.data_dir / "b.tar.gz"))
    assert done.returncode != 0
    assert "pilar-run backup" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (target.data_dir / "b.tar.gz").exists()
    assert not (target.data_dir / "pilar.sqlite3").exists()
    assert not [p for p in target.data_dir.iterdir() if p.name.startswith(".")]


def test_a_folder_that_does_not_exist_is_refused_not_taken_for_a_file_name(tmp_path):
    # `pilar backup --output /mnt/usb/` with the disk not mounted (docs/BACKUP.md's example).
    with pytest.raises(CommandError) as refused:
        call_command("backup", "--output", f"{tmp_path / 'usb'}/")
    assert "does not exist" in str(refused.value)
    assert list(tmp_path.iterdir()) == []
    # An existing folder gets the archive under the usual name.
    (tmp_path / "usb").mkdir()
    call_command("backup", "--output", f"{tmp_path / 'usb'}/")
    assert [p.name.startswith("pilar-manual-") for p in (tmp_path / "usb").iterdir()] == [True]


def test_a_database_that_cannot_be_reached_is_told_not_a_traceback(tmp_path):
    # DATABASE_URL naming a server that is down, or a database not created yet (createdb).
    env = {
        **os.environ,
        "PILAR_DATA_DIR": str(tmp_path),
        "DATABASE_URL": "postgres://pilar@127.0.0.1:1/pilar_restored",
    }
    done = subprocess.run(
        [sys.executable, "-m", "pilar.cli", "backup"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "pilar_restored" in done.stderr and "DATABASE_URL" in done.stderr
    assert not (tmp_path / "backups").exists() or not list((tmp_path / "backups").iterdir())


def test_an_archive_written_meanwhile_under_the_same_name_is_not_overwritten(tmp_path):
    # Two backups in the same second (pilar backup and "back up now") get the same name.
    output = tmp_path / archive.archive_name("manual")

    def other_backup_finishes(step):
        if not output.exists():
            output.write_text("the other backup")

    with pytest.raises(archive.BackupError, match="exists already"):
        archive.create_backup(output=output, progress=other_backup_finishes)
    assert output.read_text() == "the other backup"
    assert [p.name for p in tmp_path.iterdir()] == [output.name]
