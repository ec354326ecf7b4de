"""A fresh-eyes review of tali kasih: each test states what a treasurer, an auditor or an
attacker expects; each failed against the first version and passes since its fix."""

import datetime
import io
import subprocess

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from pilar.accounts.models import Role, RoleGrant, User
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor
from pilar.lib.exports import to_csv, to_xlsx
from pilar.registry import services as registry
from pilar.registry.models import PillarKind
from pilar.stipends import bankfile, selectors, services
from pilar.stipends.bankresult import bank_result_apply
from pilar.stipends.eligibility import entitlements
from pilar.stipends.models import StipendBatch, StipendLine
from pilar.stipends.tests.conftest import JULY, D, approved, download, drafted, report
from pilar.tests_support import login

pytestmark = pytest.mark.django_db

API = "/api/v1/stipends"
HEADERS = ["No", "Referensi", "Nomor Rekening", "Nama", "Jumlah", "Status", "Keterangan"]


def psm():
    return [PillarKind.objects.get(code="PSM")]


def ref(batch, person) -> str:
    return f"TK{batch.pk}-{person.pk}"


def result_file(rows) -> SimpleUploadedFile:
    return SimpleUploadedFile("hasil.xlsx", to_xlsx(HEADERS, rows))


def english(client, user):
    User.objects.filter(pk=user.pk).update(language="en")
    client.logout()
    login(client, user)
    return client


@pytest.fixture
def batch(rates, banked, by):
    """July for Ani, Budi and Citra: approved, three transfers of Rp 400.000."""
    return approved(by, banked["a1"], banked["a2"], banked["b1"])


# --- 1. money paid twice -----------------------------------------------------------------------


def test_bank_success_for_a_line_recorded_failed_is_flagged_not_ignored(batch, banked, by):
    """The bank first says GAGAL for Ani, then sends a corrected file: BERHASIL, the money
    went out. Pilar answers "0 paid, 1 already recorded" and keeps July failed, so July goes
    back to the unpaid pool and the next batch pays it a second time. A file that contradicts
    what is recorded must be refused with the row named, not counted as "already recorded"."""
    a1 = banked["a1"]
    first = [[1, ref(batch, a1), a1.bank_account, a1.name, 400_000, "GAGAL", "Rekening salah"]]
    bank_result_apply(
        by=by["finance"], batch=batch, upload=result_file(first), paid_on=D(2024, 11, 20)
    )
    assert batch.lines.get(person=a1).status == StipendLine.Status.FAILED
    corrected = [[1, ref(batch, a1), a1.bank_account, a1.name, 400_000, "BERHASIL", ""]]
    try:
        counts = bank_result_apply(
            by=by["finance"], batch=batch, upload=result_file(corrected), paid_on=D(2024, 11, 20)
        )
    except ValidationError:
        return  # refused with the contradiction named: what we want
    # As it stands: silently "unchanged", and July is owed again (a second payment follows).
    (e,) = entitlements(months=[JULY], kinds=psm(), person_ids=[a1.pk])
    pytest.fail(
        f"bank says BERHASIL for a line recorded failed; Pilar answered {counts} and July is "
        f"now {e.state} (will be drafted and paid again)"
    )


def test_approved_batch_cannot_go_back_to_draft_once_its_transfer_file_went_out(batch, banked, by):
    """Approved → the treasurer downloads the transfer file and sends it to the bank → the
    approver sends the batch back to draft (allowed: "before any payment" only means nothing
    was *recorded*) → cancel → redraft: the same months sit in a new batch and are paid
    again, while the bank is already paying the first file."""
    bankfile.transfer_file_sent(by=by["finance"], batch=batch, fmt="xlsx")
    with pytest.raises(ValidationError):
        services.stipend_batch_return(by=by["approver"], batch=batch, reason="Salah periode")


def test_a_system_verification_lets_the_drafter_approve_alone(rates, banked, by, make_user):
    """Four eyes: a user holding operator + approver drafts, the batch is verified from the
    command line without --as (verified_by stays empty), and the same user approves: one
    person moved the money from draft to approved. An empty verified_by must not count as
    "someone else verified"."""
    boss = make_user("kabid", Role.OPERATOR)
    RoleGrant.objects.create(user=boss, role=Role.APPROVER)
    report(banked["a1"], JULY)
    batch = services.stipend_batch_draft(
        by=Actor(user=boss), first_month=JULY, last_month=JULY, kinds=psm()
    )
    call_command("stipend_batch", "verify", str(batch.pk), stdout=io.StringIO())
    with pytest.raises(ValidationError):
        services.stipend_batch_approve(by=Actor(user=boss), batch=batch)


def test_an_approved_batch_still_pays_a_duty_ended_before_the_month(
    batch, banked, by, system_actor
):
    """After approval the office learns Ani resigned at the end of June (the duty is ended
    retroactively). Mark-paid still pays her July: nothing re-checks service at payment."""
    a1 = banked["a1"]
    registry.assignment_end(
        by=system_actor,
        assignment=a1.assignments.get(),
        end_date=D(2024, 6, 30),
        end_reason="resigned",
    )
    with pytest.raises(ValidationError):
        services.stipend_batch_mark_paid(by=by["finance"], batch=batch, paid_on=D(2024, 11, 20))
    assert batch.lines.get(person=a1).status != StipendLine.Status.PAID


# --- 2. scope and privacy ----------------------------------------------------------------------


def test_approver_gets_no_full_nik_from_the_payment_list(client, batch, banked, actors, tmp_path):
    """The approver has no PEOPLE_FULL_NIK: the API masks the NIKs of a batch's lines for
    them, but the daftar nominatif and the receipts (open to every STIPENDS_VIEW role) print
    every full NIK."""
    english(client, actors["approver"])
    lines = client.get(f"{API}/batches/{batch.pk}/lines").json()
    assert banked["a1"].nik not in {line["nik"] for line in lines}  # the API masks
    path = tmp_path / "list.pdf"
    path.write_bytes(download(client, batch, "nominatif.pdf", "nominatif-area"))
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    assert banked["a1"].nik not in text.stdout.decode()


def test_eligibility_export_is_logged_like_the_arrears_export(client, rates, banked, actors):
    """The eligibility list downloads names, masked NIKs and why each person is blocked, as
    the arrears list does; the arrears download is logged as a view of personal data, this
    one is not."""
    english(client, actors["operator"])
    before = AuditEntry.objects.filter(action=AuditEntry.Action.VIEW_PERSONAL).count()
    response = client.get("/stipends/eligibility/", {"month": "2024-07", "format": "csv"})
    assert response.status_code == 200 and banked["a1"].name.encode() in response.content
    assert AuditEntry.objects.filter(action=AuditEntry.Action.VIEW_PERSONAL).count() == before + 1


# --- 3. bad input --------------------------------------------------------------------------------


def post(client, path, body):
    return client.post(f"{API}{path}", body, content_type="application/json")


def test_page_reason_with_a_nul_character_is_refused(client, batch, actors):
    """RefuseNulMiddleware reads only urlencoded and JSON bodies; a multipart POST (what any
    client may send, and what the test client sends) passes, and `views._reason` falls back to
    the raw POST value when ReasonForm rejects it for the NUL: stored on SQLite, a 500
    (DataError) on PostgreSQL."""
    english(client, actors["approver"])
    response = client.post(f"/stipends/batches/{batch.pk}/return/", {"reason": "Salah\x00"})
    assert response.status_code == 400 and b"NUL character" in response.content
    batch.refresh_from_db()
    assert batch.status == StipendBatch.Status.APPROVED, batch.reason


def test_bank_result_with_a_nul_in_the_reason_is_a_clear_problem(batch, banked, by):
    """The NUL sniff only reads the first 64 KB of a CSV: a NUL in a later row's Keterangan
    goes into failure_reason (a 500 on PostgreSQL)."""
    a1 = banked["a1"]
    blank = [["", "", "", "", "", "", ""]] * 12_000  # > 64 KB of empty rows, skipped
    rows = [*blank, [1, ref(batch, a1), a1.bank_account, a1.name, 400_000, "GAGAL", "x\x00y"]]
    upload = SimpleUploadedFile("hasil.csv", to_csv(HEADERS, rows))
    try:
        bank_result_apply(by=by["finance"], batch=batch, upload=upload, paid_on=D(2024, 11, 20))
    except ValidationError:
        return
    assert "\x00" not in batch.lines.get(person=a1).failure_reason


def test_api_budget_year_zero_is_refused_not_taken_as_this_year(client, rates, banked, actors):
    """`year = year or this year`: a draft posted with year 0 is silently charged to 2024."""
    report(banked["a1"], JULY)
    english(client, actors["operator"])
    response = post(
        client,
        "/batches",
        {"first_month": "2024-07", "last_month": "2024-07", "kinds": ["PSM"], "year": 0},
    )
    assert response.status_code in {400, 422}, response.json()


# --- 4. wrong figures ----------------------------------------------------------------------------


def test_a_reversal_does_not_inflate_the_line_and_people_counts(batch, banked, by):
    """Three lines paid, one reversed: the batch pays two lines (Rp 800.000). The list, the
    API and the CLI say 4 lines (the reversed original and its reversal both count), the
    batch page 4 months for 3 people."""
    services.stipend_batch_mark_paid(by=by["finance"], batch=batch, paid_on=D(2024, 11, 20))
    line = batch.lines.get(person=banked["a1"])
    services.stipend_line_reverse(by=by["finance"], line=line, reason="Dibayar ganda")
    row = selectors.batches_with_totals(StipendBatch.objects.filter(pk=batch.pk)).get()
    assert row.total == 800_000
    assert row.line_count == 2
    (psm_total,) = selectors.batch_summary(batch).totals
    assert psm_total["lines"] == 2


def test_recording_nothing_does_not_rewrite_the_batch_payment_date(batch, banked, by):
    """A partly paid batch with no waiting line: a second mark-paid records nothing, yet moves
    the batch's paid_on (the date printed on the nominatif's signature) and logs a payment."""
    a1, a2, b1 = banked["a1"], banked["a2"], banked["b1"]
    rows = [
        [1, ref(batch, a1), a1.bank_account, a1.name, 400_000, "GAGAL", "Rekening tutup"],
        [2, ref(batch, a2), a2.bank_account, a2.name, 400_000, "BERHASIL", ""],
        [3, ref(batch, b1), b1.bank_account, b1.name, 400_000, "BERHASIL", ""],
    ]
    bank_result_apply(
        by=by["finance"], batch=batch, upload=result_file(rows), paid_on=D(2024, 11, 20)
    )
    batch.refresh_from_db()
    assert batch.status == StipendBatch.Status.PARTLY_PAID and batch.paid_on == D(2024, 11, 20)
    with time_machine.travel(datetime.datetime(2024, 11, 28, 10, tzinfo=datetime.UTC)):
        counts = services.stipend_batch_mark_paid(
            by=by["finance"], batch=batch, paid_on=D(2024, 11, 28)
        )
    assert counts["paid"] == 0
    batch.refresh_from_db()
    assert batch.paid_on == D(2024, 11, 20)


def test_a_batch_emptied_by_removals_cannot_be_verified(rates, banked, by):
    """A draft that pays nobody is refused at drafting, but removing its lines one by one
    leaves an empty draft that verifies, approves and is "paid" with Rp 0."""
    draft = drafted(by, banked["a1"])
    for line in draft.lines.all():
        services.stipend_line_remove(by=by["operator"], line=line, reason="Salah orang")
    with pytest.raises(ValidationError):
        services.stipend_batch_verify(by=by["finance"], batch=draft)


def test_transfer_description_names_every_kind_it_pays(rates, banked, by, make_assignment):
    """Ani serves as PSM and as Tagana: one transfer of Rp 600.000, described to the bank
    (and on her statement) as "TALI KASIH PSM 07/2024" only (`Min("kind__code")`)."""
    a1 = banked["a1"]
    make_assignment(a1, "TAGANA", "13.75", start=D(2024, 1, 1))
    report(a1, JULY, kind="TAGANA")
    batch = approved(by, a1, kinds=("PSM", "TAGANA"))
    (row,) = list(bankfile.transfer_rows(batch))
    assert row[5] == 600_000
    assert "TAGANA" in row[6], row[6]
