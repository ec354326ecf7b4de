"""Scope of casework records: who sees which households, activities and reports.

Staff see the whole office's area; a coordinator their kecamatan (by the record's area); a
pillar their own caseload, activities and reports. Viewers see none of it (aggregates only).
"""

from __future__ import annotations

from django.db.models import Q

from pilar.accounts.access import Capability, area_scope, can, roles_of, user_has_self_scope
from pilar.accounts.models import Role
from pilar.regions.models import within_areas_q


def _area_q(user, capability: Capability, field: str) -> Q | None:
    """None: everywhere; otherwise the rows within the user's areas for `capability`."""
    areas = area_scope(user, capability)
    if areas is None:
        return None
    # By area id from a subquery, not a join to the area table: the big tables (activities,
    # reports) keep using their own indexes and test each row's area against a small set.
    from pilar.regions.models import Area

    return Q(**{f"{field}__in": Area.objects.filter(within_areas_q(areas, "")).values("pk")})


def household_scope_q(user, *, edit: bool = False) -> Q:
    from pilar.casework.models import Caseload

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


def may_decide(user, report) -> bool:
    """Whether `user` may verify or return `report` (which they can already see).

    PSM reports are the kecamatan coordinator's to verify; other kinds the office's (admin,
    operator). Nobody decides on their own report."""
    if getattr(user, "person_id", None) == report.person_id:
        return False
    if not can(user, Capability.REPORTS_VERIFY):
        return False
    if report.kind.code == "PSM":
        return any(
            g.role == Role.COORDINATOR and g.area_id and report.area.is_within(g.area)
            for g in user.grants.select_related("area")
        )
    return bool(roles_of(user) & {Role.ADMIN, Role.OPERATOR})
