"""`pilar backup [--output FILE]`: one archive of the database and the uploads (docs/BACKUP.md)."""

from __future__ import annotations

import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from pilar.backups.archive import BackupError, archive_name, create_backup


class Command(BaseCommand):
    help = (
        "Write a backup archive (database, uploaded files, manifest) while Pilar runs; by "
        "default into PILAR_BACKUP_DIR."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            metavar="FILE",
            help="the archive to write (.tar.gz), or a folder to write it into",
        )

    def handle(self, *args, output: str | None, **options):
        target = None
        if output:
            target = Path(output)
            if target.is_dir():
                target = target / archive_name("manual")
            elif output.endswith(("/", os.sep)):
                # Meant as a folder: not a file named after it (a disk not mounted there).
                raise CommandError(
                    _(
                        "the folder %(folder)s does not exist (is its disk mounted?): create it, "
                        "or name the archive to write; nothing was written"
                    )
                    % {"folder": output}
                )
        try:
            result = create_backup(kind="manual", output=target)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = result.manifest
        self.stdout.write(
            _(
                "Backup written: %(path)s (%(size)s; %(tables)s tables, %(rows)s rows, %(files)s "
                "uploaded files) in %(seconds).1f s"
            )
            % {
                "path": result.path,
                "size": filesizeformat(result.size),
                "tables": len(manifest["row_counts"]),
                "rows": sum(manifest["row_counts"].values()),
                "files": manifest["media_files"],
                "seconds": result.seconds,
            }
        )
