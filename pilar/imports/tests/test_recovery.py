"""An import whose worker vanished (kill -9, out of memory, a restart) is marked so, with the
reason, and its work can be started again; a slow worker is left alone."""

from __future__ import annotations

import datetime
import threading

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from pilar.imports import services
from pilar.imports.commit import import_request_commit
from pilar.imports.models import Import
from pilar.imports.tests.files import upload
from pilar.imports.tests.test_views import roster
from pilar.lib.jobs import recover_all, stale_after
from pilar.registry.models import Person
from pilar.tests_support import login, run_task_worker

worker_test = pytest.mark.django_db(transaction=True)


@pytest.fixture
def c(client, actors):
    actors["operator"].language = "en"
    actors["operator"].save(update_fields=["language"])
    login(client, actors["operator"])
    return client


def _killed_worker() -> None:
    """What a worker killed in the middle of a task leaves: the task taken (RUNNING for
    ever, never run again), the job in its working state, no more heartbeats."""
    DBTaskResult.objects.filter(status="READY").update(status="RUNNING")


def _after_the_timeout():
    return time_machine.travel(timezone.now() + stale_after() + datetime.timedelta(seconds=1))


def _checked(c, capture, n: int = 3) -> Import:
    c.post("/imports/upload/", {"file": upload(roster(n))})
    batch = Import.objects.get()
    form = {f"col_{i}": field for i, field in batch.mapping.items()}
    with capture(execute=True):
        c.post(f"/imports/{batch.pk}/mapping/", form)
    run_task_worker()
    batch.refresh_from_db()
    assert batch.status == Import.Status.PREVIEW
    return batch


@worker_test
def test_a_commit_whose_worker_was_killed_can_be_saved_again(
    c, people, django_capture_on_commit_callbacks
):
    batch = _checked(c, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        c.post(f"/imports/{batch.pk}/commit/", {})
    _killed_worker()
    progress = f"/imports/{batch.pk}/progress/"
    assert "Saving the accepted rows" in c.get(progress, HTTP_HX_REQUEST="true").content.decode()
    with _after_the_timeout():
        answer = c.get(progress, HTTP_HX_REQUEST="true")
    assert answer["HX-Refresh"] == "true"  # the poll stops; the page reloads into the preview
    page = c.get(f"/imports/{batch.pk}/").content.decode()
    assert "The worker stopped while saving" in page and "nothing was saved" in page
    assert 'data-testid="commit-form"' in page  # the button is there again
    batch.refresh_from_db()
    assert batch.status == Import.Status.PREVIEW and batch.heartbeat_at is None
    assert Person.objects.filter(name__startswith="Warga").count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        c.post(f"/imports/{batch.pk}/commit/", {})
    run_task_worker()
    batch.refresh_from_db()
    assert batch.status == Import.Status.COMMITTED, batch.message
    assert Person.objects.filter(name__startswith="Warga").count() == 3


@worker_test
def test_the_api_says_the_worker_stopped(
    client, actors, people, django_capture_on_commit_callbacks
):
    login(client, actors["operator"])
    actors["operator"].language = "en"
    actors["operator"].save(update_fields=["language"])
    batch = _checked(client, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            client.post(f"/api/v1/imports/{batch.pk}/commit", {}, "application/json").status_code
            == 202
        )
    _killed_worker()
    assert client.get(f"/api/v1/imports/{batch.pk}").json()["status"] == "committing"
    with _after_the_timeout():
        answer = client.get(f"/api/v1/imports/{batch.pk}").json()
    assert answer["status"] == "preview"
    assert "The worker stopped while saving" in answer["message"]


@worker_test
def test_a_check_whose_worker_was_killed_can_be_checked_again(
    c, people, django_capture_on_commit_callbacks
):
    c.post("/imports/upload/", {"file": upload(roster(2))})
    batch = Import.objects.get()
    form = {f"col_{i}": field for i, field in batch.mapping.items()}
    with django_capture_on_commit_callbacks(execute=True):
        c.post(f"/imports/{batch.pk}/mapping/", form)
    _killed_worker()
    with _after_the_timeout():
        page = c.get(f"/imports/{batch.pk}/").content.decode()
    assert "The worker stopped while checking" in page
    batch.refresh_from_db()
    assert batch.status == Import.Status.FAILED
    with django_capture_on_commit_callbacks(execute=True):
        c.post(f"/imports/{batch.pk}/mapping/", form)
    run_task_worker()
    batch.refresh_from_db()
    assert batch.status == Import.Status.PREVIEW and batch.summary["new"] == 2


@worker_test
def test_an_undo_whose_worker_was_killed_can_be_undone_again(
    c, people, django_capture_on_commit_callbacks
):
    batch = _checked(c, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        c.post(f"/imports/{batch.pk}/commit/", {})
    run_task_worker()
    with django_capture_on_commit_callbacks(execute=True):
        c.post(f"/imports/{batch.pk}/undo/")
    _killed_worker()
    # As when `pilar serve` starts its worker (in English here: the pages of this test have
    # left the user's language active on the thread).
    with _after_the_timeout(), translation.override("en"):
        assert recover_all() == 1
    batch.refresh_from_db()
    assert batch.status == Import.Status.COMMITTED
    assert "The worker stopped while undoing" in batch.message
    assert Person.objects.filter(name__startswith="Warga").count() == 3
    with django_capture_on_commit_callbacks(execute=True):
        c.post(f"/imports/{batch.pk}/undo/")
    run_task_worker()
    batch.refresh_from_db()
    assert batch.status == Import.Status.UNDONE
    assert Person.objects.filter(name__startswith="Warga").count() == 0


@worker_test
def test_a_worker_inside_its_transaction_is_not_taken_for_gone(
    c, people, django_capture_on_commit_callbacks
):
    """A long commit cannot beat where others see it, but holds its row (PostgreSQL) or the
    database (SQLite): a reader that finds the heartbeat old leaves it alone, without waiting."""
    batch = _checked(c, django_capture_on_commit_callbacks)
    import_request_commit(
        by=services.Actor.system(), batch=batch, accept_warnings=False, accept_rejected=False
    )
    holding, release = threading.Event(), threading.Event()

    def worker():
        try:
            with transaction.atomic():
                assert services._lock_in(batch, Import.Status.COMMITTING)
                holding.set()
                release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert holding.wait(30)
        with _after_the_timeout():
            assert services.imports_recover() == 0
            answer = c.get(f"/imports/{batch.pk}/progress/")
        assert "Saving the accepted rows" in answer.content.decode()
    finally:
        release.set()
        thread.join()
    batch.refresh_from_db()
    assert batch.status == Import.Status.COMMITTING
    with _after_the_timeout():  # the transaction ended without saving: now it is gone
        assert services.imports_recover() == 1
    batch.refresh_from_db()
    assert batch.status == Import.Status.PREVIEW


@worker_test
def test_a_beating_check_is_left_alone(c, people, django_capture_on_commit_callbacks):
    c.post("/imports/upload/", {"file": upload(roster(2))})
    batch = Import.objects.get()
    form = {f"col_{i}": field for i, field in batch.mapping.items()}
    with django_capture_on_commit_callbacks(execute=True):
        c.post(f"/imports/{batch.pk}/mapping/", form)
    almost = stale_after() - datetime.timedelta(seconds=5)
    with time_machine.travel(timezone.now() + almost):
        Import.objects.filter(pk=batch.pk).update(heartbeat_at=timezone.now())
    with time_machine.travel(timezone.now() + 2 * almost):
        assert services.imports_recover() == 0
    batch.refresh_from_db()
    assert batch.status == Import.Status.CHECKING
