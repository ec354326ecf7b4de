import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from pilar.audit.models import AuditEntry
from pilar.casework.models import MonthlyReport
from pilar.registry import services as registry
from pilar.registry.models import Assignment, PillarKind
from pilar.stipends import services
from pilar.stipends.eligibility import State, entitlements, explain
from pilar.stipends.models import StipendBatch, StipendLine
from pilar.stipends.tests.conftest import AUGUST, JULY, OCTOBER, SEPTEMBER, D, report

pytestmark = pytest.mark.django_db


def psm():
    return [PillarKind.objects.get(code="PSM")]


def draft(by, first=JULY, last=SEPTEMBER, **kw):
    return services.stipend_batch_draft(
        by=by["operator"], first_month=first, last_month=last, kinds=kw.pop("kinds", psm()), **kw
    )


def test_eligibility_explains_each_block(rates, banked, by):
    a1, a2, b1 = banked["a1"], banked["a2"], banked["b1"]
    report(a1, JULY)
    report(a2, JULY, "returned")
    report(b1, JULY)
    b1.bank_account = ""
    b1.save()
    found = {e.person_id: e for e in entitlements(months=[JULY], kinds=psm())}
    assert found[a1.pk].state == State.ELIGIBLE and found[a1.pk].amount == 400_000
    assert found[a2.pk].reasons == ["report_returned"]
    assert found[b1.pk].reasons == ["no_account"]
    assert explain(a2, psm()[0], JULY) == ["The monthly report was returned for correction."]
    assert "No bank account" in explain(b1, psm()[0], JULY)[0]


def test_ended_duty_is_not_eligible_and_says_why(rates, banked, by, system_actor):
    a1 = banked["a1"]
    duty = a1.assignments.get()
    registry.assignment_end(
        by=system_actor, assignment=duty, end_date=D(2024, 6, 30), end_reason="resigned"
    )
    report(a1, JULY)
    assert a1.pk not in {e.person_id for e in entitlements(months=[JULY], kinds=psm())}
    assert explain(a1, psm()[0], JULY) == [
        "Not serving as Pekerja Sosial Masyarakat in July 2024: the duty ended on 30 June 2024."
    ]


def test_draft_fills_eligible_months_with_arrears(rates, banked, by):
    a1, a2 = banked["a1"], banked["a2"]
    for month in (JULY, AUGUST, SEPTEMBER):
        report(a1, month)
    report(a2, AUGUST)
    report(a2, D(2024, 5, 1))  # May, verified late: arrears
    batch = draft(by, arrears_from=D(2024, 1, 1))
    lines = batch.lines.order_by("person__name", "month")
    assert [(line.person_id, line.month) for line in lines] == [
        (a1.pk, JULY),
        (a1.pk, AUGUST),
        (a1.pk, SEPTEMBER),
        (a2.pk, D(2024, 5, 1)),
        (a2.pk, AUGUST),
    ]
    assert services.batch_total(batch) == 5 * 400_000
    assert batch.title == "Tali kasih July 2024 – September 2024"
    entry = AuditEntry.objects.get(object_type="stipends.stipendbatch", action="create")
    assert entry.changes == {"lines": 5, "total": 2_000_000}


def test_drafting_again_adds_no_second_line(rates, banked, by):
    report(banked["a1"], JULY)
    draft(by, last=JULY)
    with pytest.raises(ValidationError, match="Nobody is eligible"):
        draft(by, last=JULY)
    assert StipendLine.objects.count() == 1
    assert StipendBatch.objects.count() == 1


def test_database_refuses_a_second_line_for_a_month(rates, banked, by):
    report(banked["a1"], JULY)
    line = draft(by, last=JULY).lines.get()
    other = StipendBatch.objects.create(
        title="x",
        first_month=JULY,
        last_month=JULY,
        year=2024,
        status="draft",
        office=line.batch.office,
        seq=99,
    )
    copy = StipendLine(
        batch=other,
        person=line.person,
        kind=line.kind,
        month=JULY,
        area=line.area,
        funding_source="APBD",
        amount=1,
        days_served=31,
        days_in_month=31,
        method="transfer",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()


def test_workflow_freezes_recipients(rates, banked, by):
    a1 = banked["a1"]
    report(a1, JULY)
    batch = draft(by, last=JULY)
    with pytest.raises(PermissionDenied):
        services.stipend_batch_verify(by=by["operator"], batch=batch)
    batch = services.stipend_batch_verify(by=by["finance"], batch=batch)
    with pytest.raises(PermissionDenied):
        services.stipend_batch_approve(by=by["finance"], batch=batch)
    batch = services.stipend_batch_approve(by=by["approver"], batch=batch)
    assert batch.status == StipendBatch.Status.APPROVED
    a1.name, a1.bank_account = "Ani Berganti Nama", "999"
    a1.save()
    line = batch.lines.get()
    assert (line.name, line.nik, line.bank_account) == ("Ani Kecamatan A", a1.nik, "1100000000")
    counts = services.stipend_batch_mark_paid(
        by=by["finance"], batch=batch, paid_on=D(2024, 11, 20)
    )
    assert counts == {"paid": 1, "failed": 0, "unchanged": 0}
    batch.refresh_from_db()
    assert batch.status == StipendBatch.Status.PAID
    assert explain(a1, psm()[0], JULY) == ["Paid on 20 November 2024."]


def test_one_person_cannot_draft_and_verify(rates, banked, make_user):
    from pilar.accounts.models import Role, RoleGrant
    from pilar.audit.services import Actor

    both = make_user("both", Role.OPERATOR)
    RoleGrant.objects.create(user=both, role=Role.FINANCE)
    report(banked["a1"], JULY)
    batch = services.stipend_batch_draft(
        by=Actor(user=both), first_month=JULY, last_month=JULY, kinds=psm()
    )
    with pytest.raises(ValidationError, match="cannot also verify"):
        services.stipend_batch_verify(by=Actor(user=both), batch=batch)


def test_double_approve_makes_one_transition(rates, banked, by):
    report(banked["a1"], JULY)
    batch = services.stipend_batch_verify(by=by["finance"], batch=draft(by, last=JULY))
    stale_copy = StipendBatch.objects.get(pk=batch.pk)
    services.stipend_batch_approve(by=by["approver"], batch=batch)
    with pytest.raises(ValidationError, match="now “Approved”"):
        services.stipend_batch_approve(by=by["approver"], batch=stale_copy)
    approvals = AuditEntry.objects.filter(
        object_type="stipends.stipendbatch", changes__status=["verified", "approved"]
    )
    assert approvals.count() == 1


def test_budget_exceeded_is_refused_with_the_numbers(rates, banked, by, system_actor):
    services.budget_set(by=system_actor, year=2024, funding_source="APBD", amount=1_000_000)
    for person in (banked["a1"], banked["a2"], banked["b1"]):
        report(person, JULY)
    with pytest.raises(ValidationError) as exc:
        draft(by, last=JULY)
    assert exc.value.messages == [
        "The batch would exceed the APBD 2024 budget: ceiling Rp 1.000.000, already in other "
        "batches Rp 0, this batch Rp 1.200.000 — over by Rp 200.000."
    ]
    assert not StipendBatch.objects.exists() and not StipendLine.objects.exists()


def test_no_budget_for_the_year_is_refused(rates, banked, by):
    report(banked["a1"], JULY)
    with pytest.raises(ValidationError, match="no APBD budget ceiling for 2025"):
        draft(by, last=JULY, year=2025)


def test_overlapping_rate_is_refused(rates, system_actor):
    with pytest.raises(ValidationError) as exc:
        services.stipend_rate_create(
            by=system_actor, kind=rates["PSM"].kind, amount=450_000, valid_from=D(2024, 7, 1)
        )
    assert "overlaps the Pekerja Sosial Masyarakat rate of Rp 400.000" in str(exc.value)
    services.stipend_rate_end(by=system_actor, rate=rates["PSM"], valid_to=D(2024, 6, 30))
    new = services.stipend_rate_create(
        by=system_actor, kind=rates["PSM"].kind, amount=450_000, valid_from=D(2024, 7, 1)
    )
    assert new.amount == 450_000


def test_rate_must_start_on_the_first(rates, system_actor):
    with pytest.raises(ValidationError) as exc:
        services.stipend_rate_create(
            by=system_actor, kind=rates["PSM"].kind, amount="4OO.OOO", valid_from=D(2030, 7, 15)
        )
    assert set(exc.value.message_dict) == {"amount", "valid_from"}


def test_failed_transfer_returns_to_the_pool(rates, banked, by):
    report(banked["a1"], JULY)
    batch = draft(by, last=JULY)
    batch = services.stipend_batch_verify(by=by["finance"], batch=batch)
    batch = services.stipend_batch_approve(by=by["approver"], batch=batch)
    line = batch.lines.get()
    services.stipend_batch_record(
        by=by["finance"],
        batch=batch,
        outcomes=[services.Outcome(line, False, "Rekening tidak aktif")],
        paid_on=D(2024, 11, 20),
    )
    batch.refresh_from_db()
    assert batch.status == StipendBatch.Status.PARTLY_PAID
    again = draft(by, last=JULY)
    assert again.lines.get().month == JULY


def test_reversal_lets_the_month_be_paid_again(rates, banked, by):
    report(banked["a1"], JULY)
    batch = services.stipend_batch_verify(by=by["finance"], batch=draft(by, last=JULY))
    batch = services.stipend_batch_approve(by=by["approver"], batch=batch)
    services.stipend_batch_mark_paid(by=by["finance"], batch=batch, paid_on=D(2024, 11, 20))
    line = batch.lines.get()
    reversal = services.stipend_line_reverse(by=by["finance"], line=line, reason="Salah rekening")
    assert reversal.amount == -400_000 and reversal.reverses == line
    assert services.batch_total(batch) == 0
    with pytest.raises(ValidationError):
        services.stipend_line_reverse(by=by["finance"], line=line, reason="lagi")
    again = draft(by, last=JULY)
    assert again.lines.get().amount == 400_000


def test_approval_refuses_lines_no_longer_eligible(rates, banked, by):
    report(banked["a1"], JULY)
    batch = services.stipend_batch_verify(by=by["finance"], batch=draft(by, last=JULY))
    MonthlyReport.objects.filter(person=banked["a1"]).update(status="reopened")
    with pytest.raises(ValidationError) as exc:
        services.stipend_batch_approve(by=by["approver"], batch=batch)
    assert "Ani Kecamatan A (PSM, July 2024): The monthly report was reopened" in str(exc.value)
    batch = services.stipend_batch_return(by=by["approver"], batch=batch, reason="Laporan dibuka")
    assert batch.status == "draft" and batch.reason == "Laporan dibuka"
    assert services.stipend_batch_refresh(by=by["operator"], batch=batch) == {
        "removed": 1,
        "added": 0,
    }


def test_prorate_by_days_served(rates, banked, by, office, make_person, make_assignment):
    office.stipend_prorate = True
    office.save()
    newcomer = make_person("Baru Masuk", bank_name="BRI", bank_account="123", bank_holder="B")
    make_assignment(newcomer, "PSM", start=D(2024, 7, 22))
    report(newcomer, JULY)
    found = {e.person_id: e for e in entitlements(months=[JULY], kinds=psm())}
    assert (found[newcomer.pk].days_served, found[newcomer.pk].amount) == (10, 129_032)


def test_cash_when_allowed(rates, banked, by, office):
    office.stipend_cash_allowed = True
    office.save()
    b1 = banked["b1"]
    b1.bank_account = ""
    b1.save()
    report(b1, JULY)
    found = {e.person_id: e for e in entitlements(months=[JULY], kinds=psm())}
    assert found[b1.pk].state == State.ELIGIBLE and found[b1.pk].method == "cash"


def test_cancel_returns_months_to_the_pool(rates, banked, by):
    report(banked["a1"], OCTOBER)
    batch = draft(by, first=OCTOBER, last=OCTOBER)
    services.stipend_batch_cancel(by=by["operator"], batch=batch, reason="Salah bulan")
    assert draft(by, first=OCTOBER, last=OCTOBER).lines.count() == 1
    assert not Assignment.objects.filter(end_date__isnull=False).exists()


def test_a_removed_line_stays_out_of_its_batch(rates, banked, by):
    report(banked["a1"], JULY)
    batch = draft(by, last=JULY)
    services.stipend_line_remove(by=by["operator"], line=batch.lines.get(), reason="Rekening salah")
    assert services.stipend_batch_refresh(by=by["operator"], batch=batch) == {
        "removed": 0,
        "added": 0,
    }
    # ... and waits for the next batch.
    assert draft(by, last=JULY).lines.get().month == JULY
