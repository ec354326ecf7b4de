"""`pilar import-roster`: an office's roster without a start date column, the start-date rule,
and every kind of problem a row can carry, printed (never a traceback)."""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.core.management import CommandError, call_command

from pilar.imports.engine.columns import guess_field, guess_mapping
from pilar.imports.engine.normalize import PROBLEM_CODES
from pilar.imports.models import Import
from pilar.imports.tests.files import (
    HEADERS,
    OFFICE_HEADERS,
    office_roster_rows,
    office_roster_xlsx,
    template_row,
    xlsx_bytes,
)
from pilar.lib.nik import make_nik, mask_nik
from pilar.regions.models import Area
from pilar.registry.models import Assignment, Person

D = datetime.date


def run(*args) -> tuple[str, CommandError | None]:
    """The command's output, and the CommandError it ended with (None: it succeeded)."""
    out = io.StringIO()
    try:
        call_command("import_roster", *[str(a) for a in args], stdout=out)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def test_the_office_headers_are_recognised():
    found = {OFFICE_HEADERS[int(i)]: key for i, key in guess_mapping(OFFICE_HEADERS).items()}
    assert found == {
        "Nama Lengkap": "name",
        "No. KTP": "nik",
        "L/P": "sex",
        "Tempat Lahir": "birth_place",
        "Tgl Lahir": "birth_date",
        "Alamat": "address",
        "Desa/Kelurahan": "kelurahan",
        "Kecamatan": "kecamatan",
        "No HP": "phone",
        "Jabatan": "kind",
        "No. SK": "sk_number",
        "Tgl SK": "sk_date",
        "Bank": "bank_name",
        "No. Rekening": "bank_account",
    }


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("NIK / No. KTP", "nik"),
        ("No KTP/NIK", "nik"),
        ("Jenis Kelamin (L/P)", "sex"),
        ("No. HP/WA", "phone"),
        ("Nomor Handphone", "phone"),
        ("Jabatan/Unsur", "kind"),
        ("Kel/Desa", "kelurahan"),
        ("Tanggal SK Pengangkatan", "sk_date"),
        ("TMT Pengangkatan", "start_date"),
        ("Tgl. SK", "sk_date"),
        ("No.SK", "sk_number"),
    ],
)
def test_variants_of_the_office_headers_are_recognised(header, key):
    assert guess_field(header) == key


def test_office_roster_without_start_dates_goes_in_with_start_date_sk(reference, tmp_path):
    path = tmp_path / "daftar-pilar-2023.xlsx"
    path.write_bytes(office_roster_xlsx())
    before = (Person.objects.count(), Assignment.objects.count())

    # Without a rule, every new duty is refused, and the command says what to do.
    out, error = run(path, "--dry-run")
    assert error is not None and "7 rows rejected" in str(error)
    assert "6 rows have no start date (TMT): give --start-date sk" in out
    assert out.count("Tanggal Mulai is empty") == 6

    out, error = run(path, "--dry-run", "--start-date", "sk")
    assert "rejected 1;" in out
    assert "6 rows take their start date (TMT) from --start-date" in out
    assert out.count("Taken from this row's SK date (Tanggal SK) by the rule") == 6
    assert (Person.objects.count(), Assignment.objects.count()) == before

    out, error = run(path, "--start-date", "sk", "--accept-valid")
    assert error is None, out
    assert "6 people and 6 duties added" in out
    bad_nik = str(int(office_roster_rows()[-1][2]))
    assert bad_nik not in out and mask_nik(bad_nik) in out  # the NIK masked, as on the page
    duties = Assignment.objects.filter(person__name__in=[r[1] for r in office_roster_rows()])
    assert sorted((a.person.name, a.kind.code, a.area.name) for a in duties) == [
        ("Andi Saputra", "PSM", "Garegeh"),
        ("Fadli Rahman", "TAGANA", "Bukittinggi"),
        ("Nurhayati", "PSM", "Campago Ipuh"),
        ("Rahmi Yulianti", "PSM", "Tarok Dipo"),
        ("Syafrizal", "PSM", "Pakan Kurai"),
        ("Yusnita", "TKSK", "Aur Birugo Tigo Baleh"),
    ]
    assert {(a.start_date, a.sk_date) for a in duties} == {(D(2023, 3, 1), D(2023, 3, 1))}
    batch = Import.objects.get()
    assert (batch.start_rule, batch.status) == ("sk", "committed")

    # The same roster again: the duties are found, nothing new, nothing refused but the NIK.
    out, error = run(path, "--dry-run", "--start-date", "sk")
    assert "new 0, updated 0, unchanged 6, rejected 1;" in out


@pytest.mark.parametrize("value", ["2024-13-01", "kemarin", "", "1949-12-31", "sk2"])
def test_a_malformed_start_date_is_refused_before_the_file_is_read(tmp_path, value):
    missing = tmp_path / "not-there.xlsx"  # never opened: the option is refused first
    out, error = run(missing, "--dry-run", "--start-date", value)
    assert error is not None and "--start-date" in str(error)
    assert "no such file" not in str(error)
    assert out == ""


def test_a_rule_date_before_the_person_was_15_or_after_the_sk_year_is_refused_per_row(
    reference, tmp_path
):
    young = D(1990, 6, 1)
    rows = [
        template_row(
            nik=make_nik(area6="137501", birth_date=young, sex="P", serial=801),
            name="Masih Muda",
            birth_date=young,
            kind="PSM",
            kelurahan="Birugo",
            sk_date=D(2004, 1, 5),
        ),
        template_row(
            nik=make_nik(area6="137501", birth_date=D(1970, 1, 1), sex="L", serial=802),
            name="SK Lama",
            birth_date=D(1970, 1, 1),
            kind="PSM",
            kelurahan="Birugo",
            sk_date=D(2003, 1, 5),
        ),
        template_row(
            nik=make_nik(area6="137501", birth_date=D(1971, 1, 1), sex="L", serial=803),
            name="Tepat",
            birth_date=D(1971, 1, 1),
            kind="PSM",
            kelurahan="Aur Kuning",
            sk_date=D(2004, 1, 5),
        ),
    ]
    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx_bytes(rows))
    out, error = run(path, "--start-date", "2004-07-01", "--accept-valid")
    assert error is None, out
    assert (
        "row 2 ERROR Tanggal Mulai [1 July 2004]: The rule for rows without a start date gives "
        "1 July 2004, when Masih Muda (born 1 June 1990) was not yet 15" in out
    )
    assert (
        "row 3 ERROR Tanggal Mulai [1 July 2004]: The date chosen for rows without a start date, "
        "1 July 2004, is after the year of this row's SK (5 January 2003)" in out
    )
    assert "1 people and 1 duties added" in out
    assert Assignment.objects.get(person__name="Tepat").start_date == D(2004, 7, 1)
    assert not Person.objects.filter(name__in=["Masih Muda", "SK Lama"]).exists()


def test_the_rule_does_not_replace_a_start_date_that_cannot_be_read(reference, tmp_path):
    born = D(1980, 5, 5)
    row = template_row(
        nik=make_nik(area6="137501", birth_date=born, sex="L", serial=810),
        name="Salah Tanggal",
        birth_date=born,
        kind="PSM",
        kelurahan="Birugo",
        sk_date=D(2023, 1, 5),
        start_date="31-02-2023",
    )
    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx_bytes([row]))
    out, error = run(path, "--dry-run", "--start-date", "sk")
    assert "row 2 ERROR Tanggal Mulai [31-02-2023]: Date '31-02-2023' does not exist" in out
    assert "by the rule" not in out and error is not None


# Every problem code, through the command -------------------------------------------------


def good_row(serial: int, **values) -> list:
    born = D(1980, 1, 1) + datetime.timedelta(days=serial)
    base = {
        "nik": make_nik(area6="137502", birth_date=born, sex="L", serial=serial),
        "name": f"Warga {serial}",
        "sex": "L",
        "birth_date": born,
        "kind": "PSM",
        "kelurahan": "Garegeh",
        "start_date": D(2024, 7, 1),
    }
    return template_row(**(base | values))


@dataclass
class Case:
    rows: list[list]
    column: str  # the column the problem is reported under
    says: str  # a piece of the message
    headers: list[str] = field(default_factory=lambda: list(HEADERS))
    args: tuple = ()
    setup: Callable[[], None] | None = None
    severity: str = "ERROR"


def _second_birugo() -> None:
    Area.objects.create(
        code="13.75.01.1099", name="Birugo", level=4, kind="kelurahan", parent_id=_id("13.75.01")
    )


def _second_city() -> None:
    Area.objects.create(
        code="13.76", name="Padang Panjang", level=2, kind="kota", parent_id=_id("13")
    )


def _id(code: str) -> int:
    return Area.objects.get(code=code).pk


def _ttl_headers() -> list[str]:
    return [h for h in HEADERS if h not in ("Tempat Lahir", "Tanggal Lahir")] + [
        "Tempat, Tanggal Lahir"
    ]


def _ttl_row(serial: int, ttl: str) -> list:
    row = good_row(serial)
    keep = [
        v for h, v in zip(HEADERS, row, strict=True) if h not in ("Tempat Lahir", "Tanggal Lahir")
    ]
    return keep + [ttl]


NUMBER_NIK = 1375012345678000  # ends in 0: Excel may have dropped the last digit
CASES: dict[str, Case] = {
    "nik_number": Case(
        [good_row(1), good_row(2, nik=float(NUMBER_NIK))],
        "NIK",
        f"NIK {mask_nik(str(NUMBER_NIK))} was stored as a number",
    ),
    "nik_scientific": Case(
        [good_row(1), good_row(2, nik="1.37501E+15")], "NIK", "written in scientific notation"
    ),
    "nik_type": Case(
        [good_row(1), good_row(2, nik=D(2020, 1, 1))], "NIK", "treats as a date, a time"
    ),
    "date_format": Case(
        [good_row(1), good_row(2, birth_date="kemarin sore")], "Tanggal Lahir", "cannot be read"
    ),
    "date_invalid": Case(
        [good_row(1), good_row(2, birth_date="31-02-1980")], "Tanggal Lahir", "does not exist"
    ),
    "sex": Case([good_row(1), good_row(2, sex="X")], "Jenis Kelamin", "X"),
    "phone": Case([good_row(1), good_row(2, phone="12")], "No HP", "12"),
    "ttl": Case(
        [_ttl_row(1, "Bukittinggi, 02-01-1980"), _ttl_row(2, "Bukittinggi 03-01-1980")],
        "Tanggal Lahir",
        "cannot be split",
        headers=_ttl_headers(),
    ),
    "too_long": Case(
        [good_row(1), good_row(2, address="x" * 300)], "Alamat", "is too long (300 characters"
    ),
    "number_cell": Case(
        [good_row(1), good_row(2, bank_account=12345678)],
        "No Rekening",
        "was stored as a number",
        severity="WARNING",
    ),
    "area_code": Case(
        [good_row(1), good_row(2, kelurahan="13.75.09.9999")], "Kelurahan", "with code"
    ),
    "area_ambiguous": Case(
        [good_row(1), good_row(2, kelurahan="Birugo")],
        "Kelurahan",
        "There are several",
        setup=_second_birugo,
    ),
    "area_unknown": Case(
        [good_row(1), good_row(2, kelurahan="Zzyzx Qwerty")], "Kelurahan", "was not found"
    ),
    "area_city": Case(
        [good_row(1), good_row(2, kind="TAGANA", kelurahan="")],
        "Kecamatan",
        "which city or regency",
        setup=_second_city,
    ),
    "kind": Case([good_row(1), good_row(2, kind="Pahlawan")], "Jenis Pilar", "not known"),
    "education": Case([good_row(1), good_row(2, education="Profesor")], "Pendidikan", "not known"),
    "end_reason": Case(
        [good_row(1), good_row(2, end_date=D(2024, 8, 1), end_reason="Bosan")],
        "Alasan Selesai",
        "not known",
    ),
    "start_missing": Case(
        [good_row(1), good_row(2, start_date="")], "Tanggal Mulai", "Tanggal Mulai is empty"
    ),
    "start_rule": Case(
        [good_row(1), good_row(2, start_date="", sk_date=D(2024, 2, 1))],
        "Tanggal Mulai",
        "Taken from this row's SK date (Tanggal SK) by the rule",
        args=("--start-date", "sk"),
        severity="WARNING",
    ),
    "start_rule_refused": Case(
        [good_row(1), good_row(2, start_date="")],
        "Tanggal Mulai",
        "this row has no Tanggal SK",
        args=("--start-date", "sk"),
    ),
}


def test_every_problem_code_has_a_case():
    assert set(CASES) == set(PROBLEM_CODES)


@pytest.mark.parametrize("code", sorted(PROBLEM_CODES))
@pytest.mark.parametrize("mode", ["--dry-run", "--accept-valid"])
def test_every_problem_is_printed(reference, tmp_path, code, mode):
    case = CASES[code]
    if case.setup:
        case.setup()
    path = tmp_path / f"{code}.xlsx"
    path.write_bytes(xlsx_bytes(case.rows, headers=case.headers))
    out, error = run(path, mode, *case.args)
    line = next((x for x in out.splitlines() if x.startswith(f"  row 3 {case.severity} ")), "")
    assert line.startswith(f"  row 3 {case.severity} {case.column}"), out
    assert case.says in line, out
    if mode == "--dry-run":
        assert out.endswith("dry run: nothing was saved\n")
    elif case.severity == "WARNING" and code != "start_rule":
        # Warnings are saved only with --accept-warnings: refused, saying so, no traceback.
        assert error is not None and "rows have warnings" in str(error)
    else:
        assert error is None, out
        assert Person.objects.filter(name="Warga 1").exists()
