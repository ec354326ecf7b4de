"""`pilar import-households FILE [--dry-run] [--accept-valid] [--as-of DATE]`."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from pilar.audit.models import AuditEntry
from pilar.casework.models import Caseload, DecileRecord, Household
from pilar.dtsen.models import HouseholdImport
from pilar.dtsen.tests import extract_support as ex
from pilar.dtsen.tests.web_support import extract_bytes, make_family

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _run(*args) -> str:
    out = io.StringIO()
    call_command("import_households", *[str(a) for a in args], stdout=out)
    return out.getvalue()


def test_a_dry_run_prints_the_summary_and_saves_nothing(reference, tmp_path):
    path = ex.write(tmp_path, ex.family() + ex.family(ex.KEL_B, members=2))
    out = _run(path, "--dry-run")
    assert "rows: 5 (0 rejected); households: 2 new, 0 updated" in out
    assert "members: 5 added" in out
    assert "dry run: nothing was saved" in out
    assert not Household.objects.exists() and not HouseholdImport.objects.exists()


def test_rejected_rows_are_printed_and_refuse_with_a_non_zero_exit(reference, tmp_path):
    bad = ex.family(decile=11)
    path = ex.write(tmp_path, ex.family() + bad)
    for args in ((path, "--dry-run"), (path,)):
        out = io.StringIO()
        with pytest.raises(CommandError) as refused:
            call_command("import_households", *map(str, args), stdout=out)
        assert refused.value.returncode == 1
        assert "households rejected; nothing saved" in str(refused.value)
        assert "row 5 decile '11': rejected: Decile '11' is not a whole number" in out.getvalue()
    assert not Household.objects.exists()


def test_accept_valid_saves_the_valid_households_as_of_the_date_given(reference, tmp_path):
    good, bad = ex.family(decile=6), ex.family(decile=11)
    path = ex.write(tmp_path, good + bad)
    out = _run(path, "--accept-valid", "--as-of", "2025-03-31")
    assert "saved" in out
    household = Household.objects.get()
    assert household.kk_number == good[0]["kk_number"]
    assert DecileRecord.objects.get().as_of == datetime.date(2025, 3, 31)
    batch = HouseholdImport.objects.get()
    assert batch.status == HouseholdImport.Status.COMMITTED
    assert AuditEntry.objects.filter(batch=batch.pk, source=AuditEntry.Source.EXTRACT).exists()


def test_accompanied_missing_households_refuse_unless_kept(reference, tmp_path, people):
    listed, accompanied = make_family(), make_family()
    Caseload.objects.create(
        household=accompanied, person=people["a1"], start_date=datetime.date(2024, 1, 1)
    )
    listed.decile = 9  # the extract says 2: one change to save
    listed.save()
    path = tmp_path / "x.xlsx"
    path.write_bytes(extract_bytes(Household.objects.filter(pk=listed.pk)))
    Household.objects.filter(pk=listed.pk).update(decile=5)
    with pytest.raises(CommandError) as refused:
        _run(path)
    assert accompanied.kk_number in str(refused.value)
    _run(path, "--keep-accompanied")
    accompanied.refresh_from_db()
    assert accompanied.status == "active"


def test_bad_arguments_are_refused(reference, tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        _run(tmp_path / "none.xlsx")
    path = ex.write(tmp_path, ex.family())
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        _run(path, "--as-of", "kemarin")
    headers = ["Nama", "Alamat"]
    with pytest.raises(CommandError, match="not recognised"):
        _run(ex.write(tmp_path, ex.family(), name="h.xlsx", headers=headers), "--dry-run")


def test_the_command_line_asks_no_worker_to_do_its_work(
    reference, tmp_path, django_capture_on_commit_callbacks
):
    path = ex.write(tmp_path, ex.family())
    with django_capture_on_commit_callbacks() as queued:
        _run(path)
    assert queued == []
    assert HouseholdImport.objects.get().status == HouseholdImport.Status.COMMITTED


def test_a_user_without_the_right_to_import_is_refused(reference, actors, tmp_path):
    path = ex.write(tmp_path, ex.family())
    with pytest.raises(CommandError) as exc:
        call_command(
            "import_households", str(path), "--dry-run", "--user", actors["viewer"].username
        )
    assert "may not import" in str(exc.value)
