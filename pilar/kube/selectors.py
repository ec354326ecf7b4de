"""Reads shared by the pages and the API, each in a constant number of queries."""

from __future__ import annotations

from django.db.models import Count, OuterRef, Prefetch, Q, Subquery

from pilar.casework.models import HouseholdMember
from pilar.kube.models import KubeCompanion, KubeGroup


def companion_groups() -> dict[int, list[KubeGroup]]:
    """{person id: the KUBE groups they accompany now} (the demo's activities name them)."""
    groups: dict[int, list[KubeGroup]] = {}
    for companion in KubeCompanion.objects.filter(end_date__isnull=True).select_related("group"):
        groups.setdefault(companion.person_id, []).append(companion.group)
    return groups


def listed_groups(user):
    """Groups `user` sees, with what lists show: kelurahan and kecamatan, open members
    (`member_count`) and the current companion's name (`companion_name`)."""
    companion = KubeCompanion.objects.filter(group=OuterRef("pk"), end_date__isnull=True)
    return (
        KubeGroup.objects.visible_to(user)
        .select_related("area__parent")
        .annotate(
            member_count=Count("members", filter=Q(members__left_on__isnull=True)),
            companion_name=Subquery(companion.values("person__name")[:1]),
        )
        .order_by("name", "pk")
    )


def group_sections(group: KubeGroup) -> dict:
    """A group's members (current and former, each household with `heads`), companions, aid
    and monthly records (every entry, and those in force: docs/CASEWORK.md)."""
    members = list(
        group.members.select_related("household").prefetch_related(
            Prefetch(
                "household__members",
                queryset=HouseholdMember.objects.filter(relation="head", left_on__isnull=True),
                to_attr="heads",
            )
        )
    )
    # Every entry, corrections beside what they correct; figures count the entries in force.
    aid = list(group.aid.select_related("corrects", "corrected_by", "created_by"))
    records = list(group.records.select_related("corrects", "corrected_by", "created_by"))
    aid_in_force = [a for a in aid if a.in_force]
    records_in_force = [r for r in records if r.in_force]
    return {
        "members": [m for m in members if m.left_on is None],
        "former_members": [m for m in members if m.left_on is not None],
        "companions": list(group.companions.select_related("person")),
        "aid": aid,
        "aid_in_force": aid_in_force,
        "aid_total": sum(a.value for a in aid_in_force),
        "records": records,
        "records_in_force": records_in_force,
    }
