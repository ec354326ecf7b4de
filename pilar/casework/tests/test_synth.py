import datetime
import io
import itertools

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pilar.casework.models import (
    Activity,
    ActivityType,
    Caseload,
    Household,
    HouseholdMember,
    MonthlyReport,
)
from pilar.casework.tests.conftest import OCTOBER
from pilar.lib.kk import validate_kk
from pilar.registry.models import Assignment, PillarKind

D = datetime.date
AS_OF = D(2025, 6, 30)


@pytest.fixture
def synth(monkeypatch):
    monkeypatch.setenv("PILAR_ALLOW_SYNTH", "1")

    def run(**options):
        out = io.StringIO()
        sizes = {"provinces": 1, "cities": 1, "kecamatan": 2, "kelurahan": 3}
        call_command("synth", **{**sizes, **options}, stdout=out)
        return out.getvalue()

    return run


def test_synth_casework_is_valid_and_reset_removes_only_it(synth, caseload):
    real = {m: m.objects.count() for m in (Household, HouseholdMember, Caseload, MonthlyReport)}
    real_activities = Activity.objects.count()
    out = synth(people=400, households=300, activities=3000)
    assert "300 households" in out and "3,000 activities" in out

    households = Household.objects.exclude(pk__in=[h.pk for h in caseload.values()])
    assert households.count() == 300
    for h in households.select_related("area"):
        assert validate_kk(h.kk_number) == h.kk_number
        assert h.kk_number[:6] == h.area.code.replace(".", "")[:6]  # the desa's kecamatan
        assert h.area.level == 4 and 1 <= h.decile <= 10
    heads = HouseholdMember.objects.filter(household__in=households, relation="head")
    assert heads.count() == 300 and heads.values("household").distinct().count() == 300

    psm = PillarKind.objects.get(code="PSM")
    open_caseloads = Caseload.objects.filter(household__in=households, end_date__isnull=True)
    assert open_caseloads.count() > 250
    for c in open_caseloads.select_related("household")[:100]:
        duty = Assignment.objects.get(person_id=c.person_id)
        assert duty.kind_id == psm.pk and duty.area_id == c.household.area_id
        assert duty.start_date <= AS_OF and (duty.end_date is None or duty.end_date >= AS_OF)

    activities = Activity.objects.filter(area__in=households.values("area"))
    assert activities.count() == 3000
    assert not activities.exclude(kind=psm).exists()
    assert not activities.filter(date__lt=D(2024, 1, 1)).exists()
    assert not activities.filter(date__gt=AS_OF).exists()
    types = dict(ActivityType.objects.values_list("pk", "sector"))
    for a in activities.order_by("?")[:200]:
        assert a.month == a.date.replace(day=1)
        assert a.sector == types[a.activity_type_id]
        duty = Assignment.objects.get(person_id=a.person_id)
        assert duty.area_id == a.area_id and duty.start_date <= a.date
    links = Activity.households.through.objects.filter(activity__in=activities)
    per_activity = links.values("activity").annotate(n=Count("id")).values_list("n", flat=True)
    assert sum(1 for n in per_activity if n == 1) > 0.7 * 3000  # most reach one household
    assert not links.exclude(household__area=F("activity__area")).exists()  # of the desa

    reports = MonthlyReport.objects.filter(area__in=households.values("area"))
    statuses = set(reports.values_list("status", flat=True))
    assert {"submitted", "verified", "returned"} <= statuses
    assert not reports.filter(month__gte=D(2025, 6, 1)).exists()
    assert all(m.day == 1 for m in reports.values_list("month", flat=True).distinct())
    assert not reports.filter(status="returned", return_reason="").exists()

    synth(people=0, reset=True)
    assert Activity.objects.count() == real_activities
    assert {m: m.objects.count() for m in real} == real
    assert not Activity.households.through.objects.exclude(
        activity__in=Activity.objects.all()
    ).exists()


def test_synth_casework_needs_people(synth, reference):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--people"):
        synth(people=0, households=10)


# --- query counts of the pages do not grow with the data ---------------------------------------

_serial = itertools.count(1)


@pytest.fixture
def grow(people, make_person, make_assignment, make_household, home_visit):
    """Add `n` PSM in kecamatan A (each with an activity and a report for October) and `n`
    households accompanied by a1 (each with a visit and an open follow-up)."""
    psm = PillarKind.objects.get(code="PSM")

    def add(n: int) -> None:
        for _ in range(n):
            i = next(_serial)
            kelurahan = "13.75.01.1002"
            person = make_person(f"PSM Tambahan {i}", kelurahan=kelurahan)
            make_assignment(person, "PSM", kelurahan)
            duty = Assignment.objects.get(person=person)
            activity = Activity.objects.create(
                person=person, kind=psm, area=duty.area, date=OCTOBER, sector=home_visit.sector,
                activity_type=home_visit,
            )  # fmt: skip
            MonthlyReport.objects.create(
                person=person, kind=psm, area=duty.area, month=OCTOBER, status="submitted",
                summary={"activities": 1},
            )  # fmt: skip
            household = make_household(head=f"Kepala {i}")
            Caseload.objects.create(
                household=household, person=people["a1"], start_date=D(2024, 1, 2)
            )
            a1_duty = Assignment.objects.get(person=people["a1"])
            visit = Activity.objects.create(
                person=people["a1"], kind=psm, area=a1_duty.area, date=D(2024, 10, 7),
                sector=home_visit.sector, activity_type=home_visit,
                follow_up_on=D(2024, 11, 25),
            )  # fmt: skip
            visit.households.add(household)
            activity.households.add(household)

    return add


def _queries(client, user, url: str) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_status_and_caseload_pages_query_counts_do_not_grow(client, actors, grow):
    status = reverse("casework:report-status") + "?month=2024-10&area=13.75.01"
    caseload = reverse("casework:caseload")
    grow(2)
    small = (
        _queries(client, actors["coordinator_a"], status),
        _queries(client, actors["pillar"], caseload),
    )
    grow(18)
    large = (
        _queries(client, actors["coordinator_a"], status),
        _queries(client, actors["pillar"], caseload),
    )
    assert large == small
    assert Caseload.objects.filter(person=actors["pillar"].person).count() == 20
    response = client.get(caseload)  # still logged in as the pillar: every household shown
    assert response.content.decode().count("Kepala ") >= 20
