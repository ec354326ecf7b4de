"""Tagana rules found by review, each tried with the input that broke it."""

import datetime
import zoneinfo

import pytest

from pilar.accounts.models import Role, User
from pilar.tagana.models import Deployment, DisasterEvent, EventLogEntry
from pilar.tests_support import login

pytestmark = pytest.mark.django_db
JAKARTA = zoneinfo.ZoneInfo("Asia/Jakarta")


@pytest.fixture
def operator(client, actors):
    User.objects.update(language="en")
    login(client, actors["operator"])
    return client


def test_a_time_without_offset_is_the_office_s_time(operator, event, member):
    response = operator.post(
        f"/api/v1/tagana/events/{event.pk}/deployments",
        {"person_id": member.pk, "role": "kitchen", "start": "2024-10-20T09:00:00"},
        content_type="application/json",
    )
    assert response.status_code == 201
    start = Deployment.objects.get().start
    assert start.astimezone(JAKARTA).replace(tzinfo=None) == datetime.datetime(2024, 10, 20, 9)
    log = operator.post(
        f"/api/v1/tagana/events/{event.pk}/log",
        {"at": "2024-10-20T10:00:00", "text": "Dapur umum dibuka"},
        content_type="application/json",
    )
    assert log.status_code == 201 and EventLogEntry.objects.count() == 1


def test_a_year_far_off_is_refused_by_name(operator, event, member):
    response = operator.post(
        f"/api/v1/tagana/events/{event.pk}/deployments",
        {"person_id": member.pk, "role": "kitchen", "start": "9999-12-31T23:00:00-05:00"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "start" in response.json()["errors"]
    assert not Deployment.objects.exists()


def test_negative_offsets_are_refused(operator, event):
    assert operator.get("/api/v1/tagana/events?offset=-1").status_code == 422
    assert operator.get("/api/v1/tagana/roster?offset=-1").status_code == 422


def test_an_operator_of_one_kecamatan_records_events_only_there(client, make_user, area):
    operator_a = make_user("op-a", Role.OPERATOR, area="13.75.01")
    User.objects.filter(pk=operator_a.pk).update(language="en")
    login(client, operator_a)
    response = client.post(
        "/api/v1/tagana/events",
        {
            "kind": "fire",
            "started_on": "2024-10-20",
            "area_code": "13.75.02.1001",
            "description": "Kebakaran",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "outside your area" in response.json()["message"]
    assert not DisasterEvent.objects.exists()


def test_no_name_from_outside_the_area_through_an_id(client, make_user, event, people):
    operator_a = make_user("op-a", Role.OPERATOR, area="13.75.01")
    login(client, operator_a)
    response = client.post(
        f"/api/v1/tagana/events/{event.pk}/deployments",
        {"person_id": people["b1"].pk, "role": "kitchen", "start": "2024-10-20T09:00:00+07:00"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert people["b1"].name not in response.content.decode()
