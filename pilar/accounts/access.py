"""Who may do what, and over which records.

Capabilities are granted to roles here in one table; scope is applied to querysets through
`person_scope_q` / `assignment_scope_q` / `area_scope`, never by `if`s in views or templates.
"""

from __future__ import annotations

import enum

from django.db.models import BooleanField, Case, Exists, OuterRef, Q, When
from django.utils import timezone

from pilar.accounts.models import Role
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


def _areas_within(areas):
    """The ids of `areas` and every area below them, as a subquery: big tables test their own
    area column against a small set instead of joining the area table (docs/PERFORMANCE.md,
    "Pages at national scale")."""
    from pilar.regions.models import Area

    return Area.objects.filter(within_areas_q(areas, "")).values("pk")


def assignment_scope_q(user, capability: Capability) -> Q:
    areas = area_scope(user, capability)
    if areas is None:
        return Q()
    q = Q(area__in=_areas_within(areas)) if areas else Q(pk__in=[])
    if user_has_self_scope(user, capability):
        q |= Q(person_id=user.person_id)
    return q


def person_scope_q(user, capability: Capability, *, serving: bool = False) -> Q:
    """The people `user` may see with `capability`: those with a duty in the user's areas (for
    PEOPLE_EDIT and with `serving`, a duty in force today or yet to start: one rule for whom an
    area-limited user sees as today and may change, docs/PRIVACY.md),
    the newly registered with no duty who live there, and with a self-scoped grant the user's
    own person.

    One `pk IN (... UNION ...)` rather than an OR of semi-joins: PostgreSQL plans the OR as a
    filter run on every person in the registry, the union as one small set of ids."""
    from pilar.registry.models import Assignment, Person

    areas = area_scope(user, capability)
    if areas is None:
        return Q()
    parts = []
    if areas:
        within = _areas_within(areas)
        duties = Assignment.objects.filter(area__in=within)
        if serving or capability == Capability.PEOPLE_EDIT:
            # Changing a person is for the areas they serve in now (or are appointed to), not
            # where they once did: the same people an area-limited user sees as today.
            duties = duties.not_ended_by(timezone.localdate())
        parts.append(duties.order_by().values("person_id"))
        # A newly registered person has no duty yet: reachable where they live.
        no_duty = ~Exists(Assignment.objects.filter(person=OuterRef("pk")))
        parts.append(Person.objects.filter(no_duty, residence__in=within).order_by().values("pk"))
    if user_has_self_scope(user, capability):
        parts.append(Person.objects.filter(pk=user.person_id).order_by().values("pk"))
    if not parts:
        return Q(pk__in=[])
    ids = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
    return Q(pk__in=ids)


def seen_fully_q(user, capability: Capability = Capability.PEOPLE_VIEW) -> Q | None:
    """Among the people `user` may see, those seen as they are today; the others are seen only
    as they were in the user's areas (name, masked NIK, the duties held there): they no longer
    serve there (docs/PRIVACY.md). None when the user's grant is office-wide: everyone is seen
    as today.

    Still serving is a duty in the user's areas in force today or yet to start; the newly
    registered with no duty who live there and the user's own person are seen as today too.
    For a page or a chunk of people already read, `seen_fully_among` asks about those only."""
    if area_scope(user, capability) is None:
        return None
    return person_scope_q(user, capability, serving=True)


def until_left_q(user, capability: Capability, *, person: str, on: str) -> Q:
    """Records about people (a handover line, a training participation) that `user` may see:
    every record of those seen as today (`seen_fully_q`), and of a person who no longer serves
    in the user's areas only the records dated (`on`) before their last duty there ended — so a
    coordinator keeps the area's history of someone who moved on, not what they did after
    (docs/PRIVACY.md). `person` and `on` are lookups from the record to its person and its
    date. Q() when the grant is office-wide."""
    from pilar.registry.models import Assignment, Person

    areas = area_scope(user, capability)
    if areas is None:
        return Q()
    today_ids = Person.objects.filter(person_scope_q(user, capability, serving=True))
    scope = Q(**{f"{person}__in": today_ids.values("pk")})
    if areas:
        held = Assignment.objects.filter(
            Q(end_date__isnull=True) | Q(end_date__gte=OuterRef(on)),
            area__in=_areas_within(areas),
            person=OuterRef(person),
        )
        scope |= Q(Exists(held))
    return scope


def seen_fully_among(
    user, ids: list[int], capability: Capability = Capability.PEOPLE_VIEW
) -> set[int] | None:
    """Of the people `ids`, those `user` sees as they are today (`seen_fully_q`), in one query
    over those people's own rows: testing a page against the whole area's set would read that
    set for every page. None when the user's grant is office-wide."""
    from pilar.registry.models import Assignment, Person

    areas = area_scope(user, capability)
    if areas is None:
        return None
    today = timezone.localdate()
    found = set()
    if areas and ids:
        within = _areas_within(areas)
        # The tests as columns over the page's own duties, not filters: filtered, the planner
        # may walk every duty (or resident) of the area (a province: 20,000) to find those of
        # the page's 50 people.
        serving = Case(
            When(
                Q(area__in=within) & (Q(end_date__isnull=True) | Q(end_date__gte=today)), then=True
            ),
            default=False,
            output_field=BooleanField(),
        )
        duties = (
            Assignment.objects.filter(person_id__in=ids)
            .annotate(serving=serving)
            .order_by()
            .values_list("person_id", "serving")
        )
        with_duty = set()
        for person_id, is_serving in duties:
            with_duty.add(person_id)
            if is_serving:
                found.add(person_id)
        # A newly registered person with no duty yet: seen as today where they live.
        newcomers = [pk for pk in ids if pk not in with_duty]
        if newcomers:
            found.update(
                Person.objects.filter(pk__in=newcomers, residence__in=within)
                .order_by()
                .values_list("pk", flat=True)
            )
    if user_has_self_scope(user, capability) and user.person_id in ids:
        found.add(user.person_id)
    return found


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


def can_see_full_nik(user, person) -> bool:
    """Full NIK (and birth date, bank account): roles that need it, within the areas of their
    grant and only for the people seen there as today (`seen_fully_q`), or the person looking
    at their own record. An operator limited to a kecamatan who also holds an office-wide
    grant without the full NIK (an approver) sees full NIKs only of those serving in that
    kecamatan (docs/PRIVACY.md)."""
    if person.pk and getattr(user, "person_id", None) == person.pk:
        return True
    if not can(user, Capability.PEOPLE_FULL_NIK):
        return False
    if area_scope(user, Capability.PEOPLE_FULL_NIK) is None:
        return True
    from pilar.registry.models import Person

    return Person.objects.filter(full_nik_q(user)).filter(pk=person.pk).exists()


def full_nik_q(user) -> Q | None:
    """The people whose full NIK `user` may see by their role (`can_see_full_nik`, without the
    user's own record); None when everyone's."""
    if area_scope(user, Capability.PEOPLE_FULL_NIK) is None:
        return None
    return person_scope_q(user, Capability.PEOPLE_FULL_NIK, serving=True)


def full_nik_among(user, ids: list[int], seen_fully: set[int] | None) -> set[int] | None:
    """Of the people `ids`, those whose full NIK `user` may see (`can_see_full_nik`); None for
    all of them. `seen_fully` is `seen_fully_among(user, ids)`: when the full NIK is granted
    over the same areas as the people themselves (one grant, the usual case), it is the answer
    and no query is made."""
    own = getattr(user, "person_id", None)
    if not can(user, Capability.PEOPLE_FULL_NIK):
        return {own} & set(ids)
    nik_areas = area_scope(user, Capability.PEOPLE_FULL_NIK)
    if nik_areas is None:
        return None
    view_areas = area_scope(user, Capability.PEOPLE_VIEW)
    same = view_areas is not None and {a.pk for a in view_areas} == {a.pk for a in nik_areas}
    found = set(seen_fully) if same and seen_fully is not None else None
    if found is None:
        found = seen_fully_among(user, ids, Capability.PEOPLE_FULL_NIK) or set()
    if own in ids:
        found.add(own)
    return found
