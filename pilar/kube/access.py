"""Scope of KUBE groups: who sees which groups and who may write what to them.

- See: staff every group; a coordinator the groups in their kecamatan (by the group's
  kelurahan); a pillar the groups they accompany now (an open `KubeCompanion`). Viewers none.
- Change the group, its members, companion and aid: KUBE_EDIT roles (admin, operator).
- Add progress notes and monthly business records: KUBE_EDIT roles, and the group's current
  companion (the Pendamping KUBE is the one who sees the group's books every month).
"""

from __future__ import annotations

from django.db.models import Q

from pilar.accounts.access import Capability, area_scope, can, user_has_self_scope
from pilar.regions.models import within_areas_q


def _serves_as_pendamping(user) -> bool:
    """Whether the user's person holds a Pendamping KUBE duty today: a companion row left open
    after the duty ended (the registry ends duties, not companionships) grants nothing."""
    from django.utils import timezone

    from pilar.registry.models import Assignment

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
    from pilar.kube.models import KubeCompanion

    if not _serves_as_pendamping(user):
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


def may_edit(user) -> bool:
    return can(user, Capability.KUBE_EDIT)


def may_record(user, group) -> bool:
    """Whether `user` may add progress notes and monthly records to `group` (which they see)."""
    from pilar.kube.models import KubeCompanion

    if can(user, Capability.KUBE_EDIT):
        from pilar.kube.models import KubeGroup

        return KubeGroup.objects.editable_by(user).filter(pk=group.pk).exists()
    if not user_has_self_scope(user, Capability.KUBE_VIEW) or not _serves_as_pendamping(user):
        return False
    return KubeCompanion.objects.filter(
        group=group, person_id=user.person_id, end_date__isnull=True
    ).exists()
