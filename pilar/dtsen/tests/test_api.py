"""The extract import's API: upload, preview, households, decisions, commit, undo; every route
with a wrong role and with bad input (400 or 422 naming the field)."""

from __future__ import annotations

import datetime

import pytest

from pilar.audit.services import Actor
from pilar.casework import services as casework
from pilar.casework.models import Household
from pilar.dtsen import services
from pilar.dtsen.models import ExtractHousehold, HouseholdImport
from pilar.dtsen.tests.web_support import extract_bytes, forget, make_family, upload
from pilar.tests_support import english_messages, login, run_task_worker

english = pytest.fixture(autouse=True, name="english")(english_messages)
API = "/api/v1/household-imports"
JSON = "application/json"


def post(client, url, body):
    return client.post(url, body, content_type=JSON)


@pytest.mark.django_db(transaction=True)
def test_api_upload_preview_decide_commit_undo(
    client, actors, people, django_capture_on_commit_callbacks
):
    login(client, actors["operator"])
    fresh = make_family(members=3)
    accompanied = make_family(members=2)
    casework.caseload_assign(
        by=Actor.system(),
        household=accompanied,
        person=people["a1"],
        start_date=datetime.date(2024, 1, 2),
    )
    content = extract_bytes(Household.objects.filter(pk=fresh.pk))
    kk = fresh.kk_number
    forget([fresh])

    response = client.post(API, {"file": upload(content)})
    assert response.status_code == 201, response.content
    data = response.json()
    assert {c["field"] for c in data["columns"]} >= {"kk_number", "nik", "name", "relation"}
    assert data["status"] == "mapping"
    url = f"{API}/{data['id']}"
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, f"{url}/preview", {"as_of": "2025-06-30"})
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "checking"
    run_task_worker()
    got = client.get(url).json()
    assert got["status"] == "preview" and got["as_of"] == "2025-06-30"
    assert got["summary"]["households"]["new"] == 1
    assert got["summary"]["households"]["missing"] == 1
    assert got["summary"]["members"]["added"] == 3

    new = client.get(f"{url}/households", {"status": "new"}).json()
    assert len(new) == 1 and new[0]["kk_number"] != kk and "*" in new[0]["kk_number"]
    added = new[0]["plan"]["members_added"]
    assert len(added) == 3 and all("*" in m["nik"] for m in added)  # masked
    assert client.get(f"{url}/households", {"area": "13.75.02"}).json() == []
    missing = client.get(f"{url}/households", {"status": "missing"}).json()
    assert missing[0]["accompanied"] and missing[0]["decision"] == ""

    # Saving before the decision is refused, naming what to do.
    refused = post(client, f"{url}/commit", {})
    assert refused.status_code == 400 and "keep or close" in refused.json()["errors"]["commit"][0]
    decided = post(client, f"{url}/decisions", {"decisions": {str(missing[0]["id"]): "close"}})
    assert decided.status_code == 200, decided.content
    assert ExtractHousehold.objects.get(pk=missing[0]["id"]).decision == "close"

    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, f"{url}/commit", {}).status_code == 202
    run_task_worker()
    assert client.get(url).json()["status"] == "committed"
    assert Household.objects.filter(kk_number=kk).exists()
    accompanied.refresh_from_db()
    assert accompanied.status == Household.Status.CLOSED

    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, f"{url}/undo", {}).status_code == 202
    run_task_worker()
    assert client.get(url).json()["status"] == "undone"
    assert not Household.objects.filter(kk_number=kk).exists()
    accompanied.refresh_from_db()
    assert accompanied.status == Household.Status.ACTIVE
    assert [b["id"] for b in client.get(API, {"status": "undone"}).json()] == [data["id"]]
    assert client.get(API, {"status": "committed"}).json() == []


@pytest.fixture
def batch(actors):
    make_family()
    return services.extract_upload(
        by=Actor(user=actors["operator"]),
        upload=upload(extract_bytes(Household.objects.all())),
        filename="dtsen.xlsx",
    )


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["pillar", "coordinator_a", "viewer", "approver", "finance"])
def test_every_route_refuses_a_role_without_the_imports_right(client, actors, batch, role):
    login(client, actors[role])
    url = f"{API}/{batch.pk}"
    for path in [API, url, f"{url}/households"]:
        assert client.get(path).status_code == 403, path
    assert (
        client.post(API, {"file": upload(extract_bytes(Household.objects.all()))}).status_code
        == 403
    )
    for path, body in [
        (f"{url}/preview", {"as_of": "2025-06-30"}),
        (f"{url}/decisions", {"decisions": {}}),
        (f"{url}/commit", {"accept_valid": True}),
        (f"{url}/undo", {}),
    ]:
        assert post(client, path, body).status_code == 403, path
    batch.refresh_from_db()
    assert batch.status == HouseholdImport.Status.MAPPING
    assert HouseholdImport.objects.count() == 1


@pytest.mark.django_db
def test_anonymous_callers_are_asked_to_sign_in(client, batch):
    assert client.get(API).status_code == 401
    assert post(client, f"{API}/{batch.pk}/commit", {}).status_code == 401


@pytest.mark.django_db
def test_bad_input_names_the_field(client, actors, batch):
    login(client, actors["operator"])
    url = f"{API}/{batch.pk}"

    empty = client.post(API, {"file": upload(b"", "kosong.xlsx")})
    assert empty.status_code == 400 and "file" in empty.json()["errors"]

    no_date = post(client, f"{url}/preview", {})
    assert no_date.status_code == 422 and "as_of" in str(no_date.json()["errors"])
    bad_date = post(client, f"{url}/preview", {"as_of": "30-06-2025"})
    assert bad_date.status_code == 422 and "as_of" in str(bad_date.json()["errors"])
    bad_key = post(client, f"{url}/preview", {"as_of": "2025-06-30", "mapping": {"A": "gaji"}})
    assert bad_key.status_code == 422 and "mapping" in str(bad_key.json()["errors"])
    no_column = post(client, f"{url}/preview", {"as_of": "2025-06-30", "mapping": {"ZZ": "nik"}})
    assert no_column.status_code == 400 and "ZZ" in no_column.json()["errors"]["mapping"][0]
    too_few = post(client, f"{url}/preview", {"as_of": "2025-06-30", "mapping": {"C": "nik"}})
    assert too_few.status_code == 400 and "mapping" in too_few.json()["errors"]
    sheet = post(client, f"{url}/preview", {"as_of": "2025-06-30", "sheet": "Tidak Ada"})
    assert sheet.status_code == 400 and "sheet" in sheet.json()["errors"]

    not_id = post(client, f"{url}/decisions", {"decisions": {"abc": "keep"}})
    assert not_id.status_code == 400 and "decisions" in not_id.json()["errors"]
    bad_choice = post(client, f"{url}/decisions", {"decisions": {"1": "maybe"}})
    assert bad_choice.status_code == 422 and "decisions" in str(bad_choice.json()["errors"])
    early = post(client, f"{url}/decisions", {"decisions": {"1": "keep"}})
    assert early.status_code == 400 and "decision" in early.json()["errors"]

    commit = post(client, f"{url}/commit", {"accept_valid": "perhaps"})
    assert commit.status_code == 422 and "accept_valid" in str(commit.json()["errors"])
    assert post(client, f"{url}/commit", {}).json()["errors"]["commit"]
    assert post(client, f"{url}/undo", {}).json()["errors"]["undo"]

    area = client.get(f"{url}/households", {"area": "99.99"})
    assert area.status_code == 400 and "area" in area.json()["errors"]
    status = client.get(f"{url}/households", {"status": "nope"})
    assert status.status_code == 422 and "status" in str(status.json()["errors"])
    assert client.get(f"{API}/999999").status_code == 404
    batch.refresh_from_db()
    assert batch.status == HouseholdImport.Status.MAPPING
