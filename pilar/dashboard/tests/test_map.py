"""The dashboard's map (docs/DASHBOARD.md, "Map"): active duties per kelurahan as of the date,
as a tile grid until the office loads its boundaries, each kelurahan opening the people serving
there only for roles that may open the people list."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from pilar.accounts.models import User
from pilar.tests_support import login

pytestmark = pytest.mark.django_db

SQUARES = Path(__file__).parents[2] / "regions" / "tests" / "data" / "kelurahan_squares.geojson"


def the_map(body: str) -> str:
    # One map, in the page (not in its <title>, where a merge once put it too).
    assert body.count('data-testid="dashboard-map"') == 1
    assert "<svg" not in body.split("</title>")[0]
    start = body.index('data-testid="dashboard-map"')
    return body[start : body.index("</section>", start)]


@pytest.fixture
def english_users(actors):
    User.objects.update(language="en")
    return actors


def test_staff_see_every_kelurahan_linked_to_the_people_serving_there(client, english_users):
    login(client, english_users["operator"])
    page = client.get("/dashboard/?as_of=2024-10-22")
    assert page.status_code == 200
    body = the_map(page.content.decode())
    assert "Active duties per kelurahan on 22 October 2024" in body
    assert 'data-kind="tiles"' in body and body.count("<rect ") == 24
    # Ani's kelurahan counts her; the TKSK of the kecamatan counts in no kelurahan.
    assert "<title>Tarok Dipo: 1</title>" in body
    assert "<title>Pakan Kurai: 0</title>" in body
    link = "/pillars/?active_on=2024-10-22&amp;area=13.75.01.1001"
    assert f'<a href="{link}" tabindex="-1">' in body  # the tile
    assert f'<a href="{link}">1</a>' in body  # the table's row
    people = client.get(link.replace("&amp;", "&")).content.decode()
    assert "Ani Kecamatan A" in people and "Budi Kecamatan A" not in people


def test_a_viewer_gets_the_figures_without_links(client, english_users):
    login(client, english_users["viewer"])
    body = the_map(client.get("/dashboard/").content.decode())
    assert body.count("<rect ") == 24 and "<title>Tarok Dipo: 1</title>" in body
    assert "/pillars/" not in body and "<a " not in body
    assert client.get("/pillars/?area=13.75.01.1001").status_code == 403


def test_a_coordinator_sees_their_kecamatan_alone(client, english_users):
    login(client, english_users["coordinator_b"])
    body = the_map(client.get("/dashboard/?as_of=2024-10-22").content.decode())
    assert body.count("<rect ") == 9  # Mandiangin Koto Selayan's kelurahan
    assert "Tarok Dipo" not in body
    assert "<title>Campago Guguk Bulek: 1</title>" in body
    assert "/pillars/?active_on=2024-10-22&amp;area=13.75.02.1001" in body


def test_others_do_not_reach_the_dashboard(client, english_users):
    assert client.get("/dashboard/").status_code == 302  # to the login page
    login(client, english_users["norole"])
    assert client.get("/dashboard/").status_code == 403
    login(client, english_users["pillar"])
    assert client.get("/dashboard/").status_code == 403


def test_with_the_office_boundaries_a_choropleth(client, english_users):
    call_command("load_boundaries", str(SQUARES), stdout=io.StringIO())
    login(client, english_users["admin"])
    body = the_map(client.get("/dashboard/").content.decode())
    assert 'data-kind="choropleth"' in body
    assert body.count("<path ") == 24 and "<rect " not in body
    assert '<g class="map-c5"><title>Tarok Dipo: 1</title><path d="M' in body


def test_the_map_costs_the_same_queries_with_or_without_boundaries(
    client, english_users, make_person
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login(client, english_users["viewer"])
    client.get("/dashboard/")
    make_person("Tambahan")  # an audited write: the figures are counted again
    with CaptureQueriesContext(connection) as tiles:
        assert 'data-kind="tiles"' in client.get("/dashboard/").content.decode()
    call_command("load_boundaries", str(SQUARES), stdout=io.StringIO())  # audited too
    with CaptureQueriesContext(connection) as outlines:
        assert 'data-kind="choropleth"' in client.get("/dashboard/").content.decode()
    assert len(outlines) == len(tiles)
    assert sum("regions_areaboundary" in q["sql"] for q in outlines.captured_queries) == 1
