"""`pilar restore FILE`: check an archive and restore it into an empty database and uploads
folder (docs/BACKUP.md)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from pilar.backups.archive import BackupError, unknown_migrations
from pilar.backups.restore import restore_archive


class Command(BaseCommand):
    help = (
        "Restore a backup archive into an empty PILAR_DATA_DIR (SQLite) or an empty database "
        "(DATABASE_URL); the archive is checked first."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("file", help="the archive written by `pilar backup`")

    def handle(self, *args, file: str, **options):
        try:
            result = restore_archive(file)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = result.manifest
        self.stdout.write(
            _("Restored %(file)s (Pilar %(version)s, taken %(when)s).")
            % {
                "file": file,
                "version": manifest.get("pilar_version"),
                "when": manifest.get("created_at"),
            }
        )
        for table, rows in sorted(result.counts.items()):
            self.stdout.write(f"  {table}: {rows}")
        self.stdout.write(
            _("%(tables)s tables, %(rows)s rows, %(files)s uploaded files.")
            % {
                "tables": len(result.counts),
                "rows": sum(result.counts.values()),
                "files": result.media_files,
            }
        )
        self.stdout.write(_("Integrity check: %(result)s") % {"result": result.integrity})
        if result.mismatches:
            raise CommandError(
                _("The row counts differ from the archive's manifest: %(list)s")
                % {"list": "; ".join(result.mismatches)}
            )
        self.stdout.write(_("Row counts: all as in the manifest."))
        self.stdout.write(
            _(
                "Take a backup of the restored site once it runs (Back up now, or pilar backup): "
                "its backup folder is empty, and tonight's backup may count as taken already."
            )
        )
        pending = not unknown_migrations(manifest.get("migrations", [])) and _behind(manifest)
        if pending:
            self.stdout.write(
                _(
                    "The archive is from an older Pilar: `pilar serve` (or `pilar migrate`) "
                    "brings the database up to date."
                )
            )


def _behind(manifest: dict) -> bool:
    from pilar.backups.archive import known_migrations

    applied = {tuple(m) for m in manifest.get("migrations", [])}
    return bool(known_migrations() - applied)
