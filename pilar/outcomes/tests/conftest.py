import datetime
import itertools

import pytest
import time_machine

from pilar.casework import services
from pilar.casework.models import DecileRecord, Household, NeedCategory
from pilar.regions.models import Area
from pilar.tests_support import english_messages

D = datetime.date
AS_OF = D(2025, 12, 15)  # the window: 15 December 2024 to 15 December 2025
RECORDED = D(2024, 6, 1)  # when the fixture's households were recorded
_kk = itertools.count(1)


english = pytest.fixture(autouse=True, name="english")(english_messages)


def travel(day: datetime.date):
    return time_machine.travel(datetime.datetime(*day.timetuple()[:3], 10, tzinfo=datetime.UTC))


@pytest.fixture
def make_home(reference, system_actor):
    """A household recorded on `on` (its status history starts then), with its deciles as
    DTSEN extracts dated `deciles` {day: decile} would record them."""

    def make(kelurahan="13.75.01.1001", *, on=RECORDED, deciles=None, categories=()):
        with travel(on):
            h = services.household_create(
                by=system_actor,
                data={
                    "kk_number": f"{kelurahan.replace('.', '')[:6]}150120{next(_kk):04d}",
                    "area": Area.objects.get(code=kelurahan),
                    "address": "Jl. Sudirman No. 1",
                    "categories": list(NeedCategory.objects.filter(number__in=categories)),
                },
            )
        for day, decile in (deciles or {}).items():
            DecileRecord.objects.create(household=h, decile=decile, as_of=day, source="extract")
            Household.objects.filter(pk=h.pk).update(decile=decile)
        return h

    return make


@pytest.fixture
def outcomes(people, make_home, system_actor):
    """Bukittinggi's households with known answers over the window ending AS_OF:

    - h1, h2 accompanied by a1 since June 2024 (6 months or more): h1 from decile 2 to 4
      (improved, left deciles 1–2), h2 3 to 3 (same);
    - h3, h4, h5, h7 never accompanied: h3 1 to 1 (same, still in 1–2), h4 5 to 4 (worse), h5
      no decile (unknown), h7 (Fakir Miskin, 24) closed by the office in March 2025;
    - h6 accompanied since October 2025 only (less than 6 months), decile 2 to 3;
    - h8 closed in September 2024, before the window: in no group;
    - hb in kecamatan B, accompanied by b1: 2 to 3.
    """
    early, late = D(2024, 3, 1), D(2025, 6, 1)
    made = {
        "h1": make_home(deciles={early: 2, late: 4}),
        "h2": make_home(deciles={early: 3, late: 3}),
        "h3": make_home(deciles={early: 1, late: 1}),
        "h4": make_home(deciles={early: 5, late: 4}),
        "h5": make_home(),
        "h6": make_home(deciles={early: 2, late: 3}),
        "h7": make_home(categories=[24]),
        "h8": make_home(deciles={early: 1}),
        "hb": make_home("13.75.02.1001", deciles={early: 2, late: 3}),
    }
    with travel(AS_OF):
        for key, person, start in [
            ("h1", "a1", D(2024, 6, 1)),
            ("h2", "a1", D(2024, 6, 1)),
            ("h6", "a1", D(2025, 10, 1)),
            ("hb", "b1", D(2024, 6, 1)),
        ]:
            services.caseload_assign(
                by=system_actor, household=made[key], person=people[person], start_date=start
            )
    for key, day, reason in [("h7", D(2025, 3, 10), "Sudah mampu"), ("h8", D(2024, 9, 1), "x")]:
        with travel(day):
            services.household_update(
                by=system_actor,
                household=made[key],
                data={"status": "closed", "status_reason": reason},
            )
    return made
