"""`pilar load-boundaries FILE.geojson`: the office's kelurahan outlines for its maps
(pilar/regions/boundaries.py, docs/DASHBOARD.md "Map"), all or none."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pilar.accounts.access import hosts_others, top_office
from pilar.audit.services import Actor
from pilar.offices.models import Office
from pilar.regions.boundaries import boundaries_load, read_collection
from pilar.regions.loader import normalize_code


class Command(BaseCommand):
    help = (
        "Load the office's kelurahan boundaries from a GeoJSON FeatureCollection of polygons in "
        "WGS84 longitude/latitude, each feature naming its kelurahan's Kemendagri code in a "
        "property (kode, kode_desa, KDEPUM, ... or --code-property). Replaces the office's "
        "outlines; all or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--office",
            metavar="CODE",
            help="the area code of the office (13.75); default: the installation's top office",
        )
        parser.add_argument(
            "--code-property", metavar="NAME", help="the property holding the kelurahan code"
        )
        parser.add_argument("--dry-run", action="store_true", help="check the file, write nothing")

    def handle(self, *args, file: Path, office: str | None, code_property, dry_run, **options):
        try:
            # The file first: one that is no GeoJSON is refused before anything is read.
            data = read_collection(file)
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from exc
        chosen = self._office(office)
        try:
            result = boundaries_load(
                office_area=chosen.area,
                data=data,
                file_name=file.name,
                by=Actor.system(),
                code_property=code_property,
                dry_run=dry_run,
            )
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from exc
        values = {
            "file": file.name,
            "n": len(result.loaded),
            "office": chosen.name,
            "replaced": result.replaced,
            "points": result.points,
        }
        if dry_run:
            line = _(
                "%(file)s, checked, nothing written: %(n)s kelurahan outlined for %(office)s "
                "(%(points)s points)."
            )
        else:
            line = _(
                "%(file)s: %(n)s kelurahan outlined for %(office)s (%(points)s points); "
                "%(replaced)s outlines replaced."
            )
        self.stdout.write(line % values)
        if result.without:
            self.stdout.write(
                ngettext(
                    "%(n)s kelurahan of the office has no outline in the file: %(codes)s. "
                    "Maps that show it are drawn as a tile grid.",
                    "%(n)s kelurahan of the office have no outline in the file: %(codes)s. "
                    "Maps that show them are drawn as a tile grid.",
                    len(result.without),
                )
                % {"n": len(result.without), "codes": ", ".join(result.without)}
            )

    def _office(self, code: str | None) -> Office:
        if code is None:
            office = top_office()
            if office is None:
                raise CommandError(_("No office exists yet: run pilar migrate first."))
            office = Office.objects.select_related("area").get(pk=office.pk)
        else:
            try:
                dotted = normalize_code(code)
            except ValueError:
                raise CommandError(
                    _("--office: write the office's area code, such as 13.75 (got “%(code)s”).")
                    % {"code": code}
                ) from None
            office = Office.objects.select_related("area").filter(area__code=dotted).first()
            if office is None:
                served = ", ".join(
                    f"{o.area.code} ({o.name})"
                    for o in Office.objects.filter(area__isnull=False)
                    .select_related("area")
                    .order_by("area__code")
                )
                raise CommandError(
                    _("--office: no office serves the area %(code)s. Offices: %(offices)s.")
                    % {"code": dotted, "offices": served or "-"}
                )
        if hosts_others(office):
            hosted = ", ".join(
                o.area.code for o in Office.objects.hosted_by(office).select_related("area")
            )
            raise CommandError(
                _(
                    "%(office)s hosts other offices, whose boundaries are their own: load each "
                    "one's with --office and its area code (%(codes)s)."
                )
                % {"office": office.name, "codes": hosted}
            )
        if office.area is None:
            raise CommandError(
                _(
                    "%(office)s has no area yet: choose it on Office settings before loading "
                    "its boundaries."
                )
                % {"office": office.name}
            )
        return office
