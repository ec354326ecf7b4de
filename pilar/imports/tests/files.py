"""Spreadsheets built inside the tests, with the libraries offices' files come from."""

from __future__ import annotations

import csv
import datetime
import io

import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile

from pilar.imports.engine.columns import TEMPLATE_COLUMNS

HEADERS = [c.header for c in TEMPLATE_COLUMNS]


def xlsx_bytes(
    rows: list[list],
    *,
    headers: list[str] | None = None,
    title: str | None = None,
    sheet: str = "Data",
    extra_sheets: dict | None = None,
    hidden: set | None = None,
    numbers_as_numbers: bool = True,
) -> bytes:
    """A workbook whose first sheet holds `headers` then `rows`; dates become date cells, ints and
    floats numbers (as Excel stores them), a string starting with '=' a formula."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False}
    )
    date_format = book.add_format({"num_format": "dd/mm/yyyy"})
    sheets = {sheet: (headers if headers is not None else HEADERS, rows, title)}
    for name, content in (extra_sheets or {}).items():
        sheets[name] = (content[0], content[1], None)
    for name, (head, body, heading) in sheets.items():
        ws = book.add_worksheet(name)
        if hidden and name in hidden:
            ws.hide()
        r = 0
        if heading:
            ws.write_string(0, 0, heading)
            r = 2
        for c, h in enumerate(head):
            ws.write_string(r, c, h)
        for row in body:
            r += 1
            for c, value in enumerate(row):
                if value is None or value == "":
                    continue
                if isinstance(value, datetime.date):
                    ws.write_datetime(
                        r, c, datetime.datetime.combine(value, datetime.time()), date_format
                    )
                elif isinstance(value, int | float) and numbers_as_numbers:
                    ws.write_number(r, c, value)
                elif isinstance(value, str) and value.startswith("="):
                    ws.write_formula(r, c, value)
                else:
                    ws.write_string(r, c, str(value))
    book.close()
    return buffer.getvalue()


def csv_bytes(
    rows: list[list],
    *,
    headers: list[str] | None = None,
    delimiter: str = ",",
    encoding: str = "utf-8-sig",
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(headers if headers is not None else HEADERS)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue().encode(encoding)


def upload(content: bytes, name: str = "roster.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def template_row(**values) -> list:
    """A row in the template's column order from keyword values."""
    return [values.get(c.key, "") for c in TEMPLATE_COLUMNS]


def checked(by, content: bytes, name: str = "roster.xlsx", mapping: dict | None = None):
    """Upload `content`, keep the columns Pilar recognised (or `mapping`), check the rows."""
    from pilar.imports import services

    batch = services.import_upload(by=by, upload=upload(content, name), filename=name)
    services.import_set_mapping(by=by, batch=batch, mapping=mapping or batch.mapping)
    return services.import_check(batch_id=batch.pk)


def saved(by, batch, *, accept_warnings: bool = False, accept_rejected: bool = False):
    """Ask to save a checked import, then save it as the worker would."""
    from pilar.imports.commit import import_commit, import_request_commit

    import_request_commit(
        by=by, batch=batch, accept_warnings=accept_warnings, accept_rejected=accept_rejected
    )
    return import_commit(batch_id=batch.pk, by=by)


# An office's own roster, as the office keeps it: a title above the header, the SK number and
# date, no start date (TMT) column. docs/IMPORTS.md describes how it goes in.
OFFICE_HEADERS = [
    "No",
    "Nama Lengkap",
    "No. KTP",
    "L/P",
    "Tempat Lahir",
    "Tgl Lahir",
    "Alamat",
    "Desa/Kelurahan",
    "Kecamatan",
    "No HP",
    "Jabatan",
    "No. SK",
    "Tgl SK",
    "Bank",
    "No. Rekening",
]


def office_roster_rows(serial: int = 700) -> list[list]:
    """Six valid rows (PSM of three kecamatan, a TKSK, a Tagana), then one whose NIK Excel
    stored as a number (refused: its last digit may be lost)."""
    from pilar.lib.nik import make_nik

    d = datetime.date
    people = [
        ("Rahmi Yulianti", "P", d(1984, 5, 3), "Tarok Dipo", "Guguak Panjang", "PSM"),
        ("Syafrizal", "L", d(1979, 11, 20), "Pakan Kurai", "Guguak Panjang", "PSM"),
        ("Nurhayati", "P", d(1990, 2, 14), "Campago Ipuh", "Mandiangin Koto Selayan", "PSM"),
        ("Andi Saputra", "L", d(1988, 7, 1), "Garegeh", "Mandiangin Koto Selayan", "PSM"),
        ("Yusnita", "P", d(1986, 9, 9), "", "Aur Birugo Tigo Baleh", "TKSK"),
        ("Fadli Rahman", "L", d(1992, 12, 30), "Birugo", "Aur Birugo Tigo Baleh", "TAGANA"),
    ]
    area6 = {"Guguak Panjang": "137501", "Mandiangin Koto Selayan": "137502"}
    rows = []
    for i, (name, sex, born, kelurahan, kecamatan, kind) in enumerate(people):
        nik = make_nik(
            area6=area6.get(kecamatan, "137503"), birth_date=born, sex=sex, serial=serial + i
        )
        rows.append(
            [
                i + 1,
                name,
                nik,
                sex,
                "Bukittinggi",
                born.strftime("%d-%m-%Y"),
                f"Jl. Sudirman No. {i + 1}",
                kelurahan,
                kecamatan,
                f"0812660{serial + i:05d}",
                kind,
                f"800/{i + 1}/DINSOS/2023",
                d(2023, 3, 1) if i % 2 else "01-03-2023",
                "Bank Nagari",
                f"'00123{serial + i:05d}",
            ]
        )
    bad = make_nik(area6="137501", birth_date=d(1981, 1, 1), sex="L", serial=serial + 50)
    rows.append(
        [7, "Angka Saja", float(bad[:15] + "0"), "L", "Bukittinggi", "01-01-1981", "", "Birugo"]
        + ["Aur Birugo Tigo Baleh", "", "PSM", "800/7/DINSOS/2023", "01-03-2023", "", ""]
    )
    return rows


def office_roster_xlsx(serial: int = 700) -> bytes:
    """The office roster as an XLSX written by XlsxWriter: two title rows above the header."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False}
    )
    sheet = book.add_worksheet("PSM 2023")
    sheet.write_string(0, 0, "DAFTAR PILAR SOSIAL KOTA BUKITTINGGI")
    sheet.write_string(1, 0, "DINAS SOSIAL TAHUN 2023")
    date_format = book.add_format({"num_format": "dd/mm/yyyy"})
    for c, header in enumerate(OFFICE_HEADERS):
        sheet.write_string(3, c, header)
    for r, row in enumerate(office_roster_rows(serial), start=4):
        for c, value in enumerate(row):
            if value in ("", None):
                continue
            if isinstance(value, datetime.date):
                sheet.write_datetime(
                    r, c, datetime.datetime.combine(value, datetime.time()), date_format
                )
            elif isinstance(value, int | float):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, value)
    book.close()
    return buffer.getvalue()
