"""KUBE test factories: households with a head, groups with members, a Pendamping KUBE."""

from __future__ import annotations

import datetime
import itertools

import pytest

from pilar.audit.services import Actor
from pilar.casework.models import Household, HouseholdMember
from pilar.kube import services
from pilar.kube.models import KubeGroup
from pilar.tests_support import english_messages

_kk = itertools.count(1)
KEL_A = "13.75.01.1001"  # kecamatan A (Guguak Panjang)
KEL_A2 = "13.75.01.1002"
KEL_B = "13.75.02.1001"  # kecamatan B


english = pytest.fixture(autouse=True, name="english")(english_messages)


@pytest.fixture
def make_household(area):
    def make(kelurahan: str = KEL_A, head: str | None = None) -> Household:
        n = next(_kk)
        household = Household.objects.create(
            kk_number=f"{area(kelurahan).code_digits[:6]}{n:010d}",
            area=area(kelurahan),
            address=f"Jl. Contoh No. {n}",
        )
        HouseholdMember.objects.create(
            household=household, name=head or f"Kepala Keluarga {n}", sex="L", relation="head"
        )
        return household

    return make


@pytest.fixture
def make_group(area, make_household, system_actor):
    def make(
        name: str = "KUBE Sejahtera",
        *,
        kelurahan: str = KEL_A,
        members: int = 0,
        founded_on: datetime.date = datetime.date(2021, 3, 1),
        **extra,
    ) -> KubeGroup:
        group = services.kube_group_create(
            by=system_actor,
            data={
                "name": name,
                "area": area(kelurahan),
                "business_type": "Jahit menjahit",
                "founded_on": founded_on,
                **extra,
            },
        )
        roles = ["chair", "secretary", "treasurer"]
        for i in range(members):
            services.kube_member_add(
                by=system_actor,
                group=group,
                household=make_household(kelurahan),
                role=roles[i] if i < len(roles) else "member",
                joined_on=founded_on,
            )
        return group

    return make


@pytest.fixture
def pendamping_a(make_person, make_assignment):
    """A Pendamping KUBE serving in kecamatan A."""
    person = make_person("Eka Pendamping A", kelurahan="13.75.01.1004")
    make_assignment(person, "PENDAMPING_KUBE", "13.75.01")
    return person


@pytest.fixture
def operator_actor(actors):
    return Actor(user=actors["operator"])


def accompany(group, person, start=datetime.date(2024, 1, 1)):
    """`person` accompanies `group`: a Pendamping KUBE duty in its kecamatan (access needs one
    today) and the open companion row, written directly."""
    from pilar.kube.models import KubeCompanion
    from pilar.registry import services as registry
    from pilar.registry.models import PillarKind

    if not person.assignments.filter(kind__code="PENDAMPING_KUBE").exists():
        registry.assignment_create(
            by=Actor.system(),
            person=person,
            kind=PillarKind.objects.get(code="PENDAMPING_KUBE"),
            area=group.area.parent,
            start_date=start,
        )
    return KubeCompanion.objects.create(group=group, person=person, start_date=start)
