"""Files as sent, failures carried forward, and the confirm step of irreversible money actions
(docs/STIPENDS.md)."""

import hashlib
import logging

import pytest

from pilar.accounts.models import Role, RoleGrant, User
from pilar.audit.models import AuditEntry
from pilar.regions.models import Area
from pilar.registry.models import PillarKind
from pilar.stipends import bankfile, services
from pilar.stipends.models import (
    AccountConfirmation,
    BatchJob,
    SentFile,
    StipendBatch,
    StipendLine,
)
from pilar.stipends.tests.conftest import AUGUST, JULY, OCTOBER, SEPTEMBER, confirmed, report
from pilar.tests_support import login

pytestmark = pytest.mark.django_db


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@pytest.fixture
def approved(rates, banked, by):
    """July–September for Ani (a1) and July for Citra (b1), approved: two transfers."""
    for month in (JULY, AUGUST, SEPTEMBER):
        report(banked["a1"], month)
    report(banked["b1"], JULY)
    batch = services.stipend_batch_draft(
        by=by["operator"],
        first_month=JULY,
        last_month=SEPTEMBER,
        kinds=[PillarKind.objects.get(code="PSM")],
    )
    services.stipend_batch_verify(by=by["finance"], batch=batch)
    return services.stipend_batch_approve(by=by["approver"], batch=batch)


def outcomes(batch, failed_name: str, reason: str):
    return [
        services.Outcome(line, line.name != failed_name, "" if line.name != failed_name else reason)
        for line in batch.lines.filter(status="pending")
    ]


def test_a_paid_batch_downloads_its_transfer_file_byte_identical(client, actors, approved, by):
    login(client, actors["finance"])
    first = client.get(f"/stipends/batches/{approved.pk}/transfer.xlsx")
    assert first.status_code == 200
    first_csv = client.get(f"/stipends/batches/{approved.pk}/transfer.csv").content
    assert b"1100000000" in first_csv and b"TALI KASIH PSM 07-09/2024" in first_csv
    services.stipend_batch_mark_paid(
        by=by["finance"], batch=approved, paid_on=approved.approved_at.date()
    )
    approved.refresh_from_db()
    assert approved.status == "paid"
    again = client.get(f"/stipends/batches/{approved.pk}/transfer.xlsx")
    assert sha(again.content) == sha(first.content)
    assert again["X-Checksum-SHA256"] == sha(first.content)
    assert client.get(f"/stipends/batches/{approved.pk}/transfer.csv").content == first_csv
    # The page lists the file with its checksum and links the very bytes.
    stored = SentFile.objects.get(batch=approved, fmt="xlsx")
    page = client.get(f"/stipends/batches/{approved.pk}/").content.decode()
    assert sha(first.content) in page and "2 transfers, Rp 1.600.000" in page
    by_id = client.get(f"/stipends/batches/{approved.pk}/sent/{stored.pk}/")
    assert sha(by_id.content) == stored.sha256 == sha(first.content)
    # Every download written to the audit log: 2 xlsx + 2 csv + 1 by its number.
    looks = AuditEntry.objects.filter(
        action="view_personal", object_id=str(approved.pk), note__startswith="transfer file"
    )
    assert looks.count() == 5
    assert SentFile.objects.filter(batch=approved).count() == 2  # round 1, XLSX and CSV


def test_a_role_not_allowed_gets_403_logged(client, actors, approved, by, caplog):
    sent = bankfile.transfer_file_sent(by=by["finance"], batch=approved, fmt="xlsx")
    before = AuditEntry.objects.count()
    for name in ("approver", "operator", "viewer"):
        login(client, actors[name])
        with caplog.at_level(logging.WARNING, logger="pilar.stipends"):
            response = client.get(f"/stipends/batches/{approved.pk}/sent/{sent.pk}/")
        assert (
            response.status_code in {403, 404} if name == "viewer" else response.status_code == 403
        )
    assert "refused to kepala1" in caplog.text and "refused to operator1" in caplog.text
    assert AuditEntry.objects.count() == before  # nothing was opened


def test_a_second_round_for_the_lines_still_waiting(client, actors, approved, by):
    login(client, actors["finance"])
    first = client.get(f"/stipends/batches/{approved.pk}/transfer.csv").content
    # Nothing answered yet: a second file would send the same transfers twice.
    new_round = f"/stipends/batches/{approved.pk}/transfer/new/"
    unticked = client.post(new_round)
    assert unticked.status_code == 400 and "did not carry out" in unticked.content.decode()
    response = client.post(new_round, {"confirm": "yes"}, follow=True)
    assert "download that file again" in response.content.decode()
    assert SentFile.objects.filter(batch=approved).count() == 2
    # The bank paid Ani; Citra's transfer is still waiting: a second round holds Citra alone.
    ani = [o for o in outcomes(approved, "Citra Kecamatan B", "") if o.paid]
    services.stipend_batch_record(
        by=by["finance"], batch=approved, outcomes=ani, paid_on=approved.approved_at.date()
    )
    client.post(new_round, {"confirm": "yes"})
    second = SentFile.objects.get(batch=approved, number=2, fmt="csv")
    assert (second.transfers, second.total) == (1, 400_000)
    assert second.filename == f"transfer-tali-kasih-{approved.pk}-2.csv"
    assert b"Citra" in bytes(second.content) and b"Ani" not in bytes(second.content)
    # The newest round is what transfer.csv gives; round 1 keeps its bytes.
    assert client.get(f"/stipends/batches/{approved.pk}/transfer.csv").content == bytes(
        second.content
    )
    assert bytes(SentFile.objects.get(batch=approved, number=1, fmt="csv").content) == first
    page = client.get(f"/stipends/batches/{approved.pk}/").content.decode()
    assert 'data-testid="sent-1"' in page and 'data-testid="sent-2"' in page
    # A double submit: the second click is refused, no round 3.
    response = client.post(new_round, {"confirm": "yes"}, follow=True)
    assert SentFile.objects.filter(batch=approved).count() == 4


def test_mark_paid_needs_the_tick_and_pays_once(client, actors, approved):
    login(client, actors["finance"])
    url = f"/stipends/batches/{approved.pk}/mark-paid/"
    page = client.get(f"/stipends/batches/{approved.pk}/").content.decode()
    assert "This records 4 waiting lines of" in page and "2 people, Rp 1.600.000" in page
    body = confirmed(approved, paid_on="2024-11-20")
    response = client.post(url, {**body, "confirm": ""})
    assert response.status_code == 400 and "confirm" in response.content.decode()
    assert not StipendLine.objects.filter(status="paid").exists()
    client.post(url, body)
    assert StipendLine.objects.filter(status="paid").count() == 4
    # The same form sent again: the summary no longer holds; nothing is paid twice.
    response = client.post(url, body, follow=True)
    assert "The batch changed since you looked" in response.content.decode()
    assert StipendLine.objects.filter(status="paid").count() == 4
    assert AuditEntry.objects.filter(changes__status=["approved", "paid"]).count() == 1


def test_approve_needs_the_tick_and_shows_its_summary(client, actors, rates, banked, by):
    for month in (JULY, AUGUST):
        report(banked["a1"], month)
    batch = services.stipend_batch_draft(
        by=by["operator"],
        first_month=JULY,
        last_month=AUGUST,
        kinds=[PillarKind.objects.get(code="PSM")],
    )
    services.stipend_batch_verify(by=by["finance"], batch=batch)
    login(client, actors["approver"])
    page = client.get(f"/stipends/batches/{batch.pk}/").content.decode()
    assert "Approving pays 2 lines to 1 people, Rp 800.000 in all, from the 2024 budget." in page
    response = client.post(f"/stipends/batches/{batch.pk}/approve/", {"lines": "2"})
    assert response.status_code == 400
    response = client.post(
        f"/stipends/batches/{batch.pk}/approve/", {"confirm": "yes", "lines": "x", "total": "1"}
    )
    assert response.status_code == 400 and "lines" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == "verified"
    client.post(f"/stipends/batches/{batch.pk}/approve/", confirmed(batch))
    batch.refresh_from_db()
    assert batch.status == "approved"


def test_a_failed_transfer_blocks_the_same_account_until_confirmed(client, actors, approved, by):
    User.objects.update(language="en")  # the pages speak each user's language
    services.stipend_batch_record(
        by=by["finance"],
        batch=approved,
        outcomes=outcomes(approved, "Citra Kecamatan B", "Rekening tidak aktif"),
        paid_on=approved.approved_at.date(),
    )
    citra = StipendLine.objects.get(person__name="Citra Kecamatan B", month=JULY).person
    # The person's tali kasih page says why.
    login(client, actors["finance"])
    page = client.get(f"/stipends/people/{citra.pk}/").content.decode()
    notice = page[page.index('data-testid="account-block"') :][:800]
    assert f"to account {citra.bank_account} failed: Rekening tidak aktif." in notice
    assert 'name="reason"' in notice  # finance may confirm it here
    july = page[page.index('data-testid="month-2024-07-PSM"') :][:800]
    assert "The transfer failed: Rekening tidak aktif" in july
    # The next draft carries July again, with the reason on its line, and cannot be verified.
    report(citra, OCTOBER)
    nxt = services.stipend_batch_draft(
        by=by["operator"],
        first_month=OCTOBER,
        last_month=OCTOBER,
        arrears_from=JULY,
        kinds=[PillarKind.objects.get(code="PSM")],
    )
    assert nxt.lines.filter(person=citra, month=JULY, status="pending").exists()
    page = client.get(f"/stipends/batches/{nxt.pk}/").content.decode()
    assert "An earlier transfer of this month failed: Rekening tidak aktif" in page
    assert 'data-testid="account-block"' in page
    with pytest.raises(Exception, match="pay an account whose transfer failed"):
        services.stipend_batch_verify(by=by["finance"], batch=nxt)
    # A confirmation without a reason is refused; with one, audited, the account pays again.
    response = client.post(f"/stipends/people/{citra.pk}/confirm-account/", {"reason": " "})
    assert response.status_code == 400
    assert "Say why the account is right" in response.content.decode()
    assert not AccountConfirmation.objects.exists()
    login(client, actors["operator"])
    response = client.post(f"/stipends/people/{citra.pk}/confirm-account/", {"reason": "x"})
    assert response.status_code == 403
    login(client, actors["finance"])
    client.post(
        f"/stipends/people/{citra.pk}/confirm-account/",
        {"reason": "Rekening diaktifkan kembali, dicek di Bank Nagari"},
    )
    assert AccountConfirmation.objects.get().bank_account == citra.bank_account
    assert AuditEntry.objects.filter(object_type="stipends.accountconfirmation").exists()
    services.stipend_batch_verify(by=by["finance"], batch=nxt)
    assert StipendBatch.objects.get(pk=nxt.pk).status == "verified"
    # Confirming twice (a double submit): the second finds nothing to confirm, says so.
    response = client.post(
        f"/stipends/people/{citra.pk}/confirm-account/", {"reason": "lagi"}, follow=True
    )
    assert "nothing to confirm" in response.content.decode()
    assert AccountConfirmation.objects.count() == 1
    # Someone outside the office's batches never reaches the form: 403 before any lookup.
    login(client, actors["coordinator_a"])
    response = client.post(f"/stipends/people/{citra.pk}/confirm-account/", {"reason": "x"})
    assert response.status_code == 403


def test_a_changed_account_unblocks(approved, by):
    services.stipend_batch_record(
        by=by["finance"],
        batch=approved,
        outcomes=outcomes(approved, "Ani Kecamatan A", "Rekening tidak aktif"),
        paid_on=approved.approved_at.date(),
    )
    from pilar.stipends.failures import account_blocks

    ani = StipendLine.objects.filter(name="Ani Kecamatan A").first().person
    assert account_blocks()[ani.pk].reason == "Rekening tidak aktif"
    ani.bank_account = "2200000001"
    ani.save()
    assert ani.pk not in account_blocks()


def test_the_api_lists_files_as_sent_and_gives_the_same_bytes_after_payment(
    client, actors, approved, by
):
    login(client, actors["finance"])
    api = f"/api/v1/stipends/batches/{approved.pk}"
    first = client.get(f"{api}/transfer.csv").content
    services.stipend_batch_mark_paid(
        by=by["finance"], batch=approved, paid_on=approved.approved_at.date()
    )
    listed = client.get(f"{api}/sent-files").json()
    assert [(f["number"], f["format"]) for f in listed] == [(1, "csv"), (1, "xlsx")]
    csv = next(f for f in listed if f["format"] == "csv")
    assert (csv["sha256"], csv["transfers"], csv["total"]) == (sha(first), 2, 1_600_000)
    assert csv["produced_by"] == "bendahara1"
    again = client.get(f"{api}/sent-files/{csv['id']}")
    assert again.content == first and again["X-Checksum-SHA256"] == sha(first)
    assert client.get(f"{api}/transfer.csv").content == first  # a paid batch too
    login(client, actors["approver"])
    assert client.get(f"{api}/sent-files/{csv['id']}").status_code == 403
    assert client.get(f"{api}/sent-files/999999").status_code == 403
    login(client, actors["finance"])
    assert client.get(f"{api}/sent-files/999999").status_code == 404


def test_a_frozen_account_that_failed_is_not_sent_again(approved, by, rates, banked):
    """Ani's transfer fails; she gives a new account, but a batch approved before still holds
    the old one frozen: its transfer file is refused, naming her."""
    from django.core.exceptions import ValidationError

    for month in (OCTOBER,):
        report(banked["a1"], month)
    later = services.stipend_batch_draft(
        by=by["operator"],
        first_month=OCTOBER,
        last_month=OCTOBER,
        kinds=[PillarKind.objects.get(code="PSM")],
    )
    services.stipend_batch_verify(by=by["finance"], batch=later)
    later = services.stipend_batch_approve(by=by["approver"], batch=later)
    services.stipend_batch_record(
        by=by["finance"],
        batch=approved,
        outcomes=outcomes(approved, "Ani Kecamatan A", "Rekening tidak aktif"),
        paid_on=approved.approved_at.date(),
    )
    ani = banked["a1"]
    ani.bank_account = "9900000001"
    ani.save()
    with pytest.raises(ValidationError, match="Ani Kecamatan A"):
        bankfile.transfer_file_sent(by=by["finance"], batch=later, fmt="csv")
    assert not SentFile.objects.filter(batch=later).exists()


def two_roles(make_user, username: str, limited: str):
    """The office's approver who also holds `limited` for kecamatan A only."""
    user = make_user(username, Role.APPROVER)
    RoleGrant.objects.create(user=user, role=limited, area=Area.objects.get(code="13.75.01"))
    return user


def test_a_full_nik_grant_limited_to_an_area_prints_masked_niks(client, make_user, approved):
    """Citra serves in kecamatan B: a reader whose full-NIK grant covers kecamatan A alone
    gets every NIK of the office-wide batch masked, on paper as on the page."""
    user = two_roles(make_user, "kepala-dan-operator-a", Role.OPERATOR)
    login(client, user)
    client.post(f"/stipends/batches/{approved.pk}/print/", {"what": "nominatif-area"})
    job = BatchJob.objects.get(batch=approved, kind=BatchJob.Kind.NOMINATIF)
    assert job.options["full_nik"] is False
    api = client.post(
        f"/api/v1/stipends/batches/{approved.pk}/print",
        {"what": "receipts"},
        content_type="application/json",
    )
    assert api.status_code in (200, 202), api.content
    assert BatchJob.objects.get(batch=approved, kind=BatchJob.Kind.RECEIPTS).options == {
        "full_nik": False
    }


def test_finance_limited_to_an_area_gets_no_transfer_file_by_page_or_api(
    client, make_user, approved
):
    user = two_roles(make_user, "kepala-dan-keuangan-a", Role.FINANCE)
    login(client, user)
    base = f"/stipends/batches/{approved.pk}"
    assert client.get(f"{base}/transfer.csv").status_code == 403
    assert client.get(f"/api/v1{base}/transfer.csv").status_code == 403
    assert client.get(f"/api/v1{base}/sent-files").status_code == 403
    assert not SentFile.objects.exists()


def test_no_empty_file_is_kept_as_sent(client, actors, approved, by):
    """The bank answered for every line (from a file made outside Pilar) before anyone asked
    for the file: there is nothing to send, and no empty "file no. 1" is kept."""
    services.stipend_batch_record(
        by=by["finance"],
        batch=approved,
        outcomes=outcomes(approved, "Citra Kecamatan B", "Rekening tidak aktif"),
        paid_on=approved.approved_at.date(),
    )
    login(client, actors["finance"])
    response = client.get(f"/stipends/batches/{approved.pk}/transfer.csv", follow=True)
    assert "nothing to put in a file" in response.content.decode()
    assert not SentFile.objects.exists()


def test_a_file_sent_before_files_were_kept_is_not_made_again(client, actors, approved):
    StipendBatch.objects.filter(pk=approved.pk).update(transfer_file_at=approved.approved_at)
    login(client, actors["finance"])
    base = f"/stipends/batches/{approved.pk}"
    page = client.get(f"{base}/").content.decode()
    assert "cannot be downloaded again" in page and "Produce the bank transfer file" not in page
    response = client.get(f"{base}/transfer.csv", follow=True)
    assert "cannot be downloaded again" in response.content.decode()
    assert not SentFile.objects.exists()
    # Sending the waiting lines again is a new round, on purpose only.
    assert client.post(f"{base}/transfer/new/").status_code == 400
    assert not SentFile.objects.exists()
    client.post(f"{base}/transfer/new/", {"confirm": "yes"})
    assert set(SentFile.objects.values_list("number", flat=True)) == {2}


def test_verify_needs_the_tick_beside_its_summary(client, actors, rates, banked, by):
    report(banked["a1"], JULY)
    batch = services.stipend_batch_draft(
        by=by["operator"],
        first_month=JULY,
        last_month=JULY,
        kinds=[PillarKind.objects.get(code="PSM")],
    )
    login(client, actors["finance"])
    page = client.get(f"/stipends/batches/{batch.pk}/").content.decode()
    assert "Verifying confirms 1 line to 1 people, Rp 400.000 in all" in page
    url = f"/stipends/batches/{batch.pk}/verify/"
    assert client.post(url, {**confirmed(batch), "confirm": ""}).status_code == 400
    missing = client.post(url, {"confirm": "yes"})
    assert (
        missing.status_code == 400 and "summary you confirm is missing" in missing.content.decode()
    )
    batch.refresh_from_db()
    assert batch.status == "draft"
    client.post(url, confirmed(batch))
    batch.refresh_from_db()
    assert batch.status == "verified"
