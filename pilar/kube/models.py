"""KUBE (Kelompok Usaha Bersama): joint-business groups of poor households."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pilar.accounts.access import Capability, area_scope, user_has_self_scope
from pilar.lib.corrections import Correctable, correction_constraint, in_force_q
from pilar.lib.periods import DatedSpan, one_per_month, span_constraints
from pilar.regions.models import Area, within_areas_q
from pilar.registry.models import Assignment

# The largest amount one KUBE entry takes (aid, a month's turnover or savings): a group of 5–20
# poor households; beyond a billion rupiah a digit was typed twice (docs/CASEWORK.md).
KUBE_MAX_RUPIAH = 1_000_000_000

# A KUBE is 5–20 heads of household. Outside that range is shown as a warning,
# not refused: groups form and shrink one household at a time.
MIN_MEMBERS = 5
MAX_MEMBERS = 20


class KubeGroupQuerySet(models.QuerySet):
    def visible_to(self, user) -> KubeGroupQuerySet:
        """Staff: every group; a coordinator: the groups in their kecamatan; a pillar: the groups
        they accompany now (an open `KubeCompanion`). Others: none."""
        return self.filter(group_scope_q(user))

    def editable_by(self, user) -> KubeGroupQuerySet:
        """Groups whose data (members, companion, aid, the group itself) `user` may change."""
        return self.filter(group_edit_q(user))


class KubeGroup(models.Model):
    """A joint-business group of 5–20 heads of poor households in one kelurahan."""

    class Stage(models.TextChoices):
        GROWTH = "growth", _("Growth (penumbuhan)")
        DEVELOPMENT = "development", _("Development (pengembangan)")
        INDEPENDENT = "independent", _("Independent (mandiri)")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        DISSOLVED = "dissolved", _("Dissolved")

    name = models.CharField(_("group name"), max_length=120)
    area = models.ForeignKey(
        Area,
        verbose_name=_("kelurahan"),
        on_delete=models.PROTECT,
        related_name="kube_groups",
        limit_choices_to={"level": Area.Level.KELURAHAN},
    )
    business_type = models.CharField(_("business type"), max_length=120)
    founded_on = models.DateField(_("founding date"))
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices, default="growth")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="active")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = KubeGroupQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("KUBE group")
        verbose_name_plural = _("KUBE groups")

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def size_problem(count: int) -> str:
        """ "small", "large" or "" for a group of `count` open members (a KUBE is 5–20)."""
        if count < MIN_MEMBERS:
            return "small"
        if count > MAX_MEMBERS:
            return "large"
        return ""


class KubeCompanion(DatedSpan):
    """A Pendamping KUBE accompanying a group from `start_date` to `end_date`.

    One open companion per group (a constraint); a change of companion ends the current row the
    day before the next one starts, so the history of who accompanied the group stays."""

    group = models.ForeignKey(
        KubeGroup, verbose_name=_("group"), on_delete=models.PROTECT, related_name="companions"
    )
    person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("companion"),
        on_delete=models.PROTECT,
        related_name="kube_companions",
        help_text=_("A person with an active Pendamping KUBE duty in the group's kecamatan."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(DatedSpan.Meta):
        verbose_name = _("KUBE companion")
        verbose_name_plural = _("KUBE companions")
        indexes = [models.Index(fields=["person", "end_date"], name="kube_companion_person")]
        constraints = span_constraints("kube_companion", one_open="group")

    def __str__(self) -> str:
        return f"{self.person} · {self.group}"


class KubeMember(models.Model):
    """A household (its head) in a group, with a role. Leaving sets `left_on`; the row stays.

    A household is in at most one group at a time, and a group has at most one open chair,
    secretary and treasurer (constraints)."""

    class Role(models.TextChoices):
        CHAIR = "chair", _("Chair (ketua)")
        SECRETARY = "secretary", _("Secretary (sekretaris)")
        TREASURER = "treasurer", _("Treasurer (bendahara)")
        MEMBER = "member", _("Member (anggota)")

    group = models.ForeignKey(
        KubeGroup, verbose_name=_("group"), on_delete=models.PROTECT, related_name="members"
    )
    household = models.ForeignKey(
        "casework.Household",
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        related_name="kube_memberships",
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default="member")
    joined_on = models.DateField(_("joined on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)
    left_reason = models.CharField(_("reason for leaving"), max_length=250, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["left_on", "pk"]
        verbose_name = _("KUBE member")
        verbose_name_plural = _("KUBE members")
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(left_on__isnull=True),
                name="kube_member_one_open_group_per_household",
            ),
            models.UniqueConstraint(
                fields=["group", "role"],
                condition=Q(left_on__isnull=True) & ~Q(role="member"),
                name="kube_member_one_officer_per_role",
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=models.F("joined_on")),
                name="kube_member_left_after_joined",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household} · {self.group}"


class KubeAid(Correctable):
    """Aid a group received: money paid into its account or goods handed over."""

    class Source(models.TextChoices):
        APBD = "apbd", _("APBD (city/regency budget)")
        APBD_PROVINCE = "apbd_prov", _("APBD (province budget)")
        APBN = "apbn", _("APBN (Kemensos)")
        OTHER = "other", _("Other")

    class Form(models.TextChoices):
        MONEY = "money", _("Money")
        GOODS = "goods", _("Goods")

    group = models.ForeignKey(
        KubeGroup, verbose_name=_("group"), on_delete=models.PROTECT, related_name="aid"
    )
    date = models.DateField(_("date received"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    form = models.CharField(_("form"), max_length=5, choices=Form.choices)
    description = models.CharField(_("description"), max_length=250, blank=True)
    value = models.BigIntegerField(
        _("value (Rp)"), help_text=_("In whole rupiah; for goods, their value.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("KUBE aid")
        verbose_name_plural = _("KUBE aid")
        constraints = [
            models.CheckConstraint(condition=Q(value__gt=0), name="kube_aid_value_positive"),
            correction_constraint("kube_aid_correction_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.group} {self.date}"


class KubeProgressNote(models.Model):
    """What the companion or the office saw of a group's progress on a day."""

    group = models.ForeignKey(
        KubeGroup, verbose_name=_("group"), on_delete=models.PROTECT, related_name="notes"
    )
    date = models.DateField(_("date"))
    text = models.TextField(_("note"), max_length=2000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("KUBE progress note")
        verbose_name_plural = _("KUBE progress notes")

    def __str__(self) -> str:
        return f"{self.group} {self.date}"


class KubeMonthlyRecord(Correctable):
    """A group's business in one month: turnover and savings in whole rupiah."""

    group = models.ForeignKey(
        KubeGroup, verbose_name=_("group"), on_delete=models.PROTECT, related_name="records"
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    turnover = models.BigIntegerField(_("turnover (Rp)"))
    savings = models.BigIntegerField(_("savings (Rp)"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["month", "pk"]
        verbose_name = _("KUBE monthly record")
        verbose_name_plural = _("KUBE monthly records")
        constraints = [
            # One row in force per month; its corrections and reversals stay beside it.
            one_per_month("kube_record", "group", condition=in_force_q(), rule="month"),
            correction_constraint("kube_record_correction_has_reason"),
            models.CheckConstraint(
                condition=Q(turnover__gte=0, savings__gte=0), name="kube_record_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group} {self.month:%Y-%m}"


# Scope: which groups a user may see and change (the querysets' `visible_to`, `editable_by`).
# Staff see every group; a coordinator the groups in their kecamatan (by the group's kelurahan);
# a pillar the groups they accompany now. Who may record notes is pilar/kube/access.py.


def serves_as_pendamping(user) -> bool:
    """Whether the user's person holds a Pendamping KUBE duty today: a companion row left open
    after the duty ended (the registry ends duties, not companionships) grants nothing."""
    cached = getattr(user, "_pilar_pendamping", None)
    if cached is None:
        cached = (
            Assignment.objects.active_on(timezone.localdate())
            .filter(person_id=user.person_id, kind__code="PENDAMPING_KUBE")
            .exists()
        )
        user._pilar_pendamping = cached
    return cached


def _own_groups_q(user) -> Q:
    if not serves_as_pendamping(user):
        return Q(pk__in=[])
    own = KubeCompanion.objects.filter(person_id=user.person_id, end_date__isnull=True)
    return Q(pk__in=own.values("group_id"))


def group_scope_q(user) -> Q:
    areas = area_scope(user, Capability.KUBE_VIEW)
    if areas is None:
        return Q()
    q = within_areas_q(areas, "area")
    if user_has_self_scope(user, Capability.KUBE_VIEW):
        q |= _own_groups_q(user)
    return q


def group_edit_q(user) -> Q:
    areas = area_scope(user, Capability.KUBE_EDIT)
    if areas is None:
        return Q()
    return within_areas_q(areas, "area")
