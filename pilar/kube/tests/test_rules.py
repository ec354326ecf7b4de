"""KUBE rules found by review, each tried with the input that broke it."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from pilar.accounts.models import Role, User
from pilar.kube import services
from pilar.kube.models import KubeAid, KubeGroup, KubeMonthlyRecord
from pilar.kube.tests.conftest import KEL_A, KEL_B
from pilar.tests_support import login

D = datetime.date
pytestmark = pytest.mark.django_db


def test_a_former_pendamping_no_longer_sees_or_records(
    client, make_user, make_group, pendamping_a, operator_actor, system_actor
):
    from pilar.registry import services as registry
    from pilar.registry.models import Assignment

    group = make_group(members=2)
    services.kube_companion_set(
        by=operator_actor, group=group, person=pendamping_a, start_date=D(2023, 2, 1)
    )
    user = make_user("eka", Role.PILLAR, person=pendamping_a)
    login(client, user)
    assert client.get(f"/kube/{group.pk}/").status_code == 200
    registry.assignment_end(
        by=system_actor,
        assignment=Assignment.objects.get(person=pendamping_a, kind__code="PENDAMPING_KUBE"),
        end_date=D(2024, 1, 1),
        end_reason="resigned",
    )
    assert client.get(f"/kube/{group.pk}/").status_code == 404
    response = client.post(
        f"/kube/{group.pk}/records/", {"month": "2024-02", "turnover": "100", "savings": "0"}
    )
    assert response.status_code == 404
    assert not KubeMonthlyRecord.objects.exists()


def test_an_operator_of_one_kecamatan_founds_groups_only_there(client, make_user, area):
    User.objects.update(language="en")
    operator_a = make_user("op-a", Role.OPERATOR, area="13.75.01")
    User.objects.filter(pk=operator_a.pk).update(language="en")
    login(client, operator_a)
    response = client.post(
        "/api/v1/kube/groups",
        {"name": "Luar", "area_code": KEL_B, "business_type": "Jahit", "founded_on": "2021-01-01"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "outside your area" in response.json()["message"]
    assert not KubeGroup.objects.exists()


def test_amounts_past_the_kube_ceiling_are_refused(client, actors, make_group):
    group = make_group()
    login(client, actors["operator"])
    api = client.post(
        f"/api/v1/kube/groups/{group.pk}/aid",
        {"date": "2024-01-02", "source": "apbd", "form": "money", "value": 10**20},
        content_type="application/json",
    )
    assert api.status_code == 400
    assert "value: Rp100.000.000.000.000.000.000 is more than the Rp1.000.000.000" in str(
        api.json()
    )
    page = client.post(
        f"/kube/{group.pk}/records/", {"month": "2024-01", "turnover": str(10**20), "savings": "0"}
    )
    assert page.status_code == 400
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.kube_aid_add(
            by=services_actor(actors),
            group=group,
            date=D(2024, 1, 2),
            source="apbd",
            form="money",
            value=10**16,
        )
    assert "more than the Rp1.000.000.000 a KUBE entry may hold" in " ".join(exc.value.messages)
    assert not KubeAid.objects.exists() and not KubeMonthlyRecord.objects.exists()


def services_actor(actors):
    from pilar.audit.services import Actor

    return Actor(user=actors["operator"])


def test_over_long_names_are_refused_by_name(client, actors, area):
    login(client, actors["operator"])
    response = client.post(
        "/api/v1/kube/groups",
        {
            "name": "x" * 500,
            "area_code": KEL_A,
            "business_type": "Jahit",
            "founded_on": "2021-01-01",
        },
        content_type="application/json",
    )
    assert response.status_code in (400, 422)
    assert "name" in response.json()["errors"]
    assert not KubeGroup.objects.exists()


def test_a_nul_character_is_a_clear_refusal(client, actors, make_group):
    make_group()
    login(client, actors["operator"])
    response = client.get("/api/v1/kube/groups?q=a%00b")
    assert response.status_code == 400
    assert "NUL" in response.json()["message"]


def test_no_name_from_outside_the_area_through_an_id(client, make_user, make_group, people):
    operator_a = make_user("op-a", Role.OPERATOR, area="13.75.01")
    group = make_group()
    login(client, operator_a)
    response = client.post(
        f"/api/v1/kube/groups/{group.pk}/companion",
        {"person_id": people["b1"].pk},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert people["b1"].name not in response.content.decode()


def test_companion_choices_include_a_pendamping_with_an_old_ended_duty(
    make_group, make_person, make_assignment, system_actor
):
    from pilar.kube.forms import CompanionForm
    from pilar.registry import services as registry

    group = make_group()
    person = make_person("Fajar Pendamping", kelurahan="13.75.01.1004")
    old = make_assignment(person, "PSM", "13.75.01.1004", D(2019, 1, 1))
    registry.assignment_end(
        by=system_actor, assignment=old, end_date=D(2020, 1, 1), end_reason="moved"
    )
    make_assignment(person, "PENDAMPING_KUBE", "13.75.01", D(2022, 1, 1))
    assert person in CompanionForm(group=group).fields["person"].queryset


def test_dissolving_a_group_lets_its_households_join_another(make_group, operator_actor):
    group = make_group(members=1)
    household = group.members.get().household
    services.kube_group_update(by=operator_actor, group=group, data={"status": "dissolved"})
    assert not group.members.filter(left_on__isnull=True).exists()
    other = make_group("KUBE Baru")
    services.kube_member_add(by=operator_actor, group=other, household=household)
    assert other.members.filter(household=household, left_on__isnull=True).exists()


def test_a_household_cannot_join_before_it_left_its_last_group(make_group, operator_actor):
    group = make_group(members=1)
    membership = group.members.get()
    services.kube_member_remove(
        by=operator_actor, member=membership, left_on=D(2024, 5, 1), reason="pindah kelompok"
    )
    other = make_group("KUBE Baru")
    with pytest.raises(ValidationError) as exc:
        services.kube_member_add(
            by=operator_actor, group=other, household=membership.household, joined_on=D(2022, 1, 1)
        )
    assert "joined_on" in exc.value.message_dict
    assert not other.members.exists()
