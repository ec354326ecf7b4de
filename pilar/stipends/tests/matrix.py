"""Tali kasih's rows of the permission matrix (see pilar/core/tests/test_permissions.py).

The records: a PSM rate, the year's APBD ceiling, and an approved batch paying a1 (the
`pillar` user) for last month. Batches are office-wide: staff see them, everyone else gets 403
before any record is looked up. A pillar (and coordinator A, who also serves as a pillar) sees
their own months and their own eligibility. Writes carry bodies the services refuse, so an
allowed role gets 400 and nothing changes."""

import datetime

from pilar.audit.services import Actor
from pilar.casework.models import MonthlyReport
from pilar.registry.models import PillarKind
from pilar.stipends import bankfile, jobs, services, work
from pilar.stipends.models import BatchJob, Budget, StipendBatch, StipendLine, StipendRate
from pilar.stipends.selectors import last_month

STAFF = {"admin", "operator", "approver", "finance"}
OWN = {"pillar", "coordinator_a"}  # users with a person record of their own and a pillar grant
SETUP = {"admin", "finance"}
DRAFT = {"admin", "operator"}
VERIFY = {"finance"}
APPROVE = {"approver"}


def staff(role):
    return 200 if role in STAFF else 403


def refused(allowed: set[str]):
    """A write the service refuses for `allowed` (400); 403 for every other role."""
    return lambda role: 400 if role in allowed else 403


def post_only(role):
    return 405


PAGES = {
    "stipends:batch-list": staff,
    "stipends:batches": staff,
    "stipends:batch-create": lambda role: 200 if role in DRAFT else 403,
    "stipends:batch-detail": staff,
    "stipends:batch-refresh": post_only,
    "stipends:batch-verify": post_only,
    "stipends:batch-approve": post_only,
    "stipends:batch-return": post_only,
    "stipends:batch-cancel": post_only,
    "stipends:batch-mark-paid": post_only,
    "stipends:batch-result": post_only,
    # Printed by the worker: with no printed copy for the reader, back to the batch page.
    "stipends:batch-nominatif": lambda role: 302 if role in STAFF else 403,
    # The masked receipts printed in setup serve the approver, who may not see full NIKs.
    "stipends:batch-receipts": lambda role: (
        200 if role in APPROVE else 302 if role in STAFF else 403
    ),
    "stipends:batch-print": post_only,
    "stipends:batch-job": staff,
    "stipends:batch-job-file": staff,
    "stipends:batch-transfer": lambda role: 200 if role in VERIFY else 403,
    "stipends:sent-file": lambda role: 200 if role in VERIFY else 403,
    "stipends:transfer-round": post_only,
    "stipends:line-remove": post_only,
    "stipends:line-reverse": post_only,
    "stipends:eligibility": staff,
    "stipends:rates": staff,
    "stipends:rate-create": post_only,
    "stipends:rate-end": post_only,
    "stipends:rate-correct": post_only,
    "stipends:budget-set": post_only,
}

API_READ = {
    "/api/v1/stipends/rates": staff,
    "/api/v1/stipends/budgets": staff,
    "/api/v1/stipends/eligibility": lambda role: 200 if role in STAFF | OWN else 403,
    "/api/v1/stipends/mine": lambda role: 200 if role in OWN else 403,
    "/api/v1/stipends/batches": staff,
    "/api/v1/stipends/batches/{batch_id}": staff,
    "/api/v1/stipends/batches/{batch_id}/lines": staff,
    "/api/v1/stipends/batches/{batch_id}/jobs/{job_id}": staff,
    "/api/v1/stipends/batches/{batch_id}/jobs/{job_id}/file": staff,
    # Account numbers for the bank: the treasurer's file.
    "/api/v1/stipends/batches/{batch_id}/transfer.xlsx": lambda role: (
        200 if role in VERIFY else 403
    ),
    "/api/v1/stipends/batches/{batch_id}/transfer.csv": lambda role: 200 if role in VERIFY else 403,
    "/api/v1/stipends/batches/{batch_id}/sent-files": lambda role: 200 if role in VERIFY else 403,
    "/api/v1/stipends/batches/{batch_id}/sent-files/{file_id}": lambda role: (
        200 if role in VERIFY else 403
    ),
}
API_WRITE = {
    # Overlaps the open PSM rate.
    ("POST", "/api/v1/stipends/rates"): (
        {"kind": "PSM", "amount": 450_000, "valid_from": "2020-01"},
        refused(SETUP),
    ),
    # Ends before it starts.
    ("POST", "/api/v1/stipends/rates/{rate_id}/end"): ({"valid_to": "2000-01"}, refused(SETUP)),
    # A year out of range.
    ("PUT", "/api/v1/stipends/budgets"): (
        {"year": 1999, "funding_source": "APBD", "amount": 1},
        refused(SETUP),
    ),
    # The last month before the first.
    ("POST", "/api/v1/stipends/batches"): (
        {"first_month": "2024-09", "last_month": "2024-07", "kinds": ["PSM"]},
        refused(DRAFT),
    ),
    # The batch is approved: no longer a draft to refresh, verify, approve or cancel.
    ("POST", "/api/v1/stipends/batches/{batch_id}/refresh"): ({}, refused(DRAFT)),
    ("POST", "/api/v1/stipends/batches/{batch_id}/verify"): ({}, refused(VERIFY)),
    ("POST", "/api/v1/stipends/batches/{batch_id}/approve"): ({}, refused(APPROVE)),
    ("POST", "/api/v1/stipends/batches/{batch_id}/cancel"): ({"reason": "x"}, refused(DRAFT)),
    # No reason given.
    ("POST", "/api/v1/stipends/batches/{batch_id}/return"): (
        {"reason": ""},
        refused(VERIFY | APPROVE),
    ),
    # Paid in the future.
    ("POST", "/api/v1/stipends/batches/{batch_id}/mark-paid"): (
        {"paid_on": "2099-01-01"},
        refused(VERIFY),
    ),
    # The payment list of the approved batch: printed in the background (202) for the staff.
    ("POST", "/api/v1/stipends/batches/{batch_id}/print"): (
        {"what": "nominatif", "group": "kind"},
        lambda role: 202 if role in STAFF else 403,
    ),
    ("POST", "/api/v1/stipends/lines/{line_id}/remove"): ({"reason": ""}, refused(DRAFT)),
    ("POST", "/api/v1/stipends/lines/{line_id}/reverse"): ({"reason": ""}, refused(VERIFY)),
}


def setup(actors, people) -> dict:
    by = Actor.system()
    month = last_month()
    psm = PillarKind.objects.get(code="PSM")
    a1 = people["a1"]
    a1.bank_name, a1.bank_account, a1.bank_holder = "Bank Nagari", "1100000001", a1.name
    a1.save()
    duty = a1.assignments.get(kind=psm)
    # The casework matrix may have verified this report already.
    MonthlyReport.objects.get_or_create(
        person=a1, kind=psm, month=month, defaults={"area": duty.area, "status": "verified"}
    )
    rate = services.stipend_rate_create(
        by=by, kind=psm, amount=400_000, valid_from=datetime.date(month.year - 1, 1, 1)
    )
    services.budget_set(by=by, year=month.year, funding_source="APBD", amount=10_000_000)
    batch = services.stipend_batch_draft(
        by=Actor(user=actors["operator"]),
        first_month=month,
        last_month=month,
        kinds=[psm],
        year=month.year,
    )
    batch = services.stipend_batch_verify(by=Actor(user=actors["finance"]), batch=batch)
    batch = services.stipend_batch_approve(by=Actor(user=actors["approver"]), batch=batch)
    line = batch.lines.get()
    # A receipts copy printed (masked, so every staff role may read it) by the worker.
    job, _created = jobs.batch_job_start(
        by=by, batch=batch, kind=BatchJob.Kind.RECEIPTS, options={"full_nik": False}
    )
    work.batch_job_run(job_id=job.pk)
    sent = bankfile.transfer_file_sent(by=Actor(user=actors["finance"]), batch=batch, fmt="csv")
    return {
        "pages": {
            **{
                f"stipends:batch-{name}": f"/stipends/batches/{batch.pk}/{name}/"
                for name in ("detail", "refresh", "verify", "approve", "return", "cancel")
            },
            "stipends:batch-detail": f"/stipends/batches/{batch.pk}/",
            "stipends:batch-mark-paid": f"/stipends/batches/{batch.pk}/mark-paid/",
            "stipends:batch-result": f"/stipends/batches/{batch.pk}/result/",
            "stipends:batch-nominatif": f"/stipends/batches/{batch.pk}/nominatif.pdf",
            "stipends:batch-receipts": f"/stipends/batches/{batch.pk}/receipts.pdf",
            "stipends:batch-transfer": f"/stipends/batches/{batch.pk}/transfer.xlsx",
            "stipends:sent-file": f"/stipends/batches/{batch.pk}/sent/{sent.pk}/",
            "stipends:transfer-round": f"/stipends/batches/{batch.pk}/transfer/new/",
            "stipends:batch-print": f"/stipends/batches/{batch.pk}/print/",
            "stipends:batch-job": f"/stipends/batches/{batch.pk}/job/",
            "stipends:batch-job-file": f"/stipends/batches/{batch.pk}/jobs/{job.pk}/file",
            "stipends:line-remove": f"/stipends/lines/{line.pk}/remove/",
            "stipends:line-reverse": f"/stipends/lines/{line.pk}/reverse/",
            "stipends:rate-end": f"/stipends/rates/{rate.pk}/end/",
            "stipends:rate-correct": f"/stipends/rates/{rate.pk}/correct/",
        },
        "api": {
            "{batch_id}": batch.pk,
            "{rate_id}": rate.pk,
            "{line_id}": line.pk,
            "{job_id}": job.pk,
            "{file_id}": sent.pk,
        },
        "batch": batch,
        "rate": rate,
    }


def unchanged(made) -> None:
    batch = StipendBatch.objects.get(office=made["rate"].office_id)
    assert batch.pk == made["batch"].pk and batch.status == "approved"
    assert list(StipendLine.objects.values_list("status", flat=True)) == ["pending"]
    # The office's own (another office's writes, in pilar/core/tests/test_offices_matrix.py,
    # may set up that office's).
    office = made["rate"].office_id
    rate = StipendRate.objects.get(office=office)
    assert rate.valid_to is None and rate.amount == 400_000
    assert Budget.objects.get(office=office).amount == 10_000_000
