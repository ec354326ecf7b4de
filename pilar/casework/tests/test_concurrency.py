"""Real concurrent transactions (threads, each with its own database connection)."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor
from pilar.casework import report_services, services
from pilar.casework.models import Activity, MonthlyReport

from .conftest import OCTOBER

D = datetime.date
pytestmark = pytest.mark.django_db(transaction=True)


def race(*calls) -> list[str]:
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []

    def run(call):
        try:
            barrier.wait(timeout=10)
            call()
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        except Exception as exc:  # a lock error would be a failure of the rule's enforcement
            outcomes.append(f"error: {exc!r}")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return sorted(outcomes)


def test_two_verifications_at_once_make_one_transition(caseload, actors, kind):
    pillar = actors["pillar"]
    report = report_services.report_submit(
        by=Actor(user=pillar), person=pillar.person, kind=kind("PSM"), month=OCTOBER
    )
    coordinator = Actor(user=actors["coordinator_a"])

    def verify():
        report_services.report_verify(
            by=coordinator, report=MonthlyReport.objects.get(pk=report.pk)
        )

    assert race(verify, verify) == ["ok", "refused"]
    verified = AuditEntry.objects.filter(changes__status=["submitted", "verified"])
    assert verified.count() == 1


def test_submitting_while_an_activity_is_recorded_never_locks_it_out_of_the_figures(
    caseload, actors, kind, home_visit
):
    pillar = actors["pillar"]

    def submit():
        report_services.report_submit(
            by=Actor(user=pillar), person=pillar.person, kind=kind("PSM"), month=OCTOBER
        )

    def record():
        services.activity_record(
            by=Actor(user=pillar),
            person=pillar.person,
            data={"date": D(2024, 10, 30), "activity_type": home_visit},
        )

    outcomes = race(submit, record)
    report = MonthlyReport.objects.get()
    recorded = Activity.objects.filter(month=OCTOBER).count()
    # Either the activity came first and is counted, or the month was locked and it was refused.
    assert outcomes in (["ok", "ok"], ["ok", "refused"])
    assert report.summary["activities"] == recorded
