"""KUBE groups on an installation of many offices (docs/OFFICE.md, "Many offices"): a group is
its kelurahan's office's, reached by id from no other office; the province sees every office's
groups and changes none."""

from __future__ import annotations

import pytest

from pilar.accounts.models import Role
from pilar.kube.models import KubeGroup
from pilar.tests_support import login

pytestmark = pytest.mark.django_db

KEL_PP = "13.74.01.1001"  # Kota Padang Panjang's (pilar/conftest.py)


@pytest.fixture
def groups(make_group, other_office):
    return {
        "bukittinggi": make_group("KUBE Bukittinggi"),
        "padang_panjang": make_group("KUBE Padang Panjang", kelurahan=KEL_PP),
    }


def test_another_offices_group_is_not_found_by_id_nor_listed(
    client, actors, groups, make_user, other_office
):
    theirs = groups["padang_panjang"]
    login(client, actors["operator"])  # Bukittinggi's office-wide operator
    for url in (
        f"/kube/{theirs.pk}/",
        f"/kube/{theirs.pk}/edit/",
        f"/api/v1/kube/groups/{theirs.pk}",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/kube/{theirs.pk}/edit/", {"name": "X"}).status_code == 404
    assert "KUBE Padang Panjang" not in client.get("/kube/").content.decode()
    listed = {g["id"] for g in client.get("/api/v1/kube/groups").json()}
    assert listed == {groups["bukittinggi"].pk}
    login(client, make_user("op-pp", Role.OPERATOR, office=other_office))
    assert client.get(f"/kube/{theirs.pk}/").status_code == 200
    assert client.get(f"/kube/{groups['bukittinggi'].pk}/").status_code == 404
    assert {g["id"] for g in client.get("/api/v1/kube/groups").json()} == {theirs.pk}


def test_the_province_sees_every_offices_groups_and_changes_none(
    client, groups, make_user, province_office
):
    theirs = groups["padang_panjang"]
    login(client, make_user("prov-admin", Role.ADMIN, office=province_office))
    listed = client.get("/kube/").content.decode()
    assert "KUBE Padang Panjang" in listed and "KUBE Bukittinggi" in listed
    assert client.get(f"/kube/{theirs.pk}/").status_code == 200
    assert client.get("/kube/new/").status_code == 403
    assert client.get(f"/kube/{theirs.pk}/edit/").status_code == 403
    assert client.post(f"/kube/{theirs.pk}/edit/", {"name": "X"}).status_code == 403
    assert client.post(f"/kube/{theirs.pk}/notes/", {"text": "X"}).status_code == 403
    answer = client.post(
        "/api/v1/kube/groups",
        {
            "name": "KUBE Provinsi",
            "area_code": KEL_PP,
            "business_type": "Jahit menjahit",
            "founded_on": "2024-01-02",
        },
        content_type="application/json",
    )
    assert answer.status_code == 403
    assert KubeGroup.objects.get(pk=theirs.pk).name == "KUBE Padang Panjang"
    assert KubeGroup.objects.count() == 2
