"""The JSON API: the same services and scope as the pages."""

from __future__ import annotations

import pytest

from pilar.accounts.models import User
from pilar.tests_support import login
from pilar.trainings.models import Attendance, Participant, TrainingEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client, actors):
    User.objects.update(language="en")
    login(client, actors["operator"])
    return client


def send(client, method: str, url: str, body: dict):
    return getattr(client, method)(url, body, content_type="application/json")


def test_operator_runs_a_training_through_the_api(api, people):
    r = send(
        api,
        "post",
        "/api/v1/trainings/courses",
        {"name": "Bimbingan Teknis", "level": "basic", "hours": 8, "kinds": ["PSM", "TKSK"]},
    )
    assert r.status_code == 201, r.content
    course_id = r.json()["id"]
    assert r.json()["kinds"] == ["PSM", "TKSK"]
    r = send(
        api,
        "post",
        "/api/v1/trainings/events",
        {
            "course_id": course_id,
            "start_date": "2024-10-21",
            "end_date": "2024-10-22",
            "place": "Aula",
            "organiser": "Dinas Sosial",
            "funding": "APBD",
            "budget": 15000000,
            "capacity": 10,
        },
    )
    assert r.status_code == 201, r.content
    event_id = r.json()["id"]
    base = f"/api/v1/trainings/events/{event_id}"
    r = send(api, "post", f"{base}/participants", {"kinds": ["PSM"], "area_code": "13.75.01"})
    assert r.status_code == 201 and len(r.json()["invited"]) == 2
    r = send(
        api, "post", f"{base}/participants", {"person_ids": [people["a1"].pk, people["b1"].pk]}
    )
    assert r.status_code == 201 and r.json()["already_invited"] == 1
    listed = api.get(f"{base}/participants").json()["participants"]
    ids = {p["name"]: p["id"] for p in listed}
    assert listed[0]["masked_nik"] != people["a1"].nik and listed[0]["kind"] == "PSM"
    a1, a2, b1 = (ids[people[k].name] for k in ("a1", "a2", "b1"))
    r = send(api, "put", f"{base}/attendance/2024-10-21", {"present_ids": [a1, a2]})
    assert r.status_code == 200 and r.json() == {
        "day": "2024-10-21",
        "present_ids": sorted([a1, a2]),
        "added": 2,
        "removed": 0,
    }
    r = send(api, "put", f"{base}/attendance/2024-10-23", {"present_ids": [a1]})
    assert r.status_code == 400 and "outside the event" in r.json()["message"]
    r = send(
        api,
        "post",
        f"{base}/results",
        {"results": [{"participant_id": b1, "result": "passed"}]},
    )
    assert r.status_code == 400 and "never attended" in r.json()["message"]
    r = send(
        api,
        "post",
        f"{base}/results",
        {"results": [{"participant_id": a1, "result": "passed", "score": "92.5"}]},
    )
    assert r.status_code == 200
    assert {p["name"]: p["result"] for p in r.json()}[people["a1"].name] == "passed"
    assert api.delete(f"{base}/participants/{a2}").status_code == 400
    assert api.delete(f"{base}/participants/{b1}").status_code == 204
    event = api.get(base).json()
    assert (event["invited"], event["attended"], event["passed"]) == (2, 2, 1)
    assert api.get("/api/v1/trainings/events", {"year": 2023}).json() == []
    mine = api.get(f"/api/v1/trainings/people/{people['a1'].pk}").json()
    assert mine[0]["result"] == "passed" and mine[0]["days_attended"] == 1
    r = send(
        api,
        "put",
        f"/api/v1/trainings/courses/{course_id}",
        {"name": "Bimbingan Teknis", "level": "basic", "hours": 8, "kinds": ["ALIEN"]},
    )
    assert r.status_code == 400 and "Unknown pillar kind" in r.json()["message"]


def test_requirements_and_refusals_change_nothing(api, event, invited):
    missing = api.get("/api/v1/trainings/requirements").json()
    assert {m["person_id"] for m in missing} == {p.person_id for p in invited.values()}
    assert missing[0]["missing_courses"] == [event.course.name]
    r = send(
        api,
        "put",
        f"/api/v1/trainings/events/{event.pk}",
        {
            "course_id": event.course_id,
            "start_date": "2024-10-21",
            "end_date": "2024-10-22",
            "place": "Aula",
            "organiser": "Dinas",
            "capacity": 1,
        },
    )
    assert r.status_code == 400 and "capacity" in r.json()["errors"]
    assert TrainingEvent.objects.get().capacity is None
    assert not Attendance.objects.exists() and Participant.objects.count() == 3


def test_scope_in_the_api(client, actors, event, invited):
    login(client, actors["coordinator_a"])
    listed = client.get(f"/api/v1/trainings/events/{event.pk}/participants").json()
    assert len(listed["participants"]) == 2 and listed["other_participants"] == 1
    client.logout()
    login(client, actors["viewer"])
    assert client.get("/api/v1/trainings/events").status_code == 403
