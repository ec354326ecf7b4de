import random

import pytest
from faker import Faker

from pilar.audit.services import Actor
from pilar.kube.demo import AID_2021_VALUE, load_kube
from pilar.kube.models import KubeAid, KubeCompanion, KubeGroup, KubeMember

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_inputs(make_person, make_assignment, make_household, area):
    pendamping = []
    for n, kec in enumerate(["13.75.01", "13.75.01", "13.75.02", "13.75.03"]):
        person = make_person(f"Pendamping {n}", kelurahan=f"{kec}.1001")
        make_assignment(person, "PENDAMPING_KUBE", kec)
        pendamping.append(person)
    households = {}
    for code in ["13.75.01.1001", "13.75.01.1002", "13.75.02.1001", "13.75.03.1001"]:
        households[area(code)] = [make_household(code) for _ in range(90)]
    return pendamping, households


def run(demo_inputs, seed=7):
    pendamping, households = demo_inputs
    load_kube(
        rng=random.Random(seed),
        fake=Faker("id_ID"),
        by=Actor.system(),
        pendamping=pendamping,
        households_by_area=households,
    )
    return list(
        KubeGroup.objects.order_by("pk").values_list("name", "area__code", "founded_on", "stage")
    )


def test_demo_groups(demo_inputs):
    first = run(demo_inputs)
    assert len(first) == 30
    pendamping, _ = demo_inputs
    for group in KubeGroup.objects.all():
        members = group.members.filter(left_on__isnull=True)
        assert 5 <= members.count() <= 12
        assert set(members.exclude(role="member").values_list("role", flat=True)) == {
            "chair",
            "secretary",
            "treasurer",
        }
        assert not members.exclude(household__area=group.area).exists()
        companion = group.companions.get(end_date__isnull=True)
        duty = companion.person.assignments.get(kind__code="PENDAMPING_KUBE")
        assert group.area.is_within(duty.area)
    assert set(KubeCompanion.objects.values_list("person", flat=True)) == {p.pk for p in pendamping}
    apbd = KubeAid.objects.filter(value=AID_2021_VALUE, date__year=2021, form="goods")
    assert apbd.count() == 10
    assert KubeMember.objects.filter(group__records__month__year=2024).exists()
    # The same seed gives the same groups.
    # (Groups protect their history from deletion: remove it first, as a test may.)
    from pilar.kube.models import KubeMonthlyRecord, KubeProgressNote

    for model in (KubeMember, KubeCompanion, KubeAid, KubeProgressNote, KubeMonthlyRecord):
        model.objects.all().delete()
    KubeGroup.objects.all().delete()
    assert run(demo_inputs) == first
