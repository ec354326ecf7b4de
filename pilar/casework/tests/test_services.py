"""The casework rules, each tried with input that should break it."""

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor
from pilar.casework import report_services, services
from pilar.casework.models import (
    Activity,
    Caseload,
    Household,
    HouseholdMember,
    KKChange,
    MonthlyReport,
)
from pilar.lib.kk import validate_kk
from pilar.lib.nik import make_nik
from pilar.regions.models import Area
from pilar.registry.models import PillarKind

from .conftest import OCTOBER, make_kk

D = datetime.date
pytestmark = pytest.mark.django_db


def messages_of(exc) -> str:
    return " ".join(exc.value.messages)


@pytest.mark.parametrize(
    ("kk", "why"),
    [
        ("137501150120", "16 digits"),
        ("99750115012000001"[:16], "not an area code"),
        ("1300011501200001", "not an area code"),
        ("1375013501200001", "not a date"),
        ("1375011513200001", "not a date"),
        ("1375011501200000", "0000"),
        ("13750115012O0001", "only the digits"),
    ],
)
def test_kk_numbers_are_checked_like_a_nik(kk, why):
    with pytest.raises(ValidationError) as exc:
        validate_kk(kk)
    assert why in messages_of(exc)


def test_kk_accepts_spaces_and_dots():
    assert validate_kk("1375 0115.0120 0001") == "1375011501200001"


def test_household_with_bad_fields_names_each_and_saves_nothing(reference, system_actor):
    with pytest.raises(ValidationError) as exc:
        services.household_create(
            by=system_actor,
            data={"kk_number": "123", "area": Area.objects.get(code="13.75.01"), "address": ""},
        )
    assert set(exc.value.message_dict) == {"kk_number", "area", "address"}
    assert Household.objects.count() == 0


def test_a_kk_number_is_registered_once(make_household):
    h = make_household()
    with pytest.raises(ValidationError) as exc:
        make_household(kk_number=h.kk_number)
    assert "already registered" in messages_of(exc)
    assert Household.objects.count() == 1


def test_new_kk_number_keeps_the_old_one_with_the_reason(make_household, system_actor):
    h = make_household()
    old = h.kk_number
    with pytest.raises(ValidationError) as exc:
        services.household_update(by=system_actor, household=h, data={"kk_number": make_kk()})
    assert "kk_change_reason" in exc.value.message_dict
    new = make_kk()
    services.household_update(
        by=system_actor,
        household=h,
        data={"kk_number": new, "kk_change_reason": "Kepala keluarga meninggal"},
    )
    h.refresh_from_db()
    assert h.kk_number == new
    change = KKChange.objects.get(household=h)
    assert (change.kk_number, change.reason) == (old, "Kepala keluarga meninggal")


def test_closing_a_household_needs_a_reason(make_household, system_actor):
    h = make_household()
    with pytest.raises(ValidationError) as exc:
        services.household_update(by=system_actor, household=h, data={"status": "moved"})
    assert "status_reason" in exc.value.message_dict
    h.refresh_from_db()
    assert h.status == "active"


def test_member_already_in_another_household_is_flagged_not_moved(make_household, system_actor):
    nik = make_nik(area6="137501", birth_date=D(1990, 3, 4), sex="P", serial=77)
    first, second = make_household(), make_household()
    services.member_add(
        by=system_actor,
        household=first,
        data={
            "nik": nik,
            "name": "Rina",
            "sex": "P",
            "birth_date": D(1990, 3, 4),
            "relation": "spouse",
        },
    )
    with pytest.raises(ValidationError) as exc:
        services.member_add(
            by=system_actor,
            household=second,
            data={
                "nik": nik,
                "name": "Rina",
                "sex": "P",
                "birth_date": D(1990, 3, 4),
                "relation": "child",
            },
        )
    assert first.masked_kk in messages_of(exc)
    assert "record their leaving there first" in messages_of(exc)
    assert list(HouseholdMember.objects.filter(nik=nik).values_list("household", flat=True)) == [
        first.pk
    ]
    # After leaving the first household, the person can join the second.
    member = HouseholdMember.objects.get(nik=nik)
    services.member_leave(by=system_actor, member=member, left_on=D(2024, 5, 1), reason="menikah")
    services.member_add(
        by=system_actor,
        household=second,
        data={
            "nik": nik,
            "name": "Rina",
            "sex": "P",
            "birth_date": D(1990, 3, 4),
            "relation": "spouse",
        },
    )
    assert HouseholdMember.objects.filter(nik=nik, left_on__isnull=True).get().household == second


def test_member_nik_must_agree_with_birth_date_and_sex(make_household, system_actor):
    h = make_household()
    nik = make_nik(area6="137501", birth_date=D(1990, 3, 4), sex="P", serial=5)
    with pytest.raises(ValidationError) as exc:
        services.member_add(
            by=system_actor,
            household=h,
            data={
                "nik": nik,
                "name": "X",
                "sex": "L",
                "birth_date": D(1990, 3, 4),
                "relation": "child",
            },
        )
    assert "nik" in exc.value.message_dict
    assert h.members.count() == 1


def test_second_head_is_refused(make_household, system_actor):
    h = make_household()
    with pytest.raises(ValidationError) as exc:
        services.member_add(
            by=system_actor, household=h, data={"name": "Y", "sex": "L", "relation": "head"}
        )
    assert "already has a head" in messages_of(exc)


def test_caseload_outside_own_kelurahan_needs_confirmation(people, make_household, system_actor):
    h = make_household("13.75.01.1002")
    with pytest.raises(ValidationError) as exc:
        services.caseload_assign(
            by=system_actor, household=h, person=people["a1"], start_date=D(2024, 3, 1)
        )
    assert "is not a PSM of" in messages_of(exc)
    assert not Caseload.objects.exists()
    services.caseload_assign(
        by=system_actor, household=h, person=people["a1"], start_date=D(2024, 3, 1), confirm=True
    )
    assert Caseload.objects.get().person == people["a1"]


def test_reassignment_ends_the_previous_pillar_and_keeps_history(caseload, people, system_actor):
    h = caseload["h1"]
    services.caseload_assign(
        by=system_actor, household=h, person=people["a2"], start_date=D(2024, 9, 1), confirm=True
    )
    rows = list(h.caseloads.order_by("start_date").values_list("person", "end_date"))
    assert rows == [(people["a1"].pk, D(2024, 8, 31)), (people["a2"].pk, None)]


def test_coordinator_cannot_assign_outside_kecamatan(caseload, actors, people):
    with pytest.raises(ValidationError):
        services.caseload_assign(
            by=Actor(user=actors["coordinator_a"]),
            household=caseload["hb"],
            person=people["a1"],
            start_date=D(2024, 9, 1),
            confirm=True,
        )
    assert caseload["hb"].caseloads.get().person == people["b1"]


def test_pillar_who_left_leaves_orphaned_households(caseload, people, actors, system_actor):
    from pilar.registry import services as registry

    registry.assignment_end(
        by=system_actor,
        assignment=people["a1"].assignments.get(),
        end_date=D(2024, 11, 1),
        end_reason="resigned",
    )
    orphans = list(services.orphaned_caseloads(actors["coordinator_a"]))
    assert {c.household for c in orphans} == {caseload["h1"], caseload["h2"]}
    assert not services.orphaned_caseloads(actors["coordinator_b"]).exists()
    services.caseload_reassign(
        by=Actor(user=actors["coordinator_a"]),
        caseloads=orphans,
        person=people["a2"],
        start_date=D(2024, 11, 20),
    )
    assert not services.orphaned_caseloads(actors["coordinator_a"]).exists()
    assert Caseload.objects.filter(person=people["a2"], end_date__isnull=True).count() == 2


def test_activity_in_the_future_is_refused(caseload, record):
    with pytest.raises(ValidationError) as exc:
        record(day=D(2024, 11, 21))
    assert "in the future" in messages_of(exc)
    assert not Activity.objects.exists()


def test_activity_before_the_duty_is_refused(caseload, record):
    with pytest.raises(ValidationError) as exc:
        record(day=D(2022, 12, 1))
    assert "no active duty" in messages_of(exc)


def test_activity_with_someone_elses_household_is_refused(caseload, record):
    with pytest.raises(ValidationError) as exc:
        record(households=[caseload["hb"]])
    assert "households" in exc.value.message_dict
    assert not Activity.objects.exists()


def test_only_the_pillar_records_their_own_activity(caseload, actors, home_visit, people):
    with pytest.raises(PermissionDenied):
        services.activity_record(
            by=Actor(user=actors["pillar"]),
            person=people["a2"],
            data={"date": D(2024, 10, 5), "activity_type": home_visit},
        )
    with pytest.raises(PermissionDenied):
        services.activity_record(
            by=Actor(user=actors["operator"]),
            person=people["a1"],
            data={"date": D(2024, 10, 5), "activity_type": home_visit},
        )


def test_activity_is_recorded_with_month_area_and_audit(caseload, record, people):
    a = record(households=[caseload["h1"], caseload["h2"]], notes=" cek rumah ")
    assert (a.month, a.area.code, a.kind.code, a.sector) == (
        D(2024, 10, 1),
        "13.75.01.1001",
        "PSM",
        "rehabilitasi",
    )
    assert a.notes == "cek rumah"
    assert a.households.count() == 2
    entry = AuditEntry.objects.get(object_type="casework.activity")
    assert entry.person == people["a1"]


def jpeg_with_gps(size=(3000, 2000)) -> bytes:
    image = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "KameraMerk"  # Make
    exif[0x8825] = {1: "S", 2: (0.0, 18.0, 36.0), 3: "E", 4: (100.0, 22.0, 12.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_photo_is_resized_and_stripped_of_location(caseload, record):
    photo = SimpleUploadedFile("IMG_1.jpg", jpeg_with_gps(), content_type="image/jpeg")
    a = record(photo=photo)
    with Image.open(a.photo.path) as img:
        assert max(img.size) == 1600
        exif = img.getexif()
        assert not exif.get_ifd(0x8825)
        assert 0x010F not in exif
    assert a.latitude is None


def test_photo_location_is_kept_when_asked(caseload, record):
    photo = SimpleUploadedFile("IMG_2.jpg", jpeg_with_gps(), content_type="image/jpeg")
    a = record(photo=photo, keep_location=True)
    with Image.open(a.photo.path) as img:
        assert img.getexif().get_ifd(0x8825)
        assert 0x010F not in img.getexif()
    assert (float(a.latitude), float(a.longitude)) == pytest.approx((-0.31, 100.37), abs=1e-3)


def test_a_file_that_is_not_a_photo_is_refused(caseload, record):
    bad = SimpleUploadedFile("x.jpg", b"%PDF-1.4 not a picture", content_type="image/jpeg")
    with pytest.raises(ValidationError) as exc:
        record(photo=bad)
    assert "not a photo" in exc.value.message_dict["photo"][0]
    assert not Activity.objects.exists()


def test_a_40_mb_photo_is_refused_before_reading(caseload, record):
    big = SimpleUploadedFile("big.jpg", b"\xff" * (40 * 1024 * 1024), content_type="image/jpeg")
    with pytest.raises(ValidationError) as exc:
        record(photo=big)
    assert "the largest accepted is 10 MB" in exc.value.message_dict["photo"][0]
    assert not Activity.objects.exists()


def test_impossible_or_half_gps_is_refused(caseload, record):
    from decimal import Decimal

    for lat, lon in [(Decimal("95"), Decimal("100")), (Decimal("-0.3"), None)]:
        with pytest.raises(ValidationError) as exc:
            record(latitude=lat, longitude=lon)
        assert "latitude" in exc.value.message_dict
    assert not Activity.objects.exists()


# --- monthly reports ---------------------------------------------------------------------


@pytest.fixture
def psm(kind):
    return kind("PSM")


def submit(actors, psm, month=OCTOBER, user="pillar"):
    user = actors[user]
    return report_services.report_submit(
        by=Actor(user=user), person=user.person, kind=psm, month=month
    )


def test_report_is_compiled_from_the_months_activities(caseload, record, actors, psm, reference):
    from pilar.casework.models import ActivityType

    record(households=[caseload["h1"]])
    record(households=[caseload["h1"], caseload["h2"]], day=D(2024, 10, 9))
    record(activity_type=ActivityType.objects.get(code="PBI_PAPERS"), day=D(2024, 10, 12))
    record(day=D(2024, 9, 30))  # another month
    report = submit(actors, psm)
    assert report.summary["activities"] == 3
    assert report.summary["households"] == 2
    assert report.summary["by_sector"] == {"rehabilitasi": 2, "jaminan": 1}


def test_report_submitted_twice_is_refused(caseload, actors, psm):
    submit(actors, psm)
    with pytest.raises(ValidationError) as exc:
        submit(actors, psm)
    assert "already submitted" in messages_of(exc)
    assert MonthlyReport.objects.get().submit_count == 1


def test_report_for_a_month_not_started_is_refused(caseload, actors, psm):
    with pytest.raises(ValidationError) as exc:
        submit(actors, psm, month=D(2024, 12, 1))
    assert "can be submitted from 31 December 2024" in messages_of(exc)


def test_submitted_month_is_locked_for_new_activities(caseload, actors, psm, record):
    submit(actors, psm)
    with pytest.raises(ValidationError) as exc:
        record(day=D(2024, 10, 20))
    assert "locked until it is verified or returned" in messages_of(exc)
    record(day=D(2024, 11, 2))  # another month is open


def test_verify_return_resubmit_reopen(caseload, actors, psm, record):
    report = submit(actors, psm)
    coordinator = Actor(user=actors["coordinator_a"])
    with pytest.raises(ValidationError):
        report_services.report_return(by=coordinator, report=report, reason="  ")
    report_services.report_return(by=coordinator, report=report, reason="Foto kunjungan kurang")
    record(day=D(2024, 10, 25))  # the month is open again
    report = submit(actors, psm)
    assert (report.status, report.submit_count, report.summary["activities"]) == (
        "submitted",
        2,
        1,
    )
    report_services.report_verify(by=coordinator, report=report)
    with pytest.raises(ValidationError) as exc:
        record(day=D(2024, 10, 26))
    assert "Ask the office (operator) to reopen" in messages_of(exc)
    with pytest.raises(PermissionDenied):
        report_services.report_reopen(by=coordinator, report=report, reason="x")
    report_services.report_reopen(
        by=Actor(user=actors["operator"]), report=report, reason="Kegiatan terlambat dicatat"
    )
    record(day=D(2024, 10, 26))
    steps = AuditEntry.objects.filter(object_type="casework.monthlyreport").order_by("pk")
    assert [e.changes["status"] for e in steps] == [
        [None, "submitted"],
        ["submitted", "returned"],
        ["returned", "submitted"],
        ["submitted", "verified"],
        ["verified", "reopened"],
    ]


def test_verifying_twice_makes_one_transition(caseload, actors, psm):
    report = submit(actors, psm)
    coordinator = Actor(user=actors["coordinator_a"])
    report_services.report_verify(by=coordinator, report=report)
    stale = MonthlyReport.objects.get(pk=report.pk)
    stale.status = "submitted"  # what a second browser tab still shows
    with pytest.raises(ValidationError) as exc:
        report_services.report_verify(by=coordinator, report=stale)
    assert "verified now; nothing was changed" in messages_of(exc)
    verified = AuditEntry.objects.filter(changes__status=["submitted", "verified"])
    assert verified.count() == 1


def test_only_the_kecamatan_coordinator_verifies_psm_reports(caseload, actors, psm):
    report = submit(actors, psm)
    for role in ["coordinator_b", "operator", "admin"]:
        with pytest.raises(PermissionDenied):
            report_services.report_verify(by=Actor(user=actors[role]), report=report)
    assert MonthlyReport.objects.get().status == "submitted"


def test_office_verifies_other_kinds(make_person, make_assignment, make_user, actors, kind):
    person = make_person("Tagana Satu", sex="L")
    make_assignment(person, "TAGANA", "13.75", start=D(2024, 1, 1))
    user = make_user("tagana-1", "pillar", person=person)
    tagana = kind("TAGANA")
    report = report_services.report_submit(
        by=Actor(user=user), person=person, kind=tagana, month=D(2024, 10, 1)
    )
    with pytest.raises(PermissionDenied):
        report_services.report_verify(by=Actor(user=actors["coordinator_a"]), report=report)
    report_services.report_verify(by=Actor(user=actors["operator"]), report=report)
    assert MonthlyReport.objects.get().status == "verified"


def test_nobody_verifies_their_own_report(make_assignment, actors, people, kind):
    tksk = PillarKind.objects.get(code="TKSK")
    report = report_services.report_submit(
        by=Actor(user=actors["coordinator_a"]),
        person=people["tksk_a"],
        kind=tksk,
        month=D(2024, 10, 1),
    )
    with pytest.raises(PermissionDenied):
        report_services.report_verify(by=Actor(user=actors["coordinator_a"]), report=report)
