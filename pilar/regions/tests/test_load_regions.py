"""`pilar load-regions` reads what the roster import reads and refuses, by name, what it cannot
load: a code given twice, an empty file, a missing header, a kelurahan moved to another
kecamatan. Its dry run lists each rename. Messages are asserted in English (the source
strings), whatever the translation says."""

import io
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from pilar.lib.exports import to_xlsx
from pilar.regions.models import Area


def load(path, *args) -> str:
    out = io.StringIO()
    with translation.override("en"):
        call_command("load_regions", str(path), *args, stdout=out)
    return out.getvalue()


def refusal(path, *args) -> str:
    before = list(Area.objects.values_list("code", "name"))
    with translation.override("en"), pytest.raises(CommandError) as refused:
        call_command("load_regions", str(path), *args, stdout=io.StringIO())
    assert list(Area.objects.values_list("code", "name")) == before  # nothing written
    return str(refused.value)


def test_a_windows_1252_csv_with_semicolons_loads(reference, tmp_path):
    path = tmp_path / "agam.csv"
    path.write_bytes(
        "kode;nama\r\n1306;Agam\r\n130601;Tanjung Mutiara – Pesisir\r\n".encode("cp1252")
    )
    assert "2 new areas" in load(path)
    assert Area.objects.get(code="13.06.01").name == "Tanjung Mutiara – Pesisir"


def test_a_workbook_loads_with_numeric_codes(reference, tmp_path):
    path = tmp_path / "agam.xlsx"
    path.write_bytes(to_xlsx(["code", "name"], [[1306, "Agam"], [130601, "Tanjung Mutiara"]]))
    assert "2 new areas" in load(path)
    assert Area.objects.get(code="13.06.01").parent.code == "13.06"


def test_a_code_given_twice_is_refused_naming_both_rows(reference, tmp_path):
    path = tmp_path / "twice.csv"
    path.write_text("code,name\n1306,Agam\n13.06,Agam Baru\n")
    text = refusal(path)
    assert "Rows 2 and 3 both give code 13.06" in text


@pytest.mark.parametrize("content", [b"", b"\r\n\r\n", b"\xef\xbb\xbf"])
def test_an_empty_file_is_refused(reference, tmp_path, content):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    assert "empty.csv is empty" in refusal(path)


def test_a_header_without_areas_is_refused(reference, tmp_path):
    path = tmp_path / "header.csv"
    path.write_text("code,name\n")
    assert "has the header but no area" in refusal(path)


def test_a_file_without_header_says_so(reference, tmp_path):
    path = tmp_path / "noheader.csv"
    path.write_text("1306;Agam\n130601;Tanjung Mutiara\n")
    text = refusal(path)
    assert "Line 1 holds an area (1306), not the header" in text
    assert "code,name" in text


def test_a_missing_column_is_named(reference, tmp_path):
    path = tmp_path / "cols.csv"
    path.write_text("code,label\n1306,Agam\n")
    assert "has no column name" in refusal(path)


def test_a_file_that_is_no_table_is_refused_in_words(reference, tmp_path):
    path = tmp_path / "scan.csv"
    path.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    assert "scan.csv:" in refusal(path)
    assert "no such file" in refusal(tmp_path / "missing.csv")


def test_a_kelurahan_is_not_moved_to_another_kecamatan(reference, tmp_path):
    """The file lists kecamatan 13.75.01 without its kelurahan 13.75.01.1001, and gives that
    kelurahan's name a new code in 13.75.02: a move, refused, naming it."""
    old = Area.objects.get(code="13.75.01.1001")
    kec = old.parent
    path = tmp_path / "move.csv"
    path.write_text(f"code,name\n13.75.01,{kec.name}\n13.75.02.1099,{old.name}\n")
    text = refusal(path)
    assert f"would move kelurahan {old.name} (13.75.01.1001" in text and "Row 3" in text
    # Renamed at its own code while its name goes elsewhere: a move too.
    path.write_text(f"code,name\n13.75.01.1001,Nama Lain\n13.75.02.1099,{old.name}\n")
    assert "would move kelurahan" in refusal(path)
    # Listed with its own code and name too, both exist: a second kelurahan of that name.
    path.write_text(f"code,name\n13.75.01.1001,{old.name}\n13.75.02.1099,{old.name}\n")
    load(path)
    assert Area.objects.get(code="13.75.02.1099").name == old.name


def test_a_new_desa_named_like_one_elsewhere_is_no_move(reference, tmp_path):
    """A file that does not speak of the other kecamatan moves nothing."""
    old = Area.objects.get(code="13.75.01.1001")
    path = tmp_path / "new.csv"
    path.write_text(f"code,name\n13.75.02.1099,{old.name}\n")
    load(path)
    assert Area.objects.get(code="13.75.02.1099").name == old.name


def test_the_dry_run_lists_each_rename_and_writes_nothing(reference, tmp_path):
    kec = Area.objects.get(code="13.75.01")
    path = tmp_path / "kecamatan.csv"
    path.write_text(
        f"code,name\n13.75.01,{kec.name} Baru\n13.75.03,{Area.objects.get(code='13.75.03').name}\n"
    )
    out = load(path, "--dry-run")
    assert f"would rename 13.75.01 {kec.name} → {kec.name} Baru" in out
    assert out.count("rename") == 1
    assert "nothing written" in out
    assert Area.objects.get(code="13.75.01").name == kec.name
    assert f"renamed 13.75.01 {kec.name} → {kec.name} Baru" in load(path)
    from pilar.audit.models import AuditEntry

    entry = AuditEntry.objects.filter(object_type="regions.area").latest("pk")
    assert entry.changes["renamed"][1] == [["13.75.01", kec.name, f"{kec.name} Baru"]]


def test_the_command_line_exits_non_zero_without_a_traceback(tmp_path):
    """Through `pilar` itself: an XLSX that is no workbook, given by mistake."""
    path = tmp_path / "rusak.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "pilar.settings"}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    env["PILAR_DATA_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "pilar.cli", "load-regions", str(path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=settings.BASE_DIR.parent,
        timeout=120,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr and "rusak.xlsx" in done.stderr
