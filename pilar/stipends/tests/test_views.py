import pytest
from python_calamine import CalamineWorkbook

from pilar.accounts.models import Role, User
from pilar.audit.models import AuditEntry
from pilar.registry.models import PillarKind
from pilar.stipends import services
from pilar.stipends.models import Budget, StipendBatch, StipendLine, StipendRate
from pilar.stipends.tests.conftest import AUGUST, JULY, SEPTEMBER, confirmed, download, report
from pilar.tests_support import login

TODAY = __import__("datetime").date(2024, 11, 20)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_users(actors):
    User.objects.update(language="en")


@pytest.fixture
def batch(rates, banked, by):
    for month in (JULY, AUGUST, SEPTEMBER):
        report(banked["a1"], month)
    report(banked["b1"], JULY)
    return services.stipend_batch_draft(
        by=by["operator"],
        first_month=JULY,
        last_month=SEPTEMBER,
        kinds=[PillarKind.objects.get(code="PSM")],
    )


def as_user(client, actors, name):
    login(client, actors[name])
    return client


def test_batch_list_and_detail_show_people_and_total(client, actors, batch):
    as_user(client, actors, "finance")
    page = client.get("/stipends/").content.decode()
    assert batch.title in page and "1.600.000" in page
    page = client.get(f"/stipends/batches/{batch.pk}/").content.decode()
    assert "Ani Kecamatan A" in page and "Citra Kecamatan B" in page
    assert "Verify (finance)" in page and "Approve the payment" not in page


def test_detail_counts_its_lines_filtered_or_not(client, actors, batch):
    """Unfiltered, the number of lines comes from the counts per status; filtered, it is
    counted: both match the lines."""
    login(client, actors["operator"])
    url = f"/stipends/batches/{batch.pk}/"
    for query, expected in [
        ({}, batch.lines.count()),
        ({"page": "junk"}, batch.lines.count()),
        ({"q": "citra"}, batch.lines.filter(person__name__icontains="citra").count()),
        ({"status": "pending"}, batch.lines.filter(status="pending").count()),
    ]:
        page = client.get(url, query).context["page"]
        assert page.paginator.count == expected > 0, query


def test_detail_filters_lines_and_exports_masked(client, actors, batch):
    as_user(client, actors, "operator")
    page = client.get(f"/stipends/batches/{batch.pk}/?q=citra").content.decode()
    assert "Citra Kecamatan B" in page and "Ani Kecamatan A" not in page
    response = client.get(f"/stipends/batches/{batch.pk}/?format=xlsx")
    rows = CalamineWorkbook.from_filelike(__import__("io").BytesIO(response.content))
    data = rows.get_sheet_by_index(0).to_python()
    assert len(data) == 5 and data[1][1].startswith("1375") and "*" in data[1][1]
    assert data[0][2] == "Kind" and {r[2] for r in data[1:]} == {"Pekerja Sosial Masyarakat"}
    assert AuditEntry.objects.filter(action="view_personal", note="lines.xlsx").exists()


def test_draft_page_creates_a_batch(client, actors, rates, banked):
    report(banked["a1"], JULY)
    as_user(client, actors, "operator")
    psm = PillarKind.objects.get(code="PSM")
    response = client.post(
        "/stipends/batches/new/",
        {"first_month": "2024-07", "last_month": "2024-07", "kinds": [psm.pk], "year": 2024},
    )
    batch = StipendBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/stipends/batches/{batch.pk}/"
    assert batch.lines.get().amount == 400_000


def test_draft_over_budget_shows_the_numbers_and_pays_nothing(client, actors, rates, banked):
    """Drafting runs in the background: a draft refused as it is filled is cancelled with the
    reason, which its page shows; no line is left behind."""
    Budget.objects.update(amount=100_000)
    report(banked["a1"], JULY)
    as_user(client, actors, "operator")
    psm = PillarKind.objects.get(code="PSM")
    response = client.post(
        "/stipends/batches/new/",
        {"first_month": "2024-07", "last_month": "2024-07", "kinds": [psm.pk], "year": 2024},
        follow=True,
    )
    page = response.content.decode()
    assert "over by Rp 300.000" in page and 'data-status="failed"' in page
    batch = StipendBatch.objects.get()
    assert batch.status == "cancelled" and "over by Rp 300.000" in batch.reason
    assert not StipendLine.objects.exists()


def test_draft_with_bad_months_names_the_field(client, actors, rates):
    as_user(client, actors, "operator")
    response = client.post(
        "/stipends/batches/new/",
        {"first_month": "2024-09", "last_month": "2024-07", "kinds": [], "year": 2024},
    )
    page = response.content.decode()
    assert (
        "The last month cannot come before the first." in page or "This field is required" in page
    )
    assert not StipendBatch.objects.exists()


def test_walk_verify_approve_pay_through_pages(client, actors, batch):
    as_user(client, actors, "finance")
    client.post(f"/stipends/batches/{batch.pk}/verify/", confirmed(batch))
    as_user(client, actors, "approver")
    client.post(f"/stipends/batches/{batch.pk}/approve/", confirmed(batch))
    # A double submit of the approve button: one transition, a message, no error page.
    response = client.post(f"/stipends/batches/{batch.pk}/approve/", confirmed(batch), follow=True)
    assert "now “Approved”" in response.content.decode()
    as_user(client, actors, "finance")
    response = client.post(
        f"/stipends/batches/{batch.pk}/mark-paid/",
        confirmed(batch, paid_on="2024-11-20"),
        follow=True,
    )
    assert "4 line(s) marked paid." in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == "paid"
    assert AuditEntry.objects.filter(changes__status=["verified", "approved"]).count() == 1


def test_return_needs_a_reason(client, actors, batch, by):
    services.stipend_batch_verify(by=by["finance"], batch=batch)
    as_user(client, actors, "approver")
    response = client.post(f"/stipends/batches/{batch.pk}/return/", {"reason": ""}, follow=True)
    assert "Say why the batch goes back to draft." in response.content.decode()
    client.post(f"/stipends/batches/{batch.pk}/return/", {"reason": "Periksa ulang"})
    batch.refresh_from_db()
    assert (batch.status, batch.reason) == ("draft", "Periksa ulang")


def test_remove_a_line_from_a_draft(client, actors, batch):
    line = batch.lines.get(person__name="Citra Kecamatan B")
    as_user(client, actors, "operator")
    client.post(f"/stipends/lines/{line.pk}/remove/", {"reason": "Data rekening salah"})
    line.refresh_from_db()
    assert (line.status, line.note) == ("cancelled", "Data rekening salah")


def test_transfer_file_only_after_approval_and_for_finance(client, actors, batch, by):
    as_user(client, actors, "finance")
    response = client.get(f"/stipends/batches/{batch.pk}/transfer.xlsx", follow=True)
    assert "made once the batch is approved" in response.content.decode()
    services.stipend_batch_verify(by=by["finance"], batch=batch)
    services.stipend_batch_approve(by=by["approver"], batch=batch)
    response = client.get(f"/stipends/batches/{batch.pk}/transfer.csv")
    text = response.content.decode("utf-8-sig")
    assert "1100000000" in text and "1200000" in text
    assert client.get(f"/stipends/batches/{batch.pk}/transfer.exe").status_code == 404
    as_user(client, actors, "operator")
    assert client.get(f"/stipends/batches/{batch.pk}/transfer.csv").status_code == 403


def test_eligibility_page_counts_and_explains(client, actors, rates, banked):
    report(banked["a1"], JULY)
    report(banked["a2"], JULY, "returned")
    as_user(client, actors, "operator")
    page = client.get("/stipends/eligibility/?month=2024-07&kind=PSM").content.decode()
    assert "The monthly report was returned for correction." in page
    assert "The monthly report has not been submitted." in page  # b1
    page = client.get("/stipends/eligibility/?month=2024-07&kind=PSM&state=eligible").content
    assert b"Ani Kecamatan A" in page and b"Budi Kecamatan A" not in page
    response = client.get("/stipends/eligibility/?month=2024-07&kind=PSM&format=csv")
    assert response.content.decode("utf-8-sig").count("\n") == 4
    assert response.content.decode("utf-8-sig").count(",Pekerja Sosial Masyarakat,") == 3


def test_rates_page_refuses_an_overlap(client, actors, rates):
    as_user(client, actors, "finance")
    psm = PillarKind.objects.get(code="PSM")
    response = client.post(
        "/stipends/rates/new/",
        {"kind": psm.pk, "amount": 500000, "valid_from": "2024-07", "funding_source": "APBD"},
        follow=True,
    )
    assert "overlaps the Pekerja Sosial Masyarakat rate" in response.content.decode()
    assert StipendRate.objects.filter(kind=psm).count() == 1
    client.post("/stipends/budgets/", {"year": 2025, "funding_source": "APBD", "amount": 5000})
    assert Budget.objects.get(year=2025).amount == 5000


def test_money_typed_the_indonesian_way_is_kept_as_written(client, actors, rates):
    as_user(client, actors, "finance")
    form = {"year": 2025, "funding_source": "APBD"}
    client.post("/stipends/budgets/", {**form, "amount": "Rp 1.500.000.000"})
    assert Budget.objects.get(year=2025).amount == 1_500_000_000
    refused = client.post("/stipends/budgets/", {**form, "amount": "1500,50"}, follow=True)
    assert "without cents" in refused.content.decode()
    assert Budget.objects.get(year=2025).amount == 1_500_000_000
    kt = PillarKind.objects.get(code="KARANG_TARUNA")
    client.post(
        "/stipends/rates/new/",
        {"kind": kt.pk, "amount": "750.000", "valid_from": "2026-01", "funding_source": "APBD"},
    )
    assert StipendRate.objects.get(kind=kt).amount == 750_000


def test_operator_cannot_set_rates(client, actors, rates):
    as_user(client, actors, "operator")
    assert client.get("/stipends/rates/").status_code == 200
    response = client.post(
        "/stipends/budgets/", {"year": 2025, "funding_source": "APBD", "amount": 1}
    )
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["viewer", "pillar", "coordinator_a", "norole"])
def test_roles_without_stipends_get_403(client, actors, batch, role):
    as_user(client, actors, role)
    for url in ("/stipends/", f"/stipends/batches/{batch.pk}/", "/stipends/eligibility/"):
        assert client.get(url).status_code == 403


def test_area_limited_operator_sees_no_batch(client, actors, batch, make_user):
    make_user("op-a", Role.OPERATOR, area="13.75.01")
    User.objects.update(language="en")
    client.login(username="op-a", password=__import__("pilar.tests_support").tests_support.PASSWORD)
    assert client.get(f"/stipends/batches/{batch.pk}/").status_code == 404
    assert client.get("/stipends/batches/new/").status_code == 404
    page = client.get("/stipends/eligibility/?month=2024-07").content.decode()
    assert "Ani Kecamatan A" in page and "Citra Kecamatan B" not in page


def test_anonymous_goes_to_login(client, batch):
    response = client.get(f"/stipends/batches/{batch.pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_wrong_method(client, actors, batch):
    as_user(client, actors, "finance")
    assert client.get(f"/stipends/batches/{batch.pk}/verify/").status_code == 405
    assert StipendLine.objects.filter(status="pending").count() == 4


def test_reopening_a_paid_month_warns_that_money_is_not_undone(client, actors, batch, by):
    services.stipend_batch_verify(by=by["finance"], batch=batch)
    services.stipend_batch_approve(by=by["approver"], batch=batch)
    services.stipend_batch_mark_paid(by=by["finance"], batch=batch, paid_on=TODAY)
    july = batch.lines.get(person__name="Ani Kecamatan A", month=JULY)
    from pilar.casework.models import MonthlyReport

    verified = MonthlyReport.objects.get(person=july.person, month=JULY)
    as_user(client, actors, "operator")
    response = client.post(
        f"/reports/{verified.pk}/reopen/", {"reason": "Kegiatan terlambat dicatat"}, follow=True
    )
    page = response.content.decode()
    assert "Month reopened" in page
    assert "was already paid (Tali kasih July 2024 – September 2024)" in page
    july.refresh_from_db()
    assert july.status == "paid"


def test_documents_download_after_approval_and_are_logged(client, actors, batch, by):
    services.stipend_batch_verify(by=by["finance"], batch=batch)
    services.stipend_batch_approve(by=by["approver"], batch=batch)
    as_user(client, actors, "approver")
    page = client.get(f"/stipends/batches/{batch.pk}/").content.decode()
    assert "Payment list (daftar nominatif)" in page and "Bank transfer file" not in page
    for url, what in (
        ("nominatif.pdf", "nominatif-area"),
        ("nominatif.pdf?group=kind", "nominatif-kind"),
        ("receipts.pdf", "receipts"),
    ):
        assert download(client, batch, url, what).startswith(b"%PDF")
    notes = set(
        AuditEntry.objects.filter(action="view_personal", user=actors["approver"]).values_list(
            "note", flat=True
        )
    )
    assert notes == {"nominatif.pdf?group=area", "nominatif.pdf?group=kind", "receipts.pdf"}


def test_bank_result_page_marks_paid_or_lists_problems(client, actors, batch, by, banked):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from pilar.lib.exports import to_csv

    services.stipend_batch_verify(by=by["finance"], batch=batch)
    services.stipend_batch_approve(by=by["approver"], batch=batch)
    a1, b1 = banked["a1"], banked["b1"]
    headers = ["Referensi", "Nomor Rekening", "Jumlah", "Status", "Keterangan"]
    wrong = to_csv(headers, [[f"TK{batch.pk}-{a1.pk}", a1.bank_account, 1, "BERHASIL", ""]])
    as_user(client, actors, "finance")
    response = client.post(
        f"/stipends/batches/{batch.pk}/result/",
        {"paid_on": "2024-11-20", "file": SimpleUploadedFile("hasil.csv", wrong)},
        follow=True,
    )
    assert "amount" in response.content.decode().lower()
    assert not StipendLine.objects.filter(status="paid").exists()
    good = to_csv(
        headers,
        [
            [f"TK{batch.pk}-{a1.pk}", a1.bank_account, 1_200_000, "BERHASIL", ""],
            [f"TK{batch.pk}-{b1.pk}", b1.bank_account, 400_000, "GAGAL", "Rekening ditutup"],
        ],
    )
    response = client.post(
        f"/stipends/batches/{batch.pk}/result/",
        {"paid_on": "2024-11-20", "file": SimpleUploadedFile("hasil.csv", good)},
        follow=True,
    )
    assert "3 paid, 1 failed" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == "partly_paid"


def test_person_page_links_to_their_tali_kasih(client, actors, people):
    a1 = people["a1"]
    as_user(client, actors, "finance")
    assert f'href="/stipends/people/{a1.pk}/"' in client.get(f"/pillars/{a1.pk}/").content.decode()
    as_user(client, actors, "pillar")
    assert 'href="/stipends/mine/"' in client.get(f"/pillars/{a1.pk}/").content.decode()


def test_a_rate_typed_wrong_is_corrected_until_a_batch_uses_it(client, actors, rates, banked, by):
    psm = rates["PSM"]
    as_user(client, actors, "finance")
    client.post(f"/stipends/rates/{psm.pk}/correct/", {"amount": 450000, "funding_source": "APBD"})
    psm.refresh_from_db()
    assert psm.amount == 450_000
    assert AuditEntry.objects.filter(object_id=str(psm.pk), changes__amount=[400000, 450000])
    report(banked["a1"], JULY)
    services.stipend_batch_draft(
        by=by["operator"], first_month=JULY, last_month=JULY, kinds=[psm.kind]
    )
    response = client.post(
        f"/stipends/rates/{psm.pk}/correct/",
        {"amount": 500000, "funding_source": "APBD"},
        follow=True,
    )
    assert "Batches already use this rate" in response.content.decode()
    psm.refresh_from_db()
    assert psm.amount == 450_000
    as_user(client, actors, "operator")
    assert client.post(f"/stipends/rates/{psm.pk}/correct/", {"amount": 1}).status_code == 403


def test_printed_copies_with_full_niks_reach_only_those_allowed(client, actors, batch, by):
    """Finance's receipts carry full NIKs: the approver (masked NIKs only) is refused that file
    and prints a masked copy of their own. A print of nothing known changes nothing."""
    from pilar.stipends.models import BatchJob

    services.stipend_batch_verify(by=by["finance"], batch=batch)
    services.stipend_batch_approve(by=by["approver"], batch=batch)
    as_user(client, actors, "finance")
    junk = client.post(f"/stipends/batches/{batch.pk}/print/", {"what": "x" * 5000}, follow=True)
    assert "Choose the payment list or the receipts." in junk.content.decode()
    assert not BatchJob.objects.exists()
    client.post(f"/stipends/batches/{batch.pk}/print/", {"what": "receipts"})
    full = BatchJob.objects.get()
    assert full.status == "done" and full.options["full_nik"] is True
    client.logout()
    as_user(client, actors, "approver")
    assert client.get(f"/stipends/batches/{batch.pk}/jobs/{full.pk}/file").status_code == 404
    assert client.get(f"/stipends/batches/{batch.pk}/receipts.pdf").status_code == 302
    assert download(client, batch, "receipts.pdf", "receipts").startswith(b"%PDF")
    masked = BatchJob.objects.latest("pk")
    assert masked.options["full_nik"] is False
    # Another batch's address does not reach this batch's file.
    assert client.get(f"/stipends/batches/{batch.pk + 1}/jobs/{masked.pk}/file").status_code == 404


def test_a_batch_not_yet_approved_says_when_its_documents_come(client, actors, batch, by):
    """A draft or verified batch has no payment list yet: its page says so and when."""
    as_user(client, actors, "finance")
    url = f"/stipends/batches/{batch.pk}/"
    note = "available once the head of office approves the batch"
    for status in ("draft", "verified"):
        body = client.get(url).content.decode()
        documents = body[body.index('data-testid="documents"') :][:800]
        assert "Payment list (daftar nominatif)" in documents, status
        assert note in documents, status
        assert f"/stipends/batches/{batch.pk}/print/" not in body, status
        if status == "draft":
            services.stipend_batch_verify(by=by["finance"], batch=batch)
    # Asked for anyway, the document's address says the same.
    response = client.get(f"/stipends/batches/{batch.pk}/nominatif.pdf", follow=True)
    assert "once the batch is approved" in response.content.decode()
    batch = services.stipend_batch_approve(by=by["approver"], batch=StipendBatch.objects.get())
    body = client.get(url).content.decode()
    assert note not in body and f"/stipends/batches/{batch.pk}/print/" in body
