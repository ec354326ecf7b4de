"""Casework pages built to hold at national scale (docs/PERFORMANCE.md, "Pages at national
scale"): counts for the page shown, searches through one set of ids, figures folded by
kecamatan, exports that stream with the list's rows and a constant number of queries."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pilar.audit.models import AuditEntry
from pilar.casework import services
from pilar.casework.models import Household
from pilar.casework.views import households, reports
from pilar.lib import exports
from pilar.tests_support import login

from .test_views import sheet

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_users(actors):
    from pilar.accounts.models import User

    User.objects.update(language="en")


def counted(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200
    return len(captured), response, body


def test_activity_list_counts_the_households_of_each_activity_shown(
    client, actors, caseload, record
):
    both = record(households=[caseload["h1"], caseload["h2"]])
    one = record(households=[caseload["h1"]])
    alone = record()
    login(client, actors["coordinator_a"])
    page = client.get("/activities/").context["page"]
    assert {a.pk: a.household_count for a in page} == {both.pk: 2, one.pk: 1, alone.pk: 0}
    rows = sheet(client.get("/activities/?format=xlsx"))
    assert sorted(r[6] for r in rows[1:]) == [0, 1, 2]


def test_activity_list_queries_do_not_grow_with_activities(client, actors, caseload, record):
    record(households=[caseload["h1"]])
    login(client, actors["coordinator_a"])
    client.get("/activities/")
    few, _, _ = counted(client, "/activities/")
    for _ in range(8):
        record(households=[caseload["h1"], caseload["h2"]])
    # The filter's area choices are rebuilt once after a write (pilar.audit.cache): counted
    # as before, on the second view.
    client.get("/activities/")
    many, response, _ = counted(client, "/activities/")
    assert len(response.context["page"]) == 9
    assert many == few


def test_household_search_by_member_name_reference_and_former_kk(
    client, actors, caseload, system_actor
):
    h1 = caseload["h1"]
    Household.objects.filter(pk=caseload["h2"].pk).update(dtsen_id="DTSEN-77")
    old_kk = caseload["hb"].kk_number
    services.household_update(
        by=system_actor,
        household=caseload["hb"],
        data={"kk_number": "1375021501209999", "kk_change_reason": "pindah"},
    )
    login(client, actors["admin"])

    def found(q):
        return {h.pk for h in client.get("/households/", {"q": q}).context["page"]}

    assert found("amir") == {h1.pk}  # any part of a member's name, any case
    assert found("DTSEN-77") == {caseload["h2"].pk}
    assert found(old_kk) == {caseload["hb"].pk}  # a former KK number, whole
    assert found(old_kk[:10]) == set()  # never a prefix of one
    login(client, actors["coordinator_b"])
    assert found("amir") == set()  # the scope still holds


def test_household_export_rows_equal_the_list_and_queries_stay_constant(
    client, actors, caseload, make_household
):
    login(client, actors["operator"])
    few, _, _ = counted(client, "/households/?format=csv")
    for i in range(6):
        make_household(head=f"Kepala {i}")
    many, _, body = counted(client, "/households/?format=csv")
    assert many == few
    exported = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[1:]
    listed = client.get("/households/").context["page"]
    assert [r[1] for r in exported] == [h.head_name for h in listed]


def test_long_csv_streams_and_the_download_is_audited_with_its_rows(
    client, actors, caseload, make_household, monkeypatch
):
    monkeypatch.setattr(exports, "SMALL_ROWS", 2)
    monkeypatch.setattr(exports, "CSV_CHUNK_ROWS", 2)
    for i in range(3):
        make_household(head=f"Kepala {i}")
    login(client, actors["operator"])
    response = client.get("/households/?format=csv")
    assert response.streaming
    exported = AuditEntry.objects.filter(action=AuditEntry.Action.VIEW_PERSONAL)
    assert not exported.exists()  # recorded once the rows have left
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + 6
    assert [e.object_repr for e in exported] == ["export of 6 rows"]
    # The same rows whole, as a short list answers them.
    monkeypatch.setattr(exports, "SMALL_ROWS", 2000)
    whole = client.get("/households/?format=csv")
    assert not whole.streaming
    assert whole.content.decode("utf-8-sig").splitlines() == lines


def test_large_xlsx_is_sent_from_a_file(client, actors, caseload, monkeypatch):
    monkeypatch.setattr(exports, "SMALL_BYTES", 10)
    login(client, actors["operator"])
    response = client.get("/households/?format=xlsx")
    assert response.streaming and response["Content-Type"] == exports.XLSX_TYPE
    body = b"".join(response.streaming_content)
    rows = sheet(type("R", (), {"content": body}))
    assert len(rows) == 4 and rows[0][0] == "KK number"


def test_figures_fold_by_kecamatan_when_kelurahan_are_many(
    client, actors, caseload, record, monkeypatch
):
    record(households=[caseload["h1"]])
    login(client, actors["admin"])
    whole = client.get("/casework/?month=2024-10")
    monkeypatch.setattr(reports, "FOLD_ROWS", 1)
    folded = client.get("/casework/?month=2024-10")
    assert folded.context["folded"]
    assert all(r.kecamatan for r in folded.context["rows"])
    assert "open a kecamatan" in folded.content.decode()
    opened = client.get("/casework/?month=2024-10&open=13.75.01")
    shown = [r.area.code for r in opened.context["rows"]]
    kelurahan = [c for c in shown if c.startswith("13.75.01.")]
    assert kelurahan == [
        r.area.code for r in whole.context["rows"] if r.area.code.startswith("13.75.01.")
    ]
    assert not [c for c in shown if c.startswith("13.75.02.")]
    # The figures are the same: folding only hides rows.
    assert opened.context["total"] == whole.context["total"]


def test_an_xlsx_longer_than_a_worksheet_says_so_in_its_last_row(monkeypatch):
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 4)
    body = exports.to_xlsx(["n"], ([i] for i in range(10)))
    rows = sheet(type("R", (), {"content": body}))
    assert rows[1:3] == [[0.0], [1.0]]
    assert rows[3] == ["More rows than a worksheet holds: download the CSV."]


def test_a_deep_page_shows_the_same_rows_through_its_ids_first(
    client, actors, caseload, make_household, monkeypatch
):
    from pilar.lib import paging

    for n in range(7):
        make_household("13.75.02.1001", head=f"Keluarga {n}")
    login(client, actors["operator"])
    plain = [h.pk for h in client.get("/households/").context["page"]]
    monkeypatch.setattr(paging, "DEFERRED_FROM", 0)
    monkeypatch.setattr(households, "PAGE_SIZE", 4)
    deferred = [
        [h.pk for h in client.get(f"/households/?page={n}").context["page"]] for n in (1, 2, 3)
    ]
    assert deferred[0] + deferred[1] + deferred[2] == plain
    assert len(deferred[2]) == 2  # the last page holds the rest
    page = client.get("/households/?page=2").context["page"]
    assert page.object_list[0].head_name  # the rows come whole, annotations included
