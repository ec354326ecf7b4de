"""Verivali rounds on an installation of many offices (docs/OFFICE.md, "Many offices";
docs/VERIVALI.md): a round is the office's that opened it, visits only its area, is reached by id
from no other office; the province follows every office's rounds and opens or closes none."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from pilar.accounts.models import Role
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor
from pilar.tests_support import login
from pilar.verivali import services
from pilar.verivali.models import Round

from .conftest import D, make_kk

pytestmark = pytest.mark.django_db


@pytest.fixture
def pp_operator(make_user, other_office):
    return make_user("op-pp", Role.OPERATOR, office=other_office)


@pytest.fixture
def pp_household(make_household, other_office):
    return make_household("13.74.01.1001", head="Pak Padang", kk_number=make_kk("137401"))


def open_for(by, **data):
    return services.round_open(
        by=by,
        data={
            "name": data.pop("name", "Verivali Padang Panjang"),
            "period_start": D(2026, 3, 1),
            "period_end": D(2026, 3, 31),
            **data,
        },
    )


def test_a_round_is_its_offices_and_visits_only_its_area(
    households, pp_household, pp_operator, other_office
):
    pp_round = open_for(Actor(user=pp_operator))
    assert pp_round.office == other_office
    assert [v.household for v in pp_round.visits.all()] == [pp_household]
    entry = AuditEntry.objects.filter(object_type="verivali.round", object_id=str(pp_round.pk))
    assert entry.get().office == other_office


def test_a_rounds_areas_must_lie_within_the_office(households, pp_operator, area):
    with pytest.raises(ValidationError) as refused:
        open_for(Actor(user=pp_operator), areas=[area("13.75.01")])
    assert "areas" in refused.value.message_dict
    assert not Round.objects.exists()


def test_another_offices_round_is_not_found_by_id_nor_listed(
    client, households, pp_household, pp_operator, actors, round
):
    pp_round = open_for(Actor(user=pp_operator), name="Verivali PP Maret")
    login(client, actors["operator"])  # Bukittinggi's
    for url in (
        reverse("verivali:round-detail", args=[pp_round.pk]),
        reverse("verivali:round-visits", args=[pp_round.pk]),
        reverse("verivali:round-results", args=[pp_round.pk]),
        f"/api/v1/verivali/rounds/{pp_round.pk}/progress",
    ):
        assert client.get(url).status_code == 404, url
    visit = pp_round.visits.get()
    assert client.get(reverse("verivali:visit-assign", args=[visit.pk])).status_code == 404
    response = client.post(reverse("verivali:round-close", args=[pp_round.pk]), {"force": "on"})
    assert response.status_code == 404
    assert Round.objects.get(pk=pp_round.pk).status == Round.Status.OPEN
    assert "Verivali PP Maret" not in client.get(reverse("verivali:round-list")).content.decode()
    assert [r["id"] for r in client.get("/api/v1/verivali/rounds").json()] == [round.pk]
    # Its own office reaches it.
    client.logout()
    login(client, pp_operator)
    assert client.get(reverse("verivali:round-detail", args=[pp_round.pk])).status_code == 200
    assert [r["id"] for r in client.get("/api/v1/verivali/rounds").json()] == [pp_round.pk]


def test_the_province_follows_every_offices_rounds_and_acts_on_none(
    client, households, pp_household, pp_operator, round, make_user, province_office
):
    pp_round = open_for(Actor(user=pp_operator), name="Verivali PP Maret")
    prov = make_user("prov-admin", Role.ADMIN, office=province_office)
    login(client, prov)
    listed = client.get(reverse("verivali:round-list")).content.decode()
    assert "Verivali PP Maret" in listed and round.name in listed
    assert client.get(reverse("verivali:round-detail", args=[pp_round.pk])).status_code == 200
    assert client.get(reverse("verivali:round-create")).status_code == 403
    response = client.post(
        reverse("verivali:round-create"),
        {"name": "Provinsi", "period_start": "2026-03-01", "period_end": "2026-03-31"},
    )
    assert response.status_code == 403
    response = client.post(reverse("verivali:round-close", args=[pp_round.pk]), {"force": "on"})
    assert response.status_code == 403
    assert Round.objects.get(pk=pp_round.pk).status == Round.Status.OPEN
    assert Round.objects.count() == 2


def test_a_round_takes_only_its_own_offices_extract(households, pp_operator, office):
    from pilar.dtsen.models import HouseholdImport

    theirs = HouseholdImport.objects.create(
        office=office,
        file="extracts/2026/x.xlsx",
        filename="x.xlsx",
        size=1,
        sha256="0" * 64,
        file_format="xlsx",
        status="committed",
    )
    with pytest.raises(ValidationError) as refused:
        open_for(Actor(user=pp_operator), source_import=theirs)
    assert "another office's" in refused.value.message_dict["source_import"][0]
    assert not Round.objects.exists()
