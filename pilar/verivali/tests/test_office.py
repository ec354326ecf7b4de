import pytest
from django.urls import reverse
from python_calamine import CalamineWorkbook

from pilar.audit.models import AuditEntry
from pilar.tests_support import login
from pilar.verivali.models import Round, Visit

from .conftest import visit_of
from .test_services import accept, record

pytestmark = pytest.mark.django_db


def pages(round, visit):
    return {
        "list": reverse("verivali:round-list"),
        "detail": reverse("verivali:round-detail", args=[round.pk]),
        "visits": reverse("verivali:round-visits", args=[round.pk]) + "?state=outstanding",
        "create": reverse("verivali:round-create"),
        "assign": reverse("verivali:visit-assign", args=[visit.pk]),
        "results": reverse("verivali:round-results", args=[round.pk]),
    }


FOLLOW = {"list", "detail", "visits"}


@pytest.mark.parametrize("name", ["list", "detail", "visits", "create", "assign", "results"])
def test_page_permissions(client, round, households, actors, name):
    url = pages(round, visit_of(round, households["h9"]))[name]
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]
    for role in ("pillar", "viewer", "norole"):
        client.logout()
        login(client, actors[role])
        assert client.get(url).status_code == 403, role
    client.logout()
    login(client, actors["coordinator_a"])
    assert client.get(url).status_code == (200 if name in FOLLOW else 403)
    client.logout()
    login(client, actors["operator"])
    assert client.get(url).status_code == 200


def test_opening_a_round_through_the_form(client, households, actors, area):
    login(client, actors["operator"])
    response = client.post(
        reverse("verivali:round-create"),
        {
            "name": "Verivali Kec. A",
            "period_start": "2026-03-01",
            "period_end": "2026-03-31",
            "areas": [area("13.75.01").pk],
            "deciles": ["2", "5"],
        },
    )
    round = Round.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("verivali:round-detail", args=[round.pk])
    assert round.visits.count() == 4


def test_a_refused_round_shows_the_reason_and_saves_nothing(client, households, actors):
    login(client, actors["operator"])
    response = client.post(
        reverse("verivali:round-create"),
        {"name": "X", "period_start": "2026-03-10", "period_end": "2026-03-01"},
    )
    assert response.status_code == 400
    assert "on or after the day it starts" in response.content.decode()
    assert not Round.objects.exists()


def test_progress_figures_link_to_their_visits(client, round, households, actors, people):
    accept(actors["coordinator_a"], record(actors["pillar"], visit_of(round, households["h1"])))
    login(client, actors["operator"])
    page = client.get(reverse("verivali:round-detail", args=[round.pk])).content.decode()
    base = reverse("verivali:round-visits", args=[round.pk])
    area_id = households["h1"].area_id
    assert f'href="{base}?area={area_id}&amp;state=accepted">1<' in page
    assert f'href="{base}?person={people["a1"].pk}&amp;state=outstanding">1<' in page
    assert f'href="{base}?person=0">1<' in page  # h9, not assigned
    listed = client.get(f"{base}?area={area_id}&state=accepted")
    assert [v.household for v, _row in listed.context["page"].object_list] == [households["h1"]]


def test_the_coordinator_follows_their_kecamatan_only(client, round, households, actors):
    login(client, actors["coordinator_b"])
    response = client.get(reverse("verivali:round-visits", args=[round.pk]))
    shown = [v.household for v, _row in response.context["page"].object_list]
    assert shown == [households["hb"]]


def test_visit_list_exports_are_audited_and_masked(client, round, households, actors):
    login(client, actors["operator"])
    response = client.get(reverse("verivali:round-visits", args=[round.pk]) + "?format=csv")
    body = b"".join(response.streaming_content if response.streaming else [response.content])
    text = body.decode("utf-8-sig")
    assert households["h1"].kk_number not in text and households["h1"].masked_kk in text
    assert len(text.strip().splitlines()) == 6
    assert AuditEntry.objects.filter(object_type="verivali.visit").exists()


def test_assigning_and_closing(client, round, households, actors, people):
    visit = visit_of(round, households["h9"])
    login(client, actors["operator"])
    url = reverse("verivali:visit-assign", args=[visit.pk])
    form = client.get(url).context["form"]
    assert list(form.fields["person"].queryset) == [people["tksk_a"]]
    response = client.post(url, {"person": people["tksk_a"].pk})
    assert response.status_code == 302
    assert Visit.objects.get(pk=visit.pk).person == people["tksk_a"]
    record(actors["pillar"], visit_of(round, households["h1"]))
    close = reverse("verivali:round-close", args=[round.pk])
    refused = client.post(close, {})
    assert refused.status_code == 400 and "1 findings still wait" in refused.content.decode()
    assert client.post(close, {"force": "on"}).status_code == 302
    round.refresh_from_db()
    assert round.status == "closed"


def test_results_download_is_audited(client, round, households, actors):
    accept(
        actors["coordinator_a"],
        record(actors["pillar"], visit_of(round, households["h1"]), kind="moved", moved_to="Agam"),
    )
    login(client, actors["operator"])
    response = client.get(reverse("verivali:round-results", args=[round.pk]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    import io

    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    rows = book.get_sheet_by_name("Perubahan").to_python()
    assert len(rows) == 2 and rows[1][-3] == "Pindah"
    entry = AuditEntry.objects.get(object_type="verivali.results")
    assert entry.action == "view_personal" and "1" in entry.object_repr


def test_round_pages_read_a_bounded_number_of_queries(
    client, round, households, actors, django_assert_max_num_queries
):
    login(client, actors["operator"])
    with django_assert_max_num_queries(20):
        assert client.get(reverse("verivali:round-detail", args=[round.pk])).status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get(reverse("verivali:round-visits", args=[round.pk])).status_code == 200


def test_many_kelurahan_are_grouped_a_level_up_and_open_one_below(
    client, round, households, actors, area, monkeypatch
):
    from pilar.verivali import selectors

    monkeypatch.setattr(selectors, "AREA_ROWS", 2)  # four kelurahan in two kecamatan
    login(client, actors["operator"])
    url = reverse("verivali:round-detail", args=[round.pk])
    base = reverse("verivali:round-visits", args=[round.pk])
    kec_a, kec_b = area("13.75.01"), area("13.75.02")
    response = client.get(url)
    rows = response.context["by_area"]["rows"]
    assert [(label, drill) for label, drill, _cells in rows] == [
        (kec_a.name, f"{url}?area={kec_a.pk}"),
        (kec_b.name, f"{url}?area={kec_b.pk}"),
    ]
    assert [cells[0][0] for _l, _d, cells in rows] == [4, 1]
    assert f'href="{base}?area={kec_a.pk}">4<' in response.content.decode()
    # The kecamatan's figure opens its four households; the kecamatan opens its kelurahan.
    listed = client.get(f"{base}?area={kec_a.pk}").context["page"].object_list
    assert {v.household for v, _row in listed} == {households[k] for k in ("h1", "h2", "h3", "h9")}
    inside = client.get(f"{url}?area={kec_a.pk}")
    assert [label for label, drill, _c in inside.context["by_area"]["rows"]] == sorted(
        area(code).name for code in ("13.75.01.1001", "13.75.01.1002", "13.75.01.1003")
    )
    assert all(drill is None for _l, drill, _c in inside.context["by_area"]["rows"])
    pillars = {label for label, _d, _c in inside.context["by_person"]["rows"]}
    assert "Citra Kecamatan B" not in pillars and "Ani Kecamatan A" in pillars
    assert 'data-testid="within"' in inside.content.decode()
    # Inside an area, every figure opens the visits of that area only.
    links = [url for _l, _d, cells in inside.context["by_person"]["rows"] for _v, url in cells]
    links += [url for _v, url in inside.context["by_person"]["totals"]]
    assert links and all(f"area={kec_a.pk}" in url for url in links)


def test_the_pillars_of_a_round_are_paged(client, round, households, actors, monkeypatch):
    from pilar.verivali.views import office

    monkeypatch.setattr(office, "PILLARS_PER_PAGE", 2)
    login(client, actors["operator"])
    url = reverse("verivali:round-detail", args=[round.pk])
    first = client.get(url)
    second = client.get(f"{url}?page=2")
    names = [[label for label, _d, _c in r.context["by_person"]["rows"]] for r in (first, second)]
    assert len(names[0]) == 2 and names[1] and not set(names[0]) & set(names[1])
    assert "page=2" in first.content.decode()
    # The totals stay the round's, whatever the page.
    assert first.context["by_person"]["totals"][0][0] == 5


@pytest.mark.parametrize(
    ("query", "status"),
    [("area=abc", 400), ("area=99999999999999999999", 400), ("page=0", 400), ("area=999999", 404)],
)
def test_round_page_refuses_a_bad_area_or_page(client, round, actors, query, status):
    login(client, actors["operator"])
    url = reverse("verivali:round-detail", args=[round.pk])
    assert client.get(f"{url}?{query}").status_code == status


def test_the_visit_list_refuses_an_id_beyond_the_database(client, round, actors):
    login(client, actors["operator"])
    url = reverse("verivali:round-visits", args=[round.pk])
    for query in ("person=99999999999999999999", "area=-3", "person=abc"):
        # The list's own way with a bad filter: the page, its field's error, no rows.
        response = client.get(f"{url}?{query}")
        assert response.status_code == 200, query
        assert response.context["form"].errors and not list(response.context["page"]), query
