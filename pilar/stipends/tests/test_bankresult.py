"""The bank's result file: matched row by row, recorded all at once or not at all."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from pilar.audit.models import AuditEntry
from pilar.lib.exports import to_csv, to_xlsx
from pilar.stipends.bankresult import bank_result_apply, bank_result_check
from pilar.stipends.models import StipendBatch, StipendLine
from pilar.stipends.tests.conftest import AUGUST, JULY, D, approved, drafted

pytestmark = pytest.mark.django_db

TODAY = D(2024, 11, 20)
HEADERS = ["No", "Referensi", "Nomor Rekening", "Nama", "Jumlah", "Status", "Keterangan"]


def ref(batch, person) -> str:
    return f"TK{batch.pk}-{person.pk}"


def xlsx(rows, headers=HEADERS) -> SimpleUploadedFile:
    return SimpleUploadedFile("hasil.xlsx", to_xlsx(headers, rows))


def csv_file(rows, headers=HEADERS) -> SimpleUploadedFile:
    return SimpleUploadedFile("hasil.csv", to_csv(headers, rows))


def statuses(batch) -> dict:
    return {
        (line.person.name, line.month): line.status for line in batch.lines.select_related("person")
    }


@pytest.fixture
def batch(rates, banked, by):
    """July for Ani, Budi and Citra: three transfers."""
    return approved(by, banked["a1"], banked["a2"], banked["b1"])


def good_rows(batch, banked):
    a1, a2, b1 = banked["a1"], banked["a2"], banked["b1"]
    return [
        [1, ref(batch, a1), a1.bank_account, a1.name, 400_000, "BERHASIL", ""],
        [2, ref(batch, a2), a2.bank_account, a2.name, 400_000, "GAGAL", "Rekening tidak aktif"],
        [3, ref(batch, b1), b1.bank_account, b1.name, 400_000, "Sukses", ""],
    ]


def test_good_file_marks_paid_and_failed(batch, banked, by):
    counts = bank_result_apply(
        by=by["finance"], batch=batch, upload=xlsx(good_rows(batch, banked)), paid_on=TODAY
    )
    assert counts == {"paid": 2, "failed": 1, "unchanged": 0, "rows": 3, "not_in_file": 0}
    failed = batch.lines.get(person=banked["a2"])
    assert (failed.status, failed.failure_reason) == ("failed", "Rekening tidak aktif")
    assert batch.lines.get(person=banked["a1"]).paid_on == TODAY
    batch.refresh_from_db()
    assert batch.status == StipendBatch.Status.PARTLY_PAID
    entry = AuditEntry.objects.get(action="load", object_type="stipends.stipendbatch")
    assert entry.note == "Bank result file: hasil.xlsx"
    # The failed month returns to the pool: the next draft pays it again.
    again = drafted(by)
    assert [(line.person_id, line.month) for line in again.lines.all()] == [(banked["a2"].pk, JULY)]


def test_the_same_file_twice_changes_nothing(batch, banked, by):
    rows = good_rows(batch, banked)
    bank_result_apply(by=by["finance"], batch=batch, upload=xlsx(rows), paid_on=TODAY)
    before, entries = statuses(batch), AuditEntry.objects.count()
    counts = bank_result_apply(by=by["finance"], batch=batch, upload=xlsx(rows), paid_on=TODAY)
    assert counts == {"paid": 0, "failed": 0, "unchanged": 3, "rows": 3, "not_in_file": 0}
    assert statuses(batch) == before
    assert AuditEntry.objects.count() == entries


def test_one_transfer_pays_all_its_months(rates, banked, by):
    a1 = banked["a1"]
    batch = approved(by, a1, months=(JULY, AUGUST))
    row = [1, ref(batch, a1), a1.bank_account, a1.name, 800_000, "OK", ""]
    counts = bank_result_apply(by=by["finance"], batch=batch, upload=xlsx([row]), paid_on=TODAY)
    assert counts["paid"] == 2
    batch.refresh_from_db()
    assert batch.status == StipendBatch.Status.PAID


def test_unknown_account_or_wrong_amount_marks_nothing(batch, banked, by):
    a1, a2, b1 = banked["a1"], banked["a2"], banked["b1"]
    rows = [
        [1, ref(batch, a1), "9999999999", a1.name, 400_000, "BERHASIL", ""],
        [2, ref(batch, a2), a2.bank_account, a2.name, "450.000", "BERHASIL", ""],
        [3, ref(batch, b1), b1.bank_account, b1.name, 400_000, "PROSES", ""],
        [4, ref(batch, b1), b1.bank_account, b1.name, 400_000, "BERHASIL", ""],
        [5, f"TK{batch.pk}-99999", "123", "Orang Lain", 400_000, "BERHASIL", ""],
        [6, "TRF-0001", "123", "Orang Lain", 400_000, "BERHASIL", ""],
    ]
    with pytest.raises(ValidationError) as exc:
        bank_result_apply(by=by["finance"], batch=batch, upload=csv_file(rows), paid_on=TODAY)
    r1, r2, r3 = ref(batch, a1), ref(batch, a2), ref(batch, b1)
    assert exc.value.messages == [
        f"Row 2 ({r1}): the account is “9999999999”, but the batch sent this transfer to "
        f"{a1.bank_account}. Check the row with the bank; nothing is marked until every row "
        "matches.",
        f"Row 3 ({r2}): the amount is Rp 450.000, but the batch sent Rp 400.000. Check the row "
        "with the bank; nothing is marked until every row matches.",
        f"Row 4 ({r3}): the status “PROSES” is not known. Write BERHASIL (or SUKSES, SUCCESS, "
        "OK) for a transfer that went through and GAGAL (or FAILED, REJECT) for one that did "
        "not.",
        f"Row 5 repeats the reference {r3} of row 4. Keep one of the two rows.",
        f"Row 6: this batch made no transfer with the reference TK{batch.pk}-99999. Check the "
        "row against the transfer file, or delete it.",
        "Row 7: “TRF-0001” is not the reference of a tali kasih transfer (they read like "
        f"TK{batch.pk}-123). Check the Referensi column.",
    ]
    assert set(batch.lines.values_list("status", flat=True)) == {"pending"}
    assert not AuditEntry.objects.filter(action="load").exists()


def test_missing_columns_are_named(batch, banked, by):
    a1 = banked["a1"]
    rows = [[ref(batch, a1), a1.name, "BERHASIL"]]
    with pytest.raises(ValidationError) as exc:
        bank_result_apply(
            by=by["finance"],
            batch=batch,
            upload=xlsx(rows, headers=["Referensi", "Nama", "Status"]),
            paid_on=TODAY,
        )
    assert exc.value.messages == [
        "The file has no column for: Nomor Rekening, Jumlah. Its header row must name the "
        "columns Referensi, Nomor Rekening, Jumlah, Status and Keterangan (or Reference, "
        "Account, Amount, Status, Description)."
    ]


def test_bank_layouts_read_as_the_bank_writes_them(batch, banked, by):
    """English headers under a title, an account saved as a number (its leading zero lost),
    amounts written as text with dots, and a total line under the rows."""
    a1, a2, b1 = banked["a1"], banked["a2"], banked["b1"]
    StipendLine.objects.filter(person=b1).update(bank_account="0012345678")
    rows = [
        ["LAPORAN HASIL TRANSFER KOLEKTIF", "", "", "", ""],
        [None, None, None, None, None],
        ["Reference No.", "Account Number", "Amount (Rp)", "Status", "Description"],
        [ref(batch, a1), a1.bank_account, "Rp 400.000", "success", ""],
        [ref(batch, b1), 12345678, "400.000,00", "FAILED", "Account closed"],
        [None, "TOTAL", 800_000, None, None],
    ]
    upload = xlsx(rows[1:], headers=rows[0])
    result = bank_result_check(batch=batch, upload=upload)
    assert result.problems == []
    assert [(row.number, row.paid, row.reason) for row in result.rows] == [
        (4, True, ""),
        (5, False, "Account closed"),
    ]
    assert result.not_in_file == 1  # Budi's transfer is still waiting for its result
    counts = bank_result_apply(by=by["finance"], batch=batch, upload=upload, paid_on=TODAY)
    assert counts["paid"] == 1 and counts["failed"] == 1
    assert batch.lines.get(person=a2).status == "pending"


def test_only_finance_records_and_only_approved_batches(rates, banked, by):
    draft = drafted(by, banked["a1"])
    with pytest.raises(ValidationError, match="approved batch whose transfer file was sent"):
        bank_result_apply(by=by["finance"], batch=draft, upload=xlsx([]), paid_on=TODAY)
    with pytest.raises(PermissionDenied):
        bank_result_apply(by=by["operator"], batch=draft, upload=xlsx([]), paid_on=TODAY)


def test_not_a_spreadsheet_is_refused(batch, by):
    upload = SimpleUploadedFile("hasil.pdf", b"%PDF-1.4 not a spreadsheet")
    with pytest.raises(ValidationError, match="This file is not a spreadsheet"):
        bank_result_apply(by=by["finance"], batch=batch, upload=upload, paid_on=TODAY)


def test_a_file_too_large_is_refused(batch, by, settings):
    settings.PILAR_IMPORT_MAX_MB = 1
    upload = SimpleUploadedFile("hasil.csv", b"Referensi;Status\n" + b"x" * 1024 * 1024)
    with pytest.raises(ValidationError, match="larger than 1 MB"):
        bank_result_apply(by=by["finance"], batch=batch, upload=upload, paid_on=TODAY)
