"""Tagana (Taruna Siaga Bencana): disaster events, who was deployed to them, and what happened.

Who may see what: the rules are told in pilar/tagana/access.py and applied at the end of this
module; every write goes through `pilar.tagana.services`.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pilar.accounts.access import Capability, area_scope, user_has_self_scope
from pilar.lib.corrections import (
    Correctable,
    CorrectableQuerySet,
    correction_constraint,
)
from pilar.lib.periods import end_after_start
from pilar.regions.models import Area, within_areas_q
from pilar.registry.models import Assignment, Person


class DisasterEventQuerySet(models.QuerySet):
    def visible_to(self, user) -> DisasterEventQuerySet:
        return self.filter(event_scope_q(user))

    def editable_by(self, user) -> DisasterEventQuerySet:
        return self.filter(event_edit_q(user))


class DisasterEvent(models.Model):
    """A disaster in one kelurahan that Tagana members responded to."""

    class Kind(models.TextChoices):
        FLOOD = "flood", _("Flood (banjir)")
        LANDSLIDE = "landslide", _("Landslide (tanah longsor)")
        FIRE = "fire", _("Fire (kebakaran)")
        EARTHQUAKE = "earthquake", _("Earthquake (gempa)")
        ERUPTION = "eruption", _("Volcanic eruption")
        WIND = "wind", _("Strong wind (angin puting beliung)")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    kind = models.CharField(_("kind of disaster"), max_length=12, choices=Kind.choices)
    started_on = models.DateField(_("date started"))
    area = models.ForeignKey(
        Area,
        verbose_name=_("kelurahan"),
        on_delete=models.PROTECT,
        related_name="disaster_events",
        limit_choices_to={"level": Area.Level.KELURAHAN},
    )
    description = models.TextField(
        _("description"), help_text=_("Where exactly, what happened, who is affected.")
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    closed_on = models.DateField(_("date closed"), null=True, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = DisasterEventQuerySet.as_manager()

    class Meta:
        ordering = ["-started_on", "-pk"]
        verbose_name = _("disaster event")
        verbose_name_plural = _("disaster events")
        indexes = [
            models.Index(fields=["status", "started_on"], name="tagana_event_status"),
            models.Index(fields=["area", "started_on"], name="tagana_event_area"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", closed_on__isnull=True)
                | Q(status="closed", closed_on__isnull=False, closed_on__gte=F("started_on")),
                name="tagana_event_closed_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.area.name} · {self.started_on.isoformat()}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class DeploymentQuerySet(CorrectableQuerySet):
    def visible_to(self, user) -> DeploymentQuerySet:
        return self.filter(deployment_scope_q(user))

    def ongoing_at(self, moment: datetime.datetime) -> DeploymentQuerySet:
        """Deployments in force that have started by `moment` and not ended by it."""
        return self.in_force().filter(Q(end__isnull=True) | Q(end__gt=moment), start__lte=moment)


class Deployment(Correctable):
    """A Tagana member on duty at an event, from `start` until `end` (empty while deployed).

    Only active Tagana members may be deployed, and one person is never in two places at once:
    both are checked by `services.deployment_create`. A deployment recorded wrongly is
    corrected by an amending or reversing entry with a reason (`pilar.lib.corrections`); only
    deployments in force count."""

    class Role(models.TextChoices):
        POST_COORDINATOR = "post_coordinator", _("Coordinator of the post (posko)")
        EVACUATION = "evacuation", _("Evacuation")
        KITCHEN = "kitchen", _("Emergency kitchen (dapur umum)")
        LOGISTICS = "logistics", _("Logistics")
        ASSESSMENT = "assessment", _("Assessment and victim listing")
        OTHER = "other", _("Other")

    event = models.ForeignKey(
        DisasterEvent,
        verbose_name=_("event"),
        on_delete=models.PROTECT,
        related_name="deployments",
    )
    person = models.ForeignKey(
        Person,
        verbose_name=_("Tagana member"),
        on_delete=models.PROTECT,
        related_name="deployments",
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(
        _("end"), null=True, blank=True, help_text=_("Empty while the member is still deployed.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DeploymentQuerySet.as_manager()

    class Meta:
        ordering = ["start", "pk"]
        verbose_name = _("deployment")
        verbose_name_plural = _("deployments")
        indexes = [
            models.Index(fields=["person", "start"], name="tagana_deployment_person"),
        ]
        constraints = [
            end_after_start("tagana_deployment", start="start", end="end"),
            correction_constraint("tagana_deployment_correction_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.get_role_display()}"

    def hours_until(self, moment: datetime.datetime) -> Decimal:
        """Hours on duty, to one decimal: until `end`, or until `moment` while still deployed."""
        until = self.end or max(moment, self.start)
        seconds = Decimal((until - self.start).total_seconds())
        return (seconds / 3600).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def hours(self) -> Decimal:
        return self.hours_until(timezone.now())

    @property
    def is_ongoing(self) -> bool:
        return self.end is None and self.in_force


class EventLogEntry(models.Model):
    """One line of an event's activity log: what happened at the post, and when."""

    event = models.ForeignKey(
        DisasterEvent, verbose_name=_("event"), on_delete=models.PROTECT, related_name="log"
    )
    at = models.DateTimeField(_("when"))
    text = models.TextField(_("what happened"))
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("log entry")
        verbose_name_plural = _("log entries")

    def __str__(self) -> str:
        return self.text[:80]


# Scope: which events and deployments a user may see and change (the querysets' `visible_to`,
# `editable_by`); pilar/tagana/access.py tells the rules.

TAGANA = "TAGANA"


def own_units(user) -> list[Area]:
    """The areas of the Tagana duties `user`'s person holds today (usually the city)."""
    duties = Assignment.objects.active_on(timezone.localdate()).filter(
        person_id=user.person_id, kind__code=TAGANA
    )
    return list(Area.objects.filter(pk__in=duties.values("area_id")))


def event_scope_q(user) -> Q:
    areas = area_scope(user, Capability.TAGANA_VIEW)
    if areas is None:
        return Q()
    q = within_areas_q(areas, "area")
    if user_has_self_scope(user, Capability.TAGANA_VIEW):
        q |= within_areas_q(own_units(user), "area")
        q |= Q(pk__in=Deployment.objects.filter(person_id=user.person_id).values("event_id"))
    return q


def deployment_scope_q(user) -> Q:
    areas = area_scope(user, Capability.TAGANA_VIEW)
    if areas is None:
        return Q()
    q = within_areas_q(areas, "event__area")
    if user_has_self_scope(user, Capability.TAGANA_VIEW):
        q |= Q(person_id=user.person_id)
    return q


def event_edit_q(user) -> Q:
    areas = area_scope(user, Capability.TAGANA_EDIT)
    return Q() if areas is None else within_areas_q(areas, "area")
