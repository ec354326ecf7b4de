"""After an undo, an import's summary says what is left — on the page, in the list and its export,
and in the API — and its figures are those of the registry rows behind it."""

from __future__ import annotations

import datetime
import io

import pytest
from python_calamine import CalamineWorkbook

from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor
from pilar.imports.models import Import, ImportChange
from pilar.imports.tests.files import checked, saved, template_row, xlsx_bytes
from pilar.imports.undo import import_request_undo, import_undo, undo_figures
from pilar.lib.nik import make_nik
from pilar.registry.models import Assignment, Person
from pilar.tests_support import english_messages, login

english = pytest.fixture(autouse=True, name="english")(english_messages)

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def by(actors):
    return Actor(user=actors["operator"], source=AuditEntry.Source.WEB)


@pytest.fixture
def undone(by, people):
    """An import that added three people (each with a PSM duty), changed the phone of three
    and ended one duty — then undone: {batch, created people, created duties, changed}."""
    changed = [people[k] for k in ("a1", "a2", "b1")]
    rows = [template_row(nik=p.nik, phone=f"0813 5555 000{n}") for n, p in enumerate(changed)]
    rows += [
        template_row(
            nik=make_nik(area6="137501", birth_date=D(1990, 3, n + 1), sex="P", serial=40 + n),
            name=f"Baru {n}",
            sex="P",
            birth_date=D(1990, 3, n + 1),
            kind="PSM",
            kelurahan="13.75.02.1002",
            start_date=D(2024, 5, 1),
        )
        for n in range(3)
    ]
    tksk = people["tksk_a"]
    duty = tksk.assignments.get()
    rows.append(
        template_row(
            nik=tksk.nik,
            kind=duty.kind.code,
            kecamatan=duty.area.code,
            start_date=duty.start_date,
            end_date=D(2024, 6, 30),
            end_reason="Mengundurkan diri",
        )
    )
    batch = saved(by, checked(by, xlsx_bytes(rows)))
    assert batch.status == Import.Status.COMMITTED, batch.message
    recorded = {(c.model, c.action): c.object_ids for c in ImportChange.objects.filter(batch=batch)}
    assert Person.objects.filter(pk__in=recorded["person", "create"]).count() == 3
    import_request_undo(by=by, batch=batch)
    batch = import_undo(batch_id=batch.pk, by=by)
    assert batch.status == Import.Status.UNDONE, batch.message
    return {"batch": batch, "recorded": recorded, "changed": changed, "ended": tksk}


def test_undo_figures_equal_the_rows_behind_them(undone):
    batch, recorded = undone["batch"], undone["recorded"]
    assert batch.summary["new"] == 3  # what the save did stays on record
    figures = undo_figures(batch)
    # The created people and duties are gone; as many as the summary says were removed.
    created = recorded["person", "create"]
    assert Person.objects.filter(pk__in=created).count() == 0
    assert figures["people_removed"] == len(created) == 3
    duties = recorded["assignment", "create"]
    assert Assignment.objects.filter(pk__in=duties).count() == 0
    assert figures["duties_removed"] == len(duties) == 3
    # The changed people are present with their phones as before the import.
    restored = Person.objects.filter(pk__in=recorded["person", "update"])
    assert figures["people_restored"] == restored.count() == 3
    assert {p.phone for p in restored} == {p.phone for p in undone["changed"]}
    assert not restored.filter(phone__startswith="08135555").exists()
    ended = recorded["assignment", "end"]
    assert figures["duties_reopened"] == len(ended) == 1
    assert Assignment.objects.filter(pk__in=ended, end_date__isnull=True).count() == len(ended)
    # The rows: every new and updated row of the file taken back.
    assert figures["rows_new"] == 3
    assert figures["rows_updated"] == batch.summary["updated"] >= 3


def test_page_says_what_is_left_after_the_undo(client, actors, undone):
    batch = undone["batch"]
    figures = undo_figures(batch)
    login(client, actors["operator"])
    response = client.get(f"/imports/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    body = " ".join(response.content.decode().split())
    assert response.status_code == 200
    updated = figures["rows_updated"]
    assert f"Undone: 3 new rows removed, {updated} updates taken back." in body
    assert "<h2>Undone</h2>" in body
    assert 'New, removed by the undo</th><td class="num" data-testid="count-new">3' in body
    for key in ("people_removed", "people_restored", "duties_removed", "duties_reopened"):
        assert f'data-testid="undone-{key}">{figures[key]}</td>' in body, key
    assert 'data-testid="undone-people_removed">3<' in body
    assert 'data-testid="undone-duties_reopened">1<' in body
    # Not the save's own figures any more.
    assert "People: 3 new" not in body and "Saved</h2>" not in body
    assert "Undo this import" not in body
    assert "the undo has taken all of it back" in body


def test_list_export_and_api_agree(client, actors, undone):
    batch = undone["batch"]
    figures = undo_figures(batch)
    login(client, actors["operator"])
    listed = " ".join(client.get("/imports/").content.decode().split())
    assert '0 <small class="muted">(3 undone)</small>' in listed
    export = client.get("/imports/", {"format": "xlsx"})
    book = CalamineWorkbook.from_filelike(io.BytesIO(export.getvalue()))
    table = book.get_sheet_by_index(0).to_python()
    header, row = table[0], table[1]
    assert len(header) == 11  # ... New, Updated, Unchanged, Rejected, Taken back by the undo
    assert row[6:] == [0, 0, 0, 0, 3 + figures["rows_updated"]]
    data = client.get(f"/api/v1/imports/{batch.pk}").json()
    assert data["status"] == "undone" and data["summary"]["undone"] == figures


def test_an_import_undone_before_the_figures_were_kept_reads_them_from_its_changes(undone):
    batch = undone["batch"]
    kept = undo_figures(batch)
    Import.objects.filter(pk=batch.pk).update(
        summary={k: v for k, v in batch.summary.items() if k != "undone"}
    )
    batch.refresh_from_db()
    assert "undone" not in batch.summary
    assert undo_figures(batch) == kept


def test_only_import_users_see_it(client, actors, undone):
    """The undone import's page and API answer the operator and the admin, every other role
    403; a signed-out reader is sent to sign in; an id out of range is a 404, not a 500."""
    batch = undone["batch"]
    assert client.get(f"/imports/{batch.pk}/").status_code == 302
    assert client.get(f"/api/v1/imports/{batch.pk}").status_code in {401, 403}
    got = {}
    for role, user in actors.items():
        login(client, user)
        page = client.get(f"/imports/{batch.pk}/").status_code
        api = client.get(f"/api/v1/imports/{batch.pk}").status_code
        got[role] = (page, api)
    allowed = {"admin", "operator"}
    assert got == {role: (200, 200) if role in allowed else (403, 403) for role in actors}
    login(client, actors["operator"])
    assert client.get("/imports/99999999999999999999/").status_code == 404
    assert client.get("/api/v1/imports/99999999999999999999").status_code in {400, 404, 422}
