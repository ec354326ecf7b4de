"""Extracts built inside the engine's, services' and command line's tests (XlsxWriter), and the
steps of an import run the way the worker runs them."""

from __future__ import annotations

import datetime
import io
import itertools
from pathlib import Path

import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile

from pilar.dtsen import services
from pilar.dtsen.columns import EXTRACT_COLUMNS
from pilar.dtsen.models import HouseholdImport
from pilar.lib.nik import make_nik

HEADERS = [c.header for c in EXTRACT_COLUMNS]
KEYS = [c.key for c in EXTRACT_COLUMNS]
_serial = itertools.count(5000)

KEL_A = "13.75.01.1001"  # Tarok Dipo, kecamatan Guguak Panjang
KEL_B = "13.75.01.1002"
KEL_C = "13.75.02.1001"  # Campago Guguk Bulek, kecamatan MKS

PEOPLE = [
    ("head", "L", datetime.date(1975, 3, 4), "Amir"),
    ("spouse", "P", datetime.date(1978, 11, 23), "Rosna"),
    ("child", "L", datetime.date(2005, 1, 9), "Rahmat"),
    ("child", "P", datetime.date(2010, 7, 30), "Sari"),
]
WORD = {"head": "Kepala Keluarga", "spouse": "Istri", "child": "Anak", "parent": "Orang Tua"}


def kk_for(area: str = KEL_A) -> str:
    return f"{area.replace('.', '')[:6]}150120{next(_serial) % 9000 + 1:04d}"


def nik_for(area: str, born: datetime.date, sex: str) -> str:
    return make_nik(
        area6=area.replace(".", "")[:6], birth_date=born, sex=sex, serial=next(_serial) % 9000 + 1
    )


def family(
    area: str = KEL_A,
    *,
    kk: str | None = None,
    members: int = 3,
    decile: int | None = 2,
    dtsen_id: str | None = None,
    address: str = "Jl. Sudirman No. 1",
    rt_rw: str = "001/002",
) -> list[dict]:
    """The rows of one KK: a head, a spouse, children."""
    kk = kk or kk_for(area)
    rows = []
    for relation, sex, born, name in PEOPLE[:members]:
        rows.append(
            {
                "dtsen_id": dtsen_id if dtsen_id is not None else f"DT{kk[-6:]}",
                "kk_number": kk,
                "nik": nik_for(area, born, sex),
                "name": f"{name} {kk[-4:]}",
                "relation": WORD[relation],
                "sex": sex,
                "birth_date": born,
                "address": address,
                "rt_rw": rt_rw,
                "area_code": area,
                "kelurahan": "",
                "kecamatan": "",
                "decile": decile,
            }
        )
    return rows


def xlsx_bytes(rows: list[dict], *, headers: list[str] | None = None, title: str = "") -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet("DTSEN")
    date = book.add_format({"num_format": "dd/mm/yyyy"})
    r = 0
    if title:
        sheet.write_string(0, 0, title)
        r = 2
    for c, header in enumerate(headers or HEADERS):
        sheet.write_string(r, c, header)
    for row in rows:
        r += 1
        for c, key in enumerate(KEYS):
            value = row.get(key)
            if value is None or value == "":
                continue
            if isinstance(value, datetime.date):
                sheet.write_datetime(r, c, datetime.datetime.combine(value, datetime.time()), date)
            elif isinstance(value, int | float):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, str(value))
    book.close()
    return buffer.getvalue()


def write(tmp_path: Path, rows: list[dict], name: str = "extract.xlsx", **kwargs) -> Path:
    path = tmp_path / name
    path.write_bytes(xlsx_bytes(rows, **kwargs))
    return path


def upload(content: bytes, name: str = "extract.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def checked(by, content: bytes, *, as_of: datetime.date | None = None) -> HouseholdImport:
    """Uploaded, mapped as guessed, checked: the import at its preview."""
    batch = services.extract_upload(by=by, upload=upload(content), filename="extract.xlsx")
    services.extract_set_mapping(
        by=by, batch=batch, header_row=batch.header_row, mapping=batch.mapping, as_of=as_of
    )
    return services.extract_check(batch_id=batch.pk)


def saved(by, batch: HouseholdImport, *, accept_valid: bool = False) -> HouseholdImport:
    services.extract_request_commit(by=by, batch=batch, accept_valid=accept_valid)
    return services.extract_commit(batch_id=batch.pk, by=by)
