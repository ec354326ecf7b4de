"""Tagana events on an installation of many offices (docs/OFFICE.md, "Many offices"): an event
is its kelurahan's office's, reached by id from no other office; the province sees every
office's events and records or closes none."""

from __future__ import annotations

import pytest

from pilar.accounts.models import Role
from pilar.audit.services import Actor
from pilar.tagana import services
from pilar.tagana.models import DisasterEvent
from pilar.tests_support import login

from .conftest import EVENT_DAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def pp_operator(make_user, other_office):
    return make_user("op-pp", Role.OPERATOR, office=other_office)


@pytest.fixture
def pp_event(pp_operator, area):
    return services.event_create(
        by=Actor(user=pp_operator),
        kind="flood",
        started_on=EVENT_DAY,
        area=area("13.74.01.1001"),
        description="Galodo di Padang Panjang",
    )


def test_an_office_records_no_event_in_another_offices_area(pp_operator, area):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises((PermissionDenied, ValidationError)):
        services.event_create(
            by=Actor(user=pp_operator),
            kind="flood",
            started_on=EVENT_DAY,
            area=area("13.75.01.1001"),
            description="Banjir di Bukittinggi",
        )
    assert not DisasterEvent.objects.exists()


def test_another_offices_event_is_not_found_by_id_nor_listed(
    client, actors, event, pp_event, pp_operator
):
    login(client, actors["operator"])  # Bukittinggi's office-wide operator
    for url in (f"/tagana/events/{pp_event.pk}/", f"/api/v1/tagana/events/{pp_event.pk}"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/tagana/events/{pp_event.pk}/close/").status_code == 404
    assert "Galodo di Padang Panjang" not in client.get("/tagana/").content.decode()
    listed = {e["id"] for e in client.get("/api/v1/tagana/events").json()}
    assert listed == {event.pk}
    login(client, pp_operator)
    assert client.get(f"/tagana/events/{pp_event.pk}/").status_code == 200
    assert client.get(f"/tagana/events/{event.pk}/").status_code == 404


def test_the_province_sees_every_offices_events_and_acts_on_none(
    client, event, pp_event, make_user, province_office
):
    login(client, make_user("prov-admin", Role.ADMIN, office=province_office))
    listed = {e["id"] for e in client.get("/api/v1/tagana/events").json()}
    assert listed == {event.pk, pp_event.pk}
    assert client.get(f"/tagana/events/{pp_event.pk}/").status_code == 200
    assert client.get("/tagana/events/new/").status_code == 403
    assert client.post(f"/tagana/events/{pp_event.pk}/close/").status_code == 403
    assert client.post(f"/tagana/events/{pp_event.pk}/log/", {"text": "x"}).status_code == 403
    answer = client.post(
        f"/api/v1/tagana/events/{pp_event.pk}/close",
        {"closed_on": "2024-10-25"},
        content_type="application/json",
    )
    assert answer.status_code == 403
    assert DisasterEvent.objects.get(pk=pp_event.pk).status == DisasterEvent.Status.OPEN
