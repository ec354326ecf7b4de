"""The province sees (issue 20, docs/DASHBOARD.md "Province"): each hosted office's dashboard
figures in a row, and a total that is the sum of the rows; every row is what that office's own
users see; the rows come from the summary table in a bounded number of queries."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from pilar.accounts.models import Role, User
from pilar.dashboard import rollup
from pilar.dashboard.figures import SUMMED, summed
from pilar.dashboard.models import OfficeFigures
from pilar.offices.models import Office
from pilar.offices.services import remembered
from pilar.regions.models import Area
from pilar.stipends.tests.conftest import OCTOBER, office_rates, report
from pilar.tests_support import login

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2024, 11, 20)  # the stipend fixtures' day (tests/conftest.py)


@pytest.fixture
def two_kota(
    office, other_office, province_office, people, make_person, make_assignment, rates, system_actor
):
    """Bukittinggi with the standard people (three PSM and a TKSK), Padang Panjang with two PSM,
    one of whom reported October late and the other on time, verified; each office's own tali
    kasih rates (the same amounts)."""
    with remembered(office=other_office):
        office_rates(system_actor)
    pp1 = make_person("Eka Padang Panjang", kelurahan="13.74.01.1001")
    make_assignment(pp1, "PSM", "13.74.01.1001")
    pp2 = make_person("Fajar Padang Panjang", sex="L", kelurahan="13.74.01.1002")
    make_assignment(pp2, "PSM", "13.74.01.1002")
    late = report(pp1, OCTOBER, status="submitted")
    late.first_submitted_at = timezone.make_aware(datetime.datetime(2024, 11, 15, 9))
    late.save()
    on_time = report(pp2, OCTOBER)
    on_time.first_submitted_at = timezone.make_aware(datetime.datetime(2024, 11, 2, 9))
    on_time.save()
    report(people["a1"], OCTOBER)
    User.objects.update(language="en")
    return {"pp1": pp1, "pp2": pp2}


@pytest.fixture
def users(make_user, office, other_office, province_office):
    made = {
        "bkt": make_user("admin-bkt", Role.ADMIN, office=office),
        "pp": make_user("admin-pp", Role.ADMIN, office=other_office),
        "pp_viewer": make_user("viewer-pp", Role.VIEWER, office=other_office),
        "prov_admin": make_user("prov-admin", Role.ADMIN, office=province_office),
        "prov_viewer": make_user("prov-viewer", Role.VIEWER, office=province_office),
        "prov_pillar": make_user("prov-pillar", Role.PILLAR, office=province_office),
    }
    User.objects.update(language="en")
    return made


def rows_of(page) -> dict[str, dict]:
    province = page.context["province"]
    return {r.office.area.code: r.figures for r in province.rows}


def plain(figures: dict) -> dict:
    """The kept figures, without what a page derives from them."""
    return {k: v for k, v in figures.items() if k not in ("delay_average", "trained_share")}


def test_each_office_row_is_what_its_own_users_see_and_the_total_is_their_sum(
    client, two_kota, users
):
    login(client, users["prov_admin"])
    page = client.get("/dashboard/")
    assert page.status_code == 200
    assert [t.name for t in page.templates][0] == "dashboard/province.html"
    rows = rows_of(page)
    assert list(rows) == ["13.74", "13.75"]
    for code, user in (("13.75", users["bkt"]), ("13.74", users["pp"])):
        client.force_login(user)
        own = client.get("/dashboard/")
        assert [t.name for t in own.templates][0] == "dashboard/home.html"
        assert plain(rows[code]) == own.context["figures"], code
    # The figures themselves, so that the comparison above cannot pass on empty rows.
    assert rows["13.75"]["headcount"] == {"PSM": 3, "TKSK": 1}
    assert rows["13.74"]["headcount"] == {"PSM": 2}
    assert (rows["13.74"]["reports_verified"], rows["13.74"]["reports_late"]) == (1, 1)
    assert (rows["13.75"]["reports_verified"], rows["13.75"]["reports_late"]) == (1, 0)
    assert rows["13.74"]["owed_months"] > 0 and rows["13.75"]["owed_months"] > 0
    # The total is the sum of the rows, figure by figure.
    total = page.context["province"].total
    for key in SUMMED:
        assert total[key] == rows["13.74"][key] + rows["13.75"][key], key
    assert total["headcount"] == {"PSM": 5, "TKSK": 1}
    assert plain(total) == summed([rows["13.74"], rows["13.75"]])
    body = page.content.decode()
    total_row = body[body.index('data-testid="total-casework"') :][:400]
    assert '<a href="/headcount/?as_of=2024-11-20">6</a>' in total_row


def test_rows_link_to_the_offices_lists_only_where_the_role_may_open_them(client, two_kota, users):
    login(client, users["prov_admin"])
    body = client.get("/dashboard/").content.decode()
    owed = body[body.index('data-testid="owed-13.74"') :][:300]
    assert 'href="/stipends/arrears/?area=13.74&amp;list=1"' in owed
    gaps = body[body.index('data-testid="gaps-13.75"') :][:400]
    assert 'href="/trainings/requirements/?area=13.75&amp;on=2024-11-20"' in gaps
    # The list behind the link opens, and holds only that office's people.
    listed = client.get("/stipends/arrears/?area=13.74&list=1")
    assert listed.status_code == 200
    assert "Eka Padang Panjang" in listed.content.decode()
    assert "Ani Kecamatan A" not in listed.content.decode()
    # A province viewer gets the same figures, and no list behind them.
    client.force_login(users["prov_viewer"])
    page = client.get("/dashboard/")
    assert page.status_code == 200
    assert rows_of(page)["13.74"]["owed_months"] > 0
    body = page.content.decode()
    for url in ("/stipends/arrears/", "/trainings/requirements/", "/equipment/returns-due/"):
        assert url not in body, url
    for person in two_kota.values():
        assert person.name not in body
    assert client.get("/stipends/arrears/?area=13.74&list=1").status_code == 403


def test_kota_users_see_their_own_office_only(client, two_kota, users):
    for name, headcount in (("pp", 2), ("pp_viewer", 2), ("bkt", 4)):
        client.force_login(users[name])
        page = client.get("/dashboard/")
        assert page.status_code == 200, name
        assert "province" not in page.context, name
        assert page.context["hc"].total == headcount, name
        assert page.context["figures"]["headcount_total"] == headcount, name
        body = page.content.decode()
        assert "Bukittinggi" not in body or name == "bkt", name
    # No summary row is written for an office's own dashboard.
    assert not OfficeFigures.objects.exists()


def test_a_province_grant_within_one_kota_sees_that_kota_only(client, two_kota, make_user):
    province = Office.objects.get(area__code="13")
    kota = make_user("prov-kota", Role.VIEWER, area="13.75", office=province)
    login(client, kota)
    page = client.get("/dashboard/")
    assert list(rows_of(page)) == ["13.75"]
    assert page.context["province"].total["headcount_total"] == 4
    # Within a kecamatan: no office's whole figures, the kecamatan's own dashboard.
    client.force_login(make_user("prov-kec", Role.VIEWER, area="13.75.01", office=province))
    page = client.get("/dashboard/")
    assert "province" not in page.context
    assert page.context["hc"].total == 3  # a1, a2 and the TKSK


def test_roles_without_the_figures_are_refused(client, users):
    login(client, users["prov_pillar"])
    assert client.get("/dashboard/").status_code == 403
    client.logout()
    assert client.get("/dashboard/").status_code == 302


def test_after_a_write_the_worker_brings_the_row_up_to_date(
    client, two_kota, users, make_person, settings
):
    """A stale row is shown as it was and the worker asked; a row the worker has left behind
    for five minutes is computed on the page of a province."""
    login(client, users["prov_viewer"])
    before = rows_of(client.get("/dashboard/"))
    assert OfficeFigures.objects.count() == 2 and not DBTaskResult.objects.exists()
    from pilar.audit.services import Actor
    from pilar.registry import services
    from pilar.registry.models import PillarKind

    def tagana(name: str) -> None:
        services.assignment_create(
            by=Actor(user=users["pp"]),
            person=make_person(name, kelurahan="13.74.01.1001"),
            kind=PillarKind.objects.get(code="TAGANA"),
            area=Area.objects.get(code="13.74"),
            start_date=datetime.date(2024, 3, 1),
        )

    tagana("Gita Padang Panjang")
    page = client.get("/dashboard/")
    assert rows_of(page) == before
    assert page.context["province"].stale == 2
    assert DBTaskResult.objects.count() == 2
    # The worker's tasks, run at once here.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    from pilar.dashboard.tasks import refresh_office_figures

    for office in Office.objects.filter(area__code__in=["13.74", "13.75"]):
        refresh_office_figures.enqueue(office.pk, TODAY.isoformat())
    page = client.get("/dashboard/")
    after = rows_of(page)
    assert after["13.74"]["headcount"] == {**before["13.74"]["headcount"], "TAGANA": 1}
    assert after["13.75"] == before["13.75"]
    assert page.context["province"].total["headcount_total"] == 7
    assert page.context["province"].stale == 0
    assert OfficeFigures.objects.count() == 2  # kept up to date in place
    # The worker is down: five minutes on, the page computes its rows itself.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    tagana("Hana Padang Panjang")
    OfficeFigures.objects.update(computed_at=timezone.now() - rollup.MAX_AGE)
    page = client.get("/dashboard/")
    assert rows_of(page)["13.74"]["headcount"]["TAGANA"] == 2
    assert page.context["province"].stale == 0


def add_kota(codes) -> None:
    province = Area.objects.get(code="13")
    for code in codes:
        area, _new = Area.objects.get_or_create(
            code=code,
            defaults={"name": f"Uji {code}", "level": 2, "kind": "kota", "parent": province},
        )
        Office.objects.create(
            area=area,
            name=f"Dinas Sosial Kota {code}",
            city=f"Kota {code}",
            head_title="Kepala Dinas Sosial",
            treasurer_title="Bendahara Pengeluaran",
        )


def queries_of(client) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        page = client.get("/dashboard/")
    assert page.status_code == 200
    return len(captured), page


def test_the_province_page_reads_the_summary_table_in_bounded_queries(client, two_kota, users):
    login(client, users["prov_viewer"])
    client.get("/dashboard/")  # computes both offices' rows
    two, page = queries_of(client)
    assert len(page.context["province"].rows) == 2
    add_kota(["13.71", "13.72", "13.73"])
    first, page = queries_of(client)  # computes the three new offices' rows
    assert first > two
    five, page = queries_of(client)
    assert len(page.context["province"].rows) == 5
    assert all(r.fresh for r in page.context["province"].rows)
    # Session, user, grants, office and its flags, the data version, the hosted offices, their
    # rows and the kinds' order: the same whatever the number of offices.
    assert five == two
    assert five <= 12


def test_past_the_direct_limit_the_worker_computes_the_rows(
    client, two_kota, users, monkeypatch, settings
):
    """A country's 514 offices are not computed on the page: it shows each row as last
    computed, stamped with its time, and asks the task worker once per office."""
    monkeypatch.setattr(rollup, "DIRECT_UP_TO", 1)
    login(client, users["prov_admin"])
    page = client.get("/dashboard/")
    province = page.context["province"]
    assert province.missing == 2 and province.total["headcount_total"] == 0
    assert "being computed" in page.content.decode()
    assert DBTaskResult.objects.count() == 2
    client.get("/dashboard/")
    assert DBTaskResult.objects.count() == 2  # asked once, however often the page is read
    # The worker's task, run at once here.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    from pilar.dashboard.tasks import refresh_office_figures

    for office in Office.objects.filter(area__code__in=["13.74", "13.75"]):
        refresh_office_figures.enqueue(office.pk, TODAY.isoformat())
    page = client.get("/dashboard/")
    province = page.context["province"]
    assert (province.missing, province.stale) == (0, 0)
    assert province.total["headcount_total"] == 6
    assert "Computed at 20 November 2024" in page.content.decode()
    # A write: the rows are shown as they were, said to be computed again.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from pilar.audit.services import Actor
    from pilar.registry import services

    services.assignment_end(
        by=Actor(user=users["pp"]),
        assignment=two_kota["pp1"].assignments.get(),
        end_date=datetime.date(2024, 11, 1),
        end_reason="resigned",
    )
    page = client.get("/dashboard/")
    province = page.context["province"]
    assert province.stale == 2 and province.total["headcount_total"] == 6
    body = page.content.decode()
    assert "2 offices' figures predate the latest changes" in body
    assert body.count('data-testid="stale"') == 2
    # Asked again, now that the last answer has come.
    assert DBTaskResult.objects.count() == 4


def test_refresh_acts_for_the_office(two_kota, other_office):
    """The office's policies apply: its report due day decides which report was late."""
    row = rollup.refresh(other_office, TODAY)
    assert row.figures["reports_late"] == 1
    other_office.report_due_day = 20
    other_office.save()
    assert rollup.refresh(other_office, TODAY).figures["reports_late"] == 0
    assert OfficeFigures.objects.get().figures["reports_late"] == 0
