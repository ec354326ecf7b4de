"""Who may do what, and over which records.

Capabilities are granted to roles here in one table, each grant over an area (`area_scope`).
Scope is applied to querysets, never by `if`s in views or templates: the rules that read the
registry's people and duties (`person_scope_q`, `assignment_scope_q`, `seen_fully_q`, ...) live
beside the registry's querysets in pilar/registry/models.py, and each app's own in its models.
"""

from __future__ import annotations

import enum

from pilar.accounts.models import Role


class Capability(enum.StrEnum):
    PEOPLE_VIEW = "people.view"
    PEOPLE_EDIT = "people.edit"
    PEOPLE_FULL_NIK = "people.full_nik"
    HEADCOUNT_VIEW = "headcount.view"
    AUDIT_VIEW = "audit.view"
    BACKUPS = "backups.manage"
    IMPORTS = "imports.run"
    CASEWORK_VIEW = "casework.view"
    HOUSEHOLDS_EDIT = "households.edit"
    ACTIVITY_RECORD = "activities.record"
    REPORTS_VERIFY = "reports.verify"
    REPORTS_REOPEN = "reports.reopen"
    KUBE_VIEW = "kube.view"
    KUBE_EDIT = "kube.edit"
    TAGANA_VIEW = "tagana.view"
    TAGANA_EDIT = "tagana.edit"
    STIPENDS_VIEW = "stipends.view"
    STIPENDS_SETUP = "stipends.setup"
    STIPENDS_DRAFT = "stipends.draft"
    STIPENDS_VERIFY = "stipends.verify"
    STIPENDS_APPROVE = "stipends.approve"
    STIPENDS_OWN = "stipends.own"
    TRAININGS_VIEW = "trainings.view"
    TRAININGS_EDIT = "trainings.edit"
    EQUIPMENT_VIEW = "equipment.view"
    EQUIPMENT_EDIT = "equipment.edit"
    OFFICE_EDIT = "office.edit"
    VERIVALI_VIEW = "verivali.view"
    VERIVALI_RUN = "verivali.run"
    VERIVALI_RECORD = "verivali.record"
    VERIVALI_REVIEW = "verivali.review"


ALL_STAFF = {Role.ADMIN, Role.OPERATOR, Role.APPROVER, Role.FINANCE}

GRANTS: dict[Capability, set[str]] = {
    Capability.PEOPLE_VIEW: ALL_STAFF | {Role.COORDINATOR, Role.PILLAR},
    Capability.PEOPLE_EDIT: {Role.ADMIN, Role.OPERATOR},
    # The full NIK is needed by those who keep the registry and those who pay.
    Capability.PEOPLE_FULL_NIK: {Role.ADMIN, Role.OPERATOR, Role.FINANCE},
    Capability.HEADCOUNT_VIEW: ALL_STAFF | {Role.COORDINATOR, Role.VIEWER},
    Capability.AUDIT_VIEW: {Role.ADMIN},
    # A backup holds every record and upload: the administrator's alone.
    Capability.BACKUPS: {Role.ADMIN},
    # Imports write people and duties in bulk: the roles that keep the registry.
    Capability.IMPORTS: {Role.ADMIN, Role.OPERATOR},
    # Casework: households, caseloads, activities and monthly reports. Viewers see aggregates
    # only (the summary pages), never a household or an activity.
    Capability.CASEWORK_VIEW: ALL_STAFF | {Role.COORDINATOR, Role.PILLAR},
    Capability.HOUSEHOLDS_EDIT: {Role.ADMIN, Role.OPERATOR, Role.COORDINATOR},
    # A pillar records their own activities and submits their own reports.
    Capability.ACTIVITY_RECORD: {Role.PILLAR},
    # PSM reports: the kecamatan's coordinator; other kinds: the office (casework.access).
    Capability.REPORTS_VERIFY: {Role.ADMIN, Role.OPERATOR, Role.COORDINATOR},
    Capability.REPORTS_REOPEN: {Role.ADMIN, Role.OPERATOR},
    Capability.KUBE_VIEW: ALL_STAFF | {Role.COORDINATOR, Role.PILLAR},
    Capability.KUBE_EDIT: {Role.ADMIN, Role.OPERATOR},
    Capability.TAGANA_VIEW: ALL_STAFF | {Role.COORDINATOR, Role.PILLAR},
    Capability.TAGANA_EDIT: {Role.ADMIN, Role.OPERATOR},
    # Tali kasih: four eyes on money. The office drafts, the treasurer verifies and pays, the
    # head of office approves; rates and budgets are set by the administrator or the treasurer.
    Capability.STIPENDS_VIEW: ALL_STAFF,
    Capability.STIPENDS_SETUP: {Role.ADMIN, Role.FINANCE},
    Capability.STIPENDS_DRAFT: {Role.ADMIN, Role.OPERATOR},
    Capability.STIPENDS_VERIFY: {Role.FINANCE},
    Capability.STIPENDS_APPROVE: {Role.APPROVER},
    # A pillar sees every month of their own tali kasih.
    Capability.STIPENDS_OWN: {Role.PILLAR},
    # Trainings and equipment: the office records them; a coordinator sees the people of their
    # kecamatan; a pillar sees their own trainings, certificates and what they hold. Viewers get
    # the figures on the dashboard, not the names.
    Capability.TRAININGS_VIEW: ALL_STAFF | {Role.COORDINATOR, Role.PILLAR},
    Capability.TRAININGS_EDIT: {Role.ADMIN, Role.OPERATOR},
    Capability.EQUIPMENT_VIEW: ALL_STAFF | {Role.COORDINATOR, Role.PILLAR},
    Capability.EQUIPMENT_EDIT: {Role.ADMIN, Role.OPERATOR},
    # The office's letterhead, signers and the policies that decide who is paid (docs/OFFICE.md).
    Capability.OFFICE_EDIT: {Role.ADMIN},
    # Verivali rounds (docs/VERIVALI.md): the office opens a round and exports its results;
    # pillars record what they found in the households given to them; the kecamatan's
    # coordinator accepts or returns each finding (the office may too, where a kecamatan has
    # no coordinator). Progress figures are for the office and the coordinators.
    Capability.VERIVALI_VIEW: ALL_STAFF | {Role.COORDINATOR, Role.PILLAR},
    Capability.VERIVALI_RUN: {Role.ADMIN, Role.OPERATOR},
    Capability.VERIVALI_RECORD: {Role.PILLAR},
    Capability.VERIVALI_REVIEW: {Role.ADMIN, Role.OPERATOR, Role.COORDINATOR},
}

# Roles whose scope is the user's own person record rather than an area.
SELF_SCOPED = {Role.PILLAR}


def _grants(user):
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_pilar_grants", None)
    if cached is None:
        cached = list(user.grants.select_related("area"))
        user._pilar_grants = cached
    return cached


def grants_key(user) -> tuple[tuple[str, int], ...]:
    """The user's grants as a hashable value: a part of the key of figures cached per user."""
    return tuple(sorted((grant.role, grant.area_id or 0) for grant in _grants(user)))


def roles_of(user) -> set[str]:
    return {grant.role for grant in _grants(user)}


def can(user, capability: Capability) -> bool:
    return bool(roles_of(user) & GRANTS[capability])


def area_scope(user, capability: Capability) -> list | None:
    """The areas within which `user` holds `capability`: None means everywhere, [] nowhere.

    Self-scoped grants (a pillar's own record) contribute no area.
    """
    areas = []
    for grant in _grants(user):
        if grant.role not in GRANTS[capability] or grant.role in SELF_SCOPED:
            continue
        if grant.area_id is None:
            return None
        areas.append(grant.area)
    return areas


def user_has_self_scope(user, capability: Capability) -> bool:
    return bool(
        getattr(user, "person_id", None)
        and any(g.role in SELF_SCOPED and g.role in GRANTS[capability] for g in _grants(user))
    )


def area_in_scope(user, capability: Capability, area) -> bool:
    """Whether `area` lies within the user's areas for `capability`."""
    areas = area_scope(user, capability)
    return areas is None or any(area.is_within(a) for a in areas)


def scope_covers(outer: list | None, inner: list | None) -> bool:
    """Whether every area of scope `inner` lies within scope `outer` (None: everywhere)."""
    if outer is None:
        return True
    if inner is None:
        return False
    return all(any(i.is_within(o) for o in outer) for i in inner)
