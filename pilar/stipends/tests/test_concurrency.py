"""Real concurrent transactions (threads, each with its own database connection): on
PostgreSQL they truly overlap; on SQLite the database serialises them."""

import pytest
from django.db.models import Count

from pilar.accounts.models import Role
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor
from pilar.casework.tests.test_concurrency import race
from pilar.registry.models import PillarKind
from pilar.stipends import services
from pilar.stipends.models import Budget, StipendBatch, StipendLine
from pilar.stipends.tests.conftest import AUGUST, JULY, SEPTEMBER, report

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def reported(rates, banked):
    for person in (banked["a1"], banked["a2"], banked["b1"]):
        for month in (JULY, AUGUST, SEPTEMBER):
            report(person, month)
    return banked


def draft(by):
    return services.stipend_batch_draft(
        by=by,
        first_month=JULY,
        last_month=SEPTEMBER,
        kinds=[PillarKind.objects.get(code="PSM")],
    )


def no_month_twice():
    held = (
        StipendLine.objects.holding()
        .values("person", "kind", "month")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    return not held.exists()


def test_two_operators_drafting_at_once_pay_each_month_once(reported, actors, make_user):
    second = make_user("operator2", Role.OPERATOR)
    outcomes = race(
        lambda: draft(Actor(user=actors["operator"])), lambda: draft(Actor(user=second))
    )
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    assert "ok" in outcomes
    assert StipendLine.objects.holding().count() == 9
    assert no_month_twice()
    # A batch that exists holds lines: the one that found nothing left rolled back whole.
    assert not StipendBatch.objects.annotate(n=Count("lines")).filter(n=0).exists()


def test_two_approvers_at_once_make_one_transition(reported, actors, make_user):
    batch = draft(Actor(user=actors["operator"]))
    services.stipend_batch_verify(by=Actor(user=actors["finance"]), batch=batch)
    other = make_user("kabid", Role.APPROVER)

    def approve(user):
        return lambda: services.stipend_batch_approve(
            by=Actor(user=user), batch=StipendBatch.objects.get(pk=batch.pk)
        )

    assert race(approve(actors["approver"]), approve(other)) == ["ok", "refused"]
    assert AuditEntry.objects.filter(changes__status=["verified", "approved"]).count() == 1
    assert StipendLine.objects.filter(batch=batch, nik="").count() == 0


def test_two_batches_approved_at_once_stay_within_the_budget(reported, actors, make_user):
    by = Actor(user=actors["operator"])
    july = services.stipend_batch_draft(
        by=by, first_month=JULY, last_month=JULY, kinds=[PillarKind.objects.get(code="PSM")]
    )
    august = services.stipend_batch_draft(
        by=by, first_month=AUGUST, last_month=AUGUST, kinds=[PillarKind.objects.get(code="PSM")]
    )
    for batch in (july, august):
        services.stipend_batch_verify(by=Actor(user=actors["finance"]), batch=batch)
    # The ceiling is lowered by hand (below what the drafts hold) to room for one batch only.
    Budget.objects.update(amount=1_500_000)
    other = make_user("kabid", Role.APPROVER)

    def approve(user, batch):
        return lambda: services.stipend_batch_approve(
            by=Actor(user=user), batch=StipendBatch.objects.get(pk=batch.pk)
        )

    outcomes = race(approve(actors["approver"], july), approve(other, august))
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    approved = StipendBatch.objects.filter(status="approved").count()
    assert approved <= 1
    assert outcomes.count("ok") == approved


def test_two_treasurers_marking_paid_at_once_pay_once(reported, actors, make_user):
    batch = draft(Actor(user=actors["operator"]))
    services.stipend_batch_verify(by=Actor(user=actors["finance"]), batch=batch)
    services.stipend_batch_approve(by=Actor(user=actors["approver"]), batch=batch)
    other = make_user("bendahara2", Role.FINANCE)
    import datetime

    def pay(user):
        return lambda: services.stipend_batch_mark_paid(
            by=Actor(user=user),
            batch=StipendBatch.objects.get(pk=batch.pk),
            paid_on=datetime.date(2024, 11, 20),
        )

    outcomes = race(pay(actors["finance"]), pay(other))
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    assert StipendLine.objects.filter(batch=batch, status="paid").count() == 9
    paid_entries = AuditEntry.objects.filter(
        object_type="stipends.stipendbatch", changes__paid__gt=0
    )
    assert paid_entries.count() == 1
