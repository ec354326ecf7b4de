"""`pilar load-regions FILE`: load an area tree (pilar/regions/loader.py), all rows or none."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record
from pilar.regions.loader import load_areas, read_rows
from pilar.regions.models import Area, AreaAlias


class Command(BaseCommand):
    help = (
        "Load areas (province, kota/kabupaten, kecamatan, kelurahan/desa) from a CSV (any "
        "common encoding; commas, semicolons or tabs) or a workbook with the columns "
        "code,name[,kind][,aliases]. All rows or none are loaded; renames are listed."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="check the file, write nothing")

    def handle(self, *args, file: Path, dry_run: bool, **options):
        try:
            rows = read_rows(file)
            with transaction.atomic():
                result = load_areas(rows, area_model=Area, alias_model=AreaAlias)
                audit_record(
                    by=Actor.system(),
                    action=AuditEntry.Action.LOAD,
                    object_type="regions.area",
                    object_repr=file.name,
                    changes={
                        "created": [None, result.created],
                        "updated": [None, result.updated],
                        # Each rename on the record: the old name is what a correction restores.
                        "renamed": [None, [[r.code, r.old, r.new] for r in result.renames]],
                    },
                )
                if dry_run:
                    transaction.set_rollback(True)
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from exc
        for rename in result.renames:
            line = (
                _("would rename %(code)s %(old)s → %(new)s")
                if dry_run
                else _("renamed %(code)s %(old)s → %(new)s")
            )
            self.stdout.write(
                "  " + line % {"code": rename.code, "old": rename.old, "new": rename.new}
            )
        if dry_run:
            summary = _(
                "%(file)s, checked, nothing written: %(created)s new areas, %(updated)s "
                "updated, %(aliases)s new aliases"
            )
        else:
            summary = _(
                "%(file)s: %(created)s new areas, %(updated)s updated, %(aliases)s new aliases"
            )
        self.stdout.write(
            summary
            % {
                "file": file.name,
                "created": result.created,
                "updated": result.updated,
                "aliases": result.aliases,
            }
        )
