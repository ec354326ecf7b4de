"""Pages as users meet them: lists, scope, the actions on an event, exports, query counts."""

from __future__ import annotations

import datetime
import io

import pytest
from python_calamine import CalamineWorkbook

from pilar.accounts.models import User
from pilar.tagana import services
from pilar.tagana.models import Deployment, DisasterEvent
from pilar.tagana.tests.conftest import D, at
from pilar.tests_support import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client, actors):
    User.objects.filter(pk=actors["operator"].pk).update(language="en")
    login(client, actors["operator"])
    return client


def sheet(content: bytes) -> list[list]:
    return CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()


def test_operator_records_an_event(operator, area):
    response = operator.post(
        "/tagana/events/new/",
        {
            "kind": "fire",
            "started_on": "2024-10-21",
            "area": area("13.75.02.1001").pk,
            "description": "Kebakaran rumah",
        },
    )
    event = DisasterEvent.objects.get()
    assert response.status_code == 302 and response.url == f"/tagana/events/{event.pk}/"
    page = operator.get(response.url).content.decode()
    assert "Kebakaran rumah" in page and "Deploy a member" in page


def test_bad_event_shows_the_message_and_saves_nothing(operator, area):
    response = operator.post(
        "/tagana/events/new/",
        {
            "kind": "fire",
            "started_on": "2099-10-21",
            "area": area("13.75.02.1001").pk,
            "description": "x",
        },
    )
    assert response.status_code == 400
    assert "is in the future" in response.content.decode()
    assert not DisasterEvent.objects.exists()


def test_deploy_end_log_close_through_the_page(operator, event, member):
    url = f"/tagana/events/{event.pk}/"
    r = operator.post(
        url + "deployments/", {"person": member.pk, "role": "kitchen", "start": "2024-10-20T08:00"}
    )
    assert r.status_code == 302
    d = Deployment.objects.get()
    assert d.start == at(D(2024, 10, 20), 8)
    r = operator.post(url + "close/", {"closed_on": "2024-10-21"})
    assert r.status_code == 400 and "This deployment has not ended" in r.content.decode()
    r = operator.post(f"/tagana/deployments/{d.pk}/end/", {"end": "2024-10-20T07:00"})
    assert r.status_code == 400 and "before the deployment started" in r.content.decode()
    assert (
        operator.post(f"/tagana/deployments/{d.pk}/end/", {"end": "2024-10-21T08:00"}).status_code
        == 302
    )
    r = operator.post(url + "log/", {"at": "2024-10-20T21:00", "text": "Dapur umum buka"})
    assert r.status_code == 302
    assert operator.post(url + "close/", {"closed_on": "2024-10-21"}).status_code == 302
    event.refresh_from_db()
    assert event.status == "closed"
    page = operator.get(url).content.decode()
    assert "Dapur umum buka" in page and "24.0 hours" in page
    assert "Deploy a member" not in page  # a closed event takes no more


def test_deploying_a_non_member_changes_nothing(operator, event, people):
    r = operator.post(
        f"/tagana/events/{event.pk}/deployments/",
        {"person": people["a1"].pk, "role": "kitchen", "start": "2024-10-20T08:00"},
    )
    assert r.status_code == 400  # not offered: the form refuses the choice
    assert not Deployment.objects.exists()


def test_scope_of_events(client, actors, event, make_event, member):
    other = make_event("wind", kelurahan="13.75.02.1001", description="Angin puting beliung")
    login(client, actors["coordinator_b"])
    page = client.get("/tagana/").content.decode()
    assert "Angin puting beliung" in page and "Banjir di tepi sungai" not in page
    assert client.get(f"/tagana/events/{event.pk}/").status_code == 404
    assert client.get(f"/tagana/events/{other.pk}/").status_code == 200
    # Writing is for the office: 403 even on an event in scope.
    assert (
        client.post(f"/tagana/events/{other.pk}/close/", {"closed_on": "2024-10-21"}).status_code
        == 403
    )


def test_a_tagana_member_sees_the_city_events_and_only_their_own_deployment(
    client, actors, by, event, make_member, make_user
):
    me, colleague = make_member("Saya Tagana"), make_member("Rekan Tagana")
    services.deployment_create(
        by=by, event=event, person=me, role="kitchen", start=at(D(2024, 10, 20))
    )
    services.deployment_create(
        by=by, event=event, person=colleague, role="kitchen", start=at(D(2024, 10, 20))
    )
    user = make_user("tagana-me", "pillar", person=me)
    User.objects.filter(pk=user.pk).update(language="en")
    login(client, user)
    page = client.get(f"/tagana/events/{event.pk}/").content.decode()
    assert "Saya Tagana" in page and "Rekan Tagana" not in page
    assert "1 other member was deployed" in page
    assert "Deploy a member" not in page
    roster = client.get("/tagana/roster/").content.decode()
    assert "Saya Tagana" in roster and "Rekan Tagana" not in roster
    # A PSM who is not in Tagana sees no event.
    client.logout()
    login(client, actors["pillar"])
    assert "Banjir di tepi sungai" not in client.get("/tagana/").content.decode()


def test_list_filters_and_exports(operator, event, make_event):
    make_event("fire", kelurahan="13.75.02.1001", description="Kebakaran pasar")
    page = operator.get("/tagana/", {"kind": "fire"}).content.decode()
    assert "Kebakaran pasar" in page and "Banjir di tepi sungai" not in page
    page = operator.get("/tagana/", {"area": "13.75.01"}).content.decode()
    assert "Banjir di tepi sungai" in page and "Kebakaran pasar" not in page
    page = operator.get("/tagana/", {"q": "pasar", "status": "open"}).content.decode()
    assert "Kebakaran pasar" in page and "Banjir" not in page
    rows = sheet(operator.get("/tagana/", {"kind": "fire", "format": "xlsx"}).content)
    assert rows[0][0] == "No." and len(rows) == 2 and rows[1][9] == "Kebakaran pasar"
    csv = operator.get("/tagana/", {"format": "csv"})
    assert csv.content.startswith(b"\xef\xbb\xbf") and csv.content.count(b"\n") == 3
    assert operator.get("/tagana/", {"format": "pdf"}).status_code == 400


def test_roster_shows_who_is_deployed_and_hours(operator, by, event, make_member, time_machine):
    time_machine.move_to(datetime.datetime(2024, 10, 22, 3, tzinfo=datetime.UTC))  # 10.00 WIB
    busy, free = make_member("Sibuk Tagana"), make_member("Luang Tagana")
    done = services.deployment_create(
        by=by,
        event=event,
        person=free,
        role="kitchen",
        start=at(D(2024, 10, 20), 8),
        end=at(D(2024, 10, 20), 20),
    )
    services.deployment_create(
        by=by, event=event, person=busy, role="evacuation", start=at(D(2024, 10, 21), 10)
    )
    page = operator.get("/tagana/roster/").content.decode()
    assert "Sibuk Tagana" in page and "since 21 October 2024" in page
    assert (
        operator.get("/tagana/roster/", {"status": "available"}).content.decode().count("Sibuk")
        == 0
    )
    rows = sheet(operator.get("/tagana/roster/", {"format": "xlsx"}).content)
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name["Sibuk Tagana"][4] == "Deployed" and by_name["Sibuk Tagana"][8] == 24.0
    assert by_name["Luang Tagana"][4] == "Available" and by_name["Luang Tagana"][8] == done.hours


def _events_and_members(first, last, make_member, make_event, by):
    for i in range(first, last):
        ev = make_event(description=f"Kejadian {i}")
        m = make_member(f"Anggota {i:02d}")
        services.deployment_create(
            by=by, event=ev, person=m, role="other", start=at(D(2024, 10, 20), 8)
        )


@pytest.mark.parametrize("url", ["/tagana/", "/tagana/roster/"])
def test_query_count_does_not_grow_with_rows(
    operator, url, make_member, make_event, by, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _events_and_members(0, 5, make_member, make_event, by)
    with CaptureQueriesContext(connection) as five:
        assert operator.get(url).status_code == 200
    _events_and_members(5, 20, make_member, make_event, by)
    with django_assert_num_queries(len(five)):
        page = operator.get(url).content.decode()
    assert ("Anggota 19" if "roster" in url else "Kejadian 19") in page
