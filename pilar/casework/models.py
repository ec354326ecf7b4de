"""Casework: the households pillars accompany, who accompanies whom, what was done, and the
monthly reports the coordinator verifies.

Words: KK = family card (`Household.kk_number`), PMKS/PPKS = `NeedCategory`,
pendampingan = `Caseload`, kegiatan/kunjungan = `Activity`, laporan bulanan = `MonthlyReport`.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pilar.accounts.access import Capability, area_scope, user_has_self_scope
from pilar.lib.months import month_start
from pilar.lib.nik import mask_nik
from pilar.lib.periods import DatedSpan, one_per_month, span_constraints
from pilar.regions.models import Area, within_areas_q


class Sector(models.TextChoices):
    """The four areas of social-welfare work (UU 11/2009)."""

    REHABILITATION = "rehabilitasi", _("Social rehabilitation")
    PROTECTION = "perlindungan", _("Social protection")
    SECURITY = "jaminan", _("Social security")
    EMPOWERMENT = "pemberdayaan", _("Social empowerment")


class NeedCategory(models.Model):
    """One of the 26 kinds of PMKS/PPKS (Permensos 08/2012), seeded."""

    number = models.PositiveSmallIntegerField(_("number"), unique=True)
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        ordering = ["number"]
        verbose_name = _("PMKS category")
        verbose_name_plural = _("PMKS categories")

    def __str__(self) -> str:
        return self.name


class ActivityType(models.Model):
    """A kind of activity within a sector (home visit, referral, PBI papers...), seeded."""

    sector = models.CharField(_("sector"), max_length=16, choices=Sector.choices)
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    order = models.PositiveSmallIntegerField(default=100)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["sector", "order", "pk"]
        verbose_name = _("activity type")
        verbose_name_plural = _("activity types")

    def __str__(self) -> str:
        return self.name


class HouseholdQuerySet(models.QuerySet):
    def visible_to(self, user) -> HouseholdQuerySet:
        return self.filter(household_scope_q(user))

    def editable_by(self, user) -> HouseholdQuerySet:
        return self.filter(household_scope_q(user, edit=True))


class Household(models.Model):
    """A family (one KK) the office knows, in one kelurahan."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        MOVED = "moved", _("Moved away")
        CLOSED = "closed", _("Closed")

    kk_number = models.CharField(
        _("KK number"),
        max_length=16,
        unique=True,
        help_text=_("16-digit family-card number."),
    )
    area = models.ForeignKey(
        Area,
        verbose_name=_("kelurahan"),
        on_delete=models.PROTECT,
        related_name="households",
        limit_choices_to={"level": Area.Level.KELURAHAN},
    )
    address = models.CharField(_("address"), max_length=250)
    rt_rw = models.CharField(
        _("RT/RW"), max_length=7, blank=True, help_text=_("Neighbourhood units, as 001/002.")
    )
    dtsen_id = models.CharField(_("DTSEN/DTKS reference"), max_length=40, blank=True, db_index=True)
    decile = models.PositiveSmallIntegerField(
        _("welfare decile"), null=True, blank=True, help_text=_("DTSEN decile, 1 (poorest) to 10.")
    )
    categories = models.ManyToManyField(
        NeedCategory, verbose_name=_("PMKS categories"), blank=True, related_name="households"
    )
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default="active")
    status_reason = models.CharField(_("reason"), max_length=250, blank=True)
    status_date = models.DateField(_("status since"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        ordering = ["area__code", "kk_number"]
        verbose_name = _("household")
        verbose_name_plural = _("households")
        indexes = [models.Index(fields=["area", "status"], name="household_area_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kk_number__regex=r"^[0-9]{16}$"), name="household_kk_16_digits"
            ),
            models.CheckConstraint(
                condition=Q(decile__isnull=True) | Q(decile__gte=1, decile__lte=10),
                name="household_decile_1_10",
            ),
            models.CheckConstraint(
                condition=Q(status="active") | ~Q(status_reason=""),
                name="household_closed_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"KK {self.masked_kk}"

    @property
    def masked_kk(self) -> str:
        return mask_nik(self.kk_number)


class KKChange(models.Model):
    """A KK number the household held before: families get a new KK when they move, split or
    when the head dies, and old papers still carry the old number."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="kk_history")
    kk_number = models.CharField(_("former KK number"), max_length=16, db_index=True)
    replaced_on = models.DateField(_("replaced on"))
    reason = models.CharField(_("reason"), max_length=250)

    class Meta:
        ordering = ["-replaced_on", "-pk"]
        verbose_name = _("former KK number")
        verbose_name_plural = _("former KK numbers")

    def __str__(self) -> str:
        return mask_nik(self.kk_number)


class DecileRecord(models.Model):
    """A household's DTSEN welfare decile as of a day, and where that came from: the history
    that outcome figures read. The household's own `decile` is the latest of these."""

    class Source(models.TextChoices):
        FORM = "form", _("entered on a form")
        EXTRACT = "extract", _("DTSEN extract")
        VERIVALI = "verivali", _("verification round")

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="decile_history"
    )
    decile = models.PositiveSmallIntegerField(_("welfare decile"), null=True, blank=True)
    as_of = models.DateField(_("as of"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    # The extract import's or the round's number, when the source is one.
    reference = models.PositiveBigIntegerField(_("reference"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["household", "-as_of", "-pk"]
        verbose_name = _("decile record")
        verbose_name_plural = _("decile records")
        indexes = [models.Index(fields=["household", "as_of"], name="decile_household_as_of")]
        constraints = [
            models.CheckConstraint(
                condition=Q(decile__isnull=True) | Q(decile__gte=1, decile__lte=10),
                name="decile_record_1_10",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household_id}: {self.decile} ({self.as_of})"


class StatusRecord(models.Model):
    """A household's status from a day on (active, moved away, closed), with the reason and
    where it came from: the status history that outcome figures read (cases closed). The
    household's own `status` is the latest of these. Written in the transaction of every change
    of status (casework services, DTSEN extracts, verification rounds)."""

    class Source(models.TextChoices):
        FORM = "form", _("entered on a form")
        EXTRACT = "extract", _("DTSEN extract")
        VERIVALI = "verivali", _("verification round")
        EARLIER = "earlier", _("as recorded before the history was kept")

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="status_history"
    )
    status = models.CharField(_("status"), max_length=8, choices=Household.Status.choices)
    reason = models.CharField(_("reason"), max_length=250, blank=True)
    as_of = models.DateField(_("as of"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    # The extract import's or the round's number, when the source is one.
    reference = models.PositiveBigIntegerField(_("reference"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["household", "-as_of", "-pk"]
        verbose_name = _("status record")
        verbose_name_plural = _("status records")
        indexes = [
            models.Index(fields=["household", "as_of"], name="status_household_as_of"),
            # The households closed or moved within a window (outcomes' cases closed).
            models.Index(fields=["as_of", "status"], name="status_as_of_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="active") | ~Q(reason=""),
                name="status_record_closed_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household_id}: {self.status} ({self.as_of})"


class CategoryRecord(DatedSpan):
    """A household held a PMKS category from `start_date` to `end_date` (inclusive; empty
    while it holds it): the history of `Household.categories`, which holds the open ones.
    Written in the transaction of every change of categories (casework services)."""

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="category_history"
    )
    category = models.ForeignKey(
        NeedCategory,
        verbose_name=_("PMKS category"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(DatedSpan.Meta):
        verbose_name = _("PMKS category record")
        verbose_name_plural = _("PMKS category records")
        indexes = [models.Index(fields=["household", "start_date"], name="category_household")]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "category"],
                condition=Q(end_date__isnull=True),
                name="category_record_one_open_per_household_category",
            ),
            *span_constraints("category_record"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id}: {self.category_id} ({self.start_date})"


class Relation(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Wife/husband")
    CHILD = "child", _("Child")
    CHILD_IN_LAW = "child_in_law", _("Son/daughter-in-law")
    GRANDCHILD = "grandchild", _("Grandchild")
    PARENT = "parent", _("Parent")
    PARENT_IN_LAW = "parent_in_law", _("Parent-in-law")
    OTHER_FAMILY = "other_family", _("Other family")
    OTHER = "other", _("Other")


class HouseholdMember(models.Model):
    """A person on a household's KK. Leaving sets `left_on`; the row stays as history.

    A NIK is a member of at most one household at a time (a constraint): a member found in
    another household is flagged, never moved silently."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="members")
    nik = models.CharField(_("NIK"), max_length=16, blank=True)
    name = models.CharField(_("name"), max_length=150)
    sex = models.CharField(_("sex"), max_length=1, choices=[("L", _("Male")), ("P", _("Female"))])
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    relation = models.CharField(_("relation to head"), max_length=16, choices=Relation.choices)
    left_on = models.DateField(_("left on"), null=True, blank=True)
    left_reason = models.CharField(_("reason for leaving"), max_length=250, blank=True)

    class Meta:
        ordering = ["household", "left_on", "pk"]
        verbose_name = _("household member")
        verbose_name_plural = _("household members")
        indexes = [models.Index(fields=["nik"], name="member_nik")]
        constraints = [
            models.UniqueConstraint(
                fields=["nik"],
                condition=Q(left_on__isnull=True) & ~Q(nik=""),
                name="member_nik_one_household",
            ),
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(left_on__isnull=True, relation="head"),
                name="member_one_head",
            ),
            models.CheckConstraint(
                condition=Q(nik="") | Q(nik__regex=r"^[0-9]{16}$"), name="member_nik_16_digits"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_nik(self) -> str:
        return mask_nik(self.nik) if self.nik else ""


class CaseloadQuerySet(models.QuerySet):
    def active_on(self, day: datetime.date) -> CaseloadQuerySet:
        return self.filter(Q(end_date__isnull=True) | Q(end_date__gte=day), start_date__lte=day)


class Caseload(DatedSpan):
    """A pillar accompanying a household (pendampingan) from `start_date` to `end_date`.

    One pillar at a time per household (a constraint); reassignment ends one row and starts
    another, so the history of who accompanied a family stays."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="caseloads")
    person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("pillar"),
        on_delete=models.PROTECT,
        related_name="caseloads",
    )
    end_reason = models.CharField(_("reason it ended"), max_length=250, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CaseloadQuerySet.as_manager()

    class Meta(DatedSpan.Meta):
        verbose_name = _("caseload")
        verbose_name_plural = _("caseloads")
        indexes = [models.Index(fields=["person", "end_date"], name="caseload_person")]
        constraints = span_constraints("caseload", one_open="household")

    def __str__(self) -> str:
        return f"{self.person} · {self.household}"


class HouseholdNote(models.Model):
    """A few lines a pillar writes about a household they accompany (what changed, what the
    family asked for): shown on the household's page, newest first."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="notes")
    person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("pillar"),
        on_delete=models.PROTECT,
        related_name="household_notes",
    )
    date = models.DateField(_("date"))
    text = models.TextField(_("note"), max_length=1000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("household note")
        verbose_name_plural = _("household notes")
        indexes = [models.Index(fields=["household", "-date", "-id"], name="household_note_newest")]

    def __str__(self) -> str:
        return f"{self.date} {self.household}"


class ActivityQuerySet(models.QuerySet):
    def visible_to(self, user) -> ActivityQuerySet:
        return self.filter(activity_scope_q(user))

    def current(self) -> ActivityQuerySet:
        return self.filter(cancelled_at__isnull=True)


def photo_path(instance, filename: str) -> str:
    return f"activities/{instance.date:%Y/%m}/{filename}"


class Activity(models.Model):
    """Something a pillar did on a day: with households, with a KUBE group, or in the community.

    `month` (the first day of the date's month) and `area` (where the pillar served) are kept on
    the row so that monthly reports and scope checks read one index."""

    person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("pillar"),
        on_delete=models.PROTECT,
        related_name="activities",
    )
    kind = models.ForeignKey(
        "registry.PillarKind",
        verbose_name=_("as"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="activities"
    )
    date = models.DateField(_("date"))
    month = models.DateField(_("month"), editable=False)
    sector = models.CharField(_("sector"), max_length=16, choices=Sector.choices)
    activity_type = models.ForeignKey(
        ActivityType, verbose_name=_("activity"), on_delete=models.PROTECT, related_name="+"
    )
    need_category = models.ForeignKey(
        NeedCategory,
        verbose_name=_("PMKS category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    households = models.ManyToManyField(
        Household, verbose_name=_("households"), blank=True, related_name="activities"
    )
    kube_group = models.ForeignKey(
        "kube.KubeGroup",
        verbose_name=_("KUBE group"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
    )
    notes = models.TextField(_("notes"), max_length=1000, blank=True)
    follow_up_on = models.DateField(_("follow up on"), null=True, blank=True)
    follow_up_done_on = models.DateField(_("followed up on"), null=True, blank=True)
    photo = models.ImageField(_("photo"), upload_to=photo_path, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=250, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            models.Index(fields=["person", "month"], name="activity_person_month"),
            models.Index(fields=["area", "month"], name="activity_area_month"),
            models.Index(fields=["follow_up_on"], name="activity_follow_up"),
            # The month's activities by area and sector (casework figures), index only.
            models.Index(
                fields=["month", "area", "sector"],
                name="activity_current_month_area",
                condition=Q(cancelled_at__isnull=True),
            ),
            # The follow-ups still open (the follow-up list and its count).
            models.Index(
                fields=["follow_up_on"],
                name="activity_follow_up_open",
                condition=Q(cancelled_at__isnull=True, follow_up_done_on__isnull=True),
            ),
            # The list's order, newest first: its first page reads 50 index entries. Only the
            # activities not cancelled (the list's rows), so a deep page's ids are paged on the
            # index alone (docs/PERFORMANCE.md).
            models.Index(
                fields=["-date", "-id"],
                name="activity_current_date",
                condition=Q(cancelled_at__isnull=True),
            ),
            # The same order within one month (the list's month filter).
            models.Index(
                fields=["month", "-date", "-id"],
                name="activity_current_month_date",
                condition=Q(cancelled_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="activity_gps_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.activity_type}"

    def save(self, *args, **kwargs):
        self.month = month_start(self.date)
        super().save(*args, **kwargs)


class MonthlyReportQuerySet(models.QuerySet):
    def visible_to(self, user) -> MonthlyReportQuerySet:
        return self.filter(report_scope_q(user))


class MonthlyReport(models.Model):
    """A pillar's report for one month and one kind of duty (laporan bulanan).

    Compiled from the month's activities when submitted (the figures are kept as submitted, so
    what the coordinator verifies is what was sent). Submitted and verified months are locked
    for new activities; a returned report opens the month again. One per (person, kind, month).
    """

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        VERIFIED = "verified", _("Verified")
        RETURNED = "returned", _("Returned")
        REOPENED = "reopened", _("Reopened by the office")

    person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("pillar"),
        on_delete=models.PROTECT,
        related_name="monthly_reports",
    )
    kind = models.ForeignKey(
        "registry.PillarKind", verbose_name=_("as"), on_delete=models.PROTECT, related_name="+"
    )
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="monthly_reports"
    )
    month = models.DateField(_("month"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    summary = models.JSONField(_("figures"), default=dict)
    notes = models.TextField(_("notes"), max_length=2000, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    first_submitted_at = models.DateTimeField(
        _("first submitted at"),
        null=True,
        blank=True,
        help_text=_("Whether a report was late is judged on its first submission."),
    )
    submit_count = models.PositiveSmallIntegerField(default=0)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("verified or returned at"), null=True, blank=True)
    return_reason = models.CharField(_("reason for returning"), max_length=500, blank=True)

    objects = MonthlyReportQuerySet.as_manager()

    class Meta:
        ordering = ["-month", "person__name"]
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        indexes = [
            models.Index(fields=["area", "month"], name="report_area_month"),
            # The month's reports by area and state (casework figures), from the index alone.
            models.Index(fields=["month", "area", "status"], name="report_month_area_status"),
        ]
        constraints = [
            one_per_month("report", "person", "kind"),
            models.CheckConstraint(
                condition=~Q(status="returned") | ~Q(return_reason=""),
                name="report_returned_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.month:%Y-%m}"

    @property
    def locked(self) -> bool:
        return self.status in {self.Status.SUBMITTED, self.Status.VERIFIED}


# Scope: which households, activities and reports a user may see (the querysets' `visible_to`).
# Staff see the whole office's area; a coordinator their kecamatan (by the record's area); a
# pillar their own caseload, activities and reports. Viewers see none of it (aggregates only).
# Who may decide on a report is pilar/casework/access.py.


def _area_q(user, capability: Capability, field: str) -> Q | None:
    """None: everywhere; otherwise the rows within the user's areas for `capability`."""
    areas = area_scope(user, capability)
    if areas is None:
        return None
    # By area id from a subquery, not a join to the area table: the big tables (activities,
    # reports) keep using their own indexes and test each row's area against a small set.
    return Q(**{f"{field}__in": Area.objects.filter(within_areas_q(areas, "")).values("pk")})


def household_scope_q(user, *, edit: bool = False) -> Q:
    capability = Capability.HOUSEHOLDS_EDIT if edit else Capability.CASEWORK_VIEW
    q = _area_q(user, capability, "area")
    if q is None:
        return Q()
    if not edit and user_has_self_scope(user, capability):
        own = Caseload.objects.filter(person_id=user.person_id, end_date__isnull=True)
        q |= Q(pk__in=own.values("household_id"))
    return q


def _own_or_area_q(user) -> Q:
    q = _area_q(user, Capability.CASEWORK_VIEW, "area")
    if q is None:
        return Q()
    if user_has_self_scope(user, Capability.CASEWORK_VIEW):
        q |= Q(person_id=user.person_id)
    return q


def activity_scope_q(user) -> Q:
    return _own_or_area_q(user)


def report_scope_q(user) -> Q:
    return _own_or_area_q(user)
