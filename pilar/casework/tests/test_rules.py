"""Rules found by review, each tried with the input that broke it."""

import datetime
import io

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from pilar.accounts.models import User
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor
from pilar.casework import report_services, selectors, services
from pilar.casework.models import Activity, Caseload, Household, HouseholdMember, MonthlyReport
from pilar.lib.nik import make_nik
from pilar.registry import services as registry
from pilar.tests_support import login

from .conftest import OCTOBER, make_kk

D = datetime.date
UTC = datetime.UTC
pytestmark = pytest.mark.django_db


def jpeg(size=(800, 600), *, gps=None, comment=None) -> bytes:
    image = Image.new("RGB", size, (90, 140, 200))
    exif = Image.Exif()
    if gps is not None:
        exif[0x8825] = gps
    out = io.BytesIO()
    extra = {"comment": comment} if comment else {}
    image.save(out, "JPEG", exif=exif.tobytes(), **extra)
    return out.getvalue()


def upload(content: bytes, name="IMG.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


def test_jpeg_comment_does_not_survive(caseload, record):
    a = record(photo=upload(jpeg(comment=b"Lokasi: rumah Pak Amir")))
    with Image.open(a.photo.path) as img:
        assert "comment" not in img.info
        assert not img.getexif()


def test_gps_of_zero_over_zero_is_no_position_not_a_crash(caseload, record):
    # Pillow writes 0/0 rationals for these when they are given as IFDRational(0, 0).
    from PIL.TiffImagePlugin import IFDRational

    zero = IFDRational(0, 0)
    nan = {1: "N", 2: (zero, zero, zero), 3: "E", 4: (zero, zero, zero)}
    a = record(photo=upload(jpeg(gps=nan)), keep_location=True)
    assert a.photo and a.latitude is None


def test_picture_with_too_many_pixels_is_refused_before_decoding(caseload, record):
    out = io.BytesIO()
    Image.new("L", (9000, 8000)).save(out, "PNG")  # 72 million pixels, a small file
    with pytest.raises(ValidationError) as exc:
        record(photo=upload(out.getvalue(), "big.png"))
    assert "million pixels" in exc.value.message_dict["photo"][0]
    assert not Activity.objects.exists()


def test_nik_in_a_household_outside_the_area_is_not_located(caseload, actors):
    nik = make_nik(area6="137501", birth_date=D(1992, 2, 2), sex="L", serial=333)
    member = {
        "nik": nik,
        "name": "Joni",
        "sex": "L",
        "birth_date": D(1992, 2, 2),
        "relation": "child",
    }
    services.member_add(by=Actor.system(), household=caseload["h1"], data=member)
    with pytest.raises(ValidationError) as exc:
        services.member_add(
            by=Actor(user=actors["coordinator_b"]), household=caseload["hb"], data=member
        )
    message = " ".join(exc.value.messages)
    assert "outside your area" in message
    assert caseload["h1"].masked_kk not in message and "Tarok Dipo" not in message


def test_blank_nik_is_no_nik(caseload, system_actor):
    m = services.member_add(
        by=system_actor,
        household=caseload["h1"],
        data={"nik": "   ", "name": "Bayi", "sex": "P", "relation": "child"},
    )
    assert m.nik == ""


def test_former_kk_number_is_found_and_stays_taken(caseload, system_actor, client, actors):
    h = caseload["h1"]
    old = h.kk_number
    services.household_update(
        by=system_actor, household=h, data={"kk_number": make_kk(), "kk_change_reason": "pisah KK"}
    )
    with pytest.raises(ValidationError) as exc:
        services.household_create(
            by=system_actor,
            data={"kk_number": old, "area": h.area, "address": "Jl. Baru"},
        )
    assert "now or formerly" in " ".join(exc.value.messages)
    User.objects.update(language="en")
    login(client, actors["coordinator_a"])
    found = client.get(f"/households/?q={old}").context["page"]
    assert [x.pk for x in found] == [h.pk]
    # A prefix finds nothing: the masked number cannot be recovered digit by digit.
    assert not list(client.get(f"/households/?q={old[:10]}").context["page"])


def test_closing_a_household_ends_its_accompaniment(caseload, system_actor):
    h = caseload["h1"]
    services.household_update(
        by=system_actor, household=h, data={"status": "moved", "status_reason": "Pindah ke Agam"}
    )
    assert not Caseload.objects.filter(household=h, end_date__isnull=True).exists()
    assert not selectors.caseload_of(h.caseloads.get().person_id).filter(household=h).exists()


def test_too_long_texts_are_refused_by_name(caseload, system_actor, record, actors, kind):
    with pytest.raises(ValidationError) as exc:
        services.household_update(
            by=system_actor, household=caseload["h1"], data={"address": "x" * 300}
        )
    assert "under 250 characters" in exc.value.message_dict["address"][0]
    with pytest.raises(ValidationError) as exc:
        record(notes="y" * 1200)
    assert "notes" in exc.value.message_dict
    report = report_services.report_submit(
        by=Actor(user=actors["pillar"]),
        person=actors["pillar"].person,
        kind=kind("PSM"),
        month=OCTOBER,
    )
    with pytest.raises(ValidationError) as exc:
        report_services.report_return(
            by=Actor(user=actors["coordinator_a"]), report=report, reason="z" * 600
        )
    assert "return_reason" in exc.value.message_dict
    assert MonthlyReport.objects.get().status == "submitted"


def test_follow_up_of_a_cancelled_activity_cannot_be_done(caseload, record, actors):
    a = record(follow_up_on=D(2024, 10, 20))
    services.activity_cancel(by=Actor(user=actors["pillar"]), activity=a, reason="salah input")
    with pytest.raises(ValidationError):
        services.follow_up_done(by=Actor(user=actors["pillar"]), activity=a)


def test_a_follow_up_is_marked_done_once_even_from_a_stale_copy(caseload, record, actors):
    """Two marks at the same moment (a double tap, the phone's outbox and the page): the second
    reads the activity before the first wrote, and must change nothing."""
    a = record(follow_up_on=D(2024, 10, 20))
    stale = Activity.objects.get(pk=a.pk)
    by = Actor(user=actors["pillar"])
    services.follow_up_done(by=by, activity=a, day=D(2024, 10, 21))
    with pytest.raises(ValidationError):
        services.follow_up_done(by=by, activity=stale, day=D(2024, 10, 22))
    assert Activity.objects.get(pk=a.pk).follow_up_done_on == D(2024, 10, 21)
    changes = AuditEntry.objects.filter(object_id=str(a.pk), changes__has_key="follow_up_done_on")
    assert changes.count() == 1


def test_a_follow_up_cannot_be_done_before_its_activity(caseload, record, actors):
    a = record(follow_up_on=D(2024, 10, 20))
    with pytest.raises(ValidationError) as exc:
        services.follow_up_done(by=Actor(user=actors["pillar"]), activity=a, day=D(2024, 1, 2))
    assert "before the activity itself" in exc.value.message_dict["follow_up_done_on"][0]


def test_kube_group_must_be_the_pendamping_s(caseload, record, area):
    from pilar.kube.models import KubeGroup

    group = KubeGroup.objects.create(
        name="KUBE Melati",
        area=area("13.75.01.1001"),
        business_type="Kue",
        founded_on=D(2022, 1, 1),
    )
    with pytest.raises(ValidationError) as exc:
        record(kube_group=group)  # a1 is a PSM, not a Pendamping KUBE
    assert "kube_group" in exc.value.message_dict


# --- the monthly status at its edges ----------------------------------------------------------


def submit(actors, kind, month=OCTOBER, user="pillar"):
    u = actors[user]
    return report_services.report_submit(by=Actor(user=u), person=u.person, kind=kind, month=month)


def test_this_month_is_not_due_and_cannot_be_submitted_before_its_last_day(caseload, actors, kind):
    rows = selectors.monthly_status(actors["coordinator_a"], D(2024, 11, 1), months=2)
    a1 = next(r for r in rows if r.name == "Ani Kecamatan A")
    assert [c.status for c in a1.cells] == ["late", "not_due"]
    with pytest.raises(ValidationError) as exc:
        submit(actors, kind("PSM"), month=D(2024, 11, 1))
    assert "from 30 November 2024" in " ".join(exc.value.messages)


def test_late_is_judged_in_jakarta_time_on_the_first_submission(caseload, actors, kind):
    # 10 November 20:00 UTC is 11 November 03:00 in Bukittinggi: one day late.
    with time_machine.travel(datetime.datetime(2024, 11, 10, 20, tzinfo=UTC)):
        report = submit(actors, kind("PSM"))
    assert selectors.is_late(report.first_submitted_at, OCTOBER)
    with time_machine.travel(datetime.datetime(2024, 11, 10, 16, tzinfo=UTC)):  # 23:00 WIB
        on_time = submit(actors, kind("TKSK"), user="coordinator_a")
    assert not selectors.is_late(on_time.first_submitted_at, OCTOBER)
    # Returned and resubmitted later: still on time, as first sent.
    report_services.report_return(
        by=Actor(user=actors["operator"]), report=on_time, reason="lengkapi"
    )
    again = submit(actors, kind("TKSK"), user="coordinator_a")
    assert not selectors.is_late(again.first_submitted_at, OCTOBER)


def test_a_pillar_who_moved_shows_in_each_kecamatan_only_for_months_served_there(
    caseload, actors, people, record, kind, system_actor, area
):
    a1 = people["a1"]
    record(day=D(2024, 8, 20))
    duty = a1.assignments.get()
    registry.assignment_end(
        by=system_actor, assignment=duty, end_date=D(2024, 8, 31), end_reason="moved"
    )
    registry.assignment_create(
        by=system_actor,
        person=a1,
        kind=kind("PSM"),
        area=area("13.75.02.1001"),
        start_date=D(2024, 9, 1),
    )
    record(day=D(2024, 10, 3))
    submit(actors, kind("PSM"))
    rows_a = selectors.monthly_status(actors["coordinator_a"], OCTOBER, months=3)
    cells_a = {c.month: c for c in next(r for r in rows_a if r.person_id == a1.pk).cells}
    assert cells_a[D(2024, 8, 1)].activities == 1
    assert cells_a[OCTOBER].status == "not_serving"
    assert cells_a[OCTOBER].report_id is None and cells_a[OCTOBER].activities == 0
    rows_b = selectors.monthly_status(actors["coordinator_b"], OCTOBER, months=3)
    cells_b = {c.month: c for c in next(r for r in rows_b if r.person_id == a1.pk).cells}
    assert cells_b[OCTOBER].status == "submitted" and cells_b[OCTOBER].activities == 1
    assert cells_b[D(2024, 8, 1)].status == "not_serving"


def test_two_kinds_report_separately(make_person, make_assignment, make_user, kind):
    p = make_person("Dua Tugas", sex="L")
    make_assignment(p, "PSM", "13.75.01.1001", start=D(2024, 1, 2))
    make_assignment(p, "TAGANA", "13.75", start=D(2024, 1, 2))
    u = make_user("dua", "pillar", person=p)
    report_services.report_submit(by=Actor(user=u), person=p, kind=kind("TAGANA"), month=OCTOBER)
    rows = selectors.monthly_status(u, OCTOBER, months=1)
    assert sorted((r.kind_code, r.cells[0].status) for r in rows) == [
        ("PSM", "late"),
        ("TAGANA", "submitted"),
    ]


def test_duty_starting_mid_window_is_not_serving_before(make_person, make_assignment, actors):
    p = make_person("Baru Masuk", kelurahan="13.75.01.1002")
    make_assignment(p, "PSM", "13.75.01.1002", start=D(2024, 9, 15))
    rows = selectors.monthly_status(actors["coordinator_a"], OCTOBER, months=3)
    row = next(r for r in rows if r.person_id == p.pk)
    assert [c.status for c in row.cells] == ["not_serving", "late", "late"]


# --- pages -------------------------------------------------------------------------------


def test_exports_and_photo_views_are_logged(client, actors, caseload, record):
    a = record(photo=upload(jpeg()))
    User.objects.update(language="en")
    login(client, actors["coordinator_a"])
    client.get("/households/?format=csv")
    client.get("/activities/?format=xlsx")
    client.get(f"/activities/{a.pk}/photo/")
    looks = AuditEntry.objects.filter(action="view_personal").values_list("object_type", flat=True)
    assert sorted(looks) == ["casework.activity", "casework.activity", "casework.household"]


def test_follow_up_done_never_redirects_off_site(client, actors, caseload, record):
    a = record(follow_up_on=D(2024, 10, 20))
    login(client, actors["pillar"])
    response = client.post(f"/activities/{a.pk}/follow-up-done/", {"next": "https://evil.example/"})
    assert response.url == "/follow-ups/"


def test_odd_query_strings_get_an_answer_not_an_error(client, actors, caseload):
    User.objects.update(language="en")
    login(client, actors["operator"])
    assert client.get("/reports/?month=0001-01").status_code == 200
    assert client.get("/reports/?month=9999-12").context["form"].errors["month"]
    # An id beyond 64 bits is refused naming the parameter (docs/INPUT.md).
    response = client.get("/activities/?person=99999999999999999999")
    assert response.status_code == 400 and "person:" in response.content.decode()
    assert client.get("/api/v1/households?offset=-1").status_code == 422
    assert client.get("/api/v1/activities?offset=99999999999999999999").status_code == 422
    assert client.get("/api/v1/reports/status?month=0001-01-01").status_code == 422


def test_api_refuses_unknown_codes_by_name(client, actors, caseload, home_visit):
    User.objects.update(language="en")
    login(client, actors["pillar"])
    base = {"date": "2024-10-05", "activity_type": "HOME_VISIT"}
    for extra, field in [
        ({"kind": "NOPE"}, "kind"),
        ({"need_category": 99}, "need_category"),
        ({"activity_type": "NOPE"}, "activity_type"),
    ]:
        response = client.post(
            "/api/v1/activities", {**base, **extra}, content_type="application/json"
        )
        assert response.status_code == 400, extra
        assert field in response.json()["errors"]
    assert not Activity.objects.exists()
    login(client, actors["operator"])
    response = client.post(
        "/api/v1/households",
        {"kk_number": make_kk(), "area_code": "13.75.01.1001", "address": "x", "categories": [99]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert Household.objects.count() == 3
    assert HouseholdMember.objects.count() == 3


def test_ending_an_accompaniment_keeps_it_as_history(client, actors, caseload):
    User.objects.update(language="en")
    open_caseload = Caseload.objects.get(household=caseload["h1"])
    login(client, actors["coordinator_b"])  # another kecamatan: not theirs to end
    assert client.post(f"/caseloads/{open_caseload.pk}/end/", {}).status_code == 404
    login(client, actors["coordinator_a"])
    future = client.post(
        f"/caseloads/{open_caseload.pk}/end/",
        {"end_date": "2024-12-31", "end_reason": "Sudah mandiri"},
        follow=True,
    )
    assert "between 2 January 2024 and today" in future.content.decode()
    client.post(
        f"/caseloads/{open_caseload.pk}/end/",
        {"end_date": "2024-11-15", "end_reason": "Sudah mandiri"},
    )
    open_caseload.refresh_from_db()
    assert (open_caseload.end_date, open_caseload.end_reason) == (D(2024, 11, 15), "Sudah mandiri")
    assert not selectors.caseload_of(open_caseload.person_id).filter(household=caseload["h1"])
