"""Every figure opens the rows behind it: the list a figure links to holds as many rows."""

from __future__ import annotations

import pytest

from pilar.tests_support import login

pytestmark = pytest.mark.django_db


def listed(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    return len(list(response.context["page"]))


@pytest.mark.parametrize("level", ["kecamatan", "kelurahan", "person"])
def test_each_rows_figures_match_their_lists(client, actors, story, level):
    login(client, actors["admin"])
    table = client.get(f"/kinerja/?month=2024-10&level={level}").context["table"]
    checked = households = 0
    for line in table:
        row = line["row"]
        if line.get("activities"):
            assert listed(client, line["activities"]) == row.figures.activities, row.label
            checked += 1
        if line.get("follow_ups"):
            assert listed(client, line["follow_ups"]) == row.figures.follow_ups, row.label
        if level != "person" and line.get("unserved"):
            assert listed(client, line["unserved"]) == row.unserved, row.label
        if level != "person" and line.get("households"):
            # Households in a caseload on the window's last day (once: all active households).
            assert listed(client, line["households"]) == row.figures.caseload, row.label
            households += row.figures.caseload
        # No list holds twelve months of reports: the figure links to none.
        assert not line.get("reports")
    assert checked
    assert level == "person" or households


def test_a_months_column_opens_that_months_activities(client, actors, story):
    login(client, actors["coordinator_a"])
    page = client.get("/kinerja/?month=2024-10")
    chart = page.context["charts"][0]
    september = next(r for r in chart.rows if r.label == "09/24")
    assert september.link == "/activities/?month=2024-09"
    # Within the coordinator's kecamatan: a1's and the TKSK's September activities.
    assert listed(client, september.link) == 2


def test_the_list_filters_refuse_a_bad_month(client, actors, story):
    login(client, actors["admin"])
    for query in ("from=2024-13", "to=3000-01", "due=x", "due=2024-10&due_from=1999-01"):
        response = client.get(f"/activities/?{query}")
        assert response.status_code == 400, query
    assert client.get("/households/?unserved=1&on=2024-02-30").status_code == 400
    assert client.get("/households/?caseload_on=kemarin").status_code == 400
