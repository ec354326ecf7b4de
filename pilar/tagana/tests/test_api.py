"""The JSON API: the same services and scope as the pages."""

from __future__ import annotations

import pytest

from pilar.tagana.models import Deployment, DisasterEvent, EventLogEntry
from pilar.tests_support import login

pytestmark = pytest.mark.django_db


def test_operator_runs_an_event_through_the_api(client, actors, member):
    actors["operator"].language = "en"
    actors["operator"].save(update_fields=["language"])
    login(client, actors["operator"])
    r = client.post(
        "/api/v1/tagana/events",
        {
            "kind": "landslide",
            "started_on": "2024-10-20",
            "area_code": "13.75.03.1001",
            "description": "Longsor",
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    event_id = r.json()["id"]
    assert r.json()["kecamatan_name"]
    r = client.post(
        f"/api/v1/tagana/events/{event_id}/deployments",
        {"person_id": member.pk, "role": "assessment", "start": "2024-10-20T08:00:00+07:00"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    deployment_id = r.json()["id"]
    r = client.post(
        f"/api/v1/tagana/events/{event_id}/close",
        {"closed_on": "2024-10-21"},
        content_type="application/json",
    )
    assert (
        r.status_code == 400
        and "has not ended: Rudi Tagana" in r.json()["message"]
        or "masih" in r.json()["message"]
    )
    r = client.post(
        f"/api/v1/tagana/deployments/{deployment_id}/end",
        {"end": "2024-10-20T20:00:00+07:00"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["hours"] == "12.0"
    r = client.post(
        f"/api/v1/tagana/events/{event_id}/log",
        {"at": "2024-10-20T19:00:00+07:00", "text": "Jalan tertutup"},
        content_type="application/json",
    )
    assert r.status_code == 201
    r = client.post(
        f"/api/v1/tagana/events/{event_id}/close",
        {"closed_on": "2024-10-21"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["status"] == "closed"
    detail = client.get(f"/api/v1/tagana/events/{event_id}").json()
    assert [d["person_name"] for d in detail["deployments"]] == [member.name]
    assert detail["log"][0]["text"] == "Jalan tertutup"
    listed = client.get("/api/v1/tagana/events", {"status": "closed"}).json()
    assert [e["id"] for e in listed] == [event_id] and listed[0]["deployment_count"] == 1
    roster = client.get("/api/v1/tagana/roster").json()
    assert roster[0]["name"] == member.name and roster[0]["available"] is True


def test_refusals_change_nothing(client, actors, event, people):
    login(client, actors["admin"])
    r = client.post(
        f"/api/v1/tagana/events/{event.pk}/deployments",
        {"person_id": people["a1"].pk, "role": "kitchen", "start": "2024-10-20T08:00:00+07:00"},
        content_type="application/json",
    )
    assert r.status_code == 400 and "person" in r.json()["errors"]
    assert not Deployment.objects.exists() and not EventLogEntry.objects.exists()
    assert DisasterEvent.objects.get().status == "open"


def test_scope_in_the_api(client, actors, event):
    login(client, actors["coordinator_b"])
    assert client.get("/api/v1/tagana/events").json() == []
    assert client.get(f"/api/v1/tagana/events/{event.pk}").status_code == 404
    client.logout()
    login(client, actors["viewer"])
    assert client.get("/api/v1/tagana/events").status_code == 403
