"""The casework pages as their users see them: scope, messages, exports, query counts."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from python_calamine import CalamineWorkbook

from pilar.audit.services import Actor
from pilar.casework import report_services, services
from pilar.casework.models import Activity, MonthlyReport
from pilar.tests_support import login

from .conftest import OCTOBER
from .test_services import jpeg_with_gps

D = datetime.date
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_users(actors):
    """The pages speak each user's language: these tests read English."""
    from pilar.accounts.models import User

    User.objects.update(language="en")


def sheet(response) -> list[list]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    return book.get_sheet_by_index(0).to_python()


def test_pillar_records_a_home_visit_from_the_phone_form(client, actors, caseload, home_visit):
    login(client, actors["pillar"])
    page = client.get("/activities/new/")
    assert page.status_code == 200
    # Only the pillar's own households are offered.
    assert "Pak Amir" in page.content.decode() and "Pak Bahar" not in page.content.decode()
    photo = SimpleUploadedFile("IMG.jpg", jpeg_with_gps((800, 600)), content_type="image/jpeg")
    response = client.post(
        "/activities/new/",
        {
            "activity_type": home_visit.pk,
            "date": "2024-11-18",
            "households": [caseload["h1"].pk],
            "notes": "Lansia sakit, perlu rujukan",
            "follow_up_on": "2024-11-25",
            "photo": photo,
        },
    )
    assert response.status_code == 302
    activity = Activity.objects.get()
    assert activity.photo and activity.latitude is None
    assert list(activity.households.all()) == [caseload["h1"]]
    # The form remembers the last type chosen.
    again = client.get("/activities/new/")
    assert again.context["form"].initial["activity_type"] == home_visit.pk
    # The photo is served to those who may see the activity, and not to another kecamatan.
    assert client.get(f"/activities/{activity.pk}/photo/").status_code == 200
    login(client, actors["coordinator_b"])
    assert client.get(f"/activities/{activity.pk}/photo/").status_code == 404


def test_phone_form_shows_the_fields_problems_and_saves_nothing(client, actors, caseload):
    login(client, actors["pillar"])
    response = client.post("/activities/new/", {"activity_type": "", "date": "2024-12-01"})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "activity_type" in errors
    assert not Activity.objects.exists()


def test_future_activity_is_explained_on_the_form(client, actors, caseload, home_visit):
    login(client, actors["pillar"])
    response = client.post(
        "/activities/new/", {"activity_type": home_visit.pk, "date": "2024-12-01"}
    )
    assert "is in the future" in response.context["form"].errors["date"][0]
    assert not Activity.objects.exists()


def test_submit_verify_return_through_the_pages(client, actors, caseload, record):
    record(households=[caseload["h1"]])
    login(client, actors["pillar"])
    mine = client.get("/reports/mine/")
    assert mine.status_code == 200
    october = next(m for m in mine.context["months"] if m.cell.month == OCTOBER)
    assert october.cell.status == "late" and october.can_submit
    client.post("/reports/submit/", {"kind": october.row.kind_id, "month": "2024-10-01"})
    again = client.post(
        "/reports/submit/", {"kind": october.row.kind_id, "month": "2024-10-01"}, follow=True
    )
    assert "already submitted" in again.content.decode()
    report = MonthlyReport.objects.get()
    # The other kecamatan's coordinator cannot open it, let alone verify it.
    login(client, actors["coordinator_b"])
    assert client.get(f"/reports/{report.pk}/").status_code == 404
    assert client.post(f"/reports/{report.pk}/verify/").status_code == 404
    login(client, actors["coordinator_a"])
    page = client.get(f"/reports/{report.pk}/")
    assert page.context["may_decide"]
    client.post(f"/reports/{report.pk}/return/", {"reason": "Lengkapi catatan"})
    report.refresh_from_db()
    assert (report.status, report.return_reason) == ("returned", "Lengkapi catatan")


def test_status_table_shows_who_has_not_reported(client, actors, caseload, record, people):
    record()
    report_services.report_submit(
        by=Actor(user=actors["pillar"]),
        person=people["a1"],
        kind=people["a1"].assignments.get().kind,
        month=OCTOBER,
    )
    login(client, actors["coordinator_a"])
    response = client.get("/reports/?month=2024-10")
    rows = {r.name: r for r in response.context["rows"]}
    # Kecamatan A only: a1 and a2 (PSM) and the TKSK; not Citra of kecamatan B.
    assert set(rows) == {"Ani Kecamatan A", "Budi Kecamatan A", "Dedi TKSK A"}
    assert rows["Ani Kecamatan A"].cells[-1].status == "submitted"
    assert rows["Ani Kecamatan A"].cells[-1].activities == 1
    assert rows["Budi Kecamatan A"].cells[-1].status == "late"
    assert response.context["totals"] == [
        ("submitted", "Submitted", 1),
        ("late", "Late: not submitted", 2),
    ]
    assert "Submitted (late)" in response.content.decode()
    export = sheet(client.get("/reports/?month=2024-10&format=xlsx"))
    assert export[0][:3] == ["Pillar", "Kind", "Area"]
    assert {r[0] for r in export[1:]} == set(rows)
    kinds = {r[0]: r[1] for r in export[1:]}
    assert kinds["Ani Kecamatan A"] == "Pekerja Sosial Masyarakat"
    assert kinds["Dedi TKSK A"] == "Tenaga Kesejahteraan Sosial Kecamatan"
    assert "Late: not submitted" in [c for r in export for c in r]


def queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response


def test_status_table_queries_do_not_grow_with_pillars(
    client, actors, caseload, make_person, make_assignment, record
):
    login(client, actors["coordinator_a"])
    client.get("/reports/?month=2024-10")  # warm the session and caches
    few, _ = queries(client, "/reports/?month=2024-10")
    for i in range(12):
        p = make_person(f"PSM Tambahan {i}", kelurahan="13.75.01.1003")
        make_assignment(p, "PSM", "13.75.01.1003")
    # The filter's area choices are rebuilt once after a write (pilar.audit.cache): counted
    # as before, on the second view.
    client.get("/reports/?month=2024-10")
    many, response = queries(client, "/reports/?month=2024-10")
    assert len(response.context["rows"]) == 15
    # session, user, grants, filter form, count, page, 3 reads, totals; the bell's unread
    # count and who is seen as today (the WhatsApp links: docs/NOTICES.md)
    assert many == few <= 16


def test_caseload_page_queries_do_not_grow_with_households(
    client, actors, people, make_household, system_actor
):
    login(client, actors["pillar"])

    def assign(n):
        for _ in range(n):
            h = make_household()
            services.caseload_assign(
                by=system_actor, household=h, person=people["a1"], start_date=D(2024, 1, 2)
            )

    assign(2)
    client.get("/caseload/")
    few, _ = queries(client, "/caseload/")
    assign(20)
    many, response = queries(client, "/caseload/")
    assert len(response.context["rows"]) == 22
    assert many == few <= 10


def test_pillar_sees_only_own_caseload(client, actors, caseload):
    login(client, actors["pillar"])
    listing = client.get("/households/")
    assert {h.pk for h in listing.context["page"]} == {caseload["h1"].pk, caseload["h2"].pk}
    assert client.get(f"/households/{caseload['hb'].pk}/").status_code == 404


def test_coordinator_sees_the_kecamatan_and_nobody_elses(client, actors, caseload):
    login(client, actors["coordinator_b"])
    listing = client.get("/households/")
    assert [h.pk for h in listing.context["page"]] == [caseload["hb"].pk]
    assert client.get(f"/households/{caseload['h1'].pk}/").status_code == 404


def test_viewer_sees_no_household(client, actors, caseload):
    login(client, actors["viewer"])
    assert client.get("/households/").status_code == 403
    assert client.get("/api/v1/households").status_code == 403


def test_unaccompanied_households_filter(client, actors, caseload, make_household):
    lonely = make_household(head="Belum Didampingi")
    login(client, actors["operator"])
    page = client.get("/households/?unassigned=on").context["page"]
    assert [h.pk for h in page] == [lonely.pk]


def test_household_export_masks_kk_and_opens(client, actors, caseload):
    login(client, actors["operator"])
    rows = sheet(client.get("/households/?format=xlsx"))
    assert rows[0][0] == "KK number"
    assert len(rows) == 4
    kks = {r[0] for r in rows[1:]}
    assert caseload["h1"].masked_kk in kks
    assert caseload["h1"].kk_number not in kks
    csv = client.get("/households/?format=csv&area=13.75.02").content.decode("utf-8-sig")
    assert "Pak Bahar" in csv and "Pak Amir" not in csv


def test_activity_export_opens(client, actors, caseload, record):
    record(households=[caseload["h1"]], notes="=1+1")
    login(client, actors["coordinator_a"])
    rows = sheet(client.get("/activities/?format=xlsx&month=2024-10"))
    assert rows[1][1] == "Ani Kecamatan A"
    assert rows[1][2] == "Pekerja Sosial Masyarakat"  # the kind by its name, not "PSM"
    assert rows[1][7] == "=1+1"  # text, never a formula


def test_register_a_household_with_its_head(client, actors):
    login(client, actors["coordinator_a"])
    response = client.post(
        "/households/new/",
        {
            "kk_number": "1375011501200042",
            "area": "13.75.01.1002",
            "address": "Jl. Panorama",
            "decile": "2",
            "head_name": "Pak Usman",
            "head_sex": "L",
        },
    )
    assert response.status_code == 302
    outside = client.post(
        "/households/new/",
        {
            "kk_number": "1375021501200043",
            "area": "13.75.02.1001",
            "address": "Jl. Lain",
            "head_name": "Pak Lain",
            "head_sex": "L",
        },
    )
    assert outside.status_code == 400  # the kelurahan is not offered outside the kecamatan
    assert "area" in outside.context["form"].errors


def test_member_in_another_household_is_explained_on_the_page(client, actors, caseload):
    from pilar.lib.nik import make_nik

    nik = make_nik(area6="137501", birth_date=D(2001, 1, 9), sex="L", serial=901)
    login(client, actors["coordinator_a"])
    data = {
        "m-nik": nik,
        "m-name": "Andi",
        "m-sex": "L",
        "m-birth_date": "2001-01-09",
        "m-relation": "child",
    }
    client.post(f"/households/{caseload['h1'].pk}/members/", data)
    page = client.post(f"/households/{caseload['h2'].pk}/members/", data, follow=True)
    assert "is a member of another household" in page.content.decode()
    assert caseload["h2"].members.count() == 1


def test_follow_ups_mine_and_overdue_in_the_kecamatan(client, actors, caseload, record):
    record(follow_up_on=D(2024, 10, 20))
    login(client, actors["pillar"])
    mine = client.get("/follow-ups/")
    assert len(mine.context["own"]) == 1
    login(client, actors["coordinator_a"])
    assert len(client.get("/follow-ups/").context["overdue"]) == 1
    login(client, actors["coordinator_b"])
    assert len(client.get("/follow-ups/").context["overdue"]) == 0


def test_a_field_volunteer_starts_on_their_reports(client, actors):
    login(client, actors["pillar"])
    assert client.get("/").url == "/reports/mine/"


def test_figures_for_viewers_have_no_names_and_add_up(
    client, actors, caseload, record, people, make_household
):
    make_household(head="Belum Didampingi")  # nobody accompanies this one
    record(households=[caseload["h1"], caseload["h2"]])
    record(day=D(2024, 10, 9))
    login(client, actors["viewer"])
    response = client.get("/casework/?month=2024-10")
    body = response.content.decode()
    assert "Ani Kecamatan A" not in body and "Pak Amir" not in body
    total = response.context["total"]
    assert (total.activities, total.reached, total.households, total.accompanied) == (2, 2, 4, 3)
    kecamatan = {r.area.code: r for r in response.context["rows"] if r.kecamatan}
    assert kecamatan["13.75.01"].activities == 2 and kecamatan["13.75.02"].activities == 0
    assert not response.context["linked"]  # a viewer gets figures, not links to records
    login(client, actors["coordinator_b"])
    rows = client.get("/casework/?month=2024-10").context["rows"]
    assert {r.area.code for r in rows if r.kecamatan} == {"13.75.02"}


def test_large_ids_are_not_written_with_thousand_separators(client, actors, caseload, people):
    """Ids past 999 must reach links and checkboxes as plain digits ("1,234" is no id)."""
    from pilar.casework.models import Caseload
    from pilar.registry import services as registry

    orphan = Caseload.objects.get(household=caseload["h1"])
    Caseload.objects.filter(pk=orphan.pk).update(id=123456)
    registry.assignment_end(
        by=Actor.system(),
        assignment=people["a1"].assignments.get(),
        end_date=D(2024, 11, 1),
        end_reason="resigned",
    )
    login(client, actors["coordinator_a"])
    page = client.get("/caseload/").content.decode()
    assert 'value="123456"' in page
    response = client.post(
        "/caseload/reassign/",
        {"caseload": "123456", "person": people["a2"].pk, "start_date": "2024-11-20"},
    )
    assert response.status_code == 302
    assert (
        Caseload.objects.get(household=caseload["h1"], end_date__isnull=True).person == people["a2"]
    )


def test_status_table_escapes_names(client, actors, make_person, make_assignment):
    p = make_person("<script>alert(1)</script>", kelurahan="13.75.01.1002")
    make_assignment(p, "PSM", "13.75.01.1002")
    login(client, actors["coordinator_a"])
    body = client.get("/reports/?month=2024-10").content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_status_table_pages_by_pillar_and_counts_them_all(
    client, actors, caseload, make_person, make_assignment
):
    for i in range(55):
        p = make_person(f"PSM Halaman {i:02d}", kelurahan="13.75.01.1003")
        make_assignment(p, "PSM", "13.75.01.1003")
    login(client, actors["coordinator_a"])
    first = client.get("/reports/?month=2024-10")
    assert len(first.context["rows"]) == 50
    assert first.context["page"].paginator.count == 58
    assert first.context["totals"] == [("late", "Late: not submitted", 58)]
    second = client.get("/reports/?month=2024-10&page=2")
    names = {r.name for r in first.context["rows"]} | {r.name for r in second.context["rows"]}
    assert len(names) == 58
    assert len(client.get("/reports/?month=2024-10&per_page=200").context["rows"]) == 58
    assert len(client.get("/api/v1/reports/status?month=2024-10-01&limit=10").json()) == 10
    # The export has every row, not one page.
    assert len(sheet(client.get("/reports/?month=2024-10&format=xlsx"))) == 59


def test_pillars_offered_for_a_household_are_of_its_kecamatan_local_psm_first(
    client, actors, caseload, people, make_person, make_assignment
):
    tagana = make_person("Tagana Kota", sex="L")
    make_assignment(tagana, "TAGANA", "13.75")
    login(client, actors["operator"])
    form = client.get(f"/households/{caseload['h1'].pk}/").context["caseload_form"]
    offered = [pk for pk, _label in form.fields["person"].choices if pk]
    assert offered[0] == people["a1"].pk  # the PSM of the household's own kelurahan
    assert set(offered) == {
        people["a1"].pk,
        people["a2"].pk,
        people["tksk_a"].pk,
        tagana.pk,
    }  # not Citra of kecamatan B


def test_verify_needs_the_confirmation(client, actors, caseload, record, people):
    """Verifying locks the month: one POST without "I have checked…" ticked verifies nothing;
    the page keeps the verify action apart from returning with a reason."""
    record(households=[caseload["h1"]])
    report = report_services.report_submit(
        by=Actor(user=actors["pillar"]),
        person=people["a1"],
        kind=people["a1"].assignments.get().kind,
        month=OCTOBER,
    )
    login(client, actors["coordinator_a"])
    page = client.get(f"/reports/{report.pk}/").content.decode()
    verify = page[page.index('data-testid="verify"') : page.index('data-testid="return"')]
    assert 'name="confirm"' in verify and "required" in verify
    assert "I have checked the activities and figures of this month" in verify
    # What is being verified, in one sentence beside the tick.
    summary = verify[verify.index('data-testid="verify-summary"') :]
    assert "Ani Kecamatan A" in summary and "October 2024" in summary
    assert f"activities: {report.summary['activities']}," in summary
    assert 'name="reason"' not in verify  # returning is a separate section
    for data in ({}, {"confirm": ""}, {"confirm": "no"}):
        response = client.post(f"/reports/{report.pk}/verify/", data)
        assert response.status_code == 400
        assert "Tick “I have checked" in response.content.decode(), data
        report.refresh_from_db()
        assert report.status == "submitted", data
    client.post(f"/reports/{report.pk}/verify/", {"confirm": "yes"})
    report.refresh_from_db()
    assert report.status == "verified"


def test_my_reports_browse_back_and_forth_and_refuse_junk_months(client, actors, caseload):
    login(client, actors["pillar"])  # serving since 2 January 2023; today is 20 November 2024
    now = client.get("/reports/mine/")
    assert [m.cell.month for m in now.context["months"]][0] == D(2024, 11, 1)
    assert now.context["later"] is None and now.context["earlier"] == D(2024, 5, 1)
    back = client.get("/reports/mine/", {"month": "2024-05"})
    assert [m.cell.month for m in back.context["months"]] == [
        D(2024, 5, 1), D(2024, 4, 1), D(2024, 3, 1), D(2024, 2, 1), D(2024, 1, 1), D(2023, 12, 1)
    ]  # fmt: skip
    assert (back.context["earlier"], back.context["later"]) == (D(2023, 11, 1), D(2024, 11, 1))
    assert b'href="?month=2023-11"' in back.content and b'href="?month=2024-11"' in back.content
    # Back to where the duty began: no earlier link; the months before it are not shown.
    first = client.get("/reports/mine/", {"month": "2023-05"})
    assert first.context["earlier"] is None and b'rel="prev"' not in first.content
    assert min(m.cell.month for m in first.context["months"]) == D(2023, 1, 1)
    for junk in ("abc", "2024-13", "2024-11-05x", "1999-01"):
        answer = client.get("/reports/mine/", {"month": junk})
        assert answer.status_code == 400, junk
        assert "month" in answer.content.decode() and "2024-07" in answer.content.decode()
    later = client.get("/reports/mine/", {"month": "2024-12"})
    assert later.status_code == 400 and "2024-11" in later.content.decode()
