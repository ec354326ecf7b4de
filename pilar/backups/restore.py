"""Checking a backup archive and restoring it into an empty target (docs/BACKUP.md): every
member's checksum against the manifest, the migrations it holds against this code's, the
vendor, an empty database and uploads folder; then the copy, written aside and put in place
whole, its row counts and integrity compared with the manifest."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.utils.translation import gettext as _

import pilar
from pilar.backups.archive import (
    CHUNK,
    FORMAT,
    MANIFEST,
    MEDIA_PREFIX,
    PG_MEMBER,
    SQLITE_MEMBER,
    BackupError,
    open_sqlite,
    pg_connection,
    pg_env,
    pg_facts,
    pg_tool,
    run_tool,
    sqlite_facts,
    sqlite_integrity,
    sqlite_tables,
    unknown_migrations,
)


def _unreadable(path: Path, exc: BaseException) -> BackupError:
    return BackupError(
        _(
            "%(path)s is not a readable Pilar backup: it is damaged or cut short (%(error)s). "
            "Take another copy of the archive"
        )
        % {"path": path, "error": exc or type(exc).__name__}
    )


def _safe_member(info: tarfile.TarInfo) -> bool:
    name = info.name
    parts = name.split("/")
    return (
        info.isfile()
        and not name.startswith("/")
        and ".." not in parts
        and "" not in parts
        and (name in (MANIFEST, SQLITE_MEMBER, PG_MEMBER) or name.startswith(MEDIA_PREFIX))
    )


def read_archive(path: Path, *, extract_to: Path | None = None) -> dict:
    """Read the whole archive: every member's checksum against the manifest; each member
    written under `extract_to` when given. Returns the manifest. Raises BackupError when the
    archive is damaged, cut short, or not one of ours."""
    path = Path(path)
    seen: dict[str, str] = {}
    manifest = None
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            for info in tar:
                if not _safe_member(info):
                    raise BackupError(
                        _("%(path)s holds %(name)r, which a Pilar backup never holds: refused")
                        % {"path": path, "name": info.name}
                    )
                source = tar.extractfile(info)
                digest = hashlib.sha256()
                chunks = []
                with contextlib.ExitStack() as stack:
                    out = None
                    if extract_to is not None and info.name != MANIFEST:
                        target = extract_to / info.name
                        target.parent.mkdir(parents=True, exist_ok=True)
                        out = stack.enter_context(open(target, "xb"))
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        if out is not None:
                            out.write(chunk)
                        elif info.name == MANIFEST:
                            chunks.append(chunk)
                if info.name == MANIFEST:
                    manifest = json.loads(b"".join(chunks))
                else:
                    seen[info.name] = digest.hexdigest()
    except BackupError:
        raise
    except FileNotFoundError as exc:
        raise BackupError(_("%(path)s does not exist") % {"path": path}) from exc
    except IsADirectoryError as exc:
        raise BackupError(_("%(path)s is a folder, not a backup archive") % {"path": path}) from exc
    except PermissionError as exc:
        raise BackupError(_("%(path)s cannot be read: permission denied") % {"path": path}) from exc
    except (tarfile.TarError, EOFError, zlib.error, ValueError, OSError) as exc:
        raise _unreadable(path, exc) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(
            _("%(path)s has no Pilar manifest: it is not a Pilar backup, or it is cut short")
            % {"path": path}
        )
    if not _well_formed(manifest):
        raise BackupError(
            _("%(path)s has a manifest Pilar did not write: refused") % {"path": path}
        )
    expected = manifest["sha256"]
    if set(expected) != set(seen):
        missing = sorted(set(expected) - set(seen))
        raise BackupError(
            _("%(path)s is incomplete: %(names)s missing")
            % {"path": path, "names": ", ".join(missing[:5]) or _("extra files")}
        )
    bad = sorted(name for name, digest in seen.items() if expected[name] != digest)
    if bad:
        raise BackupError(
            _("%(path)s is damaged: the checksum of %(names)s does not match its manifest")
            % {"path": path, "names": ", ".join(bad[:5])}
        )
    return manifest


def _well_formed(manifest: dict) -> bool:
    def strings(values) -> bool:
        return all(isinstance(v, str) for v in values)

    sha, migrations, counts = (manifest.get(k) for k in ("sha256", "migrations", "row_counts"))
    return (
        isinstance(sha, dict)
        and strings(sha.values())
        and isinstance(migrations, list)
        and all(isinstance(m, list) and len(m) == 2 and strings(m) for m in migrations)
        and isinstance(counts, dict)
        and all(isinstance(n, int) for n in counts.values())
        and isinstance(manifest.get("vendor"), str)
    )


def check_manifest(path: Path, manifest: dict, vendor: str) -> None:
    unknown = unknown_migrations(manifest.get("migrations", []))
    if unknown:
        raise BackupError(
            _(
                "%(path)s comes from Pilar %(theirs)s, newer than this Pilar %(ours)s: it holds "
                "%(n)s migrations this version does not know (%(names)s). Install Pilar "
                "%(theirs)s or newer to restore it"
            )
            % {
                "path": path,
                "theirs": manifest.get("pilar_version", "?"),
                "ours": pilar.__version__,
                "n": len(unknown),
                "names": ", ".join(unknown[:3]),
            }
        )
    if manifest.get("vendor") != vendor:
        raise BackupError(
            _(
                "%(path)s holds a %(theirs)s database; this Pilar uses %(ours)s. Restore it "
                "where DATABASE_URL names a %(theirs)s database"
            )
            % {"path": path, "theirs": manifest.get("vendor"), "ours": vendor}
        )


@dataclass
class RestoreResult:
    manifest: dict
    counts: dict[str, int]
    mismatches: list[str]
    integrity: str
    media_files: int


def _media_is_empty(root: Path) -> bool:
    return not root.exists() or (root.is_dir() and not any(root.iterdir()))


def check_target_empty(settings_dict: dict, vendor: str, media_root: Path) -> None:
    """Refuse a restore over anything: the database must hold no table, MEDIA_ROOT no file."""
    full = []
    if vendor == "sqlite":
        db = Path(settings_dict["NAME"])
        if db.exists() and db.stat().st_size > 0:
            conn = open_sqlite(db)
            try:
                tables = sqlite_tables(conn)
            except sqlite3.DatabaseError:
                tables = ["?"]
            finally:
                conn.close()
            if tables:
                full.append(
                    _("the database %(db)s holds %(n)s tables") % {"db": db, "n": len(tables)}
                )
    else:
        conn = pg_connection(settings_dict)
        try:
            with conn.cursor() as cursor:
                counts, _migrations = pg_facts(cursor)
        finally:
            conn.close()
        if counts:
            full.append(
                _("the database %(db)s holds %(n)s tables")
                % {"db": settings_dict["NAME"], "n": len(counts)}
            )
    if not _media_is_empty(media_root):
        full.append(_("the uploads folder %(folder)s is not empty") % {"folder": media_root})
    if full:
        raise BackupError(
            _(
                "a backup is restored only into an empty place, and %(what)s. Point "
                "PILAR_DATA_DIR (or DATABASE_URL) at a new, empty one"
            )
            % {"what": _(" and ").join(full)}
        )


def restore_archive(
    path: Path, *, using: str = "default", media_root: Path | None = None
) -> RestoreResult:
    """Check the archive, then restore it into the empty database `using` and the empty
    `media_root`. Everything is first written beside its place and moved in at the end (the
    PostgreSQL dump in one transaction): a failure leaves the target as it was."""
    path = Path(path)
    media_root = Path(media_root or settings.MEDIA_ROOT)
    connection = connections[using]
    settings_dict, vendor = connection.settings_dict, connection.vendor
    manifest = read_archive(path)
    check_manifest(path, manifest, vendor)
    connections.close_all()
    check_target_empty(settings_dict, vendor, media_root)

    media_root.parent.mkdir(parents=True, exist_ok=True)
    if vendor == "sqlite":
        db_path = Path(settings_dict["NAME"])
        db_path.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=db_path.parent, prefix=".pilar-restore-"))
    else:
        staging = Path(tempfile.mkdtemp(dir=media_root.parent, prefix=".pilar-restore-"))
    media_placed = False
    try:
        read_archive(path, extract_to=staging)  # checked again as it is written
        staged_media = staging / MEDIA_PREFIX.rstrip("/")
        if vendor == "sqlite":
            copy = open_sqlite(staging / SQLITE_MEMBER)
            try:
                integrity = sqlite_integrity(copy)
                counts, _migrations = sqlite_facts(copy)
            finally:
                copy.close()
            if integrity != "ok":
                raise BackupError(
                    _("the database in %(path)s fails its integrity check: %(result)s")
                    % {"path": path, "result": integrity}
                )
        if staged_media.exists():
            if media_root.exists():
                media_root.rmdir()  # empty, checked above
            os.replace(staged_media, media_root)
            media_placed = True
        if vendor == "sqlite":
            for suffix in ("-wal", "-shm"):
                Path(str(db_path) + suffix).unlink(missing_ok=True)
            os.replace(staging / SQLITE_MEMBER, db_path)
        else:
            tool = pg_tool("pg_restore", _pg_server_version(settings_dict))
            run_tool(
                [
                    tool,
                    "--single-transaction",
                    "--exit-on-error",
                    "--no-owner",
                    "--no-privileges",
                    "--dbname",
                    settings_dict["NAME"],
                    str(staging / PG_MEMBER),
                ],
                pg_env(settings_dict),
            )
            conn = pg_connection(settings_dict)
            try:
                with conn.cursor() as cursor:
                    counts, _migrations = pg_facts(cursor)
                    integrity = _("restored in one transaction")
            finally:
                conn.close()
    except BaseException:
        if media_placed:
            shutil.rmtree(media_root, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    expected = manifest.get("row_counts", {})
    mismatches = [
        f"{table}: {expected.get(table)} → {counts.get(table)}"
        for table in sorted(set(expected) | set(counts))
        if expected.get(table) != counts.get(table)
    ]
    return RestoreResult(
        manifest=manifest,
        counts=counts,
        mismatches=mismatches,
        integrity=integrity,
        media_files=manifest.get("media_files", 0),
    )


def _pg_server_version(settings_dict: dict) -> int:
    conn = pg_connection(settings_dict)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT current_setting('server_version_num')")
            return int(cursor.fetchone()[0])
    finally:
        conn.close()
