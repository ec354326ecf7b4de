"""Kinerja pages: who may read them, what they show, where each figure leads, bad input."""

from __future__ import annotations

import datetime

import pytest

from pilar.accounts.models import Role
from pilar.tests_support import login

pytestmark = pytest.mark.django_db
D = datetime.date


def test_anonymous_goes_to_the_login_page(client):
    assert client.get("/kinerja/").status_code == 302
    assert client.get("/kinerja/me/").status_code == 302


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("admin", 200),
        ("operator", 200),
        ("approver", 200),
        ("finance", 200),
        ("coordinator_a", 200),
        ("viewer", 200),
        ("pillar", 403),
        ("norole", 403),
    ],
)
def test_who_reads_the_office_page(client, actors, story, role, status):
    login(client, actors[role])
    assert client.get("/kinerja/").status_code == status


def test_staff_see_trends_table_flags_and_links(client, actors, story):
    login(client, actors["admin"])
    page = client.get("/kinerja/?month=2024-10")
    assert page.status_code == 200
    body = page.content.decode()
    assert body.count('data-testid="chart"') == 5
    # The table by kecamatan, each opening its kelurahan.
    assert "Kec. Guguak Panjang" in body
    assert "/kinerja/?area=13.75.01&amp;level=kelurahan&amp;month=2024-10" in body
    # Activities of the 12 months behind a row's figure, within the area.
    assert "/activities/?area=13.75.01&amp;from=2023-11&amp;to=2024-10" in body
    # A month's column of the chart opens that month's activities.
    assert "/activities/?month=2024-10" in body
    # Flags, with the lists behind them.
    flags = body[body.index('data-testid="flags"') :][:3000]
    assert "1 pillar without activity for two months" in flags
    assert "1 pillar late with reports three months running" in flags
    assert "/households/?area=13.75.01&amp;unserved=1&amp;on=2024-10-31" in flags


def test_drill_down_to_pillars(client, actors, story):
    login(client, actors["admin"])
    body = client.get("/kinerja/?area=13.75.01.1002&month=2024-10").content.decode()
    assert "Budi Kecamatan A" in body
    assert f"/pillars/{story['a2'].pk}/" in body


def test_a_viewer_sees_areas_without_names_or_links(client, actors, story):
    login(client, actors["viewer"])
    body = client.get("/kinerja/?level=kelurahan&month=2024-10").content.decode()
    assert "Guguak Panjang" in body or "Kel." in body
    for person in ("Ani Kecamatan A", "Budi Kecamatan A", "Citra Kecamatan B"):
        assert person not in body
    assert "/activities/" not in body and "/households/" not in body
    assert client.get("/kinerja/?level=person").status_code == 403


def test_a_coordinator_sees_their_kecamatan_only(client, actors, story):
    login(client, actors["coordinator_a"])
    body = client.get("/kinerja/?level=person&month=2024-10").content.decode()
    assert "Ani Kecamatan A" in body and "Citra Kecamatan B" not in body
    assert client.get("/kinerja/?area=13.75.02").status_code == 404


def test_another_offices_user_sees_nothing_of_bukittinggi(client, make_user, other_office, story):
    login(client, make_user("pp-admin", Role.ADMIN, office=other_office))
    body = client.get("/kinerja/?month=2024-10").content.decode()
    assert "Guguak Panjang" not in body and "Ani Kecamatan A" not in body
    assert client.get("/kinerja/?area=13.75.01").status_code == 404
    assert client.get("/kinerja/?area=13.75").status_code == 404


def test_the_province_sees_one_row_per_office(
    client, make_user, other_office, province_office, story
):
    for role in (Role.ADMIN, Role.VIEWER):
        login(client, make_user(f"prov-{role}", role, office=province_office))
        page = client.get("/kinerja/?month=2024-10")
        assert page.status_code == 200
        table = page.context["table"]
        assert [r["row"].code for r in table] == ["13.74", "13.75"]
        assert table[1]["row"].figures.activities == 6
        assert table[1]["drill"] == "/kinerja/?area=13.75&month=2024-10"
        assert "Ani Kecamatan A" not in page.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "month=2024-13",
        "month=1999-12",
        "month=2101-01",
        "month=kemarin",
        "level=desa",
        "area=99",
        # A kelurahan's code with more after it is no code (it once read as the kelurahan).
        "area=13.75.01.1001.9999999",
    ],
)
def test_bad_input_is_a_400_naming_the_field(client, actors, story, query):
    login(client, actors["admin"])
    response = client.get(f"/kinerja/?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.content.decode()


def test_the_table_downloads(client, actors, story):
    login(client, actors["admin"])
    response = client.get("/kinerja/?level=kelurahan&month=2024-10&format=csv")
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Kelurahan,Code,Activities")
    assert "13.75.01.1001" in text
    xlsx = client.get("/kinerja/?level=kelurahan&month=2024-10&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_the_table_by_pillar_downloads_and_is_recorded(client, actors, story):
    from pilar.audit.models import AuditEntry

    login(client, actors["coordinator_a"])
    response = client.get("/kinerja/?level=person&month=2024-10&format=csv")
    text = response.content.decode("utf-8-sig")
    assert "Ani Kecamatan A" in text and "Citra Kecamatan B" not in text
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.VIEW_PERSONAL).latest("pk")
    assert entry.object_type == "registry.person" and "level=person" in entry.note


def test_the_page_queries_are_bounded(
    client, actors, story, make_person, make_assignment, act, django_assert_max_num_queries
):
    login(client, actors["admin"])

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/kinerja/?level=person&month=2024-10").status_code == 200
        return len(ctx.captured_queries)

    small = count()
    for n in range(12):
        p = make_person(f"Tambahan {n}", kelurahan="13.75.03.1001")
        make_assignment(p, "PSM", "13.75.03.1001", override_reason="test")
        act(p, D(2024, 10, 2 + n))
    assert count() == small
    with django_assert_max_num_queries(40):
        client.get("/kinerja/?month=2024-10")


def test_the_table_by_pillar_asks_for_an_area_when_too_wide(client, actors, story, monkeypatch):
    from pilar.kinerja import views

    monkeypatch.setattr(views, "MAX_PERSON_ROWS", 3)
    login(client, actors["admin"])
    page = client.get("/kinerja/?level=person&month=2024-10")
    assert page.status_code == 200 and page.context["table"] == []
    assert 'data-testid="too-wide"' in page.content.decode()
    one = client.get("/kinerja/?level=person&area=13.75.01.1001&month=2024-10")
    assert [r["row"].label for r in one.context["table"]] == ["Ani Kecamatan A", "Eko Berhenti"]


def test_a_pillar_sees_their_own_figures(client, actors, story):
    login(client, actors["pillar"])
    page = client.get("/kinerja/me/?month=2024-10")
    assert page.status_code == 200
    points = dict(page.context["points"])
    assert points[D(2024, 10, 1)].activities == 1 and points[D(2024, 9, 1)].activities == 1
    body = page.content.decode()
    assert "Budi Kecamatan A" not in body
    assert client.get("/kinerja/me/?month=2024-99").status_code == 400


def test_a_user_without_a_pillar_record_has_no_own_page(client, actors, story):
    login(client, actors["viewer"])
    assert client.get("/kinerja/me/").status_code == 404


def test_the_table_pages_its_rows_and_the_flagged(client, actors, story, monkeypatch):
    """A kota's 2,000 pillars show a page at a time; the flags name the first few and open the
    flagged rows alone; the download holds every row."""
    from pilar.kinerja import views

    login(client, actors["admin"])
    everyone = client.get("/kinerja/?level=person&month=2024-10").context["table"]
    flagged = [r["row"].label for r in everyone if r["row"].flagged]
    assert len(everyone) >= 3 and len(flagged) >= 2
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    monkeypatch.setattr(views, "FLAGS_SHOWN", 1)
    first = client.get("/kinerja/?level=person&month=2024-10")
    body = first.content.decode()
    assert [r["row"].label for r in first.context["table"]] == [
        r["row"].label for r in everyone[:2]
    ]
    assert "page=2" in body and len(first.context["flagged"]) == 1
    assert f"And {len(flagged) - 1} more flagged row" in body and "flagged=1" in body
    second = client.get("/kinerja/?level=person&month=2024-10&page=2")
    assert [r["row"].label for r in second.context["table"]] == [
        r["row"].label for r in everyone[2:4]
    ]
    only = client.get("/kinerja/?level=person&month=2024-10&flagged=1")
    assert [r["row"].label for r in only.context["table"]] == flagged[:2]
    assert 'data-testid="only-flagged"' in only.content.decode()
    text = client.get("/kinerja/?level=person&month=2024-10&format=csv").content.decode("utf-8-sig")
    assert len(text.strip().splitlines()) == len(everyone) + 1
