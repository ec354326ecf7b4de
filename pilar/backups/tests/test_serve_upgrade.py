"""`pilar serve` on an existing database: a backup before pending migrations, and a refusal
to start on a database a newer Pilar wrote (docs/BACKUP.md, "Upgrading")."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from pilar.core.tests.test_serve import free_port


def pilar(env, *args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "pilar.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        **kwargs,
    )


@pytest.mark.django_db(transaction=True)
def test_serve_backs_up_before_migrating_and_refuses_a_newer_database(tmp_path: Path):
    env = {**os.environ, "PILAR_DATA_DIR": str(tmp_path), "PILAR_WEB_WORKERS": "1"}
    env.pop("DATABASE_URL", None)  # its own SQLite file: never the test database
    assert pilar(env, "migrate", "-v0").returncode == 0
    # The database of an older Pilar: the backups app's tables are not there yet.
    db = tmp_path / "pilar.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE backups_backuprun")
        conn.execute("DROP TABLE backups_workerheartbeat")
        conn.execute("DELETE FROM django_migrations WHERE app = 'backups'")

    proc = subprocess.Popen(
        [sys.executable, "-m", "pilar.cli", "serve", "--port", str(free_port()), "--no-worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if "Pilar is serving" in line:
                break
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    out = "".join(lines)
    # The command speaks the office's language (Indonesian).
    assert "2 migrasi menunggu: mencadangkan basis data lebih dulu" in out
    archives = list((tmp_path / "backups").glob("pilar-pre-upgrade-*.tar.gz"))
    assert len(archives) == 1
    assert f"Cadangan sebelum pembaruan: {archives[0]}" in out
    with tarfile.open(archives[0]) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    # The archive holds the database as it was before the migration.
    assert not [m for m in manifest["migrations"] if m[0] == "backups"]
    with sqlite3.connect(db) as conn:
        applied = conn.execute(
            "SELECT name FROM django_migrations WHERE app = 'backups' ORDER BY id"
        )
        assert applied.fetchall() == [
            ("0001_backup_runs_and_worker_heartbeat",),
            ("0002_one_manual_run_at_a_time",),
        ]

    # Up to date now: a second start takes no backup.
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO django_migrations (app, name, applied) "
            "VALUES ('registry', '0999_from_a_newer_pilar', '2027-01-01')"
        )
    refused = pilar(env, "serve", "--port", str(free_port()), "--no-worker")
    assert refused.returncode == 1
    assert "ditulis oleh Pilar yang lebih baru" in refused.stderr
    assert "registry.0999_from_a_newer_pilar" in refused.stderr
    assert "Pilar is serving" not in refused.stdout
    assert len(list((tmp_path / "backups").iterdir())) == 1
