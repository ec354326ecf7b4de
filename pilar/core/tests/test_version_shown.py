"""The release shows in the page footer and in the API."""

import pilar
from pilar.tests_support import login


def test_the_footer_shows_the_release(client, actors):
    login(client, actors["operator"])
    page = client.get("/pillars/").content.decode()
    footer = page[page.index("<footer>") :]
    assert f"Pilar {pilar.__version__}" in footer


def test_the_api_answers_its_release(client, actors):
    login(client, actors["viewer"])
    assert client.get("/api/v1/version").json() == {"version": pilar.__version__, "api": "1"}
    # Listed in the API's description for clients; the API's own version is unchanged.
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["info"]["version"] == "1" and "/api/v1/version" in schema["paths"]


def test_the_api_version_needs_a_caller(client):
    assert client.get("/api/v1/version").status_code == 401
