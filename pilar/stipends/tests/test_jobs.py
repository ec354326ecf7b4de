"""A batch's work in the background, end to end through the pages, with the real database task
backend and its worker (docs/STIPENDS.md, "Work in the background")."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from pilar.accounts.models import Role, User
from pilar.audit.models import AuditEntry
from pilar.casework.models import MonthlyReport
from pilar.registry.models import PillarKind
from pilar.stipends.models import BatchJob, StipendBatch, StipendLine
from pilar.stipends.tests.conftest import AUGUST, JULY, confirmed, report
from pilar.tests_support import login, run_task_worker

# The worker closes and reopens database connections between tasks, as a long-running process
# must: these tests run outside a wrapping transaction so that it can.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    """Here the jobs wait in the database for the worker, as they do in production."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def english_users(actors):
    User.objects.update(language="en")


def as_user(client, actors, name):
    client.logout()
    login(client, actors[name])
    return client


def page(client, batch) -> str:
    return client.get(f"/stipends/batches/{batch.pk}/").content.decode()


def queued(batch) -> BatchJob:
    return BatchJob.objects.get(batch=batch, status="queued")


def test_batch_moves_from_draft_to_paid_with_each_page_answering_at_once(
    client, actors, rates, banked
):
    for person in (banked["a1"], banked["a2"]):
        for month in (JULY, AUGUST):
            report(person, month)
    psm = PillarKind.objects.get(code="PSM")

    # Drafting: the page answers at once with the batch, its job waiting for the worker.
    as_user(client, actors, "operator")
    response = client.post(
        "/stipends/batches/new/",
        {"first_month": "2024-07", "last_month": "2024-08", "kinds": [psm.pk], "year": 2024},
    )
    batch = StipendBatch.objects.get()
    assert response.status_code == 302 and response.url == f"/stipends/batches/{batch.pk}/"
    assert not batch.lines.exists()
    shown = page(client, batch)
    assert 'data-status="queued"' in shown and "Drafting" in shown
    assert f'hx-get="/stipends/batches/{batch.pk}/job/"' in shown  # the page polls the job
    # A second click while it waits queues nothing more and says so.
    again = client.post(f"/stipends/batches/{batch.pk}/refresh/", follow=True)
    assert "already under way" in again.content.decode()
    assert BatchJob.objects.count() == 1 and DBTaskResult.objects.count() == 1
    run_task_worker()
    assert batch.lines.filter(status="pending").count() == 4
    fragment = client.get(f"/stipends/batches/{batch.pk}/job/", HTTP_HX_REQUEST="true")
    assert fragment["HX-Refresh"] == "true"  # done: the page reloads into the new state
    assert "Batch drafted: 2 people, Rp 1.600.000." in fragment.content.decode()

    # Verify, with a double submit.
    as_user(client, actors, "finance")
    response = client.post(f"/stipends/batches/{batch.pk}/verify/", confirmed(batch))
    assert response.status_code == 302
    job = queued(batch)
    second = client.post(f"/stipends/batches/{batch.pk}/verify/", confirmed(batch), follow=True)
    assert "Verifying is already under way" in second.content.decode()
    assert BatchJob.objects.filter(kind="verify").count() == 1
    fragment = client.get(f"/stipends/batches/{batch.pk}/job/", HTTP_HX_REQUEST="true")
    assert "HX-Refresh" not in fragment and 'hx-trigger="every 1s"' in fragment.content.decode()
    run_task_worker()
    batch.refresh_from_db()
    job.refresh_from_db()
    assert batch.status == "verified" and batch.verified_by == actors["finance"]
    assert (job.status, job.done, job.total) == ("done", 4, 4)
    assert job.heartbeat_at is not None and job.finished_at is not None

    as_user(client, actors, "approver")
    client.post(f"/stipends/batches/{batch.pk}/approve/", confirmed(batch))
    run_task_worker()
    batch.refresh_from_db()
    assert batch.status == "approved"
    assert set(batch.lines.values_list("name", flat=True)) == {
        banked["a1"].name,
        banked["a2"].name,
    }

    # The payment list is printed by the worker into a file, then downloaded (and logged).
    as_user(client, actors, "finance")
    assert client.get(f"/stipends/batches/{batch.pk}/nominatif.pdf").status_code == 302
    client.post(f"/stipends/batches/{batch.pk}/print/", {"what": "nominatif-area"})
    run_task_worker()
    printed = BatchJob.objects.get(kind="nominatif")
    assert (printed.status, printed.done, printed.total) == ("done", 2, 2)
    response = client.get(f"/stipends/batches/{batch.pk}/nominatif.pdf")
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert AuditEntry.objects.filter(
        action="view_personal", user=actors["finance"], note="nominatif.pdf?group=area"
    ).exists()

    client.post(f"/stipends/batches/{batch.pk}/mark-paid/", confirmed(batch, paid_on="2024-11-20"))
    run_task_worker()
    batch.refresh_from_db()
    assert batch.status == "paid"
    assert "4 line(s) marked paid." in page(client, batch)
    assert set(BatchJob.objects.values_list("status", flat=True)) == {"done"}


def test_a_print_made_before_the_batch_was_sent_back_is_not_offered_again(
    client, actors, rates, banked
):
    """Sent back to draft after printing and approved again, a batch pays from a new print:
    the old file is neither the batch's payment list nor downloadable by its job's address."""
    from pilar.audit.services import Actor
    from pilar.stipends import services

    by = Actor.system()
    for person in (banked["a1"], banked["a2"]):
        report(person, JULY)
    psm = PillarKind.objects.get(code="PSM")
    batch = services.stipend_batch_draft(
        by=by, first_month=JULY, last_month=JULY, kinds=[psm], year=2024
    )
    services.stipend_batch_verify(by=by, batch=batch)
    services.stipend_batch_approve(by=by, batch=batch)
    as_user(client, actors, "finance")
    client.post(f"/stipends/batches/{batch.pk}/print/", {"what": "nominatif-area"})
    run_task_worker()
    old = BatchJob.objects.get(kind="nominatif")
    assert client.get(f"/stipends/batches/{batch.pk}/jobs/{old.pk}/file").status_code == 200
    batch.refresh_from_db()
    services.stipend_batch_return(by=by, batch=batch, reason="rekening salah")
    batch.refresh_from_db()
    services.stipend_batch_verify(by=by, batch=batch)
    with time_machine.travel(datetime.timedelta(seconds=5)):
        services.stipend_batch_approve(by=by, batch=batch)
    assert client.get(f"/stipends/batches/{batch.pk}/jobs/{old.pk}/file").status_code == 404
    assert client.get(f"/api/v1/stipends/batches/{batch.pk}/jobs/{old.pk}/file").status_code == 404
    answer = client.get(f"/stipends/batches/{batch.pk}/nominatif.pdf")
    assert answer.status_code == 302  # print it first


def test_a_refusal_found_by_the_worker_reaches_the_page_and_changes_nothing(
    client, actors, rates, banked, by
):
    from pilar.stipends.tests.conftest import drafted

    batch = drafted(by, banked["a1"], banked["a2"])
    MonthlyReport.objects.filter(person=banked["a2"]).update(status="reopened")
    as_user(client, actors, "finance")
    client.post(f"/stipends/batches/{batch.pk}/verify/", confirmed(batch))
    run_task_worker()
    job = BatchJob.objects.get()
    assert job.status == "failed" and "1 line(s) are no longer eligible" in job.error
    shown = page(client, batch)
    assert 'role="alert"' in shown and "reopened by the office" in shown
    batch.refresh_from_db()
    assert batch.status == "draft"
    assert BatchJob.objects.count() == 1


def test_four_eyes_is_refused_at_once_without_a_job(client, rates, banked, make_user):
    from pilar.audit.services import Actor
    from pilar.stipends.tests.conftest import drafted

    both = make_user("both", Role.OPERATOR)
    both.grants.create(role=Role.FINANCE)
    User.objects.update(language="en")
    batch = drafted({"operator": Actor(user=both)}, banked["a1"])
    login(client, both)
    response = client.post(f"/stipends/batches/{batch.pk}/verify/", confirmed(batch), follow=True)
    assert "cannot also verify" in response.content.decode()
    assert not BatchJob.objects.exists() and not DBTaskResult.objects.exists()
    batch.refresh_from_db()
    assert batch.status == "draft"


def test_a_job_whose_worker_vanished_is_failed_with_the_reason_and_runs_again(
    client, actors, rates, banked, by
):
    from pilar.stipends.tests.conftest import drafted

    batch = drafted(by, banked["a1"])
    as_user(client, actors, "finance")
    client.post(f"/stipends/batches/{batch.pk}/verify/", confirmed(batch))
    job = queued(batch)
    # A worker took it and was killed: the transition's transaction never committed, so the
    # batch is still a draft; only the job says "running", and its heartbeat stops.
    BatchJob.objects.filter(pk=job.pk).update(status="running")
    DBTaskResult.objects.all().delete()
    later = datetime.datetime(2024, 11, 20, 10, 6, tzinfo=datetime.UTC)
    with time_machine.travel(later):
        shown = page(client, batch)
        job.refresh_from_db()
        assert job.status == "failed"
        assert "No worker has been heard from" in job.error and "No worker has been" in shown
        batch.refresh_from_db()
        assert batch.status == "draft" and not batch.verified_by
        assert StipendLine.objects.filter(batch=batch).exclude(name="").count() == 0
        # Started again, it runs to the end.
        client.post(f"/stipends/batches/{batch.pk}/verify/", confirmed(batch))
        assert BatchJob.objects.filter(status="queued").count() == 1
        run_task_worker()
        batch.refresh_from_db()
        assert batch.status == "verified"


def test_one_working_job_per_batch_is_held_by_the_database(rates, banked, by):
    from pilar.stipends.tests.conftest import drafted

    batch = drafted(by, banked["a1"])
    BatchJob.objects.create(batch=batch, kind="verify")
    with pytest.raises(IntegrityError), transaction.atomic():
        BatchJob.objects.create(batch=batch, kind="refresh")
    BatchJob.objects.update(status="done")
    BatchJob.objects.create(batch=batch, kind="refresh")  # once done, the next may start


def test_a_job_reads_the_office_once_however_many_months_and_chunks(client, actors, rates, banked):
    """The payment policies come from the office: one job reads them once, so a change on the
    settings page meanwhile cannot apply to half of it."""
    for person in (banked["a1"], banked["a2"]):
        for month in (JULY, AUGUST):
            report(person, month)
    psm = PillarKind.objects.get(code="PSM")
    as_user(client, actors, "operator")
    client.post(
        "/stipends/batches/new/",
        {"first_month": "2024-07", "last_month": "2024-08", "kinds": [psm.pk], "year": 2024},
    )
    run_task_worker()
    batch = StipendBatch.objects.get()
    assert batch.lines.count() == 4
    # Verifying checks every month of the batch against the policies again.
    as_user(client, actors, "finance")
    client.post(f"/stipends/batches/{batch.pk}/verify/", confirmed(batch))
    with CaptureQueriesContext(connection) as queries:
        run_task_worker()
    batch.refresh_from_db()
    assert batch.status == "verified"
    reads = [q for q in queries.captured_queries if '"offices_office"' in q["sql"]]
    assert len(reads) == 1
