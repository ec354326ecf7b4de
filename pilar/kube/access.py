"""Who may write what to KUBE groups; which groups a user sees is the querysets' scope in
pilar/kube/models.py.

- See: staff every group; a coordinator the groups in their kecamatan (by the group's
  kelurahan); a pillar the groups they accompany now (an open `KubeCompanion`). Viewers none.
- Change the group, its members, companion and aid: KUBE_EDIT roles (admin, operator).
- Add progress notes and monthly business records: KUBE_EDIT roles, and the group's current
  companion (the Pendamping KUBE is the one who sees the group's books every month).
"""

from __future__ import annotations

from pilar.accounts.access import Capability, can, user_has_self_scope
from pilar.kube.models import KubeCompanion, KubeGroup, serves_as_pendamping


def may_edit(user) -> bool:
    return can(user, Capability.KUBE_EDIT)


def may_record(user, group) -> bool:
    """Whether `user` may add progress notes and monthly records to `group` (which they see)."""
    if can(user, Capability.KUBE_EDIT):
        return KubeGroup.objects.editable_by(user).filter(pk=group.pk).exists()
    if not user_has_self_scope(user, Capability.KUBE_VIEW) or not serves_as_pendamping(user):
        return False
    return KubeCompanion.objects.filter(
        group=group, person_id=user.person_id, end_date__isnull=True
    ).exists()
