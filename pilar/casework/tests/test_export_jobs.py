"""Exports too large for a web request run as background jobs (pilar/audit/exports.py): the
file holds the list's rows for the user who asked, and nobody else can take it."""

import csv
import datetime
import io
import os

import pytest
import time_machine
from python_calamine import CalamineWorkbook

from pilar.audit.models import AuditEntry, ExportJob
from pilar.casework.models import Household
from pilar.lib.jobs import recover_all
from pilar.tests_support import english_messages, login

# Pages speak each user's language: the users here read English.
english = pytest.fixture(autouse=True, name="english")(english_messages)


@pytest.fixture(autouse=True)
def small_bound(settings, tmp_path):
    """Three rows are 'big' here; tasks run when enqueued (as the worker would)."""
    settings.PILAR_EXPORT_BACKGROUND_FROM = 3
    settings.PILAR_EXPORT_DIR = tmp_path / "exports"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def _csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def _download(client, response) -> bytes:
    return b"".join(client.get(response["Location"] + "download/").streaming_content)


def test_a_big_export_goes_through_a_job_with_the_lists_rows(
    client, actors, caseload, django_capture_on_commit_callbacks
):
    login(client, actors["operator"])
    with django_capture_on_commit_callbacks(execute=True):
        started = client.get("/households/?format=csv")
    assert started.status_code == 302
    job = ExportJob.objects.get()
    assert started["Location"] == f"/exports/{job.pk}/"
    page = client.get(started["Location"])
    assert job.pk and b'data-testid="download"' in page.content
    assert "3 rows" in page.content.decode()
    rows = _csv_rows(_download(client, started))
    entry = AuditEntry.objects.filter(object_type="casework.household").latest("pk")
    assert entry.action == AuditEntry.Action.VIEW_PERSONAL
    assert entry.user == actors["operator"] and "3" in entry.object_repr
    listed = client.get("/households/").context["page"]
    streamed = _csv_rows(client.get("/households/?format=csv&area=13.75.02").content)
    assert rows[0] == streamed[0]  # the same columns, in the same language
    assert [r[0] for r in rows[1:]] == [h.masked_kk for h in listed]


def test_the_job_keeps_the_scope_and_filters_of_who_asked(
    client, actors, caseload, make_household, django_capture_on_commit_callbacks
):
    for n in range(3):
        make_household("13.75.02.1001", head=f"Keluarga B{n}")
    login(client, actors["coordinator_b"])
    with django_capture_on_commit_callbacks(execute=True):
        started = client.get("/households/?format=xlsx")
    assert started.status_code == 302
    book = CalamineWorkbook.from_filelike(io.BytesIO(_download(client, started)))
    rows = book.get_sheet_by_index(0).to_python()
    assert len(rows) == 1 + Household.objects.filter(area__code__startswith="13.75.02").count()
    assert caseload["h1"].masked_kk not in {r[0] for r in rows}


def test_a_small_export_still_streams_at_once(client, actors, caseload):
    login(client, actors["operator"])
    response = client.get("/households/?format=csv&area=13.75.02")
    assert response.status_code == 200
    assert not ExportJob.objects.exists()


def test_another_user_cannot_see_or_download_the_file(
    client, actors, caseload, django_capture_on_commit_callbacks
):
    login(client, actors["operator"])
    with django_capture_on_commit_callbacks(execute=True):
        started = client.get("/households/?format=csv")
    login(client, actors["admin"])
    assert client.get(started["Location"]).status_code == 404
    assert client.get(started["Location"] + "download/").status_code == 404


def test_a_user_who_lost_the_role_cannot_take_the_file(
    client, actors, caseload, django_capture_on_commit_callbacks
):
    from pilar.accounts.models import RoleGrant

    login(client, actors["operator"])
    with django_capture_on_commit_callbacks(execute=True):
        started = client.get("/households/?format=csv")
    assert client.get(started["Location"] + "download/").status_code == 200
    RoleGrant.objects.filter(user=actors["operator"]).delete()
    assert client.get(started["Location"] + "download/").status_code == 404


def test_a_job_whose_worker_vanished_is_failed(client, actors, caseload):
    login(client, actors["operator"])
    started = client.get("/households/?format=csv")  # no on_commit run: the job never starts
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.QUEUED
    later = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(minutes=10)
    with time_machine.travel(later):
        page = client.get(started["Location"])
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED
    assert "Ask for the export again" in page.content.decode()
    assert client.get(started["Location"] + "download/").status_code == 404


def test_stale_jobs_are_failed_when_the_worker_starts(client, actors, caseload):
    login(client, actors["operator"])
    client.get("/households/?format=csv")
    later = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(minutes=10)
    with time_machine.travel(later):
        assert recover_all() >= 1
    assert ExportJob.objects.get().status == ExportJob.Status.FAILED


def test_files_older_than_a_day_are_removed_when_a_job_starts(
    client, actors, caseload, django_capture_on_commit_callbacks
):
    login(client, actors["operator"])
    with django_capture_on_commit_callbacks(execute=True):
        client.get("/households/?format=csv")
    old = ExportJob.objects.get()
    later = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(days=2)
    with time_machine.travel(later), django_capture_on_commit_callbacks(execute=True):
        login(client, actors["operator"])  # the first session has expired by then
        assert client.get("/households/?format=csv").status_code == 302
    assert not ExportJob.objects.filter(pk=old.pk).exists()
    assert not os.path.exists(old.path)
    assert ExportJob.objects.get().status == ExportJob.Status.DONE


def test_a_second_click_follows_the_job_already_running(client, actors, caseload):
    login(client, actors["operator"])
    first = client.get("/households/?format=csv")  # queued: no worker has taken it yet
    again = client.get("/households/?format=csv")
    assert again["Location"] == first["Location"]
    assert ExportJob.objects.count() == 1
    page = client.get(first["Location"])  # just queued: not taken for lost
    assert ExportJob.objects.get().status == ExportJob.Status.QUEUED
    assert "Writing the file" in page.content.decode()
    client.get("/households/?format=xlsx")
    assert ExportJob.objects.count() == 2
