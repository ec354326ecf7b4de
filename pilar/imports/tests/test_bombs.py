"""Workbooks built to exhaust the server: refused at once, with the reason, leaving nothing."""

from __future__ import annotations

import datetime
import io
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from django.conf import settings
from django.core.management import CommandError, call_command

from pilar.imports.models import Import
from pilar.imports.tests.files import HEADERS, template_row, upload, xlsx_bytes
from pilar.imports.tests.test_views import roster
from pilar.lib.nik import make_nik
from pilar.lib.spreadsheet import MAX_CELL_CHARS
from pilar.registry.models import Person
from pilar.tests_support import login

BOMB_CELL_BYTES = 64 * 1024 * 1024  # inflated; packed it is about 64 KB


def _rezip(content: bytes, replace) -> bytes:
    """`content` (an XLSX) with each part passed through `replace(name, data) -> data`; a part
    `replace` answers with an iterable of bytes chunks is streamed (so a huge one is never held
    in memory)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = replace(info.filename, source.read(info.filename))
            if isinstance(data, bytes):
                target.writestr(info.filename, data)
                continue
            with target.open(info.filename, "w", force_zip64=True) as stream:
                for chunk in data:
                    stream.write(chunk)
    return out.getvalue()


def bomb() -> bytes:
    """A valid roster whose one text cell inflates to BOMB_CELL_BYTES of 'A'."""
    nik = make_nik(area6="137502", birth_date=datetime.date(1980, 1, 1), sex="L", serial=5)
    base = xlsx_bytes([template_row(nik=nik, name="PLACEHOLDER", sex="L")])

    def huge(name, data):
        if name != "xl/sharedStrings.xml":
            return data
        head, tail = data.split(b"PLACEHOLDER")
        block = b"A" * (1024 * 1024)
        return [head, *(block for _ in range(BOMB_CELL_BYTES // len(block))), tail]

    return _rezip(base, huge)


def long_cell_xlsx(length: int) -> bytes:
    nik = make_nik(area6="137502", birth_date=datetime.date(1980, 1, 1), sex="L", serial=5)
    base = xlsx_bytes([template_row(nik=nik, name="PLACEHOLDER", sex="L")])
    # Text that does not pack well, so that only the cell's length is at fault.
    text = "".join(chr(0x41 + (i * 7919 % 26)) for i in range(length)).encode()
    return _rezip(
        base,
        lambda name, data: data.replace(b"PLACEHOLDER", text) if b"PLACEHOLDER" in data else data,
    )


def _media_files() -> list[Path]:
    return [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]


@pytest.fixture
def operator_client(client, actors):
    actors["operator"].language = "en"
    actors["operator"].save(update_fields=["language"])
    login(client, actors["operator"])
    return client


def test_the_bomb_is_small_on_disk_and_huge_inflated():
    content = bomb()
    assert len(content) < 200_000
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        assert sum(i.file_size for i in z.infolist()) > BOMB_CELL_BYTES


def test_a_zip_bomb_is_refused_on_the_page_leaving_nothing(
    operator_client, people, django_assert_max_num_queries
):
    before = _media_files()
    with django_assert_max_num_queries(
        16
    ):  # refused from the zip's directory, not inflated (4 of them: the double-submit guard)
        response = operator_client.post(
            "/imports/upload/", {"file": upload(bomb(), "bom.xlsx")}, follow=True
        )
    text = response.content.decode()
    assert "would unpack to 64 MB" in text and "xl/sharedStrings.xml" in text
    assert Import.objects.count() == 0
    assert _media_files() == before


def test_a_zip_bomb_is_a_400_on_the_api(client, actors, people):
    login(client, actors["operator"])
    response = client.post("/api/v1/imports", {"file": upload(bomb(), "bom.xlsx")})
    assert response.status_code == 400
    assert "xl/sharedStrings.xml" in str(response.json())
    assert Import.objects.count() == 0
    assert _media_files() == []


def test_a_zip_bomb_is_refused_by_the_command_line(people, tmp_path):
    path = tmp_path / "bom.xlsx"
    path.write_bytes(bomb())
    with pytest.raises(CommandError, match="would unpack to 64 MB"):
        call_command("import_roster", str(path), "--dry-run")
    with pytest.raises(CommandError, match="would unpack to 64 MB"):
        call_command("import_roster", str(path))
    assert Import.objects.count() == 0


def _padded(parts: int) -> bytes:
    """A roster with `parts` extra parts of 8 MB each (each below the ratio check's floor)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(roster(2))) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename))
        for i in range(parts):
            target.writestr(f"xl/media/pad{i}.bin", bytes(8 * 1024 * 1024))
    return out.getvalue()


def test_a_workbook_inflating_beyond_the_bound_is_refused(operator_client, people, settings):
    # 1 MB uploads at most: the parts together may inflate to 20 MB, whatever their ratio.
    settings.PILAR_IMPORT_MAX_MB = 1
    operator_client.post("/imports/upload/", {"file": upload(_padded(2))})
    assert Import.objects.count() == 1
    response = operator_client.post("/imports/upload/", {"file": upload(_padded(3))}, follow=True)
    assert "would unpack to 24 MB" in response.content.decode()
    assert Import.objects.count() == 1


def test_an_over_long_cell_is_refused_naming_the_cell(operator_client, people):
    content = long_cell_xlsx(MAX_CELL_CHARS + 1)
    response = operator_client.post(
        "/imports/upload/", {"file": upload(content, "panjang.xlsx")}, follow=True
    )
    text = response.content.decode()
    column = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[HEADERS.index("Nama")]
    assert f"Cell {column}2 holds 32.768 characters" in text and "at most 32.767" in text
    assert Import.objects.count() == 0 and Person.objects.count() == len(people)
    assert _media_files() == []


def test_a_cell_at_excels_limit_is_read(operator_client, people):
    content = long_cell_xlsx(MAX_CELL_CHARS)
    operator_client.post("/imports/upload/", {"file": upload(content, "pas.xlsx")})
    assert Import.objects.count() == 1


@pytest.mark.parametrize("length", [MAX_CELL_CHARS + 1, 200_000])
def test_an_over_long_csv_cell_is_refused(operator_client, people, length):
    nik = make_nik(area6="137502", birth_date=datetime.date(1980, 1, 1), sex="L", serial=5)
    row = [str(v) for v in template_row(nik=nik, name="x" * length, sex="L")]
    content = (",".join(HEADERS) + "\n" + ",".join(row) + "\n").encode()
    response = operator_client.post(
        "/imports/upload/", {"file": upload(content, "panjang.csv")}, follow=True
    )
    text = response.content.decode()
    assert "32.767" in text and ("Cell" in text or "Line 2" in text)
    assert Import.objects.count() == 0
    assert _media_files() == []


def test_a_sheet_with_one_far_cell_is_refused_before_it_is_laid_out(operator_client, people):
    """Two cells, at A1 and ALL1000000: a few kilobytes that a reader would lay out as a
    grid of a billion cells (32 GB)."""
    far = b'<row r="1000000"><c r="ALL1000000" t="inlineStr"><is><t>y</t></is></c></row>'
    content = _rezip(
        roster(1),
        lambda name, data: (
            data.replace(b"</sheetData>", far + b"</sheetData>")
            if name == "xl/worksheets/sheet1.xml"
            else data
        ),
    )
    assert len(content) < 20_000
    response = operator_client.post(
        "/imports/upload/", {"file": upload(content, "jauh.xlsx")}, follow=True
    )
    text = response.content.decode()
    assert "reaches row 1.000.000 and column ALL" in text and "at most 5.000.000" in text
    assert Import.objects.count() == 0 and _media_files() == []


def _ods(rows_xml: str) -> bytes:
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Pilar">'
        '<table:table-row><table:table-cell office:value-type="string"><text:p>NIK</text:p>'
        f"</table:table-cell></table:table-row>{rows_xml}"
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content)
        z.writestr("META-INF/manifest.xml", "<manifest/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "rows_xml",
    [
        # One cell with a value, repeated 1,000 times across and a million times down.
        '<table:table-row table:number-rows-repeated="1000000">'
        '<table:table-cell table:number-columns-repeated="1000" office:value-type="string">'
        "<text:p>x</text:p></table:table-cell></table:table-row>",
        # A million empty rows, then one value far to the right.
        '<table:table-row table:number-rows-repeated="1000000">'
        '<table:table-cell table:number-columns-repeated="16000"/></table:table-row>'
        '<table:table-row><table:table-cell table:number-columns-repeated="16000"/>'
        '<table:table-cell office:value-type="string"><text:p>y</text:p></table:table-cell>'
        "</table:table-row>",
    ],
    ids=["repeated", "far"],
)
def test_an_ods_that_repeats_into_billions_of_cells_is_refused(operator_client, people, rows_xml):
    response = operator_client.post(
        "/imports/upload/", {"file": upload(_ods(rows_xml), "ulang.ods")}, follow=True
    )
    assert "cells once laid out" in response.content.decode()
    assert Import.objects.count() == 0 and _media_files() == []


def test_an_ods_with_empty_repeats_like_libreoffice_writes_is_read(operator_client, people):
    """LibreOffice ends a sheet with its empty rows and columns repeated to the sheet's edge."""
    rows_xml = (
        '<table:table-row><table:table-cell office:value-type="string"><text:p>1375</text:p>'
        '</table:table-cell><table:table-cell table:number-columns-repeated="16383"/>'
        '</table:table-row><table:table-row table:number-rows-repeated="1048574">'
        '<table:table-cell table:number-columns-repeated="16384"/></table:table-row>'
    )
    operator_client.post("/imports/upload/", {"file": upload(_ods(rows_xml), "lo.ods")})
    assert Import.objects.count() == 1


def test_an_xls_with_one_far_cell_is_refused(operator_client, people):
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("Data")
    sheet.write(0, 0, "NIK")
    sheet.write(65535, 255, "x")  # the farthest cell an XLS holds: 16.7 million laid out
    buffer = io.BytesIO()
    book.save(buffer)
    response = operator_client.post(
        "/imports/upload/", {"file": upload(buffer.getvalue(), "jauh.xls")}, follow=True
    )
    assert "reaches row 65.536 and column IV" in response.content.decode()
    assert Import.objects.count() == 0 and _media_files() == []


def test_a_csv_line_of_a_million_columns_is_refused(operator_client, people):
    content = ("NIK" + ",Nama" * 1_000_000 + "\n").encode()
    response = operator_client.post(
        "/imports/upload/", {"file": upload(content, "lebar.csv")}, follow=True
    )
    text = response.content.decode()
    assert "Row 1 has 1.000.001 columns; a sheet has at most 16.384" in text
    assert Import.objects.count() == 0 and _media_files() == []


def test_a_workbook_of_thousands_of_sheets_is_refused(operator_client, people):
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    for i in range(1001):
        book.add_worksheet(f"S{i}").write(0, 0, "x")
    book.close()
    response = operator_client.post(
        "/imports/upload/", {"file": upload(buffer.getvalue(), "lembar.xlsx")}, follow=True
    )
    assert "The workbook has 1001 sheets; at most 1000 are read" in response.content.decode()
    assert Import.objects.count() == 0 and _media_files() == []
