"""This app's rows of the permission matrix (see pilar/core/tests/test_permissions.py).

The group is in kecamatan A and is accompanied by the `pillar` user (a1): staff and
coordinator A see it, coordinator B gets 404, viewers and users without a role 403. Writes
carry bodies the services refuse, so an allowed role gets 400 and nothing changes."""

import datetime

from pilar.kube.tests.conftest import accompany

STAFF = {"admin", "operator", "approver", "finance"}
EDIT = {"admin", "operator"}
VIEW = STAFF | {"coordinator_a", "coordinator_b", "pillar"}


def see_list(role):
    return 200 if role in VIEW else 403


def see_group(role):
    if role in STAFF | {"coordinator_a", "pillar"}:
        return 200
    return 404 if role == "coordinator_b" else 403


def edit(role):
    return 200 if role in EDIT else 403


def refused_edit(role):
    return 400 if role in EDIT else 403


def refused_record(role):
    # Monthly records: the office and the group's current companion (the pillar user).
    if role in EDIT | {"pillar"}:
        return 400
    return 404 if role == "coordinator_b" else 403


def post_only(role):
    return 405


PAGES = {
    "kube:group-list": see_list,
    "kube:group-create": edit,
    "kube:group-detail": see_group,
    "kube:group-edit": edit,
    "kube:member-add": post_only,
    "kube:member-remove": post_only,
    "kube:companion-set": post_only,
    "kube:aid-add": post_only,
    "kube:note-add": post_only,
    "kube:record-add": post_only,
    "kube:aid-correct": post_only,
    "kube:aid-reverse": post_only,
    "kube:record-correct": post_only,
    "kube:record-reverse": post_only,
}
API_READ = {
    "/api/v1/kube/groups": see_list,
    "/api/v1/kube/groups/{group_id}": see_group,
}
API_WRITE = {
    # A kecamatan where a kelurahan is needed.
    ("POST", "/api/v1/kube/groups"): (
        {
            "name": "KUBE Baru",
            "area_code": "13.75.01",
            "business_type": "Kuliner",
            "founded_on": "2024-01-01",
        },
        refused_edit,
    ),
    # A household of kecamatan B into a group of kecamatan A.
    ("POST", "/api/v1/kube/groups/{group_id}/members"): (
        {"kk_number": "1375020000000902"},
        refused_edit,
    ),
    # Nobody (bodies are fixed; a person without the duty is refused in test_services).
    ("POST", "/api/v1/kube/groups/{group_id}/companion"): (
        {"person_id": 0},
        refused_edit,
    ),
    ("POST", "/api/v1/kube/groups/{group_id}/aid"): (
        {"date": "2024-01-05", "source": "apbd", "form": "goods", "value": -5},
        refused_edit,
    ),
    # A month already recorded.
    ("POST", "/api/v1/kube/groups/{group_id}/records"): (
        {"month": "2024-01-01", "turnover": 1, "savings": 1},
        refused_record,
    ),
    # Corrections with a reason too short to keep.
    ("POST", "/api/v1/kube/groups/{group_id}/aid/{aid_id}/correct"): (
        {"date": "2024-01-05", "source": "apbd", "form": "goods", "value": 5, "reason": "x"},
        refused_edit,
    ),
    ("POST", "/api/v1/kube/groups/{group_id}/aid/{aid_id}/reverse"): (
        {"reason": "x"},
        refused_edit,
    ),
    ("POST", "/api/v1/kube/groups/{group_id}/records/{record_id}/correct"): (
        {"turnover": 100, "savings": 5, "reason": "x"},
        refused_record,
    ),
    ("POST", "/api/v1/kube/groups/{group_id}/records/{record_id}/reverse"): (
        {"reason": "x"},
        refused_record,
    ),
}


def setup(actors, people) -> dict:
    from pilar.audit.services import Actor
    from pilar.casework.models import Household
    from pilar.kube import services
    from pilar.regions.models import Area

    by = Actor.system()
    kel_a = Area.objects.get(code="13.75.01.1001")
    group = services.kube_group_create(
        by=by,
        data={
            "name": "KUBE Matriks",
            "area": kel_a,
            "business_type": "Jahit",
            "founded_on": datetime.date(2020, 1, 1),
        },
    )
    home = Household.objects.create(kk_number="1375010000000901", area=kel_a, address="Jl. A")
    member = services.kube_member_add(by=by, group=group, household=home, role="chair")
    Household.objects.create(
        kk_number="1375020000000902",
        area=Area.objects.get(code="13.75.02.1001"),
        address="Jl. B",
    )
    # The pillar user (a1, a PSM) also serves as Pendamping KUBE and accompanies the group.
    accompany(group, people["a1"])
    record = services.kube_record_add(
        by=by, group=group, month=datetime.date(2024, 1, 1), turnover=100, savings=10
    )
    aid = services.kube_aid_add(
        by=by, group=group, date=datetime.date(2024, 1, 2), source="apbd", form="money", value=9
    )
    pk = group.pk
    return {
        "pages": {
            "kube:group-detail": f"/kube/{pk}/",
            "kube:group-edit": f"/kube/{pk}/edit/",
            "kube:member-add": f"/kube/{pk}/members/",
            "kube:member-remove": f"/kube/members/{member.pk}/remove/",
            "kube:companion-set": f"/kube/{pk}/companion/",
            "kube:aid-add": f"/kube/{pk}/aid/",
            "kube:note-add": f"/kube/{pk}/notes/",
            "kube:record-add": f"/kube/{pk}/records/",
            "kube:aid-correct": f"/kube/aid/{aid.pk}/correct/",
            "kube:aid-reverse": f"/kube/aid/{aid.pk}/reverse/",
            "kube:record-correct": f"/kube/records/{record.pk}/correct/",
            "kube:record-reverse": f"/kube/records/{record.pk}/reverse/",
        },
        "api": {"{group_id}": pk, "{aid_id}": aid.pk, "{record_id}": record.pk},
        "group": group,
    }


def unchanged(made) -> None:
    from pilar.kube.models import KubeGroup

    group = made["group"]
    assert KubeGroup.objects.count() == 1
    assert group.members.filter(left_on__isnull=True).count() == 1
    assert group.companions.count() == 1
    assert group.aid.count() == 1
    assert group.records.count() == 1
    assert group.notes.count() == 0
