"""Who may decide on a casework report. Which households, activities and reports a user sees
is the querysets' scope, in pilar/casework/models.py."""

from __future__ import annotations

from pilar.accounts.access import Capability, can, roles_of
from pilar.accounts.models import Role


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
