"""Rules an import must never break, each tried: the commit writes what the preview showed,
contradicting rows are all refused, lost digits never come back, undo keeps the registry's
rules, nothing is left stuck, and nobody sees outside their area."""

from __future__ import annotations

import datetime
import io

import pytest
import python_calamine
import xlsxwriter
from django.core.exceptions import PermissionDenied, ValidationError

from pilar.audit.services import Actor
from pilar.imports import services
from pilar.imports.commit import import_request_commit
from pilar.imports.engine import driver
from pilar.imports.exports import rejected_report
from pilar.imports.models import Import, ImportRow
from pilar.imports.tests.files import checked, saved, template_row, upload, xlsx_bytes
from pilar.imports.undo import import_request_undo, import_undo
from pilar.lib.nik import make_nik
from pilar.registry import services as registry
from pilar.registry.models import Assignment, Person

D = datetime.date


@pytest.fixture
def by(actors):
    return Actor(user=actors["operator"])


def commit(by, batch: Import) -> Import:
    """These tests accept warnings and leave rejected rows out."""
    return saved(by, batch, accept_warnings=True, accept_rejected=True)


def row(batch: Import, number: int) -> ImportRow:
    return ImportRow.objects.get(batch=batch, number=number)


def test_commit_refuses_a_row_that_would_now_change_something_else(by, people):
    a1 = people["a1"]
    batch = checked(by, xlsx_bytes([template_row(nik=a1.nik, phone="0813 0000 1111")]))
    assert row(batch, 2).plan == {"person": [["phone", "081234567890", "081300001111"]]}
    # Someone changes a1's phone after the preview: the row still says "updated", but saving
    # it would now overwrite a value the operator never saw.
    registry.person_update(by=Actor.system(), person=a1, data={"phone": "081399998888"})
    batch = commit(by, batch)
    assert batch.status == Import.Status.PREVIEW and "Nothing was saved" in batch.message
    a1.refresh_from_db()
    assert a1.phone == "081399998888"
    assert row(batch, 2).plan == {"person": [["phone", "081399998888", "081300001111"]]}


def test_the_preview_page_shows_what_each_row_changes(client, actors, people):
    from pilar.tests_support import login

    actors["operator"].language = "en"
    actors["operator"].save()
    a1 = people["a1"]
    batch = checked(
        Actor(user=actors["operator"]),
        xlsx_bytes([template_row(nik=a1.nik, phone="0813 0000 1111")]),
    )
    login(client, actors["operator"])
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert "081234567890 → 081300001111" in page
    from pilar.audit.models import AuditEntry

    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.VIEW_PERSONAL,
        object_type="imports.import",
        object_id=str(batch.pk),
        user=actors["operator"],
    ).exists()


def test_every_row_of_a_contradicted_nik_is_refused(by, people):
    nik = make_nik(area6="137501", birth_date=D(1990, 1, 1), sex="P", serial=501)
    rows = [
        template_row(nik=nik, name="Siti", sex="P", birth_date=D(1990, 1, 1), phone="0811111111"),
        template_row(nik=nik, name="Siti", sex="P", birth_date=D(1990, 1, 1), phone="0822222222"),
    ]
    batch = checked(by, xlsx_bytes(rows))
    assert [row(batch, n).status for n in (2, 3)] == ["rejected", "rejected"]
    assert "Rows 2, 3" in row(batch, 2).problems[0][3] and "No HP" in row(batch, 2).problems[0][3]
    with pytest.raises(ValidationError):  # nothing to save
        import_request_commit(by=by, batch=batch, accept_warnings=True, accept_rejected=True)
    assert not Person.objects.filter(nik=nik).exists()


def test_a_roster_may_replace_a_tksk_in_two_rows(by, people):
    tksk = people["tksk_a"]
    new = make_nik(area6="137501", birth_date=D(1985, 2, 2), sex="L", serial=502)
    rows = [
        template_row(
            nik=tksk.nik,
            kind="TKSK",
            kecamatan="Guguak Panjang",
            start_date=D(2023, 1, 2),
            end_date=D(2024, 6, 30),
            end_reason="Pindah",
        ),
        template_row(
            nik=new,
            name="TKSK Baru",
            sex="L",
            birth_date=D(1985, 2, 2),
            kind="TKSK",
            kecamatan="Guguak Panjang",
            start_date=D(2024, 7, 1),
        ),
    ]
    batch = checked(by, xlsx_bytes(rows))
    assert (batch.summary["updated"], batch.summary["new"]) == (1, 1), list(
        batch.rows.values_list("problems", flat=True)
    )
    commit(by, batch)
    assert (
        Assignment.objects.filter(kind__code="TKSK", area__code="13.75.01", end_date__isnull=True)
        .get()
        .person.name
        == "TKSK Baru"
    )


def test_undo_refuses_to_reopen_a_duty_whose_place_was_taken(
    by, people, make_person, make_assignment
):
    tksk = people["tksk_a"]
    rows = [
        template_row(
            nik=tksk.nik,
            kind="TKSK",
            kecamatan="13.75.01",
            start_date=D(2023, 1, 2),
            end_date=D(2024, 6, 30),
            end_reason="Pindah",
        )
    ]
    batch = commit(by, checked(by, xlsx_bytes(rows)))
    successor = make_person("Pengganti", sex="L", kelurahan="13.75.01.1002")
    make_assignment(successor, "TKSK", "13.75.01", start=D(2024, 7, 1))
    batch.audit_mark = 10**9  # only the quota stands in the way, not the later audit entries
    batch.save(update_fields=["audit_mark"])
    import_request_undo(by=by, batch=batch)
    batch = import_undo(batch_id=batch.pk, by=by)
    assert batch.status == Import.Status.COMMITTED
    assert "maximum of 1" in batch.message
    assert tksk.assignments.get(kind__code="TKSK").end_date == D(2024, 6, 30)


def test_digits_excel_lost_never_come_back_through_the_report(by, people):
    lost = 1375014508800030  # the real NIK ended in 31; Excel kept 15 digits
    batch = checked(
        by, xlsx_bytes([template_row(nik=float(lost), name="A", sex="P", birth_date=D(1980, 8, 5))])
    )
    assert row(batch, 2).status == "rejected"
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(rejected_report(batch)))
    table = book.get_sheet_by_index(0).to_python()
    assert table[1][0] == "" and str(lost) not in "".join(str(c) for c in table[1][:-1])


def test_account_numbers_stored_as_numbers(by, people):
    a1, a2 = people["a1"], people["a2"]
    rows = [
        template_row(nik=a1.nik, bank_account=1234567890),  # may have lost a leading 0
        template_row(nik=a2.nik, bank_account=1234567890123456.0),  # past 15 digits
    ]
    batch = checked(by, xlsx_bytes(rows))
    first, second = row(batch, 2), row(batch, 3)
    assert first.status == "updated" and first.problems[0][0] == "warning"
    assert second.status == "rejected" and "15 digits" in second.problems[0][3]


def test_nik_numbers_past_two_to_the_53_are_refused(by, people):
    papua = 9171010101010103  # a float holds …104
    batch = checked(
        by,
        xlsx_bytes([template_row(nik=float(papua), name="P", sex="L", birth_date=D(2001, 1, 1))]),
    )
    assert row(batch, 2).status == "rejected"
    assert not Person.objects.filter(nik__startswith="9171").exists()


def test_blank_rows_above_the_header_keep_row_numbers_true(by, people):
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("Pilar")
    sheet.write_row(3, 1, ["NIK", "Nama"])  # header in B4
    sheet.write_row(4, 1, ["123", "Salah"])
    book.close()
    batch = checked(by, buffer.getvalue())
    assert batch.header_row == 4
    assert batch.mapping == {"1": "nik", "2": "name"}
    assert batch.rows.get().number == 5


def test_an_unexpected_error_does_not_leave_the_import_stuck(by, people, monkeypatch):
    batch = services.import_upload(
        by=by, upload=upload(xlsx_bytes([template_row(nik="1")])), filename="x.xlsx"
    )
    services.import_set_mapping(by=by, batch=batch, mapping=batch.mapping)

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(driver, "decide_chunks", broken)
    batch = services.import_check(batch_id=batch.pk)
    assert batch.status == Import.Status.FAILED and "disk on fire" in batch.message
    monkeypatch.undo()
    services.import_set_mapping(by=by, batch=batch, mapping=batch.mapping)  # may try again
    assert services.import_check(batch_id=batch.pk).status == Import.Status.PREVIEW


def test_a_csv_cell_too_large_to_read_is_refused_and_the_file_removed(by, people, settings):
    content = ("NIK,Nama\n1375014506800001," + "x" * 200_000 + "\n").encode()
    with pytest.raises(ValidationError, match="Line 2 of the CSV file holds a cell"):
        services.import_upload(by=by, upload=upload(content, "x.csv"), filename="x.csv")
    assert not any(p.is_file() for p in (settings.MEDIA_ROOT / "imports").rglob("*"))


def test_namesakes_outside_the_area_are_not_named(client, people, make_user):
    scoped = make_user("op-a", "operator", area="13.75.01")
    citra = people["b1"]  # in kecamatan B
    other = make_nik(area6="137501", birth_date=citra.birth_date, sex="P", serial=777)
    batch = checked(
        Actor(user=scoped),
        xlsx_bytes(
            [template_row(nik=other, name=citra.name, sex="P", birth_date=citra.birth_date)]
        ),
    )
    message = " ".join(p[3] for p in row(batch, 2).problems)
    assert "Someone outside your area" in message
    assert citra.name not in message and citra.nik not in message


def test_an_office_wide_operator_may_save_a_kecamatan_operators_import(people, make_user, actors):
    scoped = make_user("op-a", "operator", area="13.75.01")
    new = make_nik(area6="137501", birth_date=D(1990, 5, 5), sex="L", serial=888)
    batch = checked(
        Actor(user=scoped),
        xlsx_bytes(
            [
                template_row(
                    nik=new,
                    name="Warga A",
                    sex="L",
                    birth_date=D(1990, 5, 5),
                    kind="PSM",
                    kelurahan="Tarok Dipo",
                    start_date=D(2024, 7, 1),
                )
            ]
        ),
    )
    batch = commit(Actor(user=actors["operator"]), batch)
    assert batch.status == Import.Status.COMMITTED, batch.message
    assert Person.objects.filter(nik=new).exists()


def test_a_first_import_into_an_empty_registry(reference):
    """Nobody registered yet: nothing to read from the registry, the file's own rules hold."""
    by = Actor.system()
    same = D(1980, 1, 1)
    rows = [
        template_row(
            nik=make_nik(area6="137501", birth_date=same, sex="P", serial=1),
            name="Siti",
            sex="P",
            birth_date=same,
            kind="PSM",
            kelurahan="Tarok Dipo",
            start_date=D(2024, 1, 1),
        ),
        template_row(
            nik=make_nik(area6="137501", birth_date=same, sex="P", serial=2),
            name="Siti",
            sex="P",
            birth_date=same,
        ),
    ]
    assert not Person.objects.exists()
    batch = checked(by, xlsx_bytes(rows))
    assert batch.summary["new"] == 2
    assert any("Row 2 has the same name" in p[3] for p in row(batch, 3).problems)
    batch = commit(by, batch)
    assert Person.objects.filter(name="Siti").count() == 2
    again = checked(by, xlsx_bytes(rows[:1]))  # now the registry knows her
    assert again.summary["unchanged"] == 1


@pytest.mark.parametrize("role", ["coordinator_a", "viewer", "finance", "pillar"])
def test_only_the_roles_that_keep_the_registry_may_import_even_through_the_services(actors, role):
    by = Actor(user=actors[role])
    with pytest.raises(PermissionDenied):
        services.import_upload(by=by, upload=upload(xlsx_bytes([])), filename="r.xlsx")
    assert not Import.objects.exists()
    batch = services.import_upload(
        by=Actor(user=actors["operator"]), upload=upload(xlsx_bytes([])), filename="r.xlsx"
    )
    for attempt in (
        lambda: services.import_set_mapping(by=by, batch=batch, mapping={"0": "nik"}),
        lambda: import_request_commit(
            by=by, batch=batch, accept_warnings=True, accept_rejected=True
        ),
        lambda: import_request_undo(by=by, batch=batch),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    batch.refresh_from_db()
    assert batch.status == Import.Status.MAPPING
