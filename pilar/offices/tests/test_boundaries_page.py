"""The page "Kelurahan boundaries" (/office/boundaries/, docs/DASHBOARD.md "Map"): what
`pilar load-boundaries` does, for the office's administrator; a refused file changes nothing."""

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from pilar.accounts.models import Role
from pilar.audit.models import AuditEntry
from pilar.regions.models import AreaBoundary
from pilar.tests_support import login

pytestmark = pytest.mark.django_db
URL = "/office/boundaries/"
SQUARES = Path(__file__).parents[2] / "regions" / "tests" / "data" / "kelurahan_squares.geojson"


def upload(content: bytes, name: str = "batas.geojson") -> dict:
    return {"file": SimpleUploadedFile(name, content, "application/geo+json")}


def test_the_administrator_loads_the_office_boundaries(client, actors):
    login(client, actors["admin"])
    page = client.get(URL)
    assert page.status_code == 200
    body = page.content.decode()
    assert "0 of the office's 24 kelurahan have an outline." in body
    assert 'data-kind="tiles"' in body
    response = client.post(URL, upload(SQUARES.read_bytes(), "kelurahan.geojson"), follow=True)
    assert response.redirect_chain == [(URL, 302)]
    body = response.content.decode()
    assert "kelurahan.geojson loaded: 24 kelurahan outlined" in body
    assert "24 of the office's 24 kelurahan have an outline." in body
    assert "Loaded from kelurahan.geojson on" in body and "by admin1" in body
    assert 'data-kind="choropleth"' in body
    boundary = AreaBoundary.objects.get(area__code="13.75.01.1001")
    assert boundary.loaded_by == actors["admin"]
    entry = AuditEntry.objects.get(object_type="regions.areaboundary")
    assert entry.user == actors["admin"] and entry.source == "web"
    # Reached from the office settings.
    assert 'href="/office/boundaries/"' in client.get("/office/").content.decode()


def test_a_refused_file_is_explained_and_changes_nothing(client, actors, other_office):
    login(client, actors["admin"])
    client.post(URL, upload(SQUARES.read_bytes()))
    response = client.post(URL, upload(b"<kml>bukan json</kml>", "peta.kml"))
    assert response.status_code == 400
    body = response.content.decode()
    assert "peta.kml is not a GeoJSON file: it cannot be read as JSON" in body
    data = json.loads(SQUARES.read_text())
    data["features"][3]["properties"]["kode"] = "1374011001"
    response = client.post(URL, upload(json.dumps(data).encode()))
    body = response.content.decode()
    assert response.status_code == 400
    assert "batas.geojson was not loaded; nothing was changed." in body
    assert "Codes outside the office&#x27;s area Kota Bukittinggi (13.75): 13.74.01.1001." in body
    data["features"][3]["properties"]["kode"] = "1375011004"
    for feature in data["features"]:
        feature["properties"] = {"wilayah": feature["properties"]["kode"]}
    body = client.post(URL, upload(json.dumps(data).encode())).content.decode()
    assert "no feature has a kelurahan code" in body
    response = client.post(
        URL, {**upload(json.dumps(data).encode()), "code_property": "wilayah"}, follow=True
    )
    assert "24 kelurahan outlined" in response.content.decode()
    assert client.post(URL, {}).status_code == 400  # no file: the field says so
    assert set(AreaBoundary.objects.values_list("source", flat=True)) == {"batas.geojson"}


@pytest.mark.parametrize(
    "role", ["operator", "approver", "finance", "coordinator_a", "pillar", "viewer", "norole"]
)
def test_only_administrators_open_or_load(client, actors, role):
    login(client, actors[role])
    assert client.get(URL).status_code == 403
    assert client.post(URL, upload(SQUARES.read_bytes())).status_code == 403
    assert not AreaBoundary.objects.exists()


def test_anonymous_goes_to_the_login_and_other_methods_are_refused(client, actors):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    login(client, actors["admin"])
    assert client.put(URL).status_code == 405


def test_another_office_loads_only_within_its_own_area(client, make_user, other_office):
    admin = make_user("admin-pp", Role.ADMIN, office=other_office)
    admin.language = "en"
    admin.save()
    login(client, admin)
    body = client.get(URL).content.decode()
    assert "0 of the office's 2 kelurahan have an outline." in body
    response = client.post(URL, upload(SQUARES.read_bytes()))
    assert response.status_code == 400
    assert "Codes outside the office&#x27;s area Kota Padang Panjang (13.74)" in (
        response.content.decode()
    )
    assert not AreaBoundary.objects.exists()


def test_an_office_hosting_others_loads_none(client, make_user, province_office, other_office):
    """The province only sees: each kab/kota loads its own outlines (docs/OFFICE.md)."""
    login(client, make_user("prov-admin", Role.ADMIN, office=province_office))
    assert client.get(URL).status_code == 403
    assert client.post(URL, upload(SQUARES.read_bytes())).status_code == 403
    assert not AreaBoundary.objects.exists()
