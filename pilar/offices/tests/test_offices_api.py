"""GET /api/v1/offices: the offices a user may see (docs/OFFICE.md, "Many offices"), and an
office's area that no longer moves once others share the installation."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from pilar.accounts.models import Role
from pilar.audit.services import Actor
from pilar.offices.services import office_update
from pilar.regions.models import Area

pytestmark = pytest.mark.django_db


def names(client, user, query=""):
    client.force_login(user)
    response = client.get("/api/v1/offices" + query)
    assert response.status_code == 200
    return [(o["area_code"], o["hosts_others"]) for o in response.json()]


def test_anonymous_is_refused(client, office):
    assert client.get("/api/v1/offices").status_code == 401


def test_a_single_office_sees_itself(client, make_user, office):
    user = make_user("admin-1", Role.ADMIN)
    client.force_login(user)
    [only] = client.get("/api/v1/offices").json()
    assert only == {
        "id": office.pk,
        "name": office.name,
        "area_code": "13.75",
        "area_name": office.area.name,
        "level": 2,
        "hosts_others": False,
    }


def test_each_office_sees_itself_and_the_province_all(
    client, make_user, office, other_office, province_office
):
    bkt = make_user("op-bkt", Role.OPERATOR, office=office)
    pp = make_user("pillarless-pp", None, office=other_office)
    prov = make_user("prov-viewer", Role.VIEWER, office=province_office)
    assert names(client, bkt) == [("13.75", False)]
    assert names(client, pp) == [("13.74", False)]
    assert names(client, prov) == [("13", True), ("13.74", False), ("13.75", False)]
    # Paged like the other lists.
    assert names(client, prov, "?limit=1&offset=1") == [("13.74", False)]
    client.force_login(prov)
    assert client.get("/api/v1/offices?limit=0").status_code == 422


def test_two_kota_offices_without_a_province_see_only_themselves(
    client, make_user, office, other_office
):
    assert names(client, make_user("admin-bkt", Role.ADMIN)) == [("13.75", False)]
    assert names(client, make_user("admin-pp", Role.ADMIN, office=other_office)) == [
        ("13.74", False)
    ]


def test_the_area_of_an_office_is_fixed_once_others_share_the_installation(
    client, make_user, office, other_office
):
    admin = make_user("admin-pp", Role.ADMIN, office=other_office)
    with pytest.raises(ValidationError) as refused:
        office_update(
            by=Actor(user=admin), office=other_office, data={"area": Area.objects.get(code="13")}
        )
    assert "area" in refused.value.message_dict
    other_office.refresh_from_db()
    assert other_office.area.code == "13.74"
    client.force_login(admin)
    page = client.get("/office/")
    assert page.context["form"].fields["area"].disabled


def test_a_single_office_may_still_move(make_user, office):
    admin = make_user("admin-1", Role.ADMIN)
    office_update(by=Actor(user=admin), office=office, data={"area": Area.objects.get(code="13")})
    office.refresh_from_db()
    assert office.area.code == "13"
