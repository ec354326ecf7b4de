import pytest

from pilar.tests_support import login
from pilar.verivali.models import Finding

from .conftest import visit_of

pytestmark = pytest.mark.django_db


def test_a_round_through_the_api(client, round, households, actors):
    visit = visit_of(round, households["h1"])
    login(client, actors["pillar"])
    url = f"/api/v1/verivali/visits/{visit.pk}/finding"
    body = {"kind": "corrected", "visited_on": "2026-03-10", "changes": {"decile": 11}}
    refused = client.post(url, body, content_type="application/json")
    assert refused.status_code == 400 and "changes.decile" in refused.json()["errors"]
    body["changes"] = {"decile": 3}
    recorded = client.post(url, body, content_type="application/json").json()
    assert recorded["status"] == "submitted" and recorded["changes"] == {"decile": 3}
    # The progress is the office's and the coordinators'.
    assert client.get(f"/api/v1/verivali/rounds/{round.pk}/progress").status_code == 403
    client.logout()
    login(client, actors["coordinator_b"])
    finding = f"/api/v1/verivali/findings/{recorded['id']}"
    ask = {"version": recorded["version"]}
    assert client.post(f"{finding}/accept", ask, content_type="application/json").status_code == 404
    client.logout()
    login(client, actors["coordinator_a"])
    accepted = client.post(f"{finding}/accept", ask, content_type="application/json")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    households["h1"].refresh_from_db()
    assert households["h1"].decile == 3
    stale = client.post(f"{finding}/return", {**ask, "note": "x"}, content_type="application/json")
    assert stale.status_code == 400
    progress = client.get(f"/api/v1/verivali/rounds/{round.pk}/progress").json()
    assert progress["totals"]["total"] == 4 and progress["totals"]["accepted"] == 1
    assert Finding.objects.get().status == "accepted"
