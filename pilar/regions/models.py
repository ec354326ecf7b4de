from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def within_areas_q(areas, field: str) -> Q:
    """Rows whose area (through `field`; "" for Area itself) is one of `areas` or below one.

    The one place the tree is read from codes: a child's code is its parent's plus a dot."""
    path = f"{field}__" if field else ""
    q = Q(pk__in=[])
    for area in areas:
        q |= Q(**{f"{path}code": area.code}) | Q(**{f"{path}code__below": area.code})
    return q


class CodeBelow(models.Lookup):
    """`code__below="13.75"`: the codes under 13.75 (13.75.01, 13.75.01.1001, ...), read through
    the code's unique index. On SQLite, whose LIKE with an ESCAPE clause never uses an index, as
    the range of codes from "13.75." up to "13.75/" ("/" follows "." byte by byte): an office's
    pages then cost the same in a database of 514 offices as of one (docs/SCALE.md). Elsewhere
    LIKE '13.75.%', which PostgreSQL reads through the index in the C collation (or with a
    varchar_pattern_ops index)."""

    lookup_name = "below"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        pattern = connection.ops.prep_for_like_query(self.rhs) + ".%"
        return f"{lhs} LIKE %s", [*lhs_params, pattern]

    def as_sqlite(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"({lhs} >= %s AND {lhs} < %s)", [*lhs_params, self.rhs + ".", self.rhs + "/"]


class AreaQuerySet(models.QuerySet):
    def within(self, area: Area) -> AreaQuerySet:
        """The area itself and every area below it."""
        return self.filter(within_areas_q([area], ""))

    def by_code(self, code: str | None, field: str, level: int | None = None) -> Area | None:
        """The area a request names by its code in `field` (None when it names none); a
        ValidationError naming `field` (a 400) when no area has the code, or when the area is
        not of `level`."""
        if not code:
            return None
        area = self.filter(code=code).first()
        if area is None:
            raise ValidationError({field: [_("No area has the code %(code)s.") % {"code": code}]})
        if level is not None and area.level != level:
            raise ValidationError(
                {
                    field: [
                        _("%(code)s is not a %(level)s.")
                        % {"code": code, "level": Area.Level(level).label}
                    ]
                }
            )
        return area


class Area(models.Model):
    """One node of the Kemendagri area tree: province, kota/kabupaten, kecamatan, kelurahan/desa.

    `code` is the dotted Kemendagri code (13.75.01.1001); a child's code always starts with its
    parent's code and a dot, which lets scope checks and roll-ups work on code prefixes.
    """

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("province")
        CITY = 2, _("city/regency")
        KECAMATAN = 3, _("kecamatan")
        KELURAHAN = 4, _("kelurahan/desa")

    class Kind(models.TextChoices):
        PROVINSI = "provinsi", _("Province")
        KOTA = "kota", _("Kota")
        KABUPATEN = "kabupaten", _("Kabupaten")
        KECAMATAN = "kecamatan", _("Kecamatan")
        KELURAHAN = "kelurahan", _("Kelurahan")
        DESA = "desa", _("Desa")

    code = models.CharField(_("Kemendagri code"), max_length=13, unique=True)
    name = models.CharField(_("name"), max_length=120)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )

    objects = AreaQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        indexes = [
            models.Index(fields=["level", "code"]),
            models.Index(fields=["parent", "code"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(level=1, parent__isnull=True) | Q(level__gt=1, parent__isnull=False),
                name="area_parent_matches_level",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        prefix = {
            self.Kind.KOTA: "Kota ",
            self.Kind.KABUPATEN: "Kab. ",
            self.Kind.KECAMATAN: "Kec. ",
            self.Kind.KELURAHAN: "Kel. ",
            self.Kind.DESA: "Desa ",
        }.get(self.kind, "")
        return f"{prefix}{self.name}"

    @property
    def code_digits(self) -> str:
        return self.code.replace(".", "")

    def is_within(self, other: Area) -> bool:
        return self.code == other.code or self.code.startswith(other.code + ".")

    def ancestor_code(self, level: int) -> str | None:
        """The code of this area's ancestor at `level` (itself when at that level)."""
        if level > self.level:
            return None
        return ".".join(self.code.split(".")[:level])


class AreaAlias(models.Model):
    """Another spelling of an area's name (Guguk Panjang for Guguak Panjang)."""

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(_("alias"), max_length=120)

    class Meta:
        verbose_name = _("area alias")
        verbose_name_plural = _("area aliases")
        constraints = [
            models.UniqueConstraint(fields=["area", "name"], name="area_alias_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class AreaBoundary(models.Model):
    """A kelurahan's outline, from the office's own boundary file (`pilar load-boundaries`,
    docs/DASHBOARD.md "Map"), simplified for drawing: what the maps draw instead of a tile."""

    area = models.OneToOneField(
        Area, verbose_name=_("area"), on_delete=models.CASCADE, related_name="boundary"
    )
    # [[[[lon, lat], ...ring], ...polygon's rings, outer first], ...polygons]: a MultiPolygon's
    # coordinates in WGS84, simplified (pilar/regions/geometry.py) and rounded to 6 decimals.
    polygons = models.JSONField(_("outline"))
    points = models.PositiveIntegerField(_("points"), default=0)
    source = models.CharField(_("file"), max_length=255)
    loaded_at = models.DateTimeField(_("loaded at"))
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("loaded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("area boundary")
        verbose_name_plural = _("area boundaries")

    def __str__(self) -> str:
        return str(self.area)


Area._meta.get_field("code").register_lookup(CodeBelow)
