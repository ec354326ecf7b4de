"""The import pages and API, with the real task backend and its worker."""

from __future__ import annotations

import datetime

import pytest
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from pilar.imports.models import Import
from pilar.imports.tests.files import template_row, upload, xlsx_bytes
from pilar.lib.nik import make_nik
from pilar.registry.models import Person
from pilar.tests_support import login, run_task_worker

D = datetime.date


def roster(n: int = 1, serial: int = 300) -> bytes:
    rows = []
    for i in range(n):
        born = D(1980, 1, 1) + datetime.timedelta(days=400 * i)
        nik = make_nik(area6="137502", birth_date=born, sex="L", serial=serial + i)
        rows.append(
            template_row(
                nik=nik,
                name=f"Warga {i}",
                sex="L",
                birth_date=born,
                kind="PSM",
                kelurahan="Campago Ipuh",
                start_date=D(2024, 7, 1),
            )
        )
    return xlsx_bytes(rows)


@pytest.fixture(autouse=True)
def english_users(actors):
    for user in actors.values():
        user.language = "en"
        user.save(update_fields=["language"])


@pytest.fixture
def operator_client(client, actors):
    login(client, actors["operator"])
    return client


# The worker closes and reopens database connections between tasks, as a long-running process
# must: these tests run outside a wrapping transaction so that it can.
worker_test = pytest.mark.django_db(transaction=True)


@worker_test
def test_upload_check_commit_undo_through_the_pages(
    operator_client, people, django_capture_on_commit_callbacks
):
    c = operator_client
    response = c.post("/imports/upload/", {"file": upload(roster(3))})
    batch = Import.objects.get()
    assert response.status_code == 302 and response.url == f"/imports/{batch.pk}/"
    page = c.get(f"/imports/{batch.pk}/").content.decode()
    assert "Check the rows" in page and "Warga 0" in page  # the mapping with sample values

    form = {f"col_{i}": field for i, field in batch.mapping.items()}
    with django_capture_on_commit_callbacks(execute=True):
        c.post(f"/imports/{batch.pk}/mapping/", form)
    batch.refresh_from_db()
    assert batch.status == Import.Status.CHECKING
    assert (
        f'hx-get="/imports/{batch.pk}/progress/"' in c.get(f"/imports/{batch.pk}/").content.decode()
    )
    run_task_worker()
    batch.refresh_from_db()
    assert batch.status == Import.Status.PREVIEW
    assert batch.summary["new"] == 3
    progress = c.get(f"/imports/{batch.pk}/progress/", HTTP_HX_REQUEST="true")
    assert progress["HX-Refresh"] == "true"  # the page reloads itself into the preview
    assert Person.objects.filter(name__startswith="Warga").count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        c.post(f"/imports/{batch.pk}/commit/", {})
    run_task_worker()
    batch.refresh_from_db()
    assert batch.status == Import.Status.COMMITTED, batch.message
    assert Person.objects.filter(name__startswith="Warga").count() == 3
    assert "Undo this import" in c.get(f"/imports/{batch.pk}/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        c.post(f"/imports/{batch.pk}/undo/")
    run_task_worker()
    batch.refresh_from_db()
    assert batch.status == Import.Status.UNDONE
    assert Person.objects.filter(name__startswith="Warga").count() == 0


@worker_test
def test_double_commit_is_one_commit(operator_client, people, django_capture_on_commit_callbacks):
    c = operator_client
    c.post("/imports/upload/", {"file": upload(roster(1))})
    batch = Import.objects.get()
    form = {f"col_{i}": field for i, field in batch.mapping.items()}
    with django_capture_on_commit_callbacks(execute=True):
        c.post(f"/imports/{batch.pk}/mapping/", form)
    run_task_worker()
    c.post(f"/imports/{batch.pk}/commit/", {})
    second = c.post(f"/imports/{batch.pk}/commit/", {}, follow=True)
    assert DBTaskResult.objects.filter(task_path__endswith="commit_import").count() == 1
    assert "Only a checked import" in second.content.decode()
    run_task_worker()
    assert Person.objects.filter(name="Warga 0").count() == 1


def test_bad_upload_shows_the_reason_and_keeps_nothing(operator_client, people):
    response = operator_client.post(
        "/imports/upload/", {"file": upload(b"%PDF-1.4 not a sheet", "roster.xlsx")}, follow=True
    )
    assert "not a spreadsheet" in response.content.decode()
    assert Import.objects.count() == 0


def test_mapping_without_nik_is_refused_on_the_page(operator_client, people):
    c = operator_client
    c.post("/imports/upload/", {"file": upload(roster(1))})
    batch = Import.objects.get()
    form = {f"col_{i}": field for i, field in batch.mapping.items() if field != "nik"}
    response = c.post(f"/imports/{batch.pk}/mapping/", form, follow=True)
    assert "No column is mapped to NIK" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == Import.Status.MAPPING


def test_another_operators_scoped_import_is_not_found(client, actors, people, make_user):
    scoped = make_user("op-b", "operator", area="13.75.02")
    login(client, scoped)
    client.post("/imports/upload/", {"file": upload(roster(1))})
    mine = Import.objects.get()
    login(client, actors["operator"])  # city-wide: sees every import
    assert client.get(f"/imports/{mine.pk}/").status_code == 200
    other = make_user("op-a", "operator", area="13.75.01")
    login(client, other)
    assert client.get(f"/imports/{mine.pk}/").status_code == 404
    assert client.get("/imports/").content.decode().count("roster.xlsx") == 0


def test_rows_outside_a_scoped_operators_area_are_rejected(client, people, make_user):
    scoped = make_user("op-a", "operator", area="13.75.01")
    scoped.language = "en"
    scoped.save()
    login(client, scoped)
    client.post("/imports/upload/", {"file": upload(roster(1))})  # a duty in 13.75.02
    batch = Import.objects.get()
    from pilar.imports import services

    services.import_set_mapping(by=services.Actor(user=scoped), batch=batch, mapping=batch.mapping)
    with translation.override("en"):  # the task would use the uploader's language
        batch = services.import_check(batch_id=batch.pk)
    row = batch.rows.get()
    assert row.status == "rejected"
    assert any("outside the area you manage" in p[3] for p in row.problems)


def test_template_download_opens_with_the_canonical_columns(operator_client, people):
    import io

    import python_calamine

    response = operator_client.get("/imports/template.xlsx")
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    assert book.sheet_names == ["Pilar", "Petunjuk"]
    headers = book.get_sheet_by_name("Pilar").to_python()[0]
    assert headers[:3] == ["NIK", "Nama", "Jenis Kelamin"]
    hints = book.get_sheet_by_name("Petunjuk").to_python()
    assert hints[1][0] == "NIK" and hints[1][1]  # an example for every column


def test_rejected_rows_report_can_be_fixed_and_imported_again(operator_client, people):
    from pilar.imports import services
    from pilar.imports.tests.files import template_row as row

    good = make_nik(area6="137502", birth_date=D(1990, 1, 1), sex="P", serial=5)
    content = xlsx_bytes(
        [
            row(nik=good, name="Benar", sex="P", birth_date=D(1990, 1, 1)),
            row(nik=good[:-1], name="Kurang Digit", sex="P", birth_date=D(1990, 1, 1)),
        ]
    )
    c = operator_client
    c.post("/imports/upload/", {"file": upload(content)})
    batch = Import.objects.get()
    with translation.override("en"):
        services.import_set_mapping(
            by=services.Actor(user=None), batch=batch, mapping=batch.mapping
        )
        services.import_check(batch_id=batch.pk)
    report = c.get(f"/imports/{batch.pk}/rejected.xlsx")
    assert report.status_code == 200
    again = services.import_upload(
        by=services.Actor(user=None), upload=upload(report.content), filename="fix.xlsx"
    )
    assert again.mapping["0"] == "nik"
    import io

    import python_calamine

    rows = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(report.content))
    table = rows.get_sheet_by_index(0).to_python()
    assert len(table) == 2  # the header and the one rejected row
    assert table[1][1] == "Kurang Digit" and "16 digits" in table[1][-1]


@worker_test
def test_api_upload_preview_commit_undo(client, actors, people, django_capture_on_commit_callbacks):
    login(client, actors["operator"])
    response = client.post("/api/v1/imports", {"file": upload(roster(2))})
    assert response.status_code == 201, response.content
    data = response.json()
    assert {c["field"] for c in data["columns"]} >= {"nik", "name", "kind"}
    url = f"/api/v1/imports/{data['id']}"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{url}/preview", {}, content_type="application/json")
    assert response.status_code == 202
    run_task_worker()
    got = client.get(url).json()
    assert got["status"] == "preview" and got["summary"]["new"] == 2
    rows = client.get(f"{url}/rows").json()
    assert [r["status"] for r in rows] == ["new", "new"]
    assert "*" in rows[0]["nik"]  # masked in lists
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"{url}/commit", {}, content_type="application/json").status_code == 202
    run_task_worker()
    assert client.get(url).json()["status"] == "committed"
    assert Person.objects.filter(name__startswith="Warga").count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"{url}/undo", {}, content_type="application/json").status_code == 202
    run_task_worker()
    assert client.get(url).json()["status"] == "undone"
    assert Person.objects.filter(name__startswith="Warga").count() == 0
