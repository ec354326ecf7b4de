"""Who may do what, and over which records.

Capabilities are granted to roles here in one table, each grant over an area (`area_scope`).
Scope is applied to querysets, never by `if`s in views or templates: the rules that read the
registry's people and duties (`person_scope_q`, `assignment_scope_q`, `seen_fully_q`, ...) live
beside the registry's querysets in pilar/registry/models.py, and each app's own in its models.
"""

from __future__ import annotations

import enum

from django.db.models import Exists, F, OuterRef, Q, Value
from django.db.models.functions import Concat
from django.utils.translation import gettext as _

from pilar.accounts.models import Role, User, outside_office_message
from pilar.regions.models import within_areas_q


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

# What a user of an office that hosts other offices (a province hosting its kab/kota, docs/
# OFFICE.md "Many offices") may still do: see. Drafting, verifying or approving a kab/kota's
# payments, editing its registry or its documents is the kab/kota's own office's work. The
# office's own settings page stays, for the hosting office's letterhead.
SEEING = {
    Capability.PEOPLE_VIEW,
    Capability.HEADCOUNT_VIEW,
    Capability.AUDIT_VIEW,
    Capability.BACKUPS,
    Capability.CASEWORK_VIEW,
    Capability.KUBE_VIEW,
    Capability.TAGANA_VIEW,
    Capability.STIPENDS_VIEW,
    Capability.TRAININGS_VIEW,
    Capability.EQUIPMENT_VIEW,
    Capability.VERIVALI_VIEW,
    Capability.OFFICE_EDIT,
}
# What only the office at the top of the installation may do: a backup holds every office's
# records.
TOP_ONLY = {Capability.BACKUPS}


def _office_model():
    # The office table is read through the user's own link to it: accounts sits below offices
    # in the layers (.importlinter) and does not import it.
    return User._meta.get_field("office").related_model


def _with_flags(queryset):
    """Offices with what the scope rules ask of them, read in the same query: whether another
    office lies within the area (`_pilar_hosts`) and whether one lies outside it (`_pilar_below`,
    the office is not the top one)."""
    office = _office_model()
    below = Concat(OuterRef("area__code"), Value("."))
    return queryset.select_related("area").annotate(
        _pilar_hosts=Exists(office.objects.filter(area__code__startswith=below)),
        _pilar_below=Exists(
            office.objects.exclude(area__code=OuterRef("area__code")).exclude(
                area__code__startswith=below
            )
        ),
    )


_FLAGGED: dict = {}


def _flagged(model):
    """`_with_flags` over every office, built once per model and copied by each reader (a
    queryset is copied when filtered, never run itself): building its two subqueries took as
    long as running them, on every request and every audit entry (docs/PERFORMANCE.md, "The test
    suite's time")."""
    if model not in _FLAGGED:
        _FLAGGED[model] = _with_flags(model.objects.all())
    return _FLAGGED[model]


def top_office():
    """The office at the top of the installation: the one whose area is highest in the tree
    (the only one in a single-office installation); None before any office exists."""
    return _flagged(_office_model()).order_by(F("area__level").asc(nulls_first=True), "pk").first()


def top_office_id():
    """`top_office().pk`, read alone (without the flags `_with_flags` adds)."""
    return (
        _office_model()
        .objects.order_by(F("area__level").asc(nulls_first=True), "pk")
        .values_list("pk", flat=True)
        .first()
    )


def hosts_others(office) -> bool:
    """Whether other offices lie within `office`'s area (a province hosting its kab/kota)."""
    if office is None:
        return False
    if office.area_id is None:
        return _office_model().objects.exclude(pk=office.pk).exists()
    if not hasattr(office, "_pilar_hosts"):
        office._pilar_hosts = _flagged(type(office)).get(pk=office.pk)._pilar_hosts
    return office._pilar_hosts


def is_top(office) -> bool:
    """Whether `office` is the installation's top office: nothing lies outside its area."""
    if office is None or office.area_id is None:
        return True
    if not hasattr(office, "_pilar_below"):
        office._pilar_below = _flagged(type(office)).get(pk=office.pk)._pilar_below
    return not office._pilar_below


def office_of(user):
    """The office `user` works for: their own, or (none set) the installation's top office.
    Read once per user object (a request's user, a task's), with the flags the scope rules
    ask (`_with_flags`)."""
    if not getattr(user, "is_authenticated", False):
        return None
    cached = getattr(user, "_pilar_office", False)
    if cached is False:
        if getattr(user, "office_id", None):
            cached = _flagged(_office_model()).get(pk=user.office_id)
        else:
            cached = top_office()
        user._pilar_office = cached
    return cached


def office_area(user):
    """The area the user's office serves; None: everything the installation holds (the top
    office, or an office not yet tied to an area)."""
    office = office_of(user)
    if office is None or is_top(office):
        return None
    return office.area


def _grants(user):
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_pilar_grants", None)
    if cached is None:
        cached = list(user.grants.select_related("area"))
        user._pilar_grants = cached
    return cached


def grants_key(user) -> tuple[tuple[str, int], ...]:
    """The user's grants and office as a hashable value: a part of the key of figures cached
    per user (two offices' users with the same grants see different offices)."""
    office = office_of(user) if _grants(user) else None
    grants = tuple(sorted((grant.role, grant.area_id or 0) for grant in _grants(user)))
    return (("office", office.pk if office is not None else 0), *grants)


def roles_of(user) -> set[str]:
    return {grant.role for grant in _grants(user)}


def _refused_by_office(user, capability: Capability) -> bool:
    """An office hosting others only sees; only the top office backs up."""
    if capability in SEEING and capability not in TOP_ONLY:
        return False
    office = office_of(user)
    if capability in TOP_ONLY:
        return not is_top(office)
    return hosts_others(office)


def can(user, capability: Capability) -> bool:
    if not roles_of(user) & GRANTS[capability]:
        return False
    return not _refused_by_office(user, capability)


def area_scope(user, capability: Capability) -> list | None:
    """The areas within which `user` holds `capability`: None means everywhere the
    installation holds, [] nowhere.

    A grant over the whole office (no area) is the office's area; it is None only for the
    installation's top office, whose area holds every other. A grant's area outside the
    user's office gives nothing. Self-scoped grants (a pillar's own record) contribute no area.
    """
    if _refused_by_office(user, capability):
        return []
    whole = office_area(user)
    areas = []
    for grant in _grants(user):
        if grant.role not in GRANTS[capability] or grant.role in SELF_SCOPED:
            continue
        if grant.area_id is None:
            if whole is None:
                return None
            areas.append(whole)
        elif whole is None or grant.area.is_within(whole):
            areas.append(grant.area)
    return areas


def office_wide(user, capability: Capability) -> bool:
    """Whether `user` holds `capability` over the whole of their office (a grant with no area):
    what office-wide documents (batches, rates, BASTs, imports) ask, whatever the office's
    place in the tree."""
    if not can(user, capability):
        return False
    return any(
        grant.area_id is None
        for grant in _grants(user)
        if grant.role in GRANTS[capability] and grant.role not in SELF_SCOPED
    )


def office_scope_q(user, field: str = "office") -> Q:
    """The office-owned records (through `field`) `user` may see: every office's for the top
    office, the hosted offices' and its own for an office hosting others, else its own."""
    office = office_of(user)
    if office is None or is_top(office):
        return Q()
    if hosts_others(office):
        return within_areas_q([office.area], f"{field}__area")
    return Q(**{field: office})


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


def opens_all_of(user, capability: Capability, scope: list | None) -> bool:
    """Whether `user` may open, in full, the list behind a figure counted over `scope`: the
    capability, over all of the figure's areas (a link shown only then: docs/DASHBOARD.md)."""
    return can(user, capability) and scope_covers(area_scope(user, capability), scope)


def grant_area_problem(user, area) -> str | None:
    """Why a role over `area` cannot be given to `user` (None: it can): the area lies outside
    the user's office's area (docs/OFFICE.md, "Many offices"). `user` may be unsaved, with the
    office it is about to have; without one it works for the top office."""
    if area is None:
        return None
    office = user.office if getattr(user, "office_id", None) else top_office()
    if office is None or office.area_id is None or area.is_within(office.area):
        return None
    return outside_office_message(area, office)


def office_users_q(user) -> Q:
    """The users (a Q over User) of `user`'s office and of the offices it hosts: whom its
    administrators manage and whose writes its history shows. Users without an office work
    for the top office; from the top office, every user."""
    office = office_of(user)
    if office is None:
        return Q(pk__in=[])
    if is_top(office):
        return Q()
    q = office_scope_q(user)
    top = top_office()
    if top is not None and top.pk == office.pk:
        q |= Q(office__isnull=True)
    return q


def office_choice_problem(creator, office) -> str | None:
    """Why `creator` may not give a user `office` (None: they may): an office they may not see
    (their own, those their office hosts; any from the top office), or none at all — the top
    office — from an office below it (docs/OFFICE.md, "Many offices")."""
    own = office_of(creator)
    if own is None or is_top(own):
        return None
    if office is None:
        return _("Choose the user's office: an empty office is the top office's.")
    seen = office.pk == own.pk or (
        hosts_others(own) and office.area_id is not None and office.area.is_within(own.area)
    )
    return None if seen else _("Choose your own office or one it hosts.")
