"""The leadership view: figures that agree with the pages behind them, and never a name."""

import pytest

from pilar.accounts.models import Role, User
from pilar.stipends.tests.scenario import months_in_every_state
from pilar.tests_support import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(rates, banked, by, actors):
    made = months_in_every_state(banked, by)
    User.objects.update(language="en")
    return made


def section(body: str, testid: str, size: int = 1500) -> str:
    return body[body.index(f'data-testid="{testid}"') :][:size]


def test_staff_see_the_stipend_panel_with_links(client, actors, paid):
    login(client, actors["approver"])
    page = client.get("/dashboard/")
    assert page.status_code == 200
    body = page.content.decode()
    money = section(body, "money-APBD")
    assert "Rp1,200,000 paid" in money and "Rp400,000 in a batch" in money
    assert "ceiling Rp100,000,000" in money and "Rp98,400,000 left" in money
    assert '<strong class="num">2%</strong>' in money  # 1.6 million of 100 million
    assert "52 days" in section(body, "delay-PSM", 400)
    psm = section(body, "owed-PSM")
    assert '<a href="/stipends/arrears/?kind=PSM">27</a>' in psm
    assert '<a href="/stipends/arrears/?kind=PSM&amp;state=blocked">25</a>' in psm
    assert '<a href="/stipends/arrears/?list=1">37</a>' in section(body, "headline-owed")
    assert 'href="/stipends/arrears/"' in body
    # The headline figures open the pages they come from.
    assert 'href="/headcount/?as_of=2024-11-20" data-testid="headline-headcount">' in body
    assert 'href="/casework/?month=2024-10" data-testid="headline-casework"' in body
    assert "4</strong>\n    <span>active duties on 20 November 2024" in body


def test_dashboard_as_of_an_earlier_day(client, actors, paid, banked):
    login(client, actors["operator"])
    body = client.get("/dashboard/?as_of=2022-12-31").content.decode()
    assert "0</strong>\n    <span>active duties on 31 December 2022" in body
    assert 'href="/headcount/?as_of=2022-12-31"' in body
    body = client.get("/dashboard/?as_of=kemarin").content.decode()
    assert "kemarin is not a date; write it as YYYY-MM-DD." in body


def test_viewer_sees_aggregates_but_no_names_and_no_list(client, actors, paid, banked):
    login(client, actors["viewer"])
    page = client.get("/dashboard/")
    assert page.status_code == 200
    body = page.content.decode()
    assert page.context["office"].by_kind[0].total == 27
    assert "Rp1,200,000 paid" in section(body, "money-APBD")
    assert "52 days" in section(body, "delay-PSM", 400)
    for person in banked.values():
        assert person.name not in body
    assert "/stipends/arrears/" not in body and "/stipends/people/" not in body
    # The rows behind the figures stay closed to them.
    assert client.get("/stipends/arrears/?kind=PSM").status_code == 403


def test_a_coordinator_sees_their_kecamatan_without_the_ceiling(client, actors, paid):
    login(client, actors["coordinator_b"])
    page = client.get("/dashboard/")
    office = page.context["office"]
    assert office.total.total == 10 and not office.office_wide  # b1's months
    assert [m.ceiling for m in office.money] == []  # kecamatan B has nothing paid
    login(client, actors["coordinator_a"])
    office = client.get("/dashboard/").context["office"]
    assert office.total.total == 27  # a1 7, a2 10, the TKSK 10
    money = office.money[0]
    assert (money.paid, money.in_process, money.ceiling) == (1_200_000, 400_000, None)


def test_dashboard_roles(client, actors, paid, make_user):
    assert client.get("/dashboard/").status_code == 302
    for role in ("pillar", "norole"):
        login(client, actors[role])
        assert client.get("/dashboard/").status_code == 403, role
    login(client, make_user("viewer-a", Role.VIEWER, area="13.75.01"))
    assert client.get("/dashboard/").context["office"].total.total == 27


def test_dashboard_without_rates_says_so(client, actors):
    User.objects.update(language="en")
    login(client, actors["admin"])
    body = client.get("/dashboard/").content.decode()
    assert "No tali kasih rate is set yet: nothing is owed." in body
    assert "No budget ceiling and no payment this year yet." in body


def test_dashboard_queries_are_bounded(
    client, actors, paid, make_person, make_assignment, django_assert_max_num_queries
):
    for n in range(20):
        person = make_person(f"Tambahan {n:02d}", kelurahan="13.75.03.1001")
        make_assignment(person, "PSM", "13.75.03.1001")
    login(client, actors["viewer"])
    with django_assert_max_num_queries(23):
        page = client.get("/dashboard/")
    assert page.context["office"].by_kind[0].total == 27 + 20 * 10
