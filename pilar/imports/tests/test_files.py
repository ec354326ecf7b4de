"""Every kind of file offices send, and every kind of bad file: each read, or refused with a
message, and nothing half-saved."""

from __future__ import annotations

import datetime
import io
import zipfile

import pytest
import xlsxwriter
import xlwt
from django.core.exceptions import ValidationError
from msoffcrypto.format.ooxml import OOXMLFile

from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor
from pilar.imports import services
from pilar.imports.commit import import_commit, import_request_commit
from pilar.imports.models import Import, ImportRow
from pilar.imports.tests.files import (
    HEADERS,
    checked,
    csv_bytes,
    template_row,
    upload,
    xlsx_bytes,
)
from pilar.lib.nik import make_nik
from pilar.registry.models import Person

D = datetime.date
NIK = make_nik(area6="137501", birth_date=D(1980, 8, 12), sex="P", serial=77)
ROW = template_row(nik=NIK, name="Siti Aminah", sex="P", birth_date=D(1980, 8, 12))


@pytest.fixture
def by(actors):
    return Actor(user=actors["operator"], source=AuditEntry.Source.WEB)


def refused(by, content: bytes, name: str) -> str:
    before = (Import.objects.count(), Person.objects.count())
    with pytest.raises(ValidationError) as exc:
        services.import_upload(by=by, upload=upload(content, name), filename=name)
    assert (Import.objects.count(), Person.objects.count()) == before
    return " ".join(exc.value.messages)


def ods_bytes(rows: list[list[str]]) -> bytes:
    """A minimal OpenDocument spreadsheet, as LibreOffice's format defines it."""
    cells = "".join(
        "<table:table-row>"
        + "".join(
            f'<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>'
            for v in row
        )
        + "</table:table-row>"
        for row in rows
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="Pilar">{cells}'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(
            "mimetype",
            "application/vnd.oasis.opendocument.spreadsheet",
            compress_type=zipfile.ZIP_STORED,
        )
        z.writestr("content.xml", content)
        z.writestr("META-INF/manifest.xml", manifest)
    return buffer.getvalue()


def xls_bytes(rows: list[list]) -> bytes:
    book = xlwt.Workbook()
    sheet = book.add_sheet("Pilar")
    for c, h in enumerate(HEADERS):
        sheet.write(0, c, h)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, datetime.date):
                sheet.write(r, c, value, xlwt.easyxf(num_format_str="DD-MM-YYYY"))
            elif value not in ("", None):
                sheet.write(r, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# Files that are read -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,content",
    [
        ("roster.xlsx", lambda: xlsx_bytes([ROW])),
        ("roster.xls", lambda: xls_bytes([ROW])),
        ("roster.ods", lambda: ods_bytes([HEADERS, [str(v) for v in ROW]])),
        ("roster.csv", lambda: csv_bytes([ROW])),  # UTF-8 with BOM, as Excel saves it
        ("roster.csv", lambda: csv_bytes([ROW], encoding="utf-8")),
        ("roster.csv", lambda: csv_bytes([ROW], delimiter=";", encoding="cp1252")),
        ("roster.txt", lambda: csv_bytes([ROW], delimiter="\t", encoding="utf-16")),
        ("renamed.xls", lambda: csv_bytes([ROW])),  # a CSV saved with an .xls name
    ],
)
def test_every_format_reads_the_same_person(by, people, name, content):
    batch = checked(by, content(), name)
    assert batch.status == Import.Status.PREVIEW, batch.message
    row = ImportRow.objects.get(batch=batch)
    assert (row.status, row.nik, row.name) == ("new", NIK, "Siti Aminah"), row.problems


def test_a_title_above_the_header_and_office_headers(by, people):
    headers = [
        "No",
        "Nama Lengkap",
        "No. KTP",
        "L/P",
        "Tgl Lahir",
        "Desa/Kelurahan",
        "Jabatan",
        "TMT",
        "No HP",
    ]
    row = [
        1,
        "Siti Aminah",
        "'" + NIK,
        "Perempuan",
        "12 Agustus 1980",
        "Tarok Dipo",
        "PSM",
        45474,
        "0812-3456-7890",
    ]  # TMT as an Excel serial number: 1 July 2024
    content = xlsx_bytes([row], headers=headers, title="DAFTAR PSM KOTA BUKITTINGGI 2024")
    batch = services.import_upload(by=by, upload=upload(content), filename="psm.xlsx")
    assert batch.header_row == 3
    assert batch.mapping == {
        "1": "name",
        "2": "nik",
        "3": "sex",
        "4": "birth_date",
        "5": "kelurahan",
        "6": "kind",
        "7": "start_date",
        "8": "phone",
    }
    services.import_set_mapping(by=by, batch=batch, mapping=batch.mapping)
    batch = services.import_check(batch_id=batch.pk)
    assert batch.summary["new"] == 1, list(batch.rows.values_list("problems", flat=True))
    import_request_commit(by=by, batch=batch, accept_warnings=False, accept_rejected=False)
    import_commit(batch_id=batch.pk, by=by)
    duty = Person.objects.get(nik=NIK).assignments.get()
    assert (duty.start_date, duty.area.name) == (D(2024, 7, 1), "Tarok Dipo")


def test_hidden_sheet_is_skipped_and_named(by, people):
    content = xlsx_bytes(
        [ROW],
        sheet="Pilar",
        extra_sheets={"Lama": (["NIK", "Nama"], [[NIK, "Lama"]])},
        hidden={"Lama"},
    )
    batch = services.import_upload(by=by, upload=upload(content), filename="x.xlsx")
    assert batch.sheet == "Pilar"
    assert any("Lama" in note for note in batch.notes)
    assert ["Lama", False] in batch.sheets


def test_merged_header_cells_are_named(by, people):
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("Pilar")
    sheet.write_row(0, 0, ["NIK", "Nama"])
    sheet.merge_range("C1:D1", "Tempat/Tgl Lahir")
    sheet.write_row(1, 0, [NIK, "Siti", "Bukittinggi", "12-08-1980"])
    book.close()
    batch = services.import_upload(by=by, upload=upload(buffer.getvalue()), filename="m.xlsx")
    assert any("C1:D1" in note and "merged" in note for note in batch.notes)
    assert batch.mapping["0"] == "nik"


def test_formula_cells_are_read_as_shown_with_a_warning(by, people):
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("Pilar")
    sheet.write_row(0, 0, ["NIK", "Nama", "Jenis Kelamin", "Tanggal Lahir"])
    sheet.write_string(1, 0, NIK)
    sheet.write_formula(1, 1, '="Siti "&"Aminah"', None, "Siti Aminah")
    sheet.write_row(1, 2, ["P", "12-08-1980"])
    other = make_nik(area6="137501", birth_date=D(1981, 1, 1), sex="L", serial=5)
    sheet.write_string(2, 0, other)
    sheet.write_formula(2, 1, "=A99", None, "")  # never calculated
    sheet.write_row(2, 2, ["L", "01-01-1981"])
    book.close()
    batch = checked(by, buffer.getvalue(), "f.xlsx")
    first = ImportRow.objects.get(batch=batch, number=2)
    assert first.status == "new" and first.name == "Siti Aminah"
    assert any(p[0] == "warning" and "B2" in p[3] for p in first.problems)
    second = ImportRow.objects.get(batch=batch, number=3)
    assert second.status == "rejected"
    assert any("B3" in p[3] and "never calculated" in p[3] for p in second.problems)
    with pytest.raises(ValidationError, match="warnings"):
        import_request_commit(by=by, batch=batch, accept_warnings=False, accept_rejected=True)


def test_excel_numbers_and_scientific_notation_are_never_guessed(by, people):
    rows = [
        template_row(nik=1375014508800000, name="A", sex="P", birth_date=D(1980, 8, 5)),
        template_row(nik="1.37501E+15", name="B", sex="P", birth_date=D(1980, 8, 5)),
        template_row(nik=NIK + ".0", name="Siti Aminah", sex="P", birth_date=D(1980, 8, 12)),
    ]
    batch = checked(by, xlsx_bytes(rows), "n.xlsx")
    statuses = dict(batch.rows.values_list("number", "status"))
    assert statuses == {2: "rejected", 3: "rejected", 4: "new"}
    assert Person.objects.filter(name__in=["A", "B"]).count() == 0


# Files that are refused ----------------------------------------------------------------------


def test_empty_file(by, people):
    assert "empty" in refused(by, b"", "kosong.xlsx")


@pytest.mark.parametrize(
    "content",
    [
        b"%PDF-1.4\n%\xe2\xe3\n1 0 obj",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"\x00\x01\x02binary",
    ],
)
def test_not_a_spreadsheet(by, people, content):
    assert "not a spreadsheet" in refused(by, content, "roster.xlsx")


def test_a_zip_that_is_not_a_workbook(by, people):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("word/document.xml", "<w/>")
    assert "not a spreadsheet" in refused(by, buffer.getvalue(), "surat.xlsx")


def test_password_protected_workbook(by, people):
    encrypted = io.BytesIO()
    OOXMLFile(io.BytesIO(xlsx_bytes([ROW]))).encrypt("rahasia", encrypted)
    assert "password" in refused(by, encrypted.getvalue(), "rahasia.xlsx")


def test_sheet_without_a_nik_column(by, people):
    content = xlsx_bytes([["Siti", "P"]], headers=["Nama", "L/P"])
    batch = services.import_upload(by=by, upload=upload(content), filename="tanpa-nik.xlsx")
    with pytest.raises(ValidationError, match="No column is mapped to NIK"):
        services.import_set_mapping(by=by, batch=batch, mapping=batch.mapping)
    batch.refresh_from_db()
    assert batch.status == Import.Status.MAPPING


def test_two_hundred_thousand_rows(by, people):
    line = ",".join(str(v) for v in ROW) + "\n"
    content = ("\ufeff" + ",".join(HEADERS) + "\n" + line * 200_000).encode()
    message = refused(by, content, "besar.csv")
    assert "200.000 rows" in message and "100.000" in message


def test_fifty_megabyte_upload(by, people):
    message = refused(by, b"x" * (50 * 1024 * 1024), "besar.xlsx")
    assert "50.0 MB" in message and "25 MB" in message


def test_empty_sheet(by, people):
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.add_worksheet("Kosong")
    book.close()
    assert "empty" in refused(by, buffer.getvalue(), "kosong.xlsx")
