"""Verivali fixtures: households in kecamatan A (two kelurahan) and B, a round over them, and
the pillars' and the coordinator's actors (from pilar/conftest.py)."""

import datetime
import itertools

import pytest
import time_machine

from pilar.accounts.models import Role
from pilar.audit.services import Actor
from pilar.casework import services as casework
from pilar.lib.nik import make_nik
from pilar.regions.models import Area
from pilar.tests_support import english_messages
from pilar.verivali import services

D = datetime.date
TODAY = D(2026, 3, 20)
_serial = itertools.count(1)


english = pytest.fixture(autouse=True, name="english")(english_messages)


@pytest.fixture(autouse=True)
def march_2026():
    """Verivali tests run on 20 March 2026, within the round of March."""
    with time_machine.travel(datetime.datetime(2026, 3, 20, 10, tzinfo=datetime.UTC)):
        yield


def make_kk(area6: str = "137501") -> str:
    return f"{area6}150120{next(_serial):04d}"


def nik(sex: str = "L", born: datetime.date | None = None) -> str:
    born = born or D(1980, 1, 1)
    return make_nik(area6="137501", birth_date=born, sex=sex, serial=5000 + next(_serial))


@pytest.fixture
def make_household(reference, system_actor):
    """A household with a head and a wife (NIKs valid), in `kelurahan`."""

    def make(kelurahan: str = "13.75.01.1001", head: str = "Pak Amir", **extra):
        data = {
            "kk_number": extra.pop("kk_number", None) or make_kk(),
            "area": Area.objects.get(code=kelurahan),
            "address": "Jl. Sudirman No. 1",
            "decile": extra.pop("decile", 2),
            **extra,
        }
        household = casework.household_create(
            by=system_actor,
            data=data,
            head={"name": head, "sex": "L", "nik": nik("L"), "birth_date": D(1980, 1, 1)},
        )
        casework.member_add(
            by=system_actor,
            household=household,
            data={
                "name": "Ibu " + head.split()[-1],
                "sex": "P",
                "nik": nik("P", D(1982, 2, 2)),
                "birth_date": D(1982, 2, 2),
                "relation": "spouse",
            },
        )
        return household

    return make


@pytest.fixture
def households(people, make_household, system_actor):
    """h1 accompanied by a1 (PSM of 13.75.01.1001); h2 in 1001 without a pillar; h3 in 1002
    (a2's kelurahan); hb in kecamatan B (b1's); h9 in 13.75.01.1003, where no PSM serves."""
    found = {
        "h1": make_household(head="Pak Amir"),
        "h2": make_household(head="Pak Rosna", decile=5),
        "h3": make_household("13.75.01.1002", head="Pak Joni"),
        "hb": make_household("13.75.02.1001", head="Pak Bahar"),
        "h9": make_household("13.75.01.1003", head="Pak Sutan"),
    }
    casework.caseload_assign(
        by=system_actor, household=found["h1"], person=people["a1"], start_date=D(2025, 1, 2)
    )
    return found


@pytest.fixture
def a2_user(make_user, people):
    return make_user("psm-a2", Role.PILLAR, person=people["a2"])


@pytest.fixture
def office_actor(actors):
    return Actor(user=actors["operator"])


@pytest.fixture
def open_round(households, office_actor):
    def make(**data):
        return services.round_open(
            by=office_actor,
            data={
                "name": "Verivali Maret 2026",
                "period_start": D(2026, 3, 1),
                "period_end": D(2026, 3, 31),
                **data,
            },
        )

    return make


@pytest.fixture
def round(open_round):
    return open_round()


def visit_of(round, household):
    return round.visits.get(household=household)
