"""/outcomes/: who may read it, what each role sees and opens, bad dates, the caveats, and a
number of queries that does not grow with the households."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pilar.accounts.models import Role
from pilar.outcomes.tests.conftest import AS_OF, D
from pilar.tests_support import login

pytestmark = pytest.mark.django_db
URL = f"/outcomes/?as_of={AS_OF.isoformat()}"


def section(body: str, testid: str, size: int = 12000) -> str:
    return body[body.index(f'data-testid="{testid}"') :][:size]


def test_staff_see_the_figures_with_links_to_the_households(client, actors, outcomes):
    login(client, actors["approver"])
    body = client.get(URL).content.decode()
    groups = section(body, "groups", 800)
    assert ">3</a></strong><span>Accompanied 6 months or more" in groups
    assert ">4</a></strong><span>Not (yet) accompanied" in groups
    link = "/households/?accompanied=6m&amp;decile_change=improved&amp;as_of=2025-12-15"
    assert f'<a href="{link}">2</a>' in section(body, "movement")
    assert "Fakir Miskin" in section(body, "by-category")
    # The link opens exactly the households the figure counts.
    listed = client.get(link.replace("&amp;", "&")).content.decode()
    assert "2 households" in listed
    closed = client.get(
        "/households/?accompanied=none&closed=any&category=24&as_of=2025-12-15"
    ).content.decode()
    assert "1 household" in closed


def test_the_page_says_what_the_figures_cannot_show(client, actors, outcomes):
    login(client, actors["viewer"])
    caveat = section(client.get(URL).content.decode(), "caveat", 2500)
    assert "association, not proof" in caveat
    assert "Households choose, and are chosen, to be accompanied" in caveat
    assert "Deciles arrive with DTSEN extracts and verification rounds, at irregular dates" in (
        caveat
    )


def test_a_viewer_gets_figures_without_links(client, actors, outcomes):
    login(client, actors["viewer"])
    body = client.get(URL).content.decode()
    assert "/households/?" not in body
    assert ">3</strong><span>Accompanied 6 months or more" in body


def test_a_coordinator_sees_their_kecamatan_only(client, actors, outcomes):
    login(client, actors["coordinator_a"])
    body = client.get(URL).content.decode()
    assert ">2</a></strong><span>Accompanied 6 months or more" in section(body, "groups", 800)
    login(client, actors["coordinator_b"])
    groups = section(client.get(URL).content.decode(), "groups", 800)
    assert ">1</a></strong><span>Accompanied 6 months or more" in groups
    assert ">0</a></strong><span>Not (yet) accompanied" in groups


def test_another_offices_user_sees_nothing_of_bukittinggi(
    client, make_user, other_office, outcomes
):
    user = make_user("padangpanjang", Role.ADMIN, office=other_office)
    user.language = "en"
    user.save(update_fields=["language"])
    login(client, user)
    body = client.get(URL).content.decode()
    assert re.findall(r'<strong class="big">(?:<a [^>]*>)?(\d+)', section(body, "groups")) == [
        "0",
        "0",
        "0",
    ]
    assert "Fakir Miskin" not in body
    listed = client.get("/households/?accompanied=none&as_of=2025-12-15").content.decode()
    assert "0 households" in listed


@pytest.mark.parametrize("role", ["pillar", "norole"])
def test_a_pillar_and_a_user_without_role_are_refused(client, actors, role):
    login(client, actors[role])
    assert client.get("/outcomes/").status_code == 403


def test_anonymous_goes_to_the_login(client, reference):
    response = client.get("/outcomes/")
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("value", ["1999-12-31", "2101-01-01", "kemarin", "2025-02-30"])
def test_a_date_out_of_range_is_a_400_naming_the_field(client, actors, value):
    login(client, actors["operator"])
    response = client.get(f"/outcomes/?as_of={value}")
    assert response.status_code == 400
    assert "as_of" in response.content.decode()


def test_queries_do_not_grow_with_the_households(client, actors, outcomes, make_home):
    login(client, actors["operator"])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        return len(queries)

    before = count()
    for n in range(6):
        make_home(deciles={D(2024, 3, 1): 1 + n, D(2025, 6, 1): 2 + n}, categories=[24])
    assert count() == before
    assert before <= 20


def test_the_dashboard_links_to_the_outcomes(client, actors):
    login(client, actors["viewer"])
    body = client.get("/dashboard/?as_of=2025-12-15").content.decode()
    assert '<p data-testid="outcomes-link"><a href="/outcomes/?as_of=2025-12-15">' in body
