"""Drafting writes plain rows: the database still skips a month someone else took meanwhile."""

import pytest

from pilar.stipends import services
from pilar.stipends.models import StipendBatch, StipendLine
from pilar.stipends.tests.conftest import JULY, report

pytestmark = pytest.mark.django_db


def test_a_month_taken_while_drafting_is_skipped_by_the_database(rates, banked, by, monkeypatch):
    a1, a2 = banked["a1"], banked["a2"]
    report(a1, JULY)
    report(a2, JULY)
    duty = a1.assignments.get()
    read = services._batch_entitlements

    def then_someone_else_drafts(batch, **kw):
        found = read(batch, **kw)  # both eligible when read …
        other = StipendBatch.objects.create(
            title="other", first_month=JULY, last_month=JULY, year=2024, office=batch.office, seq=99
        )
        StipendLine.objects.create(  # … then a1's July is taken before the insert
            batch=other, person=a1, kind=duty.kind, month=JULY, area=duty.area,
            funding_source="APBD", amount=400_000, days_served=31, days_in_month=31,
            method="transfer",
        )  # fmt: skip
        return found

    monkeypatch.setattr(services, "_batch_entitlements", then_someone_else_drafts)
    batch = services.stipend_batch_draft(
        by=by["operator"], first_month=JULY, last_month=JULY, kinds=[duty.kind]
    )
    line = batch.lines.get()
    assert line.person_id == a2.pk
    assert (line.month, line.amount, line.status, line.method) == (
        JULY, 400_000, "pending", "transfer"
    )  # fmt: skip
    assert (line.name, line.bank_account, line.note, line.paid_on) == ("", "", "", None)
    assert line.created_at is not None and line.rate_id == rates["PSM"].pk
    assert StipendLine.objects.filter(person=a1, month=JULY).count() == 1
