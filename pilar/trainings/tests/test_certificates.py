"""Issuing and revoking certificates: who may have one, what it freezes, how it is numbered,
and codes nobody can guess."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError

from pilar.audit.models import AuditEntry
from pilar.trainings.certificates import numbering, selectors, services
from pilar.trainings.models import Certificate
from pilar.trainings.tests.certificate_support import D, enrol, make_event

pytestmark = pytest.mark.django_db


def test_issue_freezes_what_is_printed(people, cert_event, issuer, office):
    office.signer_name = "Drs. Kepala Dinas"
    office.signer_title = "Kepala Dinas Sosial"
    office.save()
    participant = enrol(cert_event, people["a1"])
    cert = services.certificate_issue(by=issuer, participant=participant)
    assert cert.name == "Ani Kecamatan A"
    assert cert.course_name == "Pelatihan Dasar PSM"
    assert (cert.hours, cert.event_start, cert.event_end) == (32, D(2024, 10, 21), D(2024, 10, 22))
    assert cert.issued_on == D(2024, 10, 22)  # the event's last day
    assert cert.valid_until == D(2025, 10, 21)  # 12 months, the day before the anniversary
    assert (cert.signer_name, cert.signer_title) == ("Drs. Kepala Dinas", "Kepala Dinas Sosial")
    assert cert.number == "0001/SERT/2024" and (cert.year, cert.seq) == (2024, 1)
    entry = AuditEntry.objects.get(object_type="trainings.certificate")
    assert entry.action == "create" and entry.person == people["a1"]
    assert entry.changes["number"] == [None, "0001/SERT/2024"]

    # The registry changes later; the certificate keeps what was printed.
    people["a1"].name = "Ani Berganti Nama"
    people["a1"].save()
    cert_event.title = "Judul Lain"
    cert_event.save()
    cert.refresh_from_db()
    assert cert.name == "Ani Kecamatan A" and cert.course_name == "Pelatihan Dasar PSM"


def test_event_title_is_printed_when_set(people, issuer):
    ev = make_event(title="Bimtek PSM Angkatan I")
    cert = services.certificate_issue(by=issuer, participant=enrol(ev, people["a1"]))
    assert (cert.course_name, cert.event_title) == ("Pelatihan Dasar PSM", "Bimtek PSM Angkatan I")


def test_course_without_validity_never_expires(people, issuer):
    ev = make_event("Orientasi Tagana", validity_months=None)
    cert = services.certificate_issue(by=issuer, participant=enrol(ev, people["a1"]))
    assert cert.valid_until is None
    assert cert.is_valid_on(D(2090, 1, 1))


def test_numbers_run_per_year(people, issuer):
    ev = make_event()
    first = services.certificate_issue(by=issuer, participant=enrol(ev, people["a1"]))
    second = services.certificate_issue(by=issuer, participant=enrol(ev, people["a2"]))
    later = make_event("Pelatihan Lanjutan", start=D(2025, 2, 3), end=D(2025, 2, 3))
    third = services.certificate_issue(by=issuer, participant=enrol(later, people["b1"]))
    assert [first.number, second.number, third.number] == [
        "0001/SERT/2024",
        "0002/SERT/2024",
        "0001/SERT/2025",
    ]


@pytest.mark.parametrize(
    "result,days,words",
    [
        ("failed", None, "has not passed"),
        ("pending", None, "has not passed"),
        ("passed", 0, "did not attend"),
    ],
)
def test_only_passed_and_attended(people, cert_event, issuer, result, days, words):
    participant = enrol(cert_event, people["a1"], result=result, days=days)
    with pytest.raises(ValidationError) as exc:
        services.certificate_issue(by=issuer, participant=participant)
    assert words in str(exc.value.message_dict["participant"])
    assert not Certificate.objects.exists()
    assert not AuditEntry.objects.filter(object_type="trainings.certificate").exists()


def test_one_day_attended_is_enough(people, cert_event, issuer):
    cert = services.certificate_issue(
        by=issuer, participant=enrol(cert_event, people["a1"], days=1)
    )
    assert cert.pk


def test_twice_is_refused(certified, issuer):
    with pytest.raises(ValidationError) as exc:
        services.certificate_issue(by=issuer, participant=certified.participant)
    assert "already has certificate 0001/SERT/2024" in str(exc.value)
    assert Certificate.objects.count() == 1


def test_issue_date_before_the_end_or_in_the_future(people, cert_event, issuer):
    participant = enrol(cert_event, people["a1"])
    with pytest.raises(ValidationError) as exc:
        services.certificate_issue(by=issuer, participant=participant, issued_on=D(2024, 10, 21))
    assert "before the event's last day" in str(exc.value.message_dict["issued_on"])
    with pytest.raises(ValidationError) as exc:
        services.certificate_issue(by=issuer, participant=participant, issued_on=D(2999, 1, 1))
    assert "in the future" in str(exc.value.message_dict["issued_on"])
    assert not Certificate.objects.exists()


def test_issued_later_is_valid_from_then(people, cert_event, issuer):
    cert = services.certificate_issue(
        by=issuer, participant=enrol(cert_event, people["a1"]), issued_on=D(2024, 11, 30)
    )
    assert cert.valid_until == D(2025, 11, 29)


def test_a_number_taken_meanwhile_is_skipped(people, cert_event, issuer, monkeypatch):
    """Two operators issuing at once: the second insert of number 1 fails in the database and
    the certificate takes the next number instead of failing."""

    real = Certificate.objects.filter
    calls = {"n": 0}
    other = services.certificate_issue(by=issuer, participant=enrol(cert_event, people["b1"]))
    assert other.seq == 1

    def stale_filter(*args, **kwargs):
        qs = real(*args, **kwargs)
        if kwargs.get("year") == 2024 and calls["n"] == 0:
            calls["n"] += 1
            return real(pk=-1)  # as if the other certificate were not committed yet
        return qs

    monkeypatch.setattr(Certificate.objects, "filter", stale_filter)
    cert = services.certificate_issue(by=issuer, participant=enrol(cert_event, people["a1"]))
    assert calls["n"] == 1 and cert.seq == 2 and cert.number == "0002/SERT/2024"


def test_for_event_issues_to_all_eligible_and_reports_the_rest(people, cert_event, issuer):
    enrol(cert_event, people["a1"])
    enrol(cert_event, people["a2"], result="failed")
    enrol(cert_event, people["b1"], days=0)
    services.certificate_issue(by=issuer, participant=enrol(cert_event, people["tksk_a"]))
    summary = services.certificates_issue_for_event(by=issuer, event=cert_event)
    assert [c.name for c in summary.issued] == ["Ani Kecamatan A"]
    assert summary.already == 1
    reasons = {p.person.name: why for p, why in summary.not_eligible}
    assert "has not passed" in reasons["Budi Kecamatan A"]
    assert "did not attend" in reasons["Citra Kecamatan B"]
    # Again: nothing new.
    again = services.certificates_issue_for_event(by=issuer, event=cert_event)
    assert (len(again.issued), again.already, len(again.not_eligible)) == (0, 2, 2)


def test_for_event_not_yet_over_is_refused(people, issuer):
    with time_machine.travel(datetime.datetime(2024, 10, 21, 12), tick=False):
        ev = make_event()
        enrol(ev, people["a1"])
        with pytest.raises(ValidationError) as exc:
            services.certificates_issue_for_event(by=issuer, event=ev)
    assert "in the future" in str(exc.value)
    assert not Certificate.objects.exists()


def test_revoke_needs_a_reason(certified, issuer):
    for reason in ["", "   "]:
        with pytest.raises(ValidationError) as exc:
            services.certificate_revoke(by=issuer, certificate=certified, reason=reason)
        assert "reason" in exc.value.message_dict
    certified.refresh_from_db()
    assert certified.revoked_at is None
    assert not AuditEntry.objects.filter(action="update").exists()


def test_revoke(certified, issuer):
    services.certificate_revoke(by=issuer, certificate=certified, reason="Salah orang")
    certified.refresh_from_db()
    assert certified.is_revoked and certified.revoke_reason == "Salah orang"
    assert not certified.is_valid_on(D(2024, 12, 1))
    entry = AuditEntry.objects.get(action="update", object_type="trainings.certificate")
    assert entry.changes["revoke_reason"] == ["", "Salah orang"]
    with pytest.raises(ValidationError) as exc:
        services.certificate_revoke(by=issuer, certificate=certified, reason="lagi")
    assert "already revoked" in str(exc.value)


def test_validity_states(certified):
    assert certified.is_valid_on(D(2024, 10, 22))
    assert certified.is_valid_on(D(2025, 10, 21))
    assert not certified.is_valid_on(D(2025, 10, 22))
    assert list(Certificate.objects.valid_on(D(2025, 10, 21))) == [certified]
    assert not Certificate.objects.valid_on(D(2025, 10, 22)).exists()


# Codes ---------------------------------------------------------------------------------------


def test_codes_are_long_random_and_without_look_alikes():
    codes = {numbering.new_code() for _ in range(20_000)}
    assert len(codes) == 20_000  # no repeats
    for code in codes:
        assert len(code) == 10
        assert not set(code) & set("01OIL")
        assert set(code) <= set(numbering.CODE_ALPHABET)
    # Every character turns up everywhere: not a counter, not a pattern.
    for position in range(10):
        assert {c[position] for c in codes} == set(numbering.CODE_ALPHABET)
    assert len(numbering.CODE_ALPHABET) ** numbering.CODE_LENGTH > 10**14


def test_issued_codes_are_unique(people, issuer):
    ev = make_event()
    issued = [
        services.certificate_issue(by=issuer, participant=enrol(ev, p)) for p in people.values()
    ]
    codes = {c.code for c in issued}
    assert len(codes) == 4


def test_typed_codes_are_normalised(certified):
    code = certified.code
    grouped = numbering.grouped_code(code)
    assert grouped == f"{code[:4]}-{code[4:8]}-{code[8:]}"
    for typed in [code, code.lower(), grouped.lower(), f"  {code[:5]} {code[5:]} ", grouped]:
        assert selectors.find_by_code(typed) == certified
    for typed in ["", "x", code[:-1], code + "2", code[:-1] + "O", "'; DROP TABLE", "Ω" * 10]:
        assert selectors.find_by_code(typed) is None


def test_demo_certificates(people, issuer):
    from pilar.trainings.certificates.demo import issue_demo_certificates

    events = {
        "2024-10-22": make_event(start=D(2024, 10, 22), end=D(2024, 10, 22)),
        "tagana-2022": make_event("Orientasi Tagana", start=D(2022, 5, 9), end=D(2022, 5, 10)),
    }
    for person in [people["a1"], people["a2"]]:
        enrol(events["2024-10-22"], person)
    enrol(events["2024-10-22"], people["b1"], result="failed")
    enrol(events["tagana-2022"], people["tksk_a"])
    assert issue_demo_certificates(by=issuer, events=events) == 3
    revoked = Certificate.objects.get(revoked_at__isnull=False)
    assert revoked.participant.event == events["tagana-2022"] and revoked.revoke_reason
    assert revoked.number == "0001/SERT/2022"
    replacement = revoked.participant.certificates.get(revoked_at__isnull=True)
    assert replacement.number == "0002/SERT/2022" and replacement.code != revoked.code
    assert issue_demo_certificates(by=issuer, events=events) == 0  # nothing twice


# Issuing again after revoking ------------------------------------------------------------------


def test_a_revoked_certificate_can_be_replaced_by_a_new_one(certified, issuer, people, client):
    """Revoked (say the name was misspelt, now put right): a new certificate is issued with a
    new number and code; the old code still says revoked, the new one says valid."""
    participant = certified.participant
    services.certificate_revoke(by=issuer, certificate=certified, reason="Nama salah eja")
    people["a1"].name = "Ani Kecamatan A. Putri"
    people["a1"].save(update_fields=["name"])
    new = services.certificate_issue(by=issuer, participant=participant)
    assert new.number != certified.number and new.code != certified.code
    assert new.name == "Ani Kecamatan A. Putri"
    assert list(participant.certificates.filter(revoked_at__isnull=True)) == [new]
    old_page = client.get(f"/c/{certified.code}/").content.decode()
    new_page = client.get(f"/c/{new.code}/").content.decode()
    assert "<strong>Ani Kecamatan A</strong>" in old_page and "verdict-revoked" in old_page
    assert "<strong>Ani Kecamatan A. Putri</strong>" in new_page
    assert "verdict-revoked" not in new_page
    # Only one in force: a third is refused while the new one stands.
    with pytest.raises(ValidationError) as exc:
        services.certificate_issue(by=issuer, participant=participant)
    assert new.number in str(exc.value)


def test_the_database_refuses_two_certificates_in_force_for_one_participant(certified):
    """The rule holds below the services too: a second row in force is refused."""
    from django.db import IntegrityError, transaction

    copy = Certificate.objects.get(pk=certified.pk)
    copy.pk = None
    copy.code, copy.number, copy.seq = "ZZZZZZZZZZ", "TEST/999", 999
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()
    copy.revoked_at, copy.revoke_reason = certified.created_at, "uji"
    copy.save()  # a revoked one beside it is allowed
    assert certified.participant.certificates.count() == 2


def test_issuing_for_the_whole_event_leaves_revoked_ones_to_a_decision(
    certified, issuer, cert_event
):
    """ "Issue for all who passed" does not quietly replace a revoked certificate."""
    services.certificate_revoke(by=issuer, certificate=certified, reason="Salah orang")
    summary = services.certificates_issue_for_event(by=issuer, event=cert_event)
    assert summary.issued == [] and summary.already == 1
    assert not certified.participant.certificates.filter(revoked_at__isnull=True).exists()


def test_migration_moves_an_event_title_printed_as_the_course(people, issuer):
    """Before 0005 a certificate of an event with a title printed that title as its course:
    0006 moves it to `event_title` and puts the course back; going back joins them again."""
    import importlib

    from django.apps import apps

    fill = importlib.import_module("pilar.trainings.migrations.0006_fill_certificate_event_title")
    titled = make_event(title="Bimtek PSM Angkatan I")
    old = services.certificate_issue(by=issuer, participant=enrol(titled, people["a1"]))
    Certificate.objects.filter(pk=old.pk).update(
        course_name="Bimtek PSM Angkatan I", event_title=""
    )  # as issued before 0005
    plain = services.certificate_issue(by=issuer, participant=enrol(make_event(), people["a2"]))
    fill.split_titles(apps, None)
    old.refresh_from_db()
    plain.refresh_from_db()
    assert (old.course_name, old.event_title) == ("Pelatihan Dasar PSM", "Bimtek PSM Angkatan I")
    assert (plain.course_name, plain.event_title) == ("Pelatihan Dasar PSM", "")
    fill.split_titles(apps, None)  # twice changes nothing more
    old.refresh_from_db()
    assert (old.course_name, old.event_title) == ("Pelatihan Dasar PSM", "Bimtek PSM Angkatan I")
    fill.join_titles(apps, None)
    old.refresh_from_db()
    assert (old.course_name, old.event_title) == ("Bimtek PSM Angkatan I", "")
