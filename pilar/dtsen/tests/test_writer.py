import datetime
import io
import random
from pathlib import Path

import pytest

from pilar.casework.models import Household
from pilar.dtsen.columns import (
    EXTRACT_COLUMNS,
    RELATION_CODES,
    RELATION_HEADER_WORD,
    RELATION_WORDS,
    VARIANTS,
)
from pilar.dtsen.tests.web_support import make_family
from pilar.dtsen.writer import households_extract_response, write_extract
from pilar.imports.engine.normalize import (
    date_from_cell,
    header_key,
    nik_from_cell,
    sex_from_cell,
)
from pilar.lib.spreadsheet import Spreadsheet, text_from_cell

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 1, 1)
KEY_OF_HEADER = {
    header_key(name): c.key for c in EXTRACT_COLUMNS for name in [c.header, *VARIANTS[c.key]]
}


def read(path: Path) -> tuple[list[str], list[list]]:
    """The header keys and the data rows of the written file (the header found as the first
    row whose cells all name extract columns)."""
    with Spreadsheet(path) as book:
        rows = [cells for _n, cells in book.rows(book.first_visible())]
    for i, cells in enumerate(rows):
        keys = [KEY_OF_HEADER.get(header_key(c)) for c in cells]
        if len(keys) == len(EXTRACT_COLUMNS) and all(keys):
            return keys, [r + [None] * (len(keys) - len(r)) for r in rows[i + 1 :]]
    raise AssertionError("no header row")


def relation_of(value) -> str:
    text = text_from_cell(value).strip()
    return RELATION_CODES.get(text) or RELATION_WORDS[" ".join(text.lower().split())]


def meaning(keys: list[str], row: list) -> dict:
    """What the import reads in a row, with the engine's own cell readers."""
    cell = dict(zip(keys, row, strict=True))
    decile = text_from_cell(cell["decile"]).strip()
    return {
        "dtsen_id": text_from_cell(cell["dtsen_id"]).strip(),
        "kk_number": nik_from_cell(cell["kk_number"]),
        "nik": nik_from_cell(cell["nik"]),
        "name": text_from_cell(cell["name"]).strip(),
        "relation": relation_of(cell["relation"]),
        "sex": sex_from_cell(cell["sex"]),
        "birth_date": date_from_cell(cell["birth_date"], today=TODAY),
        "address": text_from_cell(cell["address"]).strip(),
        "rt_rw": text_from_cell(cell["rt_rw"]).strip(),
        "area_code": text_from_cell(cell["area_code"]).strip(),
        "kelurahan": text_from_cell(cell["kelurahan"]).strip().casefold(),
        "kecamatan": text_from_cell(cell["kecamatan"]).strip().casefold(),
        "decile": int(decile) if decile else None,
    }


def expected(households) -> list[dict]:
    out = []
    for h in households:
        members = sorted(
            h.members.filter(left_on__isnull=True), key=lambda m: (m.relation != "head", m.pk)
        )
        for m in members:
            out.append(
                {
                    "dtsen_id": h.dtsen_id,
                    "kk_number": h.kk_number,
                    "nik": m.nik,
                    "name": m.name,
                    "relation": m.relation,
                    "sex": m.sex,
                    "birth_date": m.birth_date,
                    "address": h.address,
                    "rt_rw": h.rt_rw,
                    "area_code": h.area.code,
                    "kelurahan": h.area.name.casefold(),
                    "kecamatan": h.area.parent.name.casefold(),
                    "decile": h.decile,
                }
            )
    return out


@pytest.fixture
def families(reference):
    made = [
        make_family(members=5),
        make_family("13.75.01.1002", members=2, decile=7),
        make_family("13.75.02.1001", members=1, decile=None, dtsen_id=""),
    ]
    # One member who left: not in the extract.
    gone = made[0].members.get(relation="parent")
    gone.left_on = datetime.date(2025, 1, 1)
    gone.left_reason = "meninggal"
    gone.save()
    return made


def test_the_extract_has_the_columns_in_order_and_one_row_per_current_member(
    families, tmp_path, django_assert_max_num_queries
):
    path = tmp_path / "out.xlsx"
    with django_assert_max_num_queries(3):
        write_extract(Household.objects.order_by("pk"), path)
    with Spreadsheet(path) as book:
        header = next(iter(book.rows(book.first_visible())))[1]
    assert header == [c.header for c in EXTRACT_COLUMNS]
    keys, rows = read(path)
    assert len(rows) == 4 + 2 + 1
    assert [meaning(keys, r) for r in rows] == expected(families)
    # Plain file: NIK and KK are text cells, the relation the extract's word, dates real dates.
    first = dict(zip(keys, rows[0], strict=True))
    assert isinstance(first["nik"], str) and isinstance(first["kk_number"], str)
    assert first["relation"] == RELATION_HEADER_WORD["head"]
    assert isinstance(first["birth_date"], datetime.date)
    assert first["sex"] == "L"


def test_a_list_of_households_is_written_to_a_file_object(families, tmp_path):
    out = io.BytesIO()
    write_extract(families[1:2], out)
    path = tmp_path / "list.xlsx"
    path.write_bytes(out.getvalue())
    keys, rows = read(path)
    assert [meaning(keys, r) for r in rows] == expected(families[1:2])


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_a_messy_extract_means_the_same(families, tmp_path, seed):
    path = tmp_path / "messy.xlsx"
    write_extract(Household.objects.order_by("pk"), path, messy=random.Random(seed))
    keys, rows = read(path)
    assert [meaning(keys, r) for r in rows] == expected(families)


def test_a_messy_extract_is_messy(families, tmp_path):
    path = tmp_path / "messy.xlsx"
    many = families + [make_family(members=5) for _ in range(8)]
    write_extract(Household.objects.order_by("pk"), path, messy=random.Random(7))
    keys, rows = read(path)
    assert len(rows) == sum(h.members.filter(left_on__isnull=True).count() for h in many)
    with Spreadsheet(path) as book:
        first = next(iter(book.rows(book.first_visible())))[1]
    assert "DTSEN" in first[0]  # a title above the header
    with Spreadsheet(path) as book:
        header = list(book.rows(book.first_visible()))[2][1]
    assert header != [c.header for c in EXTRACT_COLUMNS]  # some columns by another name
    column = {k: [r[i] for r in rows] for i, k in enumerate(keys)}
    assert any(isinstance(v, float | int) for v in column["nik"])
    assert any(isinstance(v, str) and v.startswith("'") for v in column["nik"])
    assert any(isinstance(v, datetime.date) for v in column["birth_date"])
    assert any(isinstance(v, str) and "/" in v for v in column["birth_date"])
    assert any(v in {"LAKI-LAKI", "PEREMPUAN"} for v in column["sex"])
    assert any(v in RELATION_CODES for v in column["relation"])
    assert any(v != v.strip() for v in column["name"])
    assert any(v == v.upper() for v in column["kelurahan"])


def test_the_download_is_an_xlsx_attachment(families):
    response = households_extract_response(Household.objects.all())
    assert response["Content-Disposition"].startswith('attachment; filename="ekstrak-dtsen-')
    body = b"".join(response.streaming_content)
    assert body[:2] == b"PK"


@pytest.mark.parametrize("seed", range(6))
def test_the_import_reads_a_messy_extract_back_as_all_unchanged(families, tmp_path, seed):
    from pilar.dtsen.services import check_in_memory

    many = [make_family(kelurahan, members=5) for kelurahan in ("13.75.01.1003", "13.75.03.1001")]
    path = tmp_path / "messy.xlsx"
    write_extract(Household.objects.order_by("pk"), path, messy=random.Random(seed))
    dry = check_in_memory(path, as_of=datetime.date(2025, 6, 30))
    assert [r.problems for r in dry.problem_rows] == []
    assert dry.summary["households"]["unchanged"] == len(families) + len(many), dry.summary
    assert dry.summary["rows"] == 4 + 2 + 1 + 10
