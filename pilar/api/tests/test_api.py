import datetime

from pilar.audit.models import AuditEntry
from pilar.lib.nik import make_nik
from pilar.registry.models import Person
from pilar.tests_support import login


def test_openapi_is_served(client, reference):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/headcount" in schema["paths"]
    docs = client.get("/api/v1/docs").content.decode()
    assert "swagger" in docs.lower()
    assert "cdn." not in docs and "https://" not in docs.split("<body")[0]


def test_create_person_and_duty_through_api(client, actors):
    login(client, actors["operator"])
    nik = make_nik(area6="137503", birth_date=datetime.date(1988, 8, 8), sex="P", serial=5)
    response = client.post(
        "/api/v1/people",
        {
            "nik": nik,
            "name": "Yusnita",
            "sex": "P",
            "birth_date": "1988-08-08",
            "residence_code": "13.75.03.1002",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    person_id = response.json()["id"]
    assert response.json()["nik"] == nik
    response = client.post(
        "/api/v1/assignments",
        {
            "person_id": person_id,
            "kind": "PSM",
            "area_code": "13.75.03.1002",
            "start_date": "2024-02-01",
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    assert AuditEntry.objects.filter(person_id=person_id, source="api").count() >= 2


def test_api_errors_name_the_field_in_indonesian(client, actors, people):
    login(client, actors["operator"])
    response = client.post(
        "/api/v1/people",
        {"nik": people["a1"].nik, "name": "Dobel", "sex": "P", "birth_date": "1985-06-15"},
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert "nik" in body["errors"]
    assert Person.objects.filter(name="Dobel").count() == 0
    bad_date = client.get("/api/v1/headcount", {"as_of": "22-10-2024"})
    assert bad_date.status_code == 422
    assert "as_of" in bad_date.json()["errors"]


def test_people_list_masks_nik_for_coordinator(client, actors, people):
    login(client, actors["coordinator_a"])
    body = client.get("/api/v1/people").json()
    assert {p["name"] for p in body} == {"Ani Kecamatan A", "Budi Kecamatan A", "Dedi TKSK A"}
    assert all("*" in p["nik"] for p in body)
