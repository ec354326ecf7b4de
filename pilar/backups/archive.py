"""Backup archives: writing one from the running database and uploads (docs/BACKUP.md);
checking and restoring one is pilar/backups/restore.py.

An archive is a gzip-compressed tar file holding
- `database.sqlite3` (SQLite: a copy made with SQLite's online backup API, consistent while the
  server writes) or `database.pgdump` (PostgreSQL: `pg_dump --format=custom` of one snapshot);
- `media/...`: the uploaded files (MEDIA_ROOT);
- `manifest.json`, last: the Pilar version, the database vendor, the applied migrations and the
  rows of every table (read in the same snapshot as the copy), when it was made, and the
  SHA-256 of every other member.

Nothing here uses this app's own models: `pilar serve` backs up before migrating, when those
tables may not exist yet.
"""

from __future__ import annotations

import datetime
import errno
import hashlib
import io
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django.utils.translation import gettext as _

import pilar
from pilar.lib.procs import dying_with_parent

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
MEDIA_PREFIX = "media/"
KINDS = ("nightly", "manual", "pre-upgrade")
# The task workers' heartbeats tell of processes alive now, not of the office's data: an archive
# holds the table empty, so that a restored site does not take a dead worker for alive.
LIVE_TABLES = ("backups_workerheartbeat",)
NAME_RE = re.compile(r"^pilar-(nightly|manual|pre-upgrade)-(\d{8})-(\d{6})\.tar\.gz$")
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


Progress = Callable[[str], None]


def _quiet(step: str) -> None:
    pass


def backup_dir() -> Path:
    return Path(settings.PILAR_BACKUP_DIR)


def archive_name(kind: str, when: datetime.datetime | None = None) -> str:
    when = timezone.localtime(when or timezone.now())
    return f"pilar-{kind}-{when:%Y%m%d-%H%M%S}.tar.gz"


@dataclass
class BackupFile:
    name: str
    kind: str
    path: Path
    size: int
    taken_at: datetime.datetime

    @property
    def age(self) -> datetime.timedelta:
        return timezone.now() - self.taken_at


def list_backups(folder: Path | None = None) -> list[BackupFile]:
    """The archives in the backup folder, newest first; other files there are not ours."""
    folder = folder or backup_dir()
    found = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        # Absent, not a folder, not readable: no archive to list (a backup into it fails with
        # its own message, and /healthz warns of the missing backups instead of failing).
        return []
    tz = timezone.get_current_timezone()
    for entry in entries:
        match = NAME_RE.match(entry.name)
        if not match or not entry.is_file(follow_symlinks=False):
            continue
        taken = datetime.datetime.strptime(match[2] + match[3], "%Y%m%d%H%M%S")
        found.append(
            BackupFile(
                name=entry.name,
                kind=match[1],
                path=Path(entry.path),
                size=entry.stat().st_size,
                taken_at=timezone.make_aware(taken, tz),
            )
        )
    return sorted(found, key=lambda f: (f.taken_at, f.name), reverse=True)


# ---------------------------------------------------------------------------------------------
# Writing


@dataclass
class BackupResult:
    path: Path
    size: int
    seconds: float
    manifest: dict = field(repr=False)


def _regexp(pattern, value) -> bool | None:
    # As Django's SQLite backend defines it: CHECK constraints on our tables call REGEXP, and
    # SQLite's integrity check evaluates them.
    if pattern is None or value is None:
        return None
    return bool(re.search(pattern, str(value)))


def open_sqlite(path: str | Path, **kwargs) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), **kwargs)
    conn.create_function("REGEXP", 2, _regexp, deterministic=True)
    return conn


def sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"
    )
    return [row[0] for row in rows]


def sqlite_facts(conn: sqlite3.Connection) -> tuple[dict[str, int], list[list[str]]]:
    """Rows per table and the applied migrations of a SQLite database."""
    tables = sqlite_tables(conn)
    # Table names come from the database's own catalogue, not from a user.
    query = 'SELECT count(*) FROM "{}"'
    counts = {t: conn.execute(query.format(t)).fetchone()[0] for t in tables}
    migrations = []
    if "django_migrations" in tables:
        rows = conn.execute("SELECT app, name FROM django_migrations ORDER BY id")
        migrations = [[app, name] for app, name in rows]
    return counts, migrations


def sqlite_integrity(conn: sqlite3.Connection) -> str:
    rows = conn.execute("PRAGMA integrity_check").fetchall()
    return "; ".join(str(row[0]) for row in rows[:5])


def pg_env(settings_dict: dict) -> dict[str, str]:
    """The environment pg_dump/pg_restore connect with (libpq's variables)."""
    from django.db.backends.postgresql.client import DatabaseClient

    _args, env = DatabaseClient.settings_to_cmd_args_env(settings_dict, [])
    full = {**os.environ, **(env or {})}
    for var, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER")):
        if settings_dict.get(key):
            full[var] = str(settings_dict[key])
    full["PGDATABASE"] = settings_dict["NAME"]
    return full


def pg_tool(name: str, server_version: int | None = None) -> str:
    """pg_dump or pg_restore: from PILAR_PG_BIN, else the one of the server's major version in
    /usr/lib/postgresql (Debian keeps each version there), else the PATH, else the newest."""
    if settings.PILAR_PG_BIN:
        return str(Path(settings.PILAR_PG_BIN) / name)
    if server_version:
        same = Path(f"/usr/lib/postgresql/{server_version // 10000}/bin/{name}")
        if same.exists():
            return str(same)
    on_path = shutil.which(name)
    if on_path:
        return on_path
    versions = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if versions:
        return str(versions[-1])
    raise BackupError(
        _(
            "%(tool)s was not found: install PostgreSQL's client programs, or set PILAR_PG_BIN "
            "to the folder holding them"
        )
        % {"tool": name}
    )


def run_tool(args: list[str], env: dict[str, str], *, writing: Path | None = None) -> None:
    """Run pg_dump or pg_restore; a failure is a BackupError with its own words. `writing`: the
    file it writes, so that a refused write is told as such."""
    try:
        # SIGKILL with us: a `pilar backup` killed mid-way must not leave pg_dump writing into
        # the backup folder (or pg_restore loading) for nobody.
        done = subprocess.run(
            args,
            env=env,
            capture_output=True,
            text=True,
            preexec_fn=dying_with_parent(signal.SIGKILL),
        )
    except OSError as exc:
        raise BackupError(
            _("%(tool)s could not be started: %(error)s") % {"tool": args[0], "error": exc}
        ) from exc
    if done.returncode == 0:
        return
    error = done.stderr.strip()[-2000:]
    if done.returncode < 0:
        error = f"{error} (stopped by {signal.Signals(-done.returncode).name})".strip()
    if writing is not None and (
        done.returncode == -signal.SIGXFSZ or "could not write" in error or "No space left" in error
    ):
        raise _disk_error(OSError(errno.ENOSPC, error), writing.parent)
    raise BackupError(
        _("%(tool)s failed: %(error)s") % {"tool": Path(args[0]).name, "error": error}
    )


def pg_connection(settings_dict: dict):
    conn = connections["default"].__class__(settings_dict, "backup")
    try:
        return conn.get_new_connection(conn.get_connection_params())
    except conn.Database.OperationalError as exc:
        # A server that is down, a database not created yet, a wrong password.
        raise BackupError(
            _(
                "cannot connect to the database %(db)s: %(error)s. Check DATABASE_URL, and that "
                "the database exists (createdb) and its server runs"
            )
            % {"db": settings_dict["NAME"], "error": str(exc).strip().splitlines()[0]}
        ) from exc


def pg_facts(cursor) -> tuple[dict[str, int], list[list[str]]]:
    cursor.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
        "AND table_type = 'BASE TABLE' ORDER BY table_name"
    )
    tables = [row[0] for row in cursor.fetchall()]
    query = 'SELECT count(*) FROM "{}"'  # table names from the catalogue, not from a user
    counts = {}
    for table in tables:
        cursor.execute(query.format(table))
        counts[table] = cursor.fetchone()[0]
    migrations = []
    if "django_migrations" in tables:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
        migrations = [[app, name] for app, name in cursor.fetchall()]
    return counts, migrations


def _not_pilars(database) -> BackupError:
    return BackupError(
        _(
            "the database %(db)s holds no Pilar data (no migration was ever applied to it): "
            "these are not the settings Pilar serves with. On a server set up by the deployment "
            "guide, run the command as the service does: pilar-run backup. Nothing was written"
        )
        % {"db": database}
    )


def _snapshot_sqlite(settings_dict: dict, target: Path) -> tuple[dict, list]:
    if not Path(settings_dict["NAME"]).is_file():
        # Connecting would create an empty database there, and back that up.
        raise _not_pilars(settings_dict["NAME"])
    source = open_sqlite(settings_dict["NAME"], timeout=20)
    try:
        copy = open_sqlite(target)
        try:
            # One step (pages=-1): the copy is read in one read transaction, a consistent
            # snapshot; writers go on meanwhile (WAL), and what they commit later is not in it.
            source.backup(copy)
            present = set(sqlite_tables(copy))
            for table in LIVE_TABLES:
                if table in present:
                    copy.execute(f'DELETE FROM "{table}"')  # noqa: S608 (a constant)
            copy.commit()
            return sqlite_facts(copy)
        finally:
            copy.close()
    finally:
        source.close()


def _snapshot_postgresql(settings_dict: dict, target: Path) -> tuple[dict, list]:
    conn = pg_connection(settings_dict)
    try:
        conn.autocommit = False
        with conn.cursor() as cursor:
            # The counts and the dump see the same snapshot: pg_dump joins this transaction's.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version_num')")
            snapshot, version = cursor.fetchone()
            counts, migrations = pg_facts(cursor)
            live = [table for table in LIVE_TABLES if table in counts]
            counts.update(dict.fromkeys(live, 0))
            tool = pg_tool("pg_dump", int(version))
            run_tool(
                [
                    tool,
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    *(f"--exclude-table-data={table}" for table in live),
                    "--file",
                    str(target),
                ],
                pg_env(settings_dict),
                writing=target,
            )
        conn.rollback()
    finally:
        conn.close()
    return counts, migrations


class _HashingReader(io.RawIOBase):
    """Reads exactly `size` bytes of `raw`, hashing them (a file that shrank meanwhile fails)."""

    def __init__(self, raw, size: int):
        self.raw, self.left, self.digest = raw, size, hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.left <= 0:
            return 0
        data = self.raw.read(min(len(buffer), self.left))
        if not data:
            raise OSError(errno.EIO, "file shrank while being read")
        self.left -= len(data)
        self.digest.update(data)
        buffer[: len(data)] = data
        return len(data)


def _add_file(tar: tarfile.TarFile, path: Path, name: str) -> str:
    with open(path, "rb") as raw:
        stat = os.fstat(raw.fileno())
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = stat.st_size, int(stat.st_mtime), 0o600
        reader = _HashingReader(raw, stat.st_size)
        tar.addfile(info, io.BufferedReader(reader, CHUNK))
        return reader.digest.hexdigest()


def _media_files(root: Path) -> Iterator[tuple[Path, str]]:
    if not root.is_dir():
        return
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder) / name
            if path.is_symlink() or not path.is_file():
                continue
            yield path, MEDIA_PREFIX + path.relative_to(root).as_posix()


def _disk_error(exc: OSError, folder: Path) -> BackupError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return BackupError(
            _(
                "the backup does not fit: no space left for it in %(folder)s (%(error)s). Free "
                "some space or choose another folder with --output or PILAR_BACKUP_DIR; nothing "
                "was left behind"
            )
            % {"folder": folder, "error": exc.strerror or exc}
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return BackupError(
            _(
                "cannot write into %(folder)s (%(error)s): choose a folder Pilar may write to "
                "with --output or PILAR_BACKUP_DIR"
            )
            % {"folder": folder, "error": exc.strerror or exc}
        )
    return BackupError(_("the backup failed: %(error)s") % {"error": exc})


def create_backup(
    *,
    kind: str = "manual",
    output: Path | None = None,
    using: str = "default",
    progress: Progress = _quiet,
) -> BackupResult:
    """Write an archive of the database `using` and MEDIA_ROOT to `output` (default: a new name
    in the backup folder). It is written to a hidden temporary file beside it and renamed only
    when complete: a failure (full disk, no permission) leaves nothing behind."""
    started = time.monotonic()
    now = timezone.now()
    if output is None:
        output = backup_dir() / archive_name(kind, now)
    output = Path(output).absolute()
    folder = output.parent
    if output.exists():
        raise _exists(output)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, part = tempfile.mkstemp(dir=folder, prefix=f".{output.name}.", suffix=".part")
    except OSError as exc:
        raise _disk_error(exc, folder) from exc
    out = os.fdopen(fd, "wb")
    part = Path(part)
    db_part = part.with_suffix(".db.part")
    settings_dict = connections[using].settings_dict
    vendor = connections[using].vendor
    try:
        # The copy holds every record: readable by Pilar's user alone from its first byte.
        db_part.touch(mode=0o600, exist_ok=False)
        progress(_("copying the database"))
        if vendor == "sqlite":
            counts, migrations = _snapshot_sqlite(settings_dict, db_part)
            member = SQLITE_MEMBER
        elif vendor == "postgresql":
            counts, migrations = _snapshot_postgresql(settings_dict, db_part)
            member = PG_MEMBER
        else:
            raise BackupError(_("backups of %(vendor)s are not supported") % {"vendor": vendor})
        if not migrations:
            raise _not_pilars(settings_dict["NAME"])
        checksums = {}
        with out as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            checksums[member] = _add_file(tar, db_part, member)
            db_part.unlink()
            progress(_("copying the uploaded files"))
            media = 0
            for path, name in _media_files(Path(settings.MEDIA_ROOT)):
                try:
                    checksums[name] = _add_file(tar, path, name)
                except FileNotFoundError:
                    continue  # deleted since the listing: not part of the backup
                media += 1
                if media % 100 == 0:
                    progress(_("copying the uploaded files: %(n)s") % {"n": media})
            manifest = {
                "format": FORMAT,
                "pilar_version": pilar.__version__,
                "vendor": vendor,
                "created_at": now.isoformat(),
                "kind": kind,
                "migrations": migrations,
                "row_counts": counts,
                "media_files": media,
                "sha256": checksums,
            }
            data = json.dumps(manifest, indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(now.timestamp()), 0o600
            tar.addfile(info, io.BytesIO(data))
            tar.close()
            raw.flush()
            os.fsync(raw.fileno())
        os.chmod(part, 0o600)
        _place(part, output)
        _fsync_dir(folder)
    except BaseException as exc:
        out.close()
        for leftover in (part, db_part):
            leftover.unlink(missing_ok=True)
        if isinstance(exc, sqlite3.Error):
            # SQLite names a full disk "database or disk is full", a refused write (a file
            # size limit) "disk I/O error": either way the copy could not be written there.
            raise BackupError(
                _(
                    "the copy of the database could not be written into %(folder)s (%(error)s): "
                    "check the free space there, or choose another folder with --output or "
                    "PILAR_BACKUP_DIR; nothing was left behind"
                )
                % {"folder": folder, "error": exc}
            ) from exc
        if isinstance(exc, OSError):
            raise _disk_error(exc, folder) from exc
        raise
    return BackupResult(
        path=output,
        size=output.stat().st_size,
        seconds=time.monotonic() - started,
        manifest=manifest,
    )


def _exists(output: Path) -> BackupError:
    return BackupError(
        _("%(path)s exists already: choose another name, an archive is never overwritten")
        % {"path": output}
    )


def _place(part: Path, output: Path) -> None:
    """Give the finished `part` its name, unless an archive took that name meanwhile (two
    backups in the same second): a hard link fails where a rename would overwrite."""
    try:
        os.link(part, output)
    except FileExistsError:
        raise _exists(output) from None
    except OSError:
        # A file system without hard links (a FAT-formatted USB disk): rename after a check.
        if output.exists():
            raise _exists(output) from None
        os.replace(part, output)
    else:
        part.unlink()


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def known_migrations(loader: MigrationLoader | None = None) -> set[tuple[str, str]]:
    """Every migration this code holds, and every one its squashed migrations replace (from
    `loader` when the caller has one already: reading the files again costs milliseconds)."""
    loader = loader or MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    for migration in loader.disk_migrations.values():
        known.update(tuple(key) for key in migration.replaces)
    return known


def unknown_migrations(applied, loader: MigrationLoader | None = None) -> list[str]:
    known = known_migrations(loader)
    return [f"{app}.{name}" for app, name in applied if (app, name) not in known]
