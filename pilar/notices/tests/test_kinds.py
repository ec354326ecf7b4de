"""Each kind of reminder: made on its day, not before, once however many rounds run, and not
for a user who switched it off (docs/NOTICES.md)."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core import mail

from pilar.audit.services import Actor
from pilar.casework import services as casework
from pilar.casework.models import ActivityType, MonthlyReport
from pilar.notices.models import Kind, Notice, NoticeSettings
from pilar.notices.tests.conftest import at, notices_of, worker_round_at

D = datetime.date


def report(person, month, status="submitted", kind="PSM"):
    """A monthly report in `status`, set up directly (casework's tests cover its workflow)."""
    duty = person.assignments.get(kind__code=kind)
    return MonthlyReport.objects.create(
        person=person,
        kind=duty.kind,
        area=duty.area,
        month=month,
        status=status,
        submitted_at=at(2024, 11, 1),
        first_submitted_at=at(2024, 11, 1),
        return_reason="Lengkapi" if status == "returned" else "",
    )


def switch_off(user, **switches):
    NoticeSettings.objects.update_or_create(user=user, defaults=switches)


# The monthly report: Bukittinggi's reports are due on the 10th (the office's report_due_day);
# October's are reminded from 7 November, and again from 10 November while still missing.


def test_report_due_three_days_before_and_on_the_day(actors, office):
    pillar = actors["pillar"]
    assert office.report_due_day == 10
    worker_round_at(at(2024, 11, 6, 23, 59))
    assert notices_of(pillar, Kind.REPORT_DUE) == []
    worker_round_at(at(2024, 11, 7))
    worker_round_at(at(2024, 11, 7, 9))
    worker_round_at(at(2024, 11, 9))
    [before] = notices_of(pillar, Kind.REPORT_DUE)
    assert before.title == "Monthly report for October 2024 due on 10 November 2024"
    assert "as Pekerja Sosial Masyarakat for October 2024" in before.body
    assert before.url == "/reports/mine/"
    worker_round_at(at(2024, 11, 10))
    worker_round_at(at(2024, 11, 10, 15))
    titles = [n.title for n in notices_of(pillar, Kind.REPORT_DUE)]
    assert titles == [before.title, "Monthly report for October 2024 due today"]


def test_report_due_not_before_seven_in_the_morning(actors):
    worker_round_at(at(2024, 11, 7, 6, 59))
    assert notices_of(actors["pillar"], Kind.REPORT_DUE) == []
    worker_round_at(at(2024, 11, 7, 7, 0))
    assert len(notices_of(actors["pillar"], Kind.REPORT_DUE)) == 1


def test_report_due_follows_the_offices_due_day(actors, office):
    office.report_due_day = 5
    office.save()
    worker_round_at(at(2024, 11, 1))
    assert notices_of(actors["pillar"], Kind.REPORT_DUE) == []
    worker_round_at(at(2024, 11, 2))
    assert len(notices_of(actors["pillar"], Kind.REPORT_DUE)) == 1


def test_a_due_day_early_in_the_month_is_reminded_three_days_before_too(actors, office):
    # Due on the 1st: November's report is reminded from 28 November, in November itself.
    office.report_due_day = 1
    office.save()
    worker_round_at(at(2024, 11, 27))
    october_day = [n.title for n in notices_of(actors["pillar"], Kind.REPORT_DUE)]
    assert october_day == ["Monthly report for October 2024 is late"]
    worker_round_at(at(2024, 11, 28))
    titles = [n.title for n in notices_of(actors["pillar"], Kind.REPORT_DUE)]
    assert titles == [*october_day, "Monthly report for November 2024 due on 1 December 2024"]
    worker_round_at(at(2024, 12, 1))
    titles = [n.title for n in notices_of(actors["pillar"], Kind.REPORT_DUE)]
    assert titles[-1] == "Monthly report for November 2024 due today"
    assert len(titles) == 3


def test_no_report_reminder_once_submitted_but_again_when_returned(actors, people):
    report(people["a1"], D(2024, 10, 1), "submitted")
    worker_round_at(at(2024, 11, 8))
    assert notices_of(actors["pillar"], Kind.REPORT_DUE) == []
    MonthlyReport.objects.update(status="returned", return_reason="Lengkapi")
    worker_round_at(at(2024, 11, 8, 10))
    assert len(notices_of(actors["pillar"], Kind.REPORT_DUE)) == 1


def test_report_due_late_after_the_day(actors):
    worker_round_at(at(2024, 11, 12))
    [late] = notices_of(actors["pillar"], Kind.REPORT_DUE)
    assert late.title == "Monthly report for October 2024 is late"


def test_report_due_switched_off(actors):
    switch_off(actors["pillar"], report_due=False)
    worker_round_at(at(2024, 11, 8))
    worker_round_at(at(2024, 11, 10))
    assert notices_of(actors["pillar"], Kind.REPORT_DUE) == []
    # The other pillar of the cast (the TKSK, a pillar through their own duty) still gets theirs.
    assert len(notices_of(actors["coordinator_a"], Kind.REPORT_DUE)) == 2


def test_report_due_in_the_users_own_language(actors):
    pillar = actors["pillar"]
    pillar.language = "id"
    pillar.save()
    worker_round_at(at(2024, 11, 8))
    [notice] = notices_of(pillar, Kind.REPORT_DUE)
    assert notice.title == "Laporan bulanan Oktober 2024 jatuh tempo 10 November 2024"


# Reports waiting for verification: to those who may decide on them, once a day.


def test_reports_waiting_once_a_day_to_the_kecamatans_coordinator(actors, people):
    report(people["a1"], D(2024, 10, 1))
    report(people["a2"], D(2024, 10, 1))
    worker_round_at(at(2024, 11, 12))
    worker_round_at(at(2024, 11, 12, 16))
    [notice] = notices_of(actors["coordinator_a"], Kind.REPORTS_WAITING)
    assert notice.title == "2 reports wait for verification"
    assert notice.url == "/reports/"
    # PSM reports are the coordinator's to verify: not the other kecamatan's, not the office's.
    for other in ("coordinator_b", "admin", "operator", "pillar", "viewer"):
        assert notices_of(actors[other], Kind.REPORTS_WAITING) == [], other
    worker_round_at(at(2024, 11, 13))
    assert len(notices_of(actors["coordinator_a"], Kind.REPORTS_WAITING)) == 2


def test_reports_waiting_stops_when_none_wait(actors, people):
    report(people["a1"], D(2024, 10, 1))
    worker_round_at(at(2024, 11, 12))
    MonthlyReport.objects.update(status="verified")
    worker_round_at(at(2024, 11, 13))
    assert len(notices_of(actors["coordinator_a"], Kind.REPORTS_WAITING)) == 1


def test_reports_of_other_kinds_wait_for_the_office(actors, people):
    # The TKSK's own report is the office's to verify, never their own.
    report(people["tksk_a"], D(2024, 10, 1), kind="TKSK")
    worker_round_at(at(2024, 11, 12))
    assert notices_of(actors["coordinator_a"], Kind.REPORTS_WAITING) == []
    for office_role in ("admin", "operator"):
        [notice] = notices_of(actors[office_role], Kind.REPORTS_WAITING)
        assert notice.title == "1 report waits for verification"


def test_reports_waiting_switched_off(actors, people):
    switch_off(actors["coordinator_a"], reports_waiting=False)
    report(people["a1"], D(2024, 10, 1))
    worker_round_at(at(2024, 11, 12))
    assert notices_of(actors["coordinator_a"], Kind.REPORTS_WAITING) == []


# Follow-ups: on the day, and overdue three days later, while not done.


@pytest.fixture
def follow_up(actors):
    """a1's home visit of 4 November 2024, to be followed up on 15 November."""
    with time_machine.travel(at(2024, 11, 5), tick=False):
        return casework.activity_record(
            by=Actor(user=actors["pillar"]),
            person=actors["pillar"].person,
            data={
                "date": D(2024, 11, 4),
                "activity_type": ActivityType.objects.get(code="HOME_VISIT"),
                "households": [],
                "follow_up_on": D(2024, 11, 15),
            },
        )


def test_follow_up_due_then_overdue(actors, follow_up):
    pillar = actors["pillar"]
    worker_round_at(at(2024, 11, 14, 20))
    assert notices_of(pillar, Kind.FOLLOW_UP) == []
    worker_round_at(at(2024, 11, 15))
    worker_round_at(at(2024, 11, 16))
    [due] = notices_of(pillar, Kind.FOLLOW_UP)
    assert due.title == "Follow-up due: Kunjungan rumah"
    assert due.url == f"/activities/{follow_up.pk}/"
    worker_round_at(at(2024, 11, 17))
    assert len(notices_of(pillar, Kind.FOLLOW_UP)) == 1
    worker_round_at(at(2024, 11, 18))
    worker_round_at(at(2024, 11, 19))
    titles = [n.title for n in notices_of(pillar, Kind.FOLLOW_UP)]
    assert titles == [due.title, "Follow-up overdue since 15 November 2024: Kunjungan rumah"]


def test_follow_up_done_is_not_reminded(actors, follow_up):
    follow_up.follow_up_done_on = D(2024, 11, 14)
    follow_up.save()
    worker_round_at(at(2024, 11, 15))
    worker_round_at(at(2024, 11, 18))
    assert notices_of(actors["pillar"], Kind.FOLLOW_UP) == []


def test_follow_up_switched_off(actors, follow_up):
    switch_off(actors["pillar"], follow_up=False)
    worker_round_at(at(2024, 11, 15))
    worker_round_at(at(2024, 11, 18))
    assert notices_of(actors["pillar"], Kind.FOLLOW_UP) == []


# Certificates: thirty days before the last valid day.


@pytest.fixture
def certificate(people, actors):
    from pilar.trainings.certificates.services import certificate_issue
    from pilar.trainings.tests.certificate_support import enrol, make_event

    with time_machine.travel(at(2024, 10, 25), tick=False):
        participant = enrol(make_event(validity_months=12), people["a1"])
        return certificate_issue(by=Actor(user=actors["operator"]), participant=participant)


def test_certificate_thirty_days_before_it_expires(actors, certificate):
    until = certificate.valid_until
    assert until == D(2025, 10, 21)
    worker_round_at(at(2025, 9, 20))
    assert notices_of(actors["pillar"], Kind.CERTIFICATE) == []
    worker_round_at(at(2025, 9, 21))
    worker_round_at(at(2025, 10, 1))
    worker_round_at(at(2025, 10, 21))
    [notice] = notices_of(actors["pillar"], Kind.CERTIFICATE)
    assert notice.title == "Certificate expires on 21 October 2025"
    assert certificate.number in notice.body
    worker_round_at(at(2025, 10, 22))
    assert len(notices_of(actors["pillar"], Kind.CERTIFICATE)) == 1


def test_certificate_switched_off(actors, certificate):
    switch_off(actors["pillar"], certificate=False)
    worker_round_at(at(2025, 9, 30))
    assert notices_of(actors["pillar"], Kind.CERTIFICATE) == []


def test_revoked_certificate_is_not_reminded(actors, certificate):
    certificate.revoked_at = at(2025, 1, 1)
    certificate.revoke_reason = "Nama salah"
    certificate.save()
    worker_round_at(at(2025, 9, 30))
    assert notices_of(actors["pillar"], Kind.CERTIFICATE) == []


# Tali kasih: when a line of the pillar's is marked paid.


@pytest.fixture
def paid_batch(actors, people, office, settings, system_actor):
    from pilar.offices.services import remembered
    from pilar.stipends import services as stipends
    from pilar.stipends.tests.conftest import approved, office_rates

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    for n, person in enumerate(people.values()):
        person.bank_name, person.bank_account, person.bank_holder = (
            "Bank Nagari",
            f"1100{n:06d}",
            person.name,
        )
        person.save()
    by = {name: Actor(user=user) for name, user in actors.items()}
    with time_machine.travel(at(2024, 11, 20), tick=False):
        with remembered(office=office):
            office_rates(system_actor)
        batch = approved(by, people["a1"], months=(D(2024, 7, 1),))

    def pay(day: datetime.date):
        with time_machine.travel(at(day.year, day.month, day.day, 10), tick=False):
            stipends.stipend_batch_mark_paid(by=by["finance"], batch=batch, paid_on=day)

    return pay


def test_stipend_paid_once(actors, paid_batch):
    worker_round_at(at(2024, 11, 21))
    assert notices_of(actors["pillar"], Kind.STIPEND_PAID) == []
    paid_batch(D(2024, 11, 22))
    worker_round_at(at(2024, 11, 22, 11))
    worker_round_at(at(2024, 11, 23))
    [notice] = notices_of(actors["pillar"], Kind.STIPEND_PAID)
    assert notice.title == "Tali kasih paid: Rp 400.000"
    assert "July 2024" in notice.body
    assert notice.url == "/stipends/mine/"


def test_stipend_paid_switched_off(actors, paid_batch):
    switch_off(actors["pillar"], stipend_paid=False)
    paid_batch(D(2024, 11, 22))
    worker_round_at(at(2024, 11, 22, 11))
    assert notices_of(actors["pillar"], Kind.STIPEND_PAID) == []


# Made once, whoever makes it.


def test_two_workers_at_once_make_each_notice_once(actors):
    """Two workers that both read "not made yet" both write: the constraint keeps one."""
    from pilar.notices import kinds
    from pilar.notices.services import _make

    now = at(2024, 11, 8)
    with time_machine.travel(now, tick=False):
        first = list(kinds.report_due(now.date()))
        second = list(kinds.report_due(now.date()))
        assert _make(first, now, set()) == 2  # a1's PSM, the TKSK's own duty
        # The second worker read before the first wrote: its rows are dropped by the constraint.
        Notice.objects.bulk_create(
            [
                Notice(user=d.user, kind=d.kind, key=d.key, title="x", url=d.url, created_at=now)
                for d in second
            ],
            ignore_conflicts=True,
        )
    assert Notice.objects.filter(kind=Kind.REPORT_DUE).count() == 2
    assert len(mail.outbox) == 0
