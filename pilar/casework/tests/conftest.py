import datetime
import itertools

import pytest
import time_machine
from django.utils import translation

from pilar.audit.services import Actor
from pilar.casework import services
from pilar.casework.models import ActivityType
from pilar.regions.models import Area

_kk = itertools.count(1)
D = datetime.date
OCT_5 = D(2024, 10, 5)
OCTOBER = D(2024, 10, 1)


@pytest.fixture(autouse=True)
def english():
    """Casework tests read messages in English (the catalog has them in Indonesian too)."""
    with translation.override("en"):
        yield


def make_kk(area6: str = "137501") -> str:
    return f"{area6}150120{next(_kk):04d}"


@pytest.fixture(autouse=True)
def november_2024():
    """Casework tests run on 20 November 2024: October's reports are due on 10 November."""
    with time_machine.travel(datetime.datetime(2024, 11, 20, 10, tzinfo=datetime.UTC)):
        yield


@pytest.fixture
def make_household(reference, system_actor):
    def make(kelurahan: str = "13.75.01.1001", head: str = "Kepala Keluarga", **extra):
        data = {
            "kk_number": extra.pop("kk_number", None) or make_kk(kelurahan.replace(".", "")[:6]),
            "area": Area.objects.get(code=kelurahan),
            "address": "Jl. Sudirman No. 1, RT 01/RW 02",
            **extra,
        }
        return services.household_create(
            by=system_actor, data=data, head={"name": head, "sex": "L", "nik": ""}
        )

    return make


@pytest.fixture
def caseload(people, make_household, system_actor):
    """Two households accompanied by a1 (PSM, kecamatan A) since 2024, one by b1 (B)."""
    h1 = make_household(head="Pak Amir")
    h2 = make_household(head="Ibu Rosna")
    hb = make_household("13.75.02.1001", head="Pak Bahar")
    for h, p in [(h1, people["a1"]), (h2, people["a1"]), (hb, people["b1"])]:
        services.caseload_assign(by=system_actor, household=h, person=p, start_date=D(2024, 1, 2))
    return {"h1": h1, "h2": h2, "hb": hb}


@pytest.fixture
def home_visit(reference):
    return ActivityType.objects.get(code="HOME_VISIT")


@pytest.fixture
def record(actors, home_visit):
    """Record an activity as a pillar user (default: a1's login)."""

    def make(user=None, day=OCT_5, households=(), **extra):
        user = user or actors["pillar"]
        data = {"date": day, "activity_type": home_visit, "households": list(households), **extra}
        photo = data.pop("photo", None)
        keep = data.pop("keep_location", False)
        return services.activity_record(
            by=Actor(user=user), person=user.person, data=data, photo=photo, keep_location=keep
        )

    return make
