from __future__ import annotations

import datetime

from django.db import models
from django.db.models import BooleanField, Case, Q, Value, When
from django.utils.translation import gettext_lazy as _

from pilar.lib.nik import mask_nik
from pilar.lib.periods import DatedSpan, end_after_start
from pilar.regions.models import Area


class Sex(models.TextChoices):
    MALE = "L", _("Male")
    FEMALE = "P", _("Female")


class Education(models.TextChoices):
    NONE = "none", _("No schooling")
    SD = "sd", _("Primary school (SD)")
    SMP = "smp", _("Junior secondary (SMP)")
    SMA = "sma", _("Senior secondary (SMA/SMK)")
    D3 = "d3", _("Diploma (D1–D3)")
    S1 = "s1", _("Bachelor (D4/S1)")
    S2 = "s2", _("Master (S2)")
    S3 = "s3", _("Doctorate (S3)")


class PersonQuerySet(models.QuerySet):
    def visible_to(self, user) -> PersonQuerySet:
        """The people `user` may see: all, those with a duty in the user's areas, or themself."""
        from pilar.accounts.access import Capability, person_scope_q

        return self.filter(person_scope_q(user, Capability.PEOPLE_VIEW))

    def editable_by(self, user) -> PersonQuerySet:
        """The people `user` may change: within the areas of the user's editing roles."""
        from pilar.accounts.access import Capability, person_scope_q

        return self.filter(person_scope_q(user, Capability.PEOPLE_EDIT))


def _flag(q: Q | None):
    """`q` as a boolean column; None: true for every row."""
    if q is None:
        return Value(True, output_field=BooleanField())
    return Case(When(q, then=Value(True)), default=Value(False), output_field=BooleanField())


class Person(models.Model):
    """A human being the office works with, identified by NIK. Holds duties via Assignment."""

    nik = models.CharField(
        _("NIK"),
        max_length=16,
        unique=True,
        help_text=_("16-digit national identity number from the KTP."),
    )
    name = models.CharField(_("full name"), max_length=150)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_place = models.CharField(_("place of birth"), max_length=80, blank=True)
    birth_date = models.DateField(_("date of birth"))
    address = models.CharField(_("address"), max_length=250, blank=True)
    residence = models.ForeignKey(
        Area,
        verbose_name=_("kelurahan of residence"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="residents",
        limit_choices_to={"level": Area.Level.KELURAHAN},
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    education = models.CharField(
        _("education"), max_length=8, choices=Education.choices, blank=True
    )
    bank_name = models.CharField(_("bank"), max_length=60, blank=True)
    bank_account = models.CharField(_("account number"), max_length=30, blank=True)
    bank_holder = models.CharField(_("account holder"), max_length=150, blank=True)
    photo = models.ImageField(_("photo"), upload_to="photos/%Y/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        indexes = [
            models.Index(fields=["name"]),
            models.Index(fields=["phone"]),
            # Imports look for namesakes born on the same day.
            models.Index(fields=["birth_date"], name="person_birth_date"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(nik__regex=r"^[0-9]{16}$"), name="person_nik_16_digits"
            ),
            models.CheckConstraint(condition=Q(sex__in=["L", "P"]), name="person_sex_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_nik(self) -> str:
        return mask_nik(self.nik)

    def age_on(self, day: datetime.date) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


class PillarKind(models.Model):
    """A kind of social pillar (PSM, TKSK, Tagana, ...) and the level of area it serves."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.PositiveSmallIntegerField(
        _("area level of duty"),
        choices=[
            (Area.Level.CITY, _("city/regency")),
            (Area.Level.KECAMATAN, _("kecamatan")),
            (Area.Level.KELURAHAN, _("kelurahan/desa")),
        ],
    )
    min_per_area = models.PositiveSmallIntegerField(
        _("minimum per area"),
        null=True,
        blank=True,
        help_text=_("An area with fewer active pillars of this kind is shown as a gap."),
    )
    max_per_area = models.PositiveSmallIntegerField(
        _("maximum per area"),
        null=True,
        blank=True,
        help_text=_("More than this needs an explicit override with a reason."),
    )
    order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("pillar kind")
        verbose_name_plural = _("pillar kinds")

    def __str__(self) -> str:
        return self.name


class AssignmentQuerySet(models.QuerySet):
    def active_on(self, day: datetime.date) -> AssignmentQuerySet:
        """Duties in force on `day`: started on or before it, not ended before it."""
        return self.not_ended_by(day).filter(start_date__lte=day)

    def not_ended_by(self, day: datetime.date) -> AssignmentQuerySet:
        """Duties in force on `day` or yet to start: not ended before it."""
        return self.filter(Q(end_date__isnull=True) | Q(end_date__gte=day))

    def within(self, area: Area, *, exact: bool = False) -> AssignmentQuerySet:
        """Duties at `area` (and, unless `exact`, at the areas below it)."""
        if exact:
            return self.filter(area=area)
        return self.filter(area__in=Area.objects.within(area))

    def visible_to(self, user) -> AssignmentQuerySet:
        from pilar.accounts.access import Capability, assignment_scope_q

        return self.filter(assignment_scope_q(user, Capability.PEOPLE_VIEW))

    def editable_by(self, user) -> AssignmentQuerySet:
        from pilar.accounts.access import Capability, assignment_scope_q

        return self.filter(assignment_scope_q(user, Capability.PEOPLE_EDIT))

    def with_scope_flag(self, user) -> AssignmentQuerySet:
        """Each duty with `in_scope`: whether it lies within what `user` may see (the duties
        shown of a person seen only as they were in the user's areas, docs/PRIVACY.md)."""
        from pilar.accounts.access import Capability, area_scope, assignment_scope_q

        scoped = area_scope(user, Capability.PEOPLE_VIEW) is not None
        q = assignment_scope_q(user, Capability.PEOPLE_VIEW) if scoped else None
        return self.annotate(in_scope=_flag(q))


class Assignment(DatedSpan):
    """One duty: a person serving as a kind of pillar in an area, under an SK, for a period.

    History is never overwritten: ending a duty sets `end_date` (the last day served); a change
    of area or SK is a new row. The database refuses two overlapping duties of one kind for one
    person (an exclusion constraint on PostgreSQL, triggers on SQLite).
    """

    class EndReason(models.TextChoices):
        TERM_ENDED = "term_ended", _("Term ended")
        RESIGNED = "resigned", _("Resigned")
        MOVED = "moved", _("Moved to another area or duty")
        DISMISSED = "dismissed", _("Dismissed")
        DIED = "died", _("Died")
        OTHER = "other", _("Other")

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="assignments"
    )
    kind = models.ForeignKey(
        PillarKind,
        verbose_name=_("pillar kind"),
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    area = models.ForeignKey(
        Area, verbose_name=_("area of duty"), on_delete=models.PROTECT, related_name="assignments"
    )
    sk_number = models.CharField(_("SK number"), max_length=100, blank=True)
    sk_date = models.DateField(_("SK date"), null=True, blank=True)
    sk_signer = models.CharField(_("SK signed by"), max_length=150, blank=True)
    end_date = models.DateField(
        _("end date"), null=True, blank=True, help_text=_("The last day of the duty.")
    )
    end_reason = models.CharField(
        _("end reason"), max_length=16, choices=EndReason.choices, blank=True
    )
    end_note = models.CharField(_("end note"), max_length=250, blank=True)
    override_reason = models.CharField(
        _("reason for exceeding the quota"), max_length=250, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "pk"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        indexes = [
            models.Index(
                fields=["kind", "area", "start_date", "end_date"], name="assignment_headcount"
            ),
            models.Index(fields=["area", "kind"], name="assignment_area_kind"),
            # A person's duties of one kind: the overlap check (service and SQLite trigger).
            models.Index(fields=["person", "kind", "start_date"], name="assignment_person_kind"),
        ]
        constraints = [
            end_after_start("assignment"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True, end_reason="")
                | Q(end_date__isnull=False) & ~Q(end_reason=""),
                name="assignment_end_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.kind.code} {self.area.name}"
