"""The pages of a DTSEN extract import: upload, mapping, check (by the real task worker),
preview, decisions, commit, undo; permissions; refusals as 400 pages with the reason."""

from __future__ import annotations

import csv
import datetime
import io
import random

import pytest

from pilar.audit.services import Actor
from pilar.casework import services as casework
from pilar.casework.models import Household, HouseholdMember
from pilar.dtsen import services
from pilar.dtsen.models import ExtractHousehold, HouseholdImport
from pilar.dtsen.tests.web_support import extract_bytes, forget, make_family, upload
from pilar.tests_support import english_messages, login, run_task_worker

english = pytest.fixture(autouse=True, name="english")(english_messages)
worker_test = pytest.mark.django_db(transaction=True)
AS_OF = "2025-06-30"


@pytest.fixture
def operator_client(client, actors):
    login(client, actors["operator"])
    return client


def mapping_form(batch: HouseholdImport, **extra) -> dict:
    return {
        **{f"col_{i}": key for i, key in batch.mapping.items()},
        "header_row": batch.header_row,
        "as_of": AS_OF,
        **extra,
    }


def checked(client, batch: HouseholdImport, capture) -> HouseholdImport:
    with capture(execute=True):
        response = client.post(f"/dtsen/{batch.pk}/mapping/", mapping_form(batch))
    assert response.status_code == 302, response.content.decode()[:2000]
    run_task_worker()
    batch.refresh_from_db()
    assert batch.status == HouseholdImport.Status.PREVIEW, batch.message
    return batch


@worker_test
def test_upload_check_commit_undo_through_the_pages(
    operator_client, actors, django_capture_on_commit_callbacks
):
    c = operator_client
    families = [make_family(members=3), make_family("13.75.02.1001", members=2)]
    content = extract_bytes(Household.objects.filter(pk__in=[f.pk for f in families]))
    names = list(HouseholdMember.objects.values_list("name", flat=True))
    niks = list(HouseholdMember.objects.values_list("nik", flat=True))
    forget(families)

    assert "Import a DTSEN extract" in c.get("/dtsen/upload/").content.decode()
    response = c.post("/dtsen/upload/", {"file": upload(content)})
    batch = HouseholdImport.objects.get()
    assert response.status_code == 302 and response.url == f"/dtsen/{batch.pk}/"
    page = c.get(f"/dtsen/{batch.pk}/").content.decode()
    assert "Check the rows" in page and "Hubungan dengan Kepala Keluarga" in page
    assert 'value="kk_number" selected' in page  # the recognised mapping is offered

    with django_capture_on_commit_callbacks(execute=True):
        c.post(f"/dtsen/{batch.pk}/mapping/", mapping_form(batch))
    batch.refresh_from_db()
    assert batch.status == HouseholdImport.Status.CHECKING
    assert batch.as_of == datetime.date(2025, 6, 30)
    assert f'hx-get="/dtsen/{batch.pk}/progress/"' in c.get(f"/dtsen/{batch.pk}/").content.decode()
    run_task_worker()
    progress = c.get(f"/dtsen/{batch.pk}/progress/", HTTP_HX_REQUEST="true")
    assert progress["HX-Refresh"] == "true"  # the page reloads itself into the preview
    batch.refresh_from_db()
    assert batch.summary["households"]["new"] == 2

    page = c.get(f"/dtsen/{batch.pk}/").content.decode()
    assert "Preview: nothing is saved yet" in page
    assert page.count('data-testid="household-new"') == 2
    assert "Member added: " + names[0] in page
    assert not any(nik in page for nik in niks)  # NIKs masked
    assert "Save 2 households" in page
    assert not Household.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(f"/dtsen/{batch.pk}/commit/", {})
    assert response.status_code == 302
    run_task_worker()
    batch.refresh_from_db()
    assert batch.status == HouseholdImport.Status.COMMITTED, batch.message
    assert Household.objects.count() == 2
    assert sorted(HouseholdMember.objects.values_list("name", flat=True)) == sorted(names)
    assert "Undo this extract import" in c.get(f"/dtsen/{batch.pk}/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        c.post(f"/dtsen/{batch.pk}/undo/")
    run_task_worker()
    batch.refresh_from_db()
    assert batch.status == HouseholdImport.Status.UNDONE, batch.message
    assert not Household.objects.exists()
    assert "Nothing this extract added or changed" in c.get(f"/dtsen/{batch.pk}/").content.decode()


@worker_test
def test_the_households_own_messy_extract_is_all_unchanged(
    operator_client, actors, django_capture_on_commit_callbacks
):
    for kelurahan in ["13.75.01.1001", "13.75.01.1002", "13.75.02.1001"]:
        make_family(kelurahan, members=4)
    content = extract_bytes(Household.objects.all(), messy=random.Random(19))
    operator_client.post("/dtsen/upload/", {"file": upload(content)})
    batch = checked(
        operator_client, HouseholdImport.objects.get(), django_capture_on_commit_callbacks
    )
    assert batch.summary["households"]["unchanged"] == 3, batch.summary
    assert batch.summary["rows_rejected"] == 0
    page = operator_client.get(f"/dtsen/{batch.pk}/").content.decode()
    assert "All unchanged" in page
    assert 'data-testid="commit-form"' not in page
    every = operator_client.get(f"/dtsen/{batch.pk}/?status=every").content.decode()
    assert every.count('data-testid="household-unchanged"') == 3


@worker_test
def test_an_edited_extract_previews_its_changes_and_asks_about_accompanied_households(
    operator_client, actors, people, django_capture_on_commit_callbacks
):
    c = operator_client
    stays = make_family(members=2, decile=3)
    moves = make_family(members=2)
    grows = make_family(members=2)
    gone = make_family(members=2)
    casework.caseload_assign(
        by=Actor.system(), household=gone, person=people["a1"], start_date=datetime.date(2024, 1, 2)
    )
    # The extract says: decile 1 (was 3), another kelurahan, a new member; `gone` is missing.
    from pilar.regions.models import Area

    kelurahan_a, kelurahan_b = (
        Area.objects.get(code="13.75.01.1001"),
        Area.objects.get(code="13.75.01.1002"),
    )
    Household.objects.filter(pk=stays.pk).update(decile=1)
    Household.objects.filter(pk=moves.pk).update(area=kelurahan_b)
    HouseholdMember.objects.create(
        household=grows, nik="", name="Bayi Baru", sex="P", relation="child"
    )
    content = extract_bytes(Household.objects.filter(pk__in=[stays.pk, moves.pk, grows.pk]))
    # Back to what the office holds before the extract.
    Household.objects.filter(pk=stays.pk).update(decile=3)
    Household.objects.filter(pk=moves.pk).update(area=kelurahan_a)
    HouseholdMember.objects.filter(name="Bayi Baru").delete()

    c.post("/dtsen/upload/", {"file": upload(content)})
    batch = checked(c, HouseholdImport.objects.get(), django_capture_on_commit_callbacks)
    counts = batch.summary["households"]
    assert (counts["updated"], counts["moved"], counts["missing"]) == (2, 1, 1), counts
    page = c.get(f"/dtsen/{batch.pk}/").content.decode()
    assert "welfare decile: 3 → 1" in page
    assert f"Moved from {kelurahan_a.name} to {kelurahan_b.name}." in page
    assert "Member added: Bayi Baru" in page
    assert 'data-testid="decisions"' in page and "1 household waits for a decision." in page

    # Saving before deciding is refused with the reason, on a 400 page.
    refused = c.post(f"/dtsen/{batch.pk}/commit/", {})
    assert refused.status_code == 400
    assert "decide for each whether to keep or close it" in refused.content.decode()

    missing = batch.households.get(status=ExtractHousehold.Status.MISSING)
    response = c.post(f"/dtsen/{batch.pk}/decisions/", {f"h_{missing.pk}": "keep"})
    assert response.status_code == 302
    missing.refresh_from_db()
    assert missing.decision == "keep"
    with django_capture_on_commit_callbacks(execute=True):
        assert c.post(f"/dtsen/{batch.pk}/commit/", {}).status_code == 302
    run_task_worker()
    batch.refresh_from_db()
    assert batch.status == HouseholdImport.Status.COMMITTED, batch.message
    stays.refresh_from_db()
    moves.refresh_from_db()
    gone.refresh_from_db()
    assert stays.decile == 1
    assert moves.area.code == "13.75.01.1002"
    assert gone.status == Household.Status.ACTIVE  # kept
    assert grows.members.filter(name="Bayi Baru", left_on__isnull=True).exists()


@worker_test
def test_the_preview_filters_by_status_and_area_and_downloads(
    operator_client, actors, django_capture_on_commit_callbacks
):
    families = [make_family("13.75.01.1001"), make_family("13.75.02.1001")]
    content = extract_bytes(Household.objects.all())
    kks = [f.kk_number for f in families]
    forget(families)
    operator_client.post("/dtsen/upload/", {"file": upload(content)})
    batch = checked(
        operator_client, HouseholdImport.objects.get(), django_capture_on_commit_callbacks
    )
    url = f"/dtsen/{batch.pk}/"
    only_b = operator_client.get(url, {"area": "13.75.02"}).content.decode()
    assert only_b.count('data-testid="household-new"') == 1
    assert (
        operator_client.get(url, {"status": "moved"})
        .content.decode()
        .count('data-testid="household-')
        == 0
    )
    bad = operator_client.get(url, {"area": "99.99"})
    assert bad.status_code == 200 and "No area has the code 99.99" in bad.content.decode()
    xlsx = operator_client.get(url, {"format": "xlsx"})
    assert xlsx["Content-Disposition"].startswith(
        f'attachment; filename="pilar-dtsen-{batch.pk}-households'
    )
    text = operator_client.get(url, {"format": "csv"}).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 3 and rows[1][4].startswith("New household.")
    assert kks[0] not in text  # masked
    assert operator_client.get(url, {"format": "pdf"}).status_code == 400


@worker_test
def test_the_detail_page_reads_a_bounded_number_of_queries(
    operator_client, actors, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    families = [make_family(members=3) for _ in range(12)]
    content = extract_bytes(Household.objects.all())
    forget(families)
    operator_client.post("/dtsen/upload/", {"file": upload(content)})
    batch = checked(
        operator_client, HouseholdImport.objects.get(), django_capture_on_commit_callbacks
    )
    with django_assert_max_num_queries(20):
        response = operator_client.get(f"/dtsen/{batch.pk}/")
    assert response.content.decode().count('data-testid="household-new"') == 12


@pytest.mark.django_db
def test_refusals_are_400_pages_with_the_reason(operator_client, actors):
    c = operator_client
    bad = c.post("/dtsen/upload/", {"file": upload(b"%PDF-1.4 not a sheet", "x.xlsx")})
    assert bad.status_code == 400 and "not a spreadsheet" in bad.content.decode()
    assert not HouseholdImport.objects.exists()

    make_family()
    c.post("/dtsen/upload/", {"file": upload(extract_bytes(Household.objects.all()))})
    batch = HouseholdImport.objects.get()
    # The same field from two columns.
    form = mapping_form(batch, col_3="nik")
    twice = c.post(f"/dtsen/{batch.pk}/mapping/", form)
    assert twice.status_code == 400 and "both mapped to" in twice.content.decode()
    # Without the NIK column: the service's reason.
    form = {k: v for k, v in mapping_form(batch).items() if v != "nik"}
    no_nik = c.post(f"/dtsen/{batch.pk}/mapping/", form)
    assert no_nik.status_code == 400
    assert "Choose the columns that hold NIK" in no_nik.content.decode()
    no_date = c.post(f"/dtsen/{batch.pk}/mapping/", mapping_form(batch, as_of="kemarin"))
    assert no_date.status_code == 400 and "Extract date" in no_date.content.decode()
    # Saving or undoing before the check.
    commit = c.post(f"/dtsen/{batch.pk}/commit/", {})
    assert commit.status_code == 400 and "Only a checked extract" in commit.content.decode()
    undo = c.post(f"/dtsen/{batch.pk}/undo/")
    assert undo.status_code == 400 and "Only a saved extract" in undo.content.decode()
    sheet = c.post(f"/dtsen/{batch.pk}/sheet/", {"sheet": "Nope"})
    assert sheet.status_code == 400
    batch.refresh_from_db()
    assert batch.status == HouseholdImport.Status.MAPPING


@pytest.mark.django_db
def test_a_scoped_operator_sees_only_their_own_extracts(client, actors, make_user):
    make_family()
    content = extract_bytes(Household.objects.all())
    scoped = make_user("op-b", "operator", area="13.75.02")
    login(client, scoped)
    client.post("/dtsen/upload/", {"file": upload(content, "mine.xlsx")})
    mine = HouseholdImport.objects.get()
    login(client, actors["operator"])  # city-wide: sees every extract
    assert client.get(f"/dtsen/{mine.pk}/").status_code == 200
    other = make_user("op-a", "operator", area="13.75.01")
    login(client, other)
    assert client.get(f"/dtsen/{mine.pk}/").status_code == 404
    assert "mine.xlsx" not in client.get("/dtsen/").content.decode()


@pytest.mark.django_db
def test_the_list_filters_and_exports(operator_client, actors):
    make_family()
    operator_client.post(
        "/dtsen/upload/", {"file": upload(extract_bytes(Household.objects.all()), "juni.xlsx")}
    )
    page = operator_client.get("/dtsen/").content.decode()
    assert "juni.xlsx" in page
    assert "juni.xlsx" not in operator_client.get("/dtsen/?status=committed").content.decode()
    csv = operator_client.get("/dtsen/?format=csv").content.decode("utf-8-sig")
    assert "juni.xlsx" in csv and csv.count("\n") == 2
    assert operator_client.get("/dtsen/?status=nope").content.decode().count("juni.xlsx") == 0


@pytest.mark.django_db
def test_the_household_list_downloads_as_an_extract(operator_client, actors, client):
    from pilar.dtsen.tests.test_writer import expected, meaning, read

    a = make_family("13.75.01.1001")
    make_family("13.75.02.1001")
    page = operator_client.get("/households/").content.decode()
    assert 'data-testid="extract-download"' in page and 'data-testid="dtsen-import"' in page
    response = operator_client.get("/dtsen/households.xlsx", {"area": "13.75.01"})
    assert response.status_code == 200
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.xlsx"
        path.write_bytes(b"".join(response.streaming_content))
        keys, rows = read(path)
    assert [meaning(keys, r) for r in rows] == expected([a])
    from pilar.audit.models import AuditEntry

    assert AuditEntry.objects.filter(
        object_type="casework.household", note__contains="as a DTSEN extract"
    ).exists()
    login(client, actors["coordinator_a"])
    assert 'data-testid="extract-download"' not in client.get("/households/").content.decode()
    assert client.get("/dtsen/households.xlsx").status_code == 403


@pytest.mark.django_db
def test_the_roster_import_page_links_to_extracts(operator_client, actors):
    page = operator_client.get("/imports/").content.decode()
    assert 'href="/dtsen/"' in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "status"),
    [
        (None, 302),
        ("pillar", 403),
        ("coordinator_a", 403),
        ("viewer", 403),
        ("approver", 403),
        ("operator", 200),
        ("admin", 200),
    ],
)
def test_every_page_asks_for_the_imports_right(client, actors, role, status):
    make_family()
    batch = services.extract_upload(
        by=Actor(user=actors["operator"]),
        upload=upload(extract_bytes(Household.objects.all())),
        filename="dtsen.xlsx",
    )
    if role:
        login(client, actors[role])
    for url in [
        "/dtsen/",
        "/dtsen/upload/",
        f"/dtsen/{batch.pk}/",
        f"/dtsen/{batch.pk}/progress/",
        f"/dtsen/{batch.pk}/rejected.xlsx",
        "/dtsen/households.xlsx",
    ]:
        response = client.get(url)
        assert response.status_code == status, url
        if status == 302:
            assert response.url.startswith("/accounts/login/")
    for url in ["mapping", "commit", "undo", "decisions", "sheet"]:
        response = client.post(f"/dtsen/{batch.pk}/{url}/", {})
        assert response.status_code == (status if status != 200 else 400), url


@pytest.mark.django_db
def test_the_list_reads_a_bounded_number_of_queries(
    operator_client, actors, django_assert_max_num_queries
):
    make_family()
    content = extract_bytes(Household.objects.all())
    for n in range(6):
        services.extract_upload(
            by=Actor(user=actors["operator"]), upload=upload(content), filename=f"e{n}.xlsx"
        )
    with django_assert_max_num_queries(12):
        page = operator_client.get("/dtsen/").content.decode()
    assert page.count('href="/dtsen/') >= 6
    with django_assert_max_num_queries(12):
        assert operator_client.get("/dtsen/?format=xlsx").status_code == 200


@pytest.mark.django_db
def test_a_missing_household_nobody_accompanies_is_closed_unless_kept(operator_client, actors):
    listed = make_family()
    quiet = make_family()
    by = Actor(user=actors["operator"])
    content = extract_bytes(Household.objects.filter(pk=listed.pk))
    batch = services.extract_upload(by=by, upload=upload(content), filename="dtsen.xlsx")
    services.extract_set_mapping(
        by=by,
        batch=batch,
        header_row=batch.header_row,
        mapping=batch.mapping,
        as_of=datetime.date(2025, 6, 30),
    )
    batch = services.extract_check(batch_id=batch.pk)
    page = operator_client.get(f"/dtsen/{batch.pk}/").content.decode()
    assert "Not in this extract: saving closes it." in page
    assert "Save 1 household" in page
    assert 'data-testid="decisions"' not in page  # nobody accompanies it: nothing to ask
    missing = batch.households.get(household=quiet)
    services.extract_decide(by=by, batch=batch, decisions={missing.pk: "keep"})
    page = operator_client.get(f"/dtsen/{batch.pk}/").content.decode()
    assert "Not in this extract: kept as it is." in page
    assert 'data-testid="nothing-to-save"' in page
