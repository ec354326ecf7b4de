"""Scope of tali kasih records.

A batch is an office-wide document: staff whose stipend grant covers the whole office see
batches; a grant limited to an area sees that area's lines (arrears, eligibility) but no batch.
A pillar sees their own lines only.
"""

from __future__ import annotations

from django.db.models import Q

from pilar.accounts.access import Capability, area_scope, can, user_has_self_scope
from pilar.regions.models import Area, within_areas_q

NOTHING = Q(pk__in=[])


def office_wide(user, capability: Capability) -> bool:
    return can(user, capability) and area_scope(user, capability) is None


def full_nik_in_batches(user) -> bool:
    """A batch lists people of the whole office: its documents show full NIKs only to a reader
    whose full-NIK grant covers the whole office; a grant limited to an area (even beside an
    office-wide stipend role) gets them masked (docs/PRIVACY.md)."""
    return office_wide(user, Capability.PEOPLE_FULL_NIK)


def batch_scope_q(user) -> Q:
    return Q() if office_wide(user, Capability.STIPENDS_VIEW) else NOTHING


def line_scope_q(user) -> Q:
    areas = area_scope(user, Capability.STIPENDS_VIEW)
    if areas is None:
        return Q()
    q = NOTHING
    if areas:
        q |= Q(area__in=Area.objects.filter(within_areas_q(areas, "")).values("pk"))
    if user_has_self_scope(user, Capability.STIPENDS_OWN):
        q |= Q(person_id=user.person_id)
    return q
