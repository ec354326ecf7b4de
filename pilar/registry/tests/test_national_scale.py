"""Registry pages built to hold at national scale (docs/PERFORMANCE.md, "Pages at national
scale"): the headcount's kelurahan table folded by kecamatan with totals that still agree,
counts that say "about" beyond what is counted exactly, exports whose rows are the list's and
whose queries do not grow with the rows."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from pilar.lib import paging
from pilar.registry import views
from pilar.tests_support import login

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_users(actors):
    from pilar.accounts.models import User

    User.objects.update(language="en")


def test_headcount_folds_kelurahan_by_kecamatan_and_totals_agree(
    client, actors, people, monkeypatch
):
    login(client, actors["operator"])
    whole = client.get("/headcount/", {"as_of": "2024-10-22"})
    assert not whole.context["folded"]
    monkeypatch.setattr(views, "FOLD_ROWS", 1)
    folded = client.get("/headcount/", {"as_of": "2024-10-22"})
    html = folded.content.decode()
    assert folded.context["by_kelurahan"] == [] and 'id="by-kelurahan"' not in html
    assert "open=13.75.01#by-kelurahan" in html  # the kecamatan opens from its row
    opened = client.get("/headcount/", {"as_of": "2024-10-22", "open": "13.75.01"})
    rows = [r for r, _cells in opened.context["by_kelurahan"]]
    assert rows == [
        r for r, _cells in whole.context["by_kelurahan"] if r.kecamatan_code == "13.75.01"
    ]
    kecamatan = opened.context["opened_row"]
    assert sum(r.total for r in rows) == kecamatan.total == 3  # 2 PSM + the TKSK
    assert "Total of" in opened.content.decode()
    # Every figure still links to the people behind it.
    assert "/pillars/?active_on=2024-10-22&amp;kind=PSM&amp;area=13.75.01.1001" in (
        opened.content.decode()
    )
    # An unknown kecamatan opens nothing.
    assert client.get("/headcount/", {"open": "99"}).context["by_kelurahan"] == []


def test_person_list_counts_exactly_up_to_the_bound_then_about(client, actors, people, monkeypatch):
    login(client, actors["operator"])
    monkeypatch.setattr(paging, "EXACT_UP_TO", 2)
    page = client.get("/pillars/")
    # Past the bound the count is at least the bound + 1, whatever the planner guesses for a
    # table this small (its estimate varies with when the statistics were last gathered).
    assert page.context["people_count"] >= 3
    html = page.content.decode()
    if connection.vendor == "postgresql":  # the planner's estimate, said as such
        assert page.context["page"].paginator.estimated and "about" in html
    else:  # SQLite has no estimate: it counts
        assert page.context["people_count"] == 4 and "about" not in html
    monkeypatch.setattr(paging, "EXACT_UP_TO", 10_000)
    exact = client.get("/pillars/")
    assert exact.context["people_count"] == 4 and not exact.context["page"].paginator.estimated


def test_person_export_rows_equal_the_list_and_queries_stay_constant(
    client, actors, people, make_person, make_assignment
):
    login(client, actors["operator"])

    def export():
        with CaptureQueriesContext(connection) as captured:
            body = client.get("/pillars/", {"format": "csv"}).content
        return len(captured), list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[1:]

    few, _ = export()
    for i in range(5):
        p = make_person(f"Tambahan {i}", kelurahan="13.75.01.1002")
        make_assignment(p, "PSM", "13.75.01.1002")
    many, rows = export()
    assert many == few
    listed = client.get("/pillars/").context["page"]
    assert [r[1] for r in rows] == [p.name for p in listed]


def test_forms_take_an_area_code_when_areas_are_too_many_for_a_list(
    client, actors, people, monkeypatch
):
    from pilar.regions import choices
    from pilar.registry.forms import AssignmentForm, PersonForm

    login(client, actors["operator"])
    assert '<select name="residence"' in client.get("/pillars/new/").content.decode()
    monkeypatch.setattr(choices, "MAX_AREA_CHOICES", 2)
    html = client.get("/pillars/new/").content.decode()
    assert '<select name="residence"' not in html and 'name="residence"' in html
    form = PersonForm({"residence": "13.75.01.1002"})
    form.is_valid()
    assert form.cleaned_data["residence"].code == "13.75.01.1002"
    with translation.override("en"):  # the pages above left the user's language active
        form = AssignmentForm({"area": "99.99"})
        assert not form.is_valid()
        assert form.errors["area"] == ["No area you may choose has this code."]
    # Filters list the levels above kelurahan only.
    filters = client.get("/pillars/").content.decode()
    assert 'value="13.75.01"' in filters and 'value="13.75.01.1002"' not in filters
