"""What the kube app contributes to casework, through its hooks (pilar/casework/signals.py): the
KUBE groups a Pendamping KUBE may name on an activity. Connected in KubeConfig.ready()."""

from __future__ import annotations

from pilar.kube.models import KubeGroup
from pilar.regions.models import within_areas_q

COMPANION_KIND = "PENDAMPING_KUBE"


def activity_groups(sender, *, duties, **kwargs) -> list[KubeGroup] | None:
    """The active KUBE groups in the areas of the Pendamping KUBE duties among `duties`."""
    areas = [d.area for d in duties if d.kind.code == COMPANION_KIND]
    if not areas:
        return None
    return list(KubeGroup.objects.filter(within_areas_q(areas, "area"), status="active"))
