"""Figures that say what they count: each headline of the arrears page compared with the rows
behind it, summed here independently (docs/STIPENDS.md, "The office's arrears", "Budget")."""

import datetime

import pytest
import time_machine

from pilar.accounts.models import User
from pilar.stipends import services
from pilar.stipends.arrears import owed_rows
from pilar.stipends.eligibility import REASONS
from pilar.stipends.models import StipendLine
from pilar.stipends.tests.conftest import D
from pilar.stipends.tests.scenario import months_in_every_state
from pilar.tests_support import login

pytestmark = pytest.mark.django_db
TODAY = D(2024, 11, 20)


@pytest.fixture
def made(rates, banked, by, actors):
    made = months_in_every_state(banked, by)
    User.objects.update(language="en")  # the pages speak each user's language
    return made


def text_to_code() -> dict[str, str]:
    return {str(text): code for code, text in REASONS.items()}


def test_arrears_headline_separates_payable_from_blocked_and_matches_its_rows(client, actors, made):
    login(client, actors["operator"])
    page = client.get("/stipends/arrears/")
    office = page.context["office"]
    # The rows behind the figures, summed here month by month.
    payable_months = payable_amount = blocked_months = blocked_amount = 0
    by_reason: dict[str, int] = {}
    codes = text_to_code()
    for row in owed_rows(actors["operator"], as_of=TODAY):
        for m in row.months:
            if m.state == "blocked":
                blocked_months += 1
                blocked_amount += m.amount
                code = codes[m.reasons[0]]
                by_reason[code] = by_reason.get(code, 0) + 1
            else:
                payable_months += 1
                payable_amount += m.amount
    assert (office.total.payable, office.total.payable_amount) == (payable_months, payable_amount)
    assert (office.total.blocked, office.total.blocked_amount) == (blocked_months, blocked_amount)
    assert {b.code: b.months for b in office.blocked_by_reason} == by_reason
    assert sum(b.amount for b in office.blocked_by_reason) == blocked_amount
    # The scenario: 2 months payable (one eligible, one in a batch), 35 blocked.
    assert (payable_months, blocked_months) == (2, 35)
    assert by_reason == {"report_missing": 33, "report_returned": 2}
    body = page.content.decode()
    payable = body[body.index('data-testid="payable"') :][:600]
    assert '<a href="/stipends/arrears/?state=payable">2</a>' in payable
    assert "months owed and payable (Rp800,000)" in payable
    assert "1 waiting for a batch, 1 in a batch" in payable
    blocked = body[body.index('data-testid="blocked"') :][:600]
    assert '<a href="/stipends/arrears/?state=blocked">35</a>' in blocked
    assert "months blocked (Rp14,000,000)" in blocked
    reasons = body[body.index('data-testid="blocked-reasons"') :][:1200]
    assert "33 · The monthly report has not been submitted." in reasons
    # The payable figure's own list holds exactly those months.
    listed = client.get("/stipends/arrears/", {"state": "payable"})
    assert listed.status_code == 200
    assert sum(len(r.months) for r in listed.context["page"].paginator.object_list) == 2


def test_budget_use_shows_the_budget_year_of_a_payment_made_the_next_year(client, actors, made, by):
    """The October 2024 batch (budget year 2024) is approved and paid on 15 January 2025: the
    arrears page shows 2024's money with that day, not "no payment this year"."""
    waiting = made["waiting"]
    with time_machine.travel(datetime.datetime(2025, 1, 15, 9, tzinfo=datetime.UTC)):
        services.stipend_batch_verify(by=by["finance"], batch=waiting)
        services.stipend_batch_approve(by=by["approver"], batch=waiting)
        services.stipend_batch_mark_paid(by=by["finance"], batch=waiting, paid_on=D(2025, 1, 15))
        login(client, actors["approver"])
        page = client.get("/stipends/arrears/")
    money = {(m.year, m.funding_source): m for m in page.context["office"].money}
    # The rows behind it, summed here.
    paid_2024 = sum(
        line.amount
        for line in StipendLine.objects.filter(status="paid", batch__year=2024)
        .exclude(batch__status="cancelled")
        .select_related("batch")
    )
    last = max(line.paid_on for line in StipendLine.objects.filter(status="paid", batch__year=2024))
    row = money[(2024, "APBD")]
    assert (row.paid, row.in_process, row.last_paid_on) == (paid_2024, 0, last)
    assert paid_2024 == 1_600_000 and last == D(2025, 1, 15)
    assert row.left == 100_000_000 - paid_2024
    body = page.content.decode()
    assert "No budget ceiling and no payment this year yet." not in body
    assert "Last payment from the 2024 budget: 15 January 2025." in body
    assert "APBD (city/regency budget) 2024" in body


def test_a_month_whose_account_failed_is_blocked_not_payable(client, actors, made, by, banked):
    """a1's July–September were paid; say the bank then failed her transfer of October (in a
    batch approved and sent): her months waiting for a batch (May) count as blocked, with the
    reason, until the account is changed — in the headline and in the rows behind it."""
    waiting = made["waiting"]
    services.stipend_batch_verify(by=by["finance"], batch=waiting)
    services.stipend_batch_approve(by=by["approver"], batch=waiting)
    october = waiting.lines.get()
    services.stipend_batch_record(
        by=by["finance"],
        batch=waiting,
        outcomes=[services.Outcome(october, False, "Rekening tidak aktif")],
        paid_on=TODAY,
    )
    login(client, actors["operator"])
    office = client.get("/stipends/arrears/").context["office"]
    reasons = {b.code: b.months for b in office.blocked_by_reason}
    # a1's May and October now wait for a batch, but her account failed: both blocked.
    rows = [
        m
        for r in owed_rows(actors["operator"], as_of=TODAY)
        if r.person_id == banked["a1"].pk
        for m in r.months
    ]
    failed_text = str(REASONS["account_failed"])
    assert {(m.month, m.state) for m in rows if m.reasons[:1] == [failed_text]} == {
        (D(2024, 5, 1), "blocked"),
        (D(2024, 10, 1), "blocked"),
    }
    assert reasons["account_failed"] == 2 and office.total.payable == 0
    # A new account unblocks them.
    a1 = banked["a1"]
    a1.bank_account = "9900000001"
    a1.save()
    from django.core.cache import cache

    cache.clear()
    office = client.get("/stipends/arrears/").context["office"]
    assert "account_failed" not in {b.code for b in office.blocked_by_reason}
    assert office.total.payable == 2
