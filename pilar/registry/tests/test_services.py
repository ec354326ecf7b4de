import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from pilar.audit.models import AuditEntry
from pilar.lib.nik import make_nik
from pilar.registry import services
from pilar.registry.models import Assignment, Person

D = datetime.date


def test_person_create_writes_audit_entry(make_person):
    person = make_person("Rina Marlina")
    entry = AuditEntry.objects.get(object_type="registry.person", object_id=str(person.pk))
    assert entry.action == "create"
    assert entry.person == person
    assert entry.changes["name"] == [None, "Rina Marlina"]
    assert entry.source == "cli"


def test_wrong_nik_is_refused_with_field_message_and_nothing_saved(make_person):
    with pytest.raises(ValidationError) as exc:
        make_person(nik="12345")
    assert "16" in " ".join(exc.value.message_dict["nik"])
    assert not Person.objects.filter(name="Siti Rahmah").exists()
    assert not AuditEntry.objects.filter(object_type="registry.person").exists()


def test_nik_must_agree_with_birth_date_and_sex(make_person):
    nik = make_nik(area6="137501", birth_date=D(1990, 1, 5), sex="P", serial=9)
    with pytest.raises(ValidationError) as exc:
        make_person(nik=nik, birth_date=D(1990, 1, 6), sex="P")
    assert "nik" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        make_person(nik=nik, birth_date=D(1990, 1, 5), sex="L")
    assert "nik" in exc.value.message_dict


def test_nik_issued_outside_the_city_is_allowed(make_person):
    nik = make_nik(area6="317101", birth_date=D(1985, 6, 15), sex="P", serial=1)
    assert make_person(nik=nik).nik == nik


def test_future_birth_date_is_refused(make_person):
    with pytest.raises(ValidationError) as exc:
        make_person(birth_date=D(2099, 1, 1))
    assert "birth_date" in exc.value.message_dict


def test_duplicate_nik_points_to_the_existing_person(make_person):
    first = make_person("Asli")
    with pytest.raises(ValidationError) as exc:
        make_person("Kembar", nik=first.nik)
    message = " ".join(exc.value.message_dict["nik"])
    assert "Asli" in message and f"/pillars/{first.pk}/" in message
    assert Person.objects.count() == 1


def test_person_update_audits_before_and_after(make_person, system_actor):
    person = make_person(phone="081111111111")
    services.person_update(by=system_actor, person=person, data={"phone": "+62 812-2222-3333"})
    person.refresh_from_db()
    assert person.phone == "081222223333"
    entry = AuditEntry.objects.filter(action="update").get()
    assert entry.changes == {"phone": ["081111111111", "081222223333"]}


def test_assignment_at_wrong_level_is_refused(make_person, make_assignment):
    person = make_person()
    with pytest.raises(ValidationError) as exc:
        make_assignment(person, "PSM", "13.75.01")  # a kecamatan, PSM serve a kelurahan
    assert "area" in exc.value.message_dict
    assert not Assignment.objects.exists()


def test_end_before_start_is_refused(make_person, make_assignment, system_actor):
    a = make_assignment(make_person(), start=D(2024, 1, 1))
    with pytest.raises(ValidationError) as exc:
        services.assignment_end(
            by=system_actor, assignment=a, end_date=D(2023, 12, 31), end_reason="resigned"
        )
    assert "end_date" in exc.value.message_dict
    a.refresh_from_db()
    assert a.end_date is None


def test_overlapping_duty_of_same_kind_is_refused_by_service(make_person, make_assignment):
    person = make_person()
    make_assignment(person, "PSM", "13.75.01.1001", start=D(2023, 1, 2))
    with pytest.raises(ValidationError) as exc:
        make_assignment(person, "PSM", "13.75.01.1002", start=D(2024, 1, 2))
    assert "start_date" in exc.value.message_dict
    assert Assignment.objects.count() == 1


def test_database_refuses_overlap_even_without_the_service(make_person, make_assignment):
    person = make_person()
    first = make_assignment(person, "PSM", "13.75.01.1001", start=D(2023, 1, 2))
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(
            person=person, kind=first.kind, area=first.area, start_date=D(2024, 5, 1)
        )


def test_ending_keeps_history_and_allows_a_new_duty_after(
    make_person, make_assignment, system_actor
):
    person = make_person()
    first = make_assignment(person, "PSM", "13.75.01.1001", start=D(2020, 1, 2))
    services.assignment_end(
        by=system_actor, assignment=first, end_date=D(2022, 6, 30), end_reason="moved"
    )
    second = make_assignment(person, "PSM", "13.75.01.1002", start=D(2022, 7, 1))
    assert list(person.assignments.order_by("start_date")) == [first, second]
    assert AuditEntry.objects.filter(action="end", object_id=str(first.pk)).exists()
    with pytest.raises(ValidationError):
        services.assignment_end(
            by=system_actor, assignment=first, end_date=D(2023, 1, 1), end_reason="moved"
        )


def test_duty_cannot_start_before_the_person_could_serve(make_person, make_assignment):
    person = make_person(birth_date=D(1999, 6, 13))
    with pytest.raises(ValidationError) as exc:
        make_assignment(person, start=D(1980, 1, 1))
    assert "start_date" in exc.value.message_dict
    assert not Assignment.objects.exists()


def test_a_wrong_end_date_can_be_corrected_with_a_reason(
    make_person, make_assignment, system_actor
):
    duty = make_assignment(make_person(), start=D(2023, 1, 2))
    services.assignment_end(
        by=system_actor, assignment=duty, end_date=D(2027, 6, 1), end_reason="resigned"
    )
    with pytest.raises(ValidationError) as exc:
        services.assignment_end(
            by=system_actor, assignment=duty, end_date=D(2024, 6, 1), end_reason="resigned"
        )
    assert "end_note" in exc.value.message_dict
    services.assignment_end(
        by=system_actor,
        assignment=duty,
        end_date=D(2024, 6, 1),
        end_reason="resigned",
        end_note="salah ketik tahun",
    )
    duty.refresh_from_db()
    assert duty.end_date == D(2024, 6, 1)
    entry = AuditEntry.objects.filter(object_id=str(duty.pk), action="update").get()
    assert entry.changes["end_date"] == ["2027-06-01", "2024-06-01"]


def test_correcting_an_end_date_cannot_exceed_the_quota(make_person, make_assignment, system_actor):
    old = make_assignment(make_person("Lama"), "TKSK", "13.75.01", start=D(2015, 1, 5))
    services.assignment_end(
        by=system_actor, assignment=old, end_date=D(2021, 12, 31), end_reason="term_ended"
    )
    make_assignment(make_person("Baru"), "TKSK", "13.75.01", start=D(2022, 1, 3))
    with pytest.raises(ValidationError) as exc:
        services.assignment_end(
            by=system_actor,
            assignment=old,
            end_date=D(2030, 1, 1),
            end_reason="term_ended",
            end_note="perpanjang",
        )
    assert "Baru" in " ".join(exc.value.message_dict["end_date"])
    old.refresh_from_db()
    assert old.end_date == D(2021, 12, 31)


def test_one_person_may_hold_two_kinds(make_person, make_assignment):
    person = make_person()
    make_assignment(person, "PSM", "13.75.01.1001")
    make_assignment(person, "TKSK", "13.75.01")
    assert person.assignments.count() == 2


def test_second_tksk_needs_override_reason_which_is_audited(make_person, make_assignment):
    make_assignment(make_person("TKSK Lama"), "TKSK", "13.75.01")
    newcomer = make_person("TKSK Baru")
    with pytest.raises(ValidationError) as exc:
        make_assignment(newcomer, "TKSK", "13.75.01")
    message = " ".join(exc.value.message_dict["override_reason"])
    assert "TKSK Lama" in message
    assignment = make_assignment(
        newcomer, "TKSK", "13.75.01", override_reason="Masa transisi serah terima"
    )
    assert assignment.override_reason == "Masa transisi serah terima"
    entry = AuditEntry.objects.get(object_id=str(assignment.pk), object_type="registry.assignment")
    assert "Masa transisi" in entry.note


def test_tksk_in_another_kecamatan_needs_no_override(make_person, make_assignment):
    make_assignment(make_person("TKSK A"), "TKSK", "13.75.01")
    assert make_assignment(make_person("TKSK B"), "TKSK", "13.75.02").override_reason == ""


def test_audit_log_cannot_be_updated_in_the_database(make_person):
    make_person()
    from django.db import connection

    with (
        pytest.raises(Exception, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_auditentry SET username = 'someone-else'")
    with pytest.raises(TypeError):
        AuditEntry.objects.update(username="x")
    with pytest.raises(TypeError):
        AuditEntry.objects.first().delete()
