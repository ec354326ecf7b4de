from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record
from pilar.regions.loader import load_areas, read_csv
from pilar.regions.models import Area, AreaAlias


class Command(BaseCommand):
    help = (
        "Load areas (province, kota/kabupaten, kecamatan, kelurahan/desa) from a CSV with the "
        "columns code,name[,kind][,aliases]. All rows or none are loaded."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="check the file, write nothing")

    def handle(self, *args, file: Path, dry_run: bool, **options):
        if not file.exists():
            raise CommandError(f"{file}: no such file")
        try:
            with transaction.atomic():
                result = load_areas(read_csv(file), area_model=Area, alias_model=AreaAlias)
                audit_record(
                    by=Actor.system(),
                    action=AuditEntry.Action.LOAD,
                    object_type="regions.area",
                    object_repr=file.name,
                    changes={"created": [None, result.created], "updated": [None, result.updated]},
                )
                if dry_run:
                    transaction.set_rollback(True)
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from exc
        verb = "would load" if dry_run else "loaded"
        self.stdout.write(
            f"{file.name}: {verb} {result.created} new areas, {result.updated} updated, "
            f"{result.aliases} new aliases"
        )
