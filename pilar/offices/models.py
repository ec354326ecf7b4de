from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q, Value
from django.db.models.functions import Coalesce, Concat
from django.utils.translation import gettext_lazy as _

from pilar.accounts.access import hosts_others, is_top, office_of
from pilar.regions.models import Area, within_areas_q

nip_validator = RegexValidator(
    r"^(\d ?){17}\d$",
    _("A NIP is 18 digits (spaces between groups allowed), e.g. 19700512 199503 2 001."),
)


def validate_public_address(url: str) -> None:
    """http(s)://host or http(s)://host/path, nothing after it: a certificate's QR code opens
    the address followed by /c/<code>/."""
    parts = urlsplit(url)
    if (
        parts.scheme not in ("http", "https")
        or parts.query
        or parts.fragment
        or url.endswith("/")
        or "?" in url
        or "#" in url
    ):
        raise ValidationError(
            _(
                "Give the public address as http(s)://host or http(s)://host/path, without "
                "“?” or “#”: a certificate's QR code adds /c/<code>/ to it."
            ),
            code="public_address",
        )


class OfficeQuerySet(models.QuerySet):
    def visible_to(self, user) -> OfficeQuerySet:
        """The offices `user` may see (docs/OFFICE.md, "Many offices"): every office from the
        top office; an office hosting others (a province), itself and those within its area;
        any other office, itself alone. Nobody signed in: none."""
        office = office_of(user)
        if office is None:
            return self.none()
        if is_top(office):
            return self.all()
        if hosts_others(office):
            return self.filter(Q(pk=office.pk) | within_areas_q([office.area], "area"))
        return self.filter(pk=office.pk)

    def hosted_by(self, office: Office) -> OfficeQuerySet:
        """The offices within `office`'s area that run a programme of their own: those hosting
        no other (a province's kab/kota; for a country or an office of no area, every kab/kota,
        not the provinces between), in the order of their area codes."""
        offices = self.exclude(pk=office.pk).filter(area__isnull=False)
        if office.area_id is not None:
            offices = offices.filter(within_areas_q([office.area], "area"))
        return offices.with_hosting().filter(hosts=False).order_by("area__code", "pk")

    def with_hosting(self) -> OfficeQuerySet:
        """Each office with `hosts`: whether another office lies within its area."""
        below = Concat(OuterRef("area__code"), Value("."))
        return self.annotate(hosts=Exists(Office.objects.filter(area__code__startswith=below)))


class Office(models.Model):
    """The office this installation serves (docs/OFFICE.md): what its documents print (name,
    address, city, logo, signers), the address its QR codes open, and its tali kasih policies.

    One office per area of the tree (a kota/kabupaten or a province). An installation holds one
    today (`pilar.offices.current()`); the table is built to hold several later."""

    area = models.ForeignKey(
        "regions.Area",
        verbose_name=_("area"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        # A kota/kabupaten or a province, never a kecamatan or kelurahan.
        limit_choices_to={"level__lte": Area.Level.CITY},
        help_text=_("The kota/kabupaten or province the office serves."),
    )
    name = models.CharField(
        _("office name"), max_length=150, help_text=_("On letterheads and in the page header.")
    )
    address = models.CharField(_("address"), max_length=250, blank=True)
    city = models.CharField(
        _("city on documents"),
        max_length=80,
        help_text=_(
            "Written before the date of a signed document: “Bukittinggi, 22 Oktober 2024”."
        ),
    )
    logo = models.ImageField(
        _("logo"),
        upload_to="office/",
        blank=True,
        help_text=_("Drawn at the left of letterheads. PNG or JPEG, at most 2 MB."),
    )
    head_title = models.CharField(_("head of office: position"), max_length=120)
    head_name = models.CharField(
        _("head of office: name"),
        max_length=200,
        blank=True,
        help_text=_(
            "As signed, degrees included (“Dra. Rina Marlina, S.Sos, M.Si”). Empty: a dotted line "
            "to write it in."
        ),
    )
    head_nip = models.CharField(
        _("head of office: NIP"), max_length=24, blank=True, validators=[nip_validator]
    )
    treasurer_title = models.CharField(_("treasurer: position"), max_length=120)
    treasurer_name = models.CharField(
        _("treasurer: name"),
        max_length=200,
        blank=True,
        help_text=_("Signs the tali kasih payment list and receipts."),
    )
    treasurer_nip = models.CharField(
        _("treasurer: NIP"), max_length=24, blank=True, validators=[nip_validator]
    )
    signer_name = models.CharField(
        _("certificate signer: name"),
        max_length=200,
        blank=True,
        help_text=_("Signs training certificates. Empty: the head of office signs them."),
    )
    signer_title = models.CharField(
        _("certificate signer: position"),
        max_length=120,
        blank=True,
        help_text=_("Empty: the head of office's position."),
    )
    signer_nip = models.CharField(
        _("certificate signer: NIP"), max_length=24, blank=True, validators=[nip_validator]
    )
    public_url = models.URLField(
        _("public address"),
        max_length=200,
        validators=[validate_public_address],
        help_text=_(
            "The address at which the public reaches this server, without a slash at the end: a "
            "certificate's QR code opens it followed by /c/<code>/."
        ),
    )
    stipend_report_required = models.BooleanField(
        _("pay a month only when its monthly report is verified"), default=True
    )
    stipend_prorate = models.BooleanField(
        _("pay part of a month by the days served in it"), default=False
    )
    stipend_cash_allowed = models.BooleanField(
        _("pay people without a bank account in cash"), default=False
    )
    report_due_day = models.PositiveSmallIntegerField(
        _("monthly report due day"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("The day of the next month by which a monthly report is due (1–28)."),
    )
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    objects = OfficeQuerySet.as_manager()

    class Meta:
        verbose_name = _("office")
        verbose_name_plural = _("offices")
        constraints = [
            # One office per area, and at most one not yet tied to an area (an installation
            # started before its area tree was loaded): two first requests cannot seed two.
            models.UniqueConstraint(
                Coalesce("area", 0),
                name="office_one_per_area",
                violation_error_message=_("Another office already serves this area."),
            ),
            models.CheckConstraint(
                condition=Q(report_due_day__gte=1, report_due_day__lte=28),
                name="office_report_due_day_1_28",
            ),
        ]

    def __str__(self) -> str:
        return self.name
