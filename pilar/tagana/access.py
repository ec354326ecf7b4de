"""Scope of Tagana records: who sees which disaster events, deployments and members.

- Staff (admin, operator, approver, finance) see every event, deployment and member.
- A coordinator (TKSK) sees the events in their kecamatan and everyone deployed to them (they
  work beside the post); the roster shows the members whose unit lies within that kecamatan
  (none where, as in a city, Tagana serve the whole city).
- A pillar who is an active Tagana member today sees every event within the unit they serve
  (the city), plus any event they were deployed to: events are not personal data. Of the
  deployments they see only their own; the page shows how many others were deployed. On the
  roster they see their own row. A pillar who is not a Tagana member sees no event.
- Viewers have no Tagana capability at all (403): they get aggregates elsewhere.
Writes (TAGANA_EDIT: admin, operator) are limited to events within the editor's areas.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from pilar.accounts.access import (
    Capability,
    area_scope,
    assignment_scope_q,
    user_has_self_scope,
)
from pilar.regions.models import Area, within_areas_q

TAGANA = "TAGANA"


def own_units(user) -> list[Area]:
    """The areas of the Tagana duties `user`'s person holds today (usually the city)."""
    from pilar.registry.models import Assignment

    duties = Assignment.objects.active_on(timezone.localdate()).filter(
        person_id=user.person_id, kind__code=TAGANA
    )
    return list(Area.objects.filter(pk__in=duties.values("area_id")))


def event_scope_q(user) -> Q:
    from pilar.tagana.models import Deployment

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


def roster_scope_q(user) -> Q:
    """Tagana duties the user may see on the roster (the registry's rule for duties)."""
    return assignment_scope_q(user, Capability.TAGANA_VIEW)
