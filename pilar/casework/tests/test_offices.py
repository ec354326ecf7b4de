"""Casework on an installation of many offices (docs/OFFICE.md, "Many offices";
docs/CASEWORK.md): households, activities and monthly reports are their area's office's, reached
by id from no other office; the province sees them and changes none; whether a report is late is
decided by the office holding its area, whoever reads it."""

from __future__ import annotations

import pytest

from pilar.accounts.models import Role
from pilar.audit.services import Actor
from pilar.casework import report_services, selectors
from pilar.casework.models import Household, MonthlyReport
from pilar.tests_support import login

from .conftest import OCT_5, OCTOBER

pytestmark = pytest.mark.django_db

KEL_PP = "13.74.01.1001"  # Kota Padang Panjang's (pilar/conftest.py)


@pytest.fixture
def padang_panjang(
    other_office, make_person, make_assignment, make_user, make_household, record, kind
):
    """Padang Panjang's casework: a PSM and her login, a household, an activity, October's
    report submitted on 20 November (the tests' day). The office's reports are due on the
    25th: on time there, though late under Bukittinggi's due day (the 10th)."""
    other_office.report_due_day = 25
    other_office.save(update_fields=["report_due_day"])
    person = make_person("Putri Padang", kelurahan=KEL_PP)
    make_assignment(person, "PSM", KEL_PP)
    pillar = make_user("psm-pp", Role.PILLAR, person=person, office=other_office)
    household = make_household(KEL_PP, head="Pak Padang")
    activity = record(user=pillar, day=OCT_5)
    report = report_services.report_submit(
        by=Actor(user=pillar), person=person, kind=kind("PSM"), month=OCTOBER
    )
    return {
        "pillar": pillar,
        "operator": make_user("op-pp", Role.OPERATOR, office=other_office),
        "household": household,
        "activity": activity,
        "report": report,
    }


def test_bukittinggi_reaches_none_of_padang_panjangs_casework_by_id(
    client, actors, caseload, padang_panjang
):
    household, activity = padang_panjang["household"], padang_panjang["activity"]
    report = padang_panjang["report"]
    login(client, actors["operator"])  # Bukittinggi's office-wide operator
    for url in (
        f"/households/{household.pk}/",
        f"/households/{household.pk}/edit/",
        f"/activities/{activity.pk}/",
        f"/reports/{report.pk}/",
        f"/api/v1/households/{household.pk}",
        f"/api/v1/reports/{report.pk}",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/reports/{report.pk}/verify/").status_code == 404
    assert client.post(f"/households/{household.pk}/edit/", {"address": "X"}).status_code == 404
    report.refresh_from_db()
    assert report.status == MonthlyReport.Status.SUBMITTED
    # The lists leave them out.
    assert "Pak Padang" not in client.get("/households/").content.decode()
    assert household.pk not in {h["id"] for h in client.get("/api/v1/households").json()}
    assert "Putri Padang" not in client.get("/reports/?month=2024-10").content.decode()
    assert "Putri Padang" not in client.get("/activities/").content.decode()
    # And Padang Panjang's operator reaches them.
    login(client, padang_panjang["operator"])
    assert client.get(f"/households/{household.pk}/").status_code == 200
    assert client.get(f"/reports/{report.pk}/").status_code == 200
    assert "Pak Amir" not in client.get("/households/").content.decode()


def test_the_province_sees_every_offices_casework_and_changes_none(
    client, caseload, padang_panjang, make_user, province_office
):
    household, report = padang_panjang["household"], padang_panjang["report"]
    prov = make_user("prov-admin", Role.ADMIN, office=province_office)
    login(client, prov)
    listed = client.get("/households/").content.decode()
    assert "Pak Padang" in listed and "Pak Amir" in listed
    assert client.get(f"/households/{household.pk}/").status_code == 200
    assert client.get(f"/reports/{report.pk}/").status_code == 200
    assert client.get(f"/households/{household.pk}/edit/").status_code == 403
    assert client.get("/households/new/").status_code == 403
    assert client.post(f"/reports/{report.pk}/verify/").status_code == 403
    assert client.post(f"/reports/{report.pk}/reopen/", {"reason": "x"}).status_code == 403
    verify = client.post(f"/api/v1/reports/{report.pk}/verify", {}, content_type="application/json")
    assert verify.status_code == 403
    report.refresh_from_db()
    assert report.status == MonthlyReport.Status.SUBMITTED
    assert Household.objects.get(pk=household.pk).address == household.address


def test_a_reports_lateness_is_its_areas_offices_whoever_reads_it(
    client, caseload, padang_panjang, make_user, province_office
):
    report = padang_panjang["report"]
    prov = make_user("prov-viewer", Role.ADMIN, office=province_office)
    for reader in (padang_panjang["operator"], prov):
        login(client, reader)
        page = client.get(f"/reports/{report.pk}/")
        assert page.context["late"] is False, reader
        assert page.context["due"].day == 25, reader
    # The status table: the province's row of Putri is on time, Bukittinggi's missing are late.
    rows = {r.name: r for r in selectors.monthly_status(prov, OCTOBER, months=1)}
    assert rows["Putri Padang"].cells[-1].late is False
    assert rows["Citra Kecamatan B"].cells[-1].status == selectors.LATE
