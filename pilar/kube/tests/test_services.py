import datetime

import pytest
from django.core.exceptions import ValidationError

from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor
from pilar.kube import services
from pilar.kube.models import KubeAid, KubeCompanion, KubeGroup, KubeMember, KubeMonthlyRecord
from pilar.kube.tests.conftest import KEL_A2, KEL_B

pytestmark = pytest.mark.django_db


def test_group_create_is_audited(make_group):
    group = make_group("KUBE Melati")
    entry = AuditEntry.objects.get(object_type="kube.kubegroup", object_id=str(group.pk))
    assert entry.action == AuditEntry.Action.CREATE
    assert entry.changes["name"] == [None, "KUBE Melati"]


def test_group_must_be_in_a_kelurahan(area, system_actor):
    with pytest.raises(ValidationError) as exc:
        services.kube_group_create(
            by=system_actor,
            data={
                "name": "X",
                "area": area("13.75.01"),
                "business_type": "Kue",
                "founded_on": datetime.date(2020, 1, 1),
            },
        )
    assert "choose a kelurahan" in exc.value.message_dict["area"][0]
    assert not KubeGroup.objects.exists()


def test_household_in_another_group_is_refused_naming_it(
    make_group, make_household, actors, operator_actor
):
    first = make_group("KUBE Pertama", members=1)
    second = make_group("KUBE Kedua")
    household = first.members.get().household
    with pytest.raises(ValidationError) as exc:
        services.kube_member_add(by=operator_actor, group=second, household=household)
    message = exc.value.message_dict["household"][0]
    assert "KUBE Pertama" in message and "remove it from that group first" in message
    assert second.members.count() == 0


def test_other_group_is_not_named_to_someone_who_cannot_see_it(
    make_group, make_household, actors, area
):
    first = make_group("KUBE Rahasia", members=1)
    # A coordinator of B writing (e.g. through a future scoped role) must not learn the name.
    household = first.members.get().household
    second = make_group("KUBE Lain")
    with pytest.raises(ValidationError) as exc:
        services.kube_member_add(
            by=Actor(user=actors["coordinator_b"]), group=second, household=household
        )
    message = exc.value.message_dict["household"][0]
    assert "KUBE Rahasia" not in message and "outside your area" in message


def test_household_from_another_kelurahan_is_refused(make_group, make_household, operator_actor):
    group = make_group()
    with pytest.raises(ValidationError) as exc:
        services.kube_member_add(by=operator_actor, group=group, household=make_household(KEL_A2))
    assert "choose a household from" in exc.value.message_dict["household"][0]
    assert not KubeMember.objects.exists()


def test_one_chair_per_group(make_group, make_household, operator_actor):
    group = make_group(members=1)  # the first member is the chair
    with pytest.raises(ValidationError) as exc:
        services.kube_member_add(
            by=operator_actor, group=group, household=make_household(), role="chair"
        )
    assert "already has a Chair" in exc.value.message_dict["role"][0]
    assert group.members.count() == 1


def test_member_leaves_and_can_join_another_group(make_group, operator_actor):
    first = make_group("KUBE A", members=1)
    member = first.members.get()
    services.kube_member_remove(
        by=operator_actor, member=member, left_on=datetime.date(2024, 1, 1), reason="Pindah"
    )
    second = make_group("KUBE B", founded_on=datetime.date(2024, 1, 1))
    services.kube_member_add(by=operator_actor, group=second, household=member.household)
    assert KubeMember.objects.filter(household=member.household).count() == 2


def test_companion_needs_an_active_pendamping_duty(make_group, people, operator_actor):
    group = make_group()
    with pytest.raises(ValidationError) as exc:
        services.kube_companion_set(by=operator_actor, group=group, person=people["a1"])
    assert "no active Pendamping KUBE duty" in exc.value.message_dict["person"][0]
    assert not KubeCompanion.objects.exists()


def test_companion_of_another_kecamatan_is_refused(make_group, pendamping_a, operator_actor):
    group = make_group(kelurahan=KEL_B)
    with pytest.raises(ValidationError) as exc:
        services.kube_companion_set(by=operator_actor, group=group, person=pendamping_a)
    assert "not where this group is" in exc.value.message_dict["person"][0]


def test_changing_companion_keeps_history(
    make_group, pendamping_a, make_person, make_assignment, operator_actor
):
    group = make_group()
    services.kube_companion_set(
        by=operator_actor, group=group, person=pendamping_a, start_date=datetime.date(2024, 1, 1)
    )
    other = make_person("Fajar Pendamping", sex="L")
    make_assignment(other, "PENDAMPING_KUBE", "13.75.01")
    services.kube_companion_set(
        by=operator_actor, group=group, person=other, start_date=datetime.date(2024, 6, 1)
    )
    rows = list(group.companions.order_by("start_date").values_list("person", "end_date"))
    assert rows == [(pendamping_a.pk, datetime.date(2024, 5, 31)), (other.pk, None)]


@pytest.mark.parametrize(
    ("value", "date", "field"),
    [
        (-5, datetime.date(2024, 1, 1), "value"),
        (0, datetime.date(2024, 1, 1), "value"),
        (1000, datetime.date(2999, 1, 1), "date"),
    ],
)
def test_bad_aid_is_refused(make_group, operator_actor, value, date, field):
    group = make_group()
    with pytest.raises(ValidationError) as exc:
        services.kube_aid_add(
            by=operator_actor, group=group, date=date, source="apbd", form="goods", value=value
        )
    assert field in exc.value.message_dict
    assert not KubeAid.objects.exists()


def test_month_recorded_once(make_group, operator_actor):
    group = make_group()
    services.kube_record_add(
        by=operator_actor, group=group, month=datetime.date(2024, 3, 17), turnover=5, savings=1
    )
    assert group.records.get().month == datetime.date(2024, 3, 1)
    with pytest.raises(ValidationError) as exc:
        services.kube_record_add(
            by=operator_actor, group=group, month=datetime.date(2024, 3, 1), turnover=9, savings=1
        )
    assert "already recorded" in exc.value.message_dict["month"][0]
    assert KubeMonthlyRecord.objects.get().turnover == 5


def test_negative_savings_refused(make_group, operator_actor):
    group = make_group()
    with pytest.raises(ValidationError) as exc:
        services.kube_record_add(
            by=operator_actor, group=group, month=datetime.date(2024, 3, 1), turnover=5, savings=-1
        )
    assert "cannot be negative" in exc.value.message_dict["savings"][0]
    assert not KubeMonthlyRecord.objects.exists()


def test_size_problem():
    assert KubeGroup.size_problem(4) == "small"
    assert KubeGroup.size_problem(5) == ""
    assert KubeGroup.size_problem(20) == ""
    assert KubeGroup.size_problem(21) == "large"


def test_database_refuses_two_open_memberships(make_group):
    from django.db import IntegrityError, transaction

    group = make_group(members=1)
    other = make_group("KUBE Dua")
    member = group.members.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        KubeMember.objects.create(
            group=other, household=member.household, joined_on=datetime.date(2024, 1, 1)
        )
