"""Export -> import gives back the same registry; and the command line does what the page does."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import CommandError, call_command

from pilar.audit.services import Actor
from pilar.imports import services
from pilar.imports.commit import import_commit, import_request_commit
from pilar.imports.models import Import
from pilar.imports.tests.files import template_row, upload, xlsx_bytes
from pilar.lib.nik import make_nik
from pilar.registry.models import Assignment, Person
from pilar.tests_support import login

D = datetime.date


@pytest.fixture
def full_people(people, make_person, make_assignment):
    """The standard cast plus someone with every field filled and a duty with its SK."""
    rich = make_person(
        "Rahmat Hidayat",
        sex="L",
        kelurahan="13.75.03.1006",
        birth_date=D(1979, 12, 31),
        birth_place="Agam",
        address="Jl. Perintis Kemerdekaan 7",
        education="s1",
        bank_name="Bank Nagari",
        bank_account="0012345678",
        bank_holder="Rahmat Hidayat",
    )
    make_assignment(
        rich,
        "PSM",
        "13.75.03.1006",
        start=D(2022, 3, 1),
        sk_number="188.45/12/WAKO-2022",
        sk_date=D(2022, 2, 20),
        sk_signer="Wali Kota Bukittinggi",
    )
    make_assignment(rich, "TAGANA", "13.75", start=D(2023, 5, 1))
    return people


def state() -> tuple:
    return (
        list(Person.objects.order_by("pk").values()),
        list(Assignment.objects.order_by("pk").values()),
    )


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_then_import_changes_nothing(client, actors, full_people, fmt):
    operator = actors["operator"]
    login(client, operator)
    exported = client.get(f"/pillars/?format={fmt}")
    assert exported.status_code == 200
    before = state()
    by = Actor(user=operator)
    batch = services.import_upload(
        by=by, upload=upload(exported.content, f"pilar.{fmt}"), filename=f"pilar.{fmt}"
    )
    services.import_set_mapping(by=by, batch=batch, mapping=batch.mapping)
    batch = services.import_check(batch_id=batch.pk)
    s = batch.summary
    duties = Assignment.objects.filter(end_date__isnull=True).count()
    assert (s["rows"], s["unchanged"], s["new"], s["updated"], s["rejected"]) == (
        duties,
        duties,
        0,
        0,
        0,
    ), list(batch.rows.exclude(problems=[]).values_list("number", "problems"))
    assert s["warnings"] == 0
    assert state() == before


def test_edited_export_updates_just_what_was_edited(client, actors, full_people):
    import python_calamine
    import xlsxwriter

    login(client, actors["operator"])
    exported = client.get("/pillars/?format=xlsx").content
    table = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(exported))
    rows = table.get_sheet_by_index(0).to_python()
    headers, body = rows[0], rows[1:]
    phone = headers.index("No HP")
    target = next(r for r in body if r[1] == "Ani Kecamatan A")
    target[phone] = "0899 1111 2222"
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet("Pilar")
    sheet.write_row(0, 0, headers)
    for r, row in enumerate(body, start=1):
        for c, value in enumerate(row):
            if isinstance(value, datetime.date):
                sheet.write_datetime(r, c, datetime.datetime.combine(value, datetime.time()))
            elif value != "":
                sheet.write_string(r, c, str(value))
    book.close()
    by = Actor(user=actors["operator"])
    batch = services.import_upload(by=by, upload=upload(buffer.getvalue()), filename="e.xlsx")
    services.import_set_mapping(by=by, batch=batch, mapping=batch.mapping)
    batch = services.import_check(batch_id=batch.pk)
    assert (batch.summary["updated"], batch.summary["rejected"]) == (1, 0)
    import_request_commit(by=by, batch=batch, accept_warnings=False, accept_rejected=False)
    import_commit(batch_id=batch.pk, by=by)
    assert Person.objects.get(name="Ani Kecamatan A").phone == "089911112222"


def _roster_file(tmp_path, rows) -> str:
    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx_bytes(rows))
    return str(path)


def test_cli_dry_run_prints_the_preview_and_fails_on_rejected_rows(tmp_path, people):
    good = make_nik(area6="137501", birth_date=D(1990, 3, 3), sex="L", serial=61)
    path = _roster_file(
        tmp_path,
        [
            template_row(nik=good, name="Andi", sex="L", birth_date=D(1990, 3, 3)),
            template_row(nik="123", name="Salah", sex="L", birth_date=D(1990, 3, 3)),
        ],
    )
    out = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import_roster", path, "--dry-run", stdout=out)
    assert exc.value.returncode == 1
    text = out.getvalue()
    assert "new 1" in text and "rejected 1" in text and "row 3 ERROR NIK [123]" in text
    assert "nothing was saved" in text
    assert not Person.objects.filter(name="Andi").exists()
    assert Import.objects.count() == 0


def test_cli_saves_only_with_accept_valid_when_rows_are_rejected(tmp_path, people):
    good = make_nik(area6="137501", birth_date=D(1990, 3, 3), sex="L", serial=62)
    path = _roster_file(
        tmp_path,
        [
            template_row(nik=good, name="Andi", sex="L", birth_date=D(1990, 3, 3)),
            template_row(nik="123", name="Salah", sex="L", birth_date=D(1990, 3, 3)),
        ],
    )
    with pytest.raises(CommandError):
        call_command("import_roster", path, stdout=io.StringIO())
    assert not Person.objects.filter(name="Andi").exists()
    out = io.StringIO()
    call_command("import_roster", path, "--accept-valid", stdout=out)
    assert "1 people and 0 duties added" in out.getvalue()
    assert Person.objects.filter(name="Andi").exists()
    batch = Import.objects.get(status=Import.Status.COMMITTED)
    assert batch.rows.get(number=3).status == "rejected"


def test_cli_mapping_file_by_column_letter(tmp_path, people):
    good = make_nik(area6="137501", birth_date=D(1991, 4, 4), sex="P", serial=63)
    path = tmp_path / "odd.xlsx"
    path.write_bytes(
        xlsx_bytes([[good, "Wati", "P", D(1991, 4, 4)]], headers=["ID", "Siapa", "JK", "Lahir"])
    )
    mapping = tmp_path / "mapping.json"
    mapping.write_text('{"A": "nik", "B": "name", "C": "sex", "D": "birth_date"}')
    out = io.StringIO()
    call_command("import_roster", str(path), "--mapping", str(mapping), stdout=out)
    assert Person.objects.get(nik=good).name == "Wati"
