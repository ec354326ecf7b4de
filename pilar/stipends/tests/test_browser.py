"""Real Chromium at a phone's width: the operator drafts July–September, finance verifies, the
head of office approves, finance prints the receipts and marks it paid; the pillar then sees
July paid on their phone. Each step is a background job (run as it is queued here: the stipends
tests use the immediate task backend); the batch page shows what it did."""

import pytest
from playwright.sync_api import expect

from pilar.registry.models import PillarKind
from pilar.stipends.models import StipendBatch, StipendLine
from pilar.stipends.tests.conftest import AUGUST, JULY, SEPTEMBER, report
from pilar.tests_support import PHONE, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fits(page) -> bool:
    """Nothing on the page is wider than the phone (measured once the stylesheet has loaded)."""
    page.wait_for_load_state("load")
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_draft_verify_approve_mark_paid(live_server, page, actors, rates, banked):
    from pilar.accounts.models import User

    User.objects.update(language="en")
    for month in (JULY, AUGUST, SEPTEMBER):
        report(banked["a1"], month)
    report(banked["b1"], AUGUST)
    page.set_viewport_size(PHONE)
    url = live_server.url

    sign_in(page, url, "operator1")
    page.goto(f"{url}/stipends/")
    page.get_by_role("link", name="+ Draft a batch").click()
    page.fill("#id_first_month", "2024-07")
    page.fill("#id_last_month", "2024-09")
    page.get_by_label(PillarKind.objects.get(code="PSM").name).check()
    page.get_by_role("button", name="Draft the batch").click()
    expect(page.get_by_test_id("batch-job")).to_contain_text(
        "Batch drafted: 2 people, Rp 1.600.000."
    )
    expect(page.get_by_test_id("batch-status")).to_have_text("Draft")
    assert fits(page)
    batch = StipendBatch.objects.get()

    sign_in(page, url, "bendahara1")
    page.goto(f"{url}/stipends/batches/{batch.pk}/")
    expect(page.get_by_test_id("verify-summary")).to_contain_text(
        "Verifying confirms 4 lines to 2 people, Rp 1.600.000 in all"
    )
    page.get_by_label("I have checked the lines and verify this batch").check()
    page.get_by_role("button", name="Verify (finance)").click()
    expect(page.get_by_test_id("batch-status")).to_have_text("Verified by finance")

    sign_in(page, url, "kepala1")
    page.goto(f"{url}/stipends/batches/{batch.pk}/")
    expect(page.get_by_test_id("approve-summary")).to_contain_text(
        "Approving pays 4 lines to 2 people, Rp 1.600.000 in all, from the 2024 budget."
    )
    page.get_by_label("I have checked the summary and approve this payment").check()
    page.get_by_role("button", name="Approve the payment").click()
    expect(page.get_by_test_id("batch-status")).to_have_text("Approved")
    expect(page.get_by_test_id("print-receipts")).to_be_visible()

    sign_in(page, url, "bendahara1")
    page.goto(f"{url}/stipends/batches/{batch.pk}/")
    page.get_by_test_id("print-receipts").get_by_role("button", name="Print").click()
    expect(page.get_by_test_id("batch-job")).to_contain_text("Printed: 2 recipient(s).")
    with page.expect_download() as download:
        page.get_by_test_id("print-receipts").get_by_role("link").click()
    assert download.value.suggested_filename == f"kuitansi-{batch.pk}.pdf"
    page.get_by_role("button", name="Produce the bank transfer file").click()
    expect(page.get_by_test_id("sent-1")).to_contain_text("2 transfers, Rp 1.600.000")
    # Every transfer still waits in file no. 1: no second file is offered.
    expect(page.get_by_test_id("transfer-round")).to_have_count(0)
    assert fits(page)  # the bank-result upload included
    # Marking paid sits apart from the bank's result, folded, with what it will do.
    box = page.get_by_test_id("mark-paid")
    box.locator("summary").click()
    expect(page.get_by_test_id("mark-paid-summary")).to_contain_text("4 waiting lines")
    box.locator("input[name=paid_on]").fill("2024-11-20")
    box.get_by_label("I confirm every waiting line above was paid").check()
    box.get_by_role("button", name="Mark every waiting line paid").click()
    expect(page.get_by_test_id("batch-job")).to_contain_text("4 line(s) marked paid.")
    expect(page.get_by_test_id("batch-status")).to_have_text("Paid")
    assert StipendLine.objects.filter(status="paid").count() == 4
    assert fits(page)

    # The PSM sees July paid on her phone, and a month without a verified report blocked.
    sign_in(page, url, "psm-a1")
    page.goto(f"{url}/stipends/mine/")
    july = page.get_by_test_id("month-2024-07-PSM")
    expect(july).to_contain_text("Paid")
    expect(july).to_contain_text("20 November 2024")
    expect(page.get_by_test_id("month-2024-10-PSM")).to_contain_text(
        "The monthly report has not been submitted."
    )
    assert fits(page)
