"""This app's rows of the permission matrix (see pilar/core/tests/test_permissions.py).

The records: an open flood in kecamatan A with one Tagana member deployed. coordinator_a sees
it, coordinator_b does not (404); the `pillar` user (a PSM, not a Tagana member) sees no event
(404); viewers and users without a role have no Tagana capability (403).
"""

from __future__ import annotations

import datetime

from django.utils import timezone

STAFF = {"admin", "operator", "approver", "finance"}
EDIT = {"admin", "operator"}
VIEW = STAFF | {"coordinator_a", "coordinator_b", "pillar"}


def view(role):
    return 200 if role in VIEW else 403


def event_of_a(role):
    if role in STAFF | {"coordinator_a"}:
        return 200
    return 404 if role in {"coordinator_b", "pillar"} else 403


def post_only(role):
    return 405


def page_edit(role):
    return 200 if role in EDIT else 403


def write(role):
    return 400 if role in EDIT else 403


PAGES = {
    "tagana:event-list": view,
    "tagana:event-create": page_edit,
    "tagana:event-detail": event_of_a,
    "tagana:roster": view,
    "tagana:deployment-add": post_only,
    "tagana:log-add": post_only,
    "tagana:event-close": post_only,
    "tagana:deployment-end": post_only,
    "tagana:deployment-correct": post_only,
    "tagana:deployment-reverse": post_only,
}
API_READ = {
    "/api/v1/tagana/events": view,
    "/api/v1/tagana/events/{event_id}": event_of_a,
    "/api/v1/tagana/roster": view,
}
# Bodies the service refuses: a future event, an unknown person, an end before the start, a
# log entry from the future, a closing date before the event (and a member still deployed).
API_WRITE = {
    ("POST", "/api/v1/tagana/events"): (
        {
            "kind": "flood",
            "started_on": "2099-01-01",
            "area_code": "13.75.01.1001",
            "description": "x",
        },
        write,
    ),
    ("POST", "/api/v1/tagana/events/{event_id}/deployments"): (
        {"person_id": 0, "role": "evacuation", "start": "2024-10-20T08:00:00+07:00"},
        write,
    ),
    ("POST", "/api/v1/tagana/deployments/{deployment_id}/end"): (
        {"end": "2000-01-01T00:00:00+07:00"},
        write,
    ),
    ("POST", "/api/v1/tagana/events/{event_id}/log"): (
        {"at": "2999-01-01T00:00:00+07:00", "text": "x"},
        write,
    ),
    ("POST", "/api/v1/tagana/events/{event_id}/close"): ({"closed_on": "2000-01-01"}, write),
    # Corrections with a reason too short to keep.
    ("POST", "/api/v1/tagana/deployments/{deployment_id}/correct"): (
        {"role": "kitchen", "start": "2024-10-20T08:00:00+07:00", "reason": "x"},
        write,
    ),
    ("POST", "/api/v1/tagana/deployments/{deployment_id}/reverse"): ({"reason": "x"}, write),
}


def setup(actors, people) -> dict:
    from pilar.audit.services import Actor
    from pilar.lib.nik import make_nik
    from pilar.regions.models import Area
    from pilar.registry import services as registry
    from pilar.registry.models import PillarKind
    from pilar.tagana import services

    by = Actor.system()
    member = registry.person_create(
        by=by,
        data={
            "nik": make_nik(
                area6="137502", birth_date=datetime.date(1995, 2, 3), sex="L", serial=77
            ),
            "name": "Matriks Tagana",
            "sex": "L",
            "birth_date": datetime.date(1995, 2, 3),
        },
    )
    registry.assignment_create(
        by=by,
        person=member,
        kind=PillarKind.objects.get(code="TAGANA"),
        area=Area.objects.get(code="13.75"),
        start_date=datetime.date(2023, 1, 2),
    )
    event = services.event_create(
        by=by,
        kind="flood",
        started_on=datetime.date(2024, 10, 20),
        area=Area.objects.get(code="13.75.01.1001"),
        description="Banjir",
    )
    start = timezone.make_aware(datetime.datetime(2024, 10, 20, 8))
    deployment = services.deployment_create(
        by=by, event=event, person=member, role="evacuation", start=start
    )
    return {
        "pages": {
            "tagana:event-detail": f"/tagana/events/{event.pk}/",
            "tagana:deployment-add": f"/tagana/events/{event.pk}/deployments/",
            "tagana:log-add": f"/tagana/events/{event.pk}/log/",
            "tagana:event-close": f"/tagana/events/{event.pk}/close/",
            "tagana:deployment-end": f"/tagana/deployments/{deployment.pk}/end/",
            "tagana:deployment-correct": f"/tagana/deployments/{deployment.pk}/correct/",
            "tagana:deployment-reverse": f"/tagana/deployments/{deployment.pk}/reverse/",
        },
        "api": {"{event_id}": event.pk, "{deployment_id}": deployment.pk},
        "event": event,
        "deployment": deployment,
    }


def unchanged(made) -> None:
    from pilar.tagana.models import Deployment, DisasterEvent, EventLogEntry

    event, deployment = made["event"], made["deployment"]
    event.refresh_from_db()
    deployment.refresh_from_db()
    assert event.status == "open" and event.closed_on is None
    assert deployment.end is None
    assert DisasterEvent.objects.count() == 1
    assert Deployment.objects.count() == 1
    assert not EventLogEntry.objects.exists()
