import pytest

from pilar.kube.models import KubeAid, KubeCompanion, KubeGroup
from pilar.kube.tests.conftest import KEL_A, KEL_B, accompany
from pilar.tests_support import login

pytestmark = pytest.mark.django_db


def test_list_and_detail_scoped(client, actors, make_group):
    a = make_group("KUBE Anggrek", members=6)
    make_group("KUBE Bougenvil", kelurahan=KEL_B, members=3)
    login(client, actors["coordinator_a"])
    body = client.get("/api/v1/kube/groups").json()
    assert [g["name"] for g in body] == ["KUBE Anggrek"]
    assert body[0]["member_count"] == 6 and body[0]["size_warning"] == ""
    detail = client.get(f"/api/v1/kube/groups/{a.pk}").json()
    assert len(detail["members"]) == 6
    assert "•" in detail["members"][0]["kk_number"] or "*" in detail["members"][0]["kk_number"]
    client.logout()
    login(client, actors["operator"])
    body = client.get("/api/v1/kube/groups?area=13.75.02").json()
    assert body[0]["size_warning"] == "small"


def test_operator_builds_a_group_through_the_api(
    client, actors, make_household, pendamping_a, system_actor
):
    login(client, actors["operator"])
    response = client.post(
        "/api/v1/kube/groups",
        {
            "name": "KUBE API",
            "area_code": KEL_A,
            "business_type": "Kue",
            "founded_on": "2023-01-01",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    gid = response.json()["id"]
    household = make_household(KEL_A)
    response = client.post(
        f"/api/v1/kube/groups/{gid}/members",
        {"kk_number": household.kk_number, "role": "chair", "joined_on": "2023-02-01"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["members"][0]["role"] == "chair"
    response = client.post(
        f"/api/v1/kube/groups/{gid}/companion",
        {"person_id": pendamping_a.pk, "start_date": "2023-02-01"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert KubeCompanion.objects.get(group_id=gid).person == pendamping_a
    response = client.post(
        f"/api/v1/kube/groups/{gid}/aid",
        {"date": "2023-05-01", "source": "apbd", "form": "goods", "value": 25_000_000},
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["aid_total"] == 25_000_000
    response = client.post(
        f"/api/v1/kube/groups/{gid}/records",
        {"month": "2023-06-01", "turnover": 3_000_000, "savings": 300_000},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["records"][0]["turnover"] == 3_000_000


def test_refusal_is_a_json_message(client, actors, make_group):
    group = make_group()
    login(client, actors["operator"])
    response = client.post(
        f"/api/v1/kube/groups/{group.pk}/aid",
        {"date": "2099-01-01", "source": "apbd", "form": "money", "value": 1},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "in the future" in response.json()["message"]
    assert not KubeAid.objects.exists()


def test_companion_must_be_a_pendamping(client, actors, make_group, people):
    group = make_group()
    login(client, actors["operator"])
    response = client.post(
        f"/api/v1/kube/groups/{group.pk}/companion",
        {"person_id": people["a1"].pk},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "no active Pendamping KUBE duty" in response.json()["message"]
    assert not KubeGroup.objects.get().companions.exists()


def test_pillar_records_for_own_group_only(client, actors, make_group, people):
    own = make_group("KUBE Sendiri")
    other = make_group("KUBE Orang Lain")
    accompany(own, people["a1"])
    login(client, actors["pillar"])
    body = {"month": "2024-02-01", "turnover": 10, "savings": 1}
    url = "/api/v1/kube/groups/{}/records"
    assert client.post(url.format(own.pk), body, content_type="application/json").status_code == 201
    response = client.post(url.format(other.pk), body, content_type="application/json")
    assert response.status_code == 404
