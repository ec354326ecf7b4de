"""The verification and validation round (verivali): the office lists households to visit,
pillars record what they found, the kecamatan's coordinator accepts or returns each finding,
and accepted findings are applied to the household records and sent up to the ministry."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from pilar.accounts.access import Capability, area_scope, office_scope_q, user_has_self_scope
from pilar.casework.models import Household, HouseholdMember, NeedCategory
from pilar.regions.models import Area, within_areas_q


class RoundQuerySet(models.QuerySet):
    def visible_to(self, user) -> RoundQuerySet:
        """The rounds of the offices `user` may see (docs/OFFICE.md, "Many offices")."""
        return self.filter(office_scope_q(user))


class Round(models.Model):
    """One verivali round: its name, its period, and the selection of households it visits."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    # The office that runs the round (docs/OFFICE.md, "Many offices").
    office = models.ForeignKey(
        "offices.Office", verbose_name=_("office"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=120)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("until"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default="open")
    # The selection the round was opened with (kept to show and to add households later).
    areas = models.ManyToManyField(Area, verbose_name=_("areas"), blank=True, related_name="+")
    deciles = models.JSONField(_("deciles"), default=list, blank=True)
    categories = models.ManyToManyField(
        NeedCategory, verbose_name=_("PMKS categories"), blank=True, related_name="+"
    )
    source_import = models.ForeignKey(
        "dtsen.HouseholdImport",
        verbose_name=_("households of the extract import"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rounds",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    objects = RoundQuerySet.as_manager()

    class Meta:
        ordering = ["-period_start", "-pk"]
        verbose_name = _("verification round")
        verbose_name_plural = _("verification rounds")
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="round_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class VisitQuerySet(models.QuerySet):
    def visible_to(self, user) -> VisitQuerySet:
        return self.filter(visit_scope_q(user))


class Visit(models.Model):
    """A household to visit in a round, and the pillar it is assigned to (by kelurahan: the
    household's accompanying PSM where there is one). A household a pillar proposes (not on the
    list) is a visit without `household`, with its data in `proposed` until accepted."""

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="visits")
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, null=True, blank=True, related_name="visits"
    )
    area = models.ForeignKey(
        Area, verbose_name=_("kelurahan"), on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("pillar"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
    )
    # A proposed household: {"kk_number", "dtsen_id", "address", "rt_rw", "decile",
    # "members": [{"nik", "name", "sex", "birth_date", "relation"}, ...]}.
    proposed = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VisitQuerySet.as_manager()

    class Meta:
        ordering = ["round", "area__code", "pk"]
        verbose_name = _("household to visit")
        verbose_name_plural = _("households to visit")
        indexes = [
            models.Index(fields=["round", "area"], name="visit_round_area"),
            models.Index(fields=["round", "person"], name="visit_round_person"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "household"],
                condition=Q(household__isnull=False),
                name="visit_household_once_per_round",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round_id}: {self.household or _('proposed household')}"


class FindingQuerySet(models.QuerySet):
    def visible_to(self, user) -> FindingQuerySet:
        return self.filter(visit__in=Visit.objects.visible_to(user).values("pk"))

    def reviewable_by(self, user) -> FindingQuerySet:
        return self.filter(finding_review_q(user))


class Finding(models.Model):
    """What a pillar found on a visit. One per visit (a second pillar recording the same
    household meets the constraint); returned findings are corrected and submitted again,
    accepted ones are final and applied to the household's records."""

    class Kind(models.TextChoices):
        CONFIRMED = "confirmed", _("data confirmed")
        CORRECTED = "corrected", _("data corrected")
        MOVED = "moved", _("moved away")
        DECEASED = "deceased", _("a member died")
        SPLIT = "split", _("household split")
        NOT_FOUND = "not_found", _("not found")
        BETTER_OFF = "better_off", _("better off / no longer eligible")
        PROPOSED = "proposed", _("proposed new household")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("waiting for review")
        ACCEPTED = "accepted", _("accepted")
        RETURNED = "returned", _("returned for correction")

    visit = models.OneToOneField(Visit, on_delete=models.PROTECT, related_name="finding")
    kind = models.CharField(_("finding"), max_length=12, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default="submitted"
    )
    visited_on = models.DateField(_("visited on"))
    # Corrections field by field, as after-values: {"address": ..., "rt_rw": ..., "decile": ...,
    # "kk_number": ..., "dtsen_id": ..., "members": {"<member id>": {"nik": ..., "name": ...}},
    # "new_members": [{...}]} — the before-values are read from the records when shown.
    changes = models.JSONField(_("corrections"), default=dict, blank=True)
    moved_to = models.CharField(_("moved to"), max_length=250, blank=True)
    deceased_member = models.ForeignKey(
        HouseholdMember,
        verbose_name=_("member who died"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    deceased_on = models.DateField(_("died on"), null=True, blank=True)
    # Members who left to form their own household (member ids).
    split_members = models.JSONField(_("members who split off"), default=list, blank=True)
    note = models.TextField(_("note"), max_length=1000, blank=True)
    photo = models.ImageField(_("photo"), upload_to="verivali/%Y/%m/", blank=True)
    recorded_by = models.ForeignKey(
        "registry.Person", verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The casework activity the visit counts as.
    activity = models.ForeignKey(
        "casework.Activity", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    review_note = models.CharField(_("reviewer's note"), max_length=250, blank=True)
    applied_at = models.DateTimeField(_("applied to the records"), null=True, blank=True)
    # Raised on every change: an edit sent with an older version is refused (two phones).
    version = models.PositiveIntegerField(default=1)

    objects = FindingQuerySet.as_manager()

    class Meta:
        ordering = ["visit"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        indexes = [models.Index(fields=["status"], name="finding_status")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="returned") | ~Q(review_note=""),
                name="finding_returned_has_note",
            ),
            models.CheckConstraint(
                condition=~Q(status="accepted") | Q(reviewed_at__isnull=False),
                name="finding_accepted_reviewed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visit_id}: {self.kind} ({self.status})"


# Scope (docs/VERIVALI.md): the office's roles see the visits within their area, a coordinator
# those of their kecamatan (by the visit's kelurahan), a pillar only the visits given to them.
# Findings are reviewed by the coordinator of the visit's kecamatan, or by the office anywhere
# within its scope.


def _areas_q(areas, field: str) -> Q:
    # By area id from a subquery (as pilar/casework/models.py): the visits table keeps its own
    # (round, area) index and tests each row's area against a small set.
    return Q(**{f"{field}__in": Area.objects.filter(within_areas_q(areas, "")).values("pk")})


def visit_scope_q(user) -> Q:
    areas = area_scope(user, Capability.VERIVALI_VIEW)
    if areas is None:
        return Q()
    q = _areas_q(areas, "area")
    if user_has_self_scope(user, Capability.VERIVALI_VIEW):
        q |= Q(person_id=user.person_id)
    return q


def finding_review_q(user) -> Q:
    areas = area_scope(user, Capability.VERIVALI_REVIEW)
    if areas is None:
        return Q()
    return _areas_q(areas, "visit__area")
