"""A second, empty place to restore into: a new data directory (SQLite) or a new database on
the test's PostgreSQL server, used by a `pilar` subprocess through its environment."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection

from pilar.backups import archive


@dataclass
class Target:
    env: dict[str, str]
    data_dir: Path
    pg_name: str = ""

    def pilar(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "pilar.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def facts(self) -> tuple[dict[str, int], list]:
        """Rows per table and applied migrations of the restored database."""
        if not self.pg_name:
            conn = sqlite3.connect(self.data_dir / "pilar.sqlite3")
            try:
                return archive.sqlite_facts(conn)
            finally:
                conn.close()
        conn = _pg_connect(self.pg_name)
        try:
            with conn.cursor() as cursor:
                return archive.pg_facts(cursor)
        finally:
            conn.close()


def _pg_connect(name: str):
    params = {**connection.get_connection_params(), "dbname": name}
    conn = connection.get_new_connection(params)
    conn.autocommit = True
    return conn


@pytest.fixture
def target(tmp_path: Path):
    data_dir = tmp_path / "restored"
    data_dir.mkdir()
    env = {**os.environ, "PILAR_DATA_DIR": str(data_dir)}
    env.pop("DATABASE_URL", None)
    if connection.vendor != "postgresql":
        yield Target(env=env, data_dir=data_dir)
        return
    name = f"pilar_restore_{uuid.uuid4().hex[:10]}"
    admin = _pg_connect("postgres")
    try:
        admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        admin.close()
    s = connection.settings_dict
    env["DATABASE_URL"] = (
        f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/"
        f"{name}"
    )
    try:
        yield Target(env=env, data_dir=data_dir, pg_name=name)
    finally:
        admin = _pg_connect("postgres")
        try:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            admin.close()
