import datetime
import itertools

import pytest

from pilar.casework import services
from pilar.casework.models import ActivityType
from pilar.regions.models import Area
from pilar.tests_support import english_messages

english = pytest.fixture(autouse=True, name="english")(english_messages)
_kk = itertools.count(1)


@pytest.fixture
def caseload(people, reference, system_actor):
    """Two households accompanied by a1 (the `pillar` actor's person) since 2024."""
    made = {}
    for key, head in [("h1", "Pak Amir"), ("h2", "Ibu Rosna")]:
        household = services.household_create(
            by=system_actor,
            data={
                "kk_number": f"137501150120{next(_kk):04d}",
                "area": Area.objects.get(code="13.75.01.1001"),
                "address": "Jl. Sudirman No. 1, RT 01/RW 02",
            },
            head={"name": head, "sex": "L", "nik": ""},
        )
        services.caseload_assign(
            by=system_actor,
            household=household,
            person=people["a1"],
            start_date=datetime.date(2024, 1, 2),
        )
        made[key] = household
    return made


@pytest.fixture
def home_visit(reference):
    return ActivityType.objects.get(code="HOME_VISIT")
