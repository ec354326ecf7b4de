"""The requests of issue 14's "Why" for the API, and its "Bad input": each is a 4xx naming the
field (docs/INPUT.md, "## API"), never a 500, and changes nothing."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from pilar.audit.models import AuditEntry
from pilar.casework.models import Activity, Household
from pilar.registry.models import Assignment, Person
from pilar.tests_support import english_messages, login

HUGE = 2**70
english = pytest.fixture(autouse=True, name="english")(english_messages)


@pytest.fixture
def admin(client, actors):
    login(client, actors["admin"])
    return client


def post(client, path, body, **extra):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(f"/api/v1{path}", data, content_type="application/json", **extra)


def assert_names(response, field, statuses=(400, 422)):
    assert response.status_code in statuses, (response.status_code, response.content[:300])
    body = response.json()
    assert body["message"]
    assert any(field in key for key in body["errors"]), body


@pytest.mark.parametrize("path", ["/people", "/assignments"])
def test_negative_offset(admin, path):
    assert_names(admin.get(f"/api/v1{path}", {"offset": "-1"}), "offset")
    assert_names(admin.get(f"/api/v1{path}", {"limit": "0"}), "limit")
    assert_names(admin.get(f"/api/v1{path}", {"limit": str(HUGE)}), "limit")


def test_negative_offset_on_import_rows(admin):
    upload = SimpleUploadedFile("roster.csv", b"NIK,Nama\n1375014506850001,Ani\n", "text/csv")
    response = admin.post("/api/v1/imports", {"file": upload})
    assert response.status_code == 201, response.content
    rows = f"/api/v1/imports/{response.json()['id']}/rows"
    assert_names(admin.get(rows, {"offset": "-1"}), "offset")
    assert admin.get(rows).status_code == 200


@pytest.mark.parametrize("year", ["-1", "10000", "99999999999999999999", "1999", "abc"])
def test_training_events_year_out_of_bounds(admin, year):
    response = admin.get("/api/v1/trainings/events", {"year": year})
    assert_names(response, "year", statuses=(422,))


def test_ids_beyond_64_bits_in_id_lists(admin, actors, people):
    before = Household.objects.count()
    response = post(
        admin,
        "/households",
        {
            "kk_number": "1375010101240001",
            "area_code": "13.75.01.1001",
            "address": "Jl. A",
            "categories": [HUGE],
        },
    )
    assert_names(response, "categories")
    assert Household.objects.count() == before

    client = admin
    login(client, actors["pillar"])
    response = post(
        client,
        "/activities",
        {"date": "2024-10-22", "activity_type": "HOME_VISIT", "household_ids": [1, HUGE]},
    )
    assert_names(response, "household_ids")
    assert not Activity.objects.exists()


def test_path_ids_beyond_64_bits(admin):
    assert_names(admin.get(f"/api/v1/people/{HUGE}"), "person_id", statuses=(422,))
    assert admin.get(f"/api/v1/people/{2**63 - 1}").status_code == 404


def test_assignment_with_an_empty_area_code(admin, people):
    before = Assignment.objects.count()
    response = post(
        admin,
        "/assignments",
        {"person_id": people["a1"].pk, "kind": "PSM", "area_code": "", "start_date": "2024-01-01"},
    )
    assert_names(response, "area_code")
    assert Assignment.objects.count() == before


def test_a_json_array_where_an_object_belongs(admin):
    response = post(admin, "/people", "[1, 2]")
    assert response.status_code == 400
    assert "JSON object" in response.json()["message"]
    assert "body" in response.json()["errors"]


def test_a_body_nested_too_deep(admin):
    response = post(admin, "/people", "[" * 100_000 + "]" * 100_000)
    assert response.status_code == 400
    assert response.json()["errors"]["body"] == ["The body is nested too deeply."]


def test_not_json_numbers(admin, people):
    response = post(admin, "/people", '{"name": NaN}')
    assert response.status_code == 400
    assert "NaN" in response.json()["message"]


def test_a_key_twice(admin):
    text = (
        '{"nik": "1375014506850009", "name": "Satu", "name": "Dua", "sex": "P", '
        '"birth_date": "1985-06-05"}'
    )
    response = post(admin, "/people", text)
    assert response.status_code == 400
    assert "name" in response.json()["message"]
    assert not Person.objects.filter(name__in=["Satu", "Dua"]).exists()


@pytest.mark.parametrize(
    "written", ["22/10/2024", "2024-10-22T00:00:00", "20241022", "1729555200", "2024-02-30"]
)
def test_dates_in_other_formats(admin, people, written):
    response = post(
        admin,
        "/assignments",
        {
            "person_id": people["a1"].pk,
            "kind": "PSM",
            "area_code": "13.75.01.1001",
            "start_date": written,
        },
    )
    assert_names(response, "start_date", statuses=(422,))
    assert_names(admin.get("/api/v1/headcount", {"as_of": written}), "as_of", statuses=(422,))


@pytest.mark.parametrize("day", ["1999-12-31", "2101-01-01", "0001-01-01", "9999-12-31"])
def test_dates_outside_the_office_years(admin, day):
    assert_names(admin.get("/api/v1/headcount", {"as_of": day}), "as_of", statuses=(422,))


PERSON = {"nik": "1375014506850009", "name": "Sari", "sex": "P", "birth_date": "1985-06-05"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "x" * 2_000_000),
        ("name", "Sari\x00"),
        ("address", "Jl.\x1b[31m Merah"),
        ("nik", "١٣٧٥٠١٤٥٠٦٨٥٠٠٠٩"),
        ("nik", "１３７５０１４５０６８５０００９"),
        ("phone", "０８１２３４５６７８"),
    ],
)
def test_text_too_long_control_characters_and_look_alike_digits(admin, field, value):
    entries = AuditEntry.objects.count()
    response = post(admin, "/people", {**PERSON, field: value})
    assert_names(response, field)
    assert not Person.objects.filter(nik=PERSON["nik"]).exists()
    assert AuditEntry.objects.count() == entries


def test_an_over_large_body_is_a_json_413(admin, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    response = post(admin, "/people", {**PERSON, "address": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert "1024 KB" in response.json()["message"]


def test_an_upload_keeps_its_own_limit(admin, settings):
    # A roster file is not a JSON body: it may be larger than DATA_UPLOAD_MAX_MEMORY_SIZE.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    settings.PILAR_IMPORT_MAX_MB = 1
    rows = b"".join(b"137501450685%04d,Orang %d\n" % (i, i) for i in range(200))
    upload = SimpleUploadedFile("roster.csv", b"NIK,Nama\n" + rows, "text/csv")
    assert len(upload) > 1024
    assert admin.post("/api/v1/imports", {"file": upload}).status_code == 201
