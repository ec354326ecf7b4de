"""Months in every state, for the arrears and dashboard tests (a helper, not a test module).

On 20 November 2024, with the `rates` (from January 2024) and `banked` fixtures:
- a1 (PSM, Kel. 13.75.01.1001): July–September paid on 22 October 2024 in one batch; October in
  a draft batch (in process); May verified and in no batch (eligible); June's report returned
  (blocked); January–April without a report (blocked).
- a2 (PSM, 13.75.01.1002): July's report returned, the other months without one: all blocked.
- b1 (PSM, kecamatan B) and tksk_a (TKSK for kecamatan A): every month without a report.
So PSM owes 27 months (25 blocked, 1 eligible, 1 in process), TKSK 10, all at Rp400.000; the
three paid months waited 83, 52 and 22 days (52 on average).
"""

import datetime

import time_machine

from pilar.registry.models import PillarKind
from pilar.stipends import services
from pilar.stipends.tests.conftest import AUGUST, JULY, OCTOBER, SEPTEMBER, D, report

PAID_ON = D(2024, 10, 22)


def months_in_every_state(people, by) -> dict:
    a1, a2 = people["a1"], people["a2"]
    for month in (D(2024, 5, 1), JULY, AUGUST, SEPTEMBER, OCTOBER):
        report(a1, month)
    report(a1, D(2024, 6, 1), "returned")
    report(a2, JULY, "returned")
    psm = [PillarKind.objects.get(code="PSM")]
    with time_machine.travel(datetime.datetime(2024, 10, 21, 9, tzinfo=datetime.UTC)):
        paid = services.stipend_batch_draft(
            by=by["operator"], first_month=JULY, last_month=SEPTEMBER, kinds=psm
        )
        services.stipend_batch_verify(by=by["finance"], batch=paid)
        services.stipend_batch_approve(by=by["approver"], batch=paid)
    with time_machine.travel(datetime.datetime(2024, 10, 22, 9, tzinfo=datetime.UTC)):
        services.stipend_batch_mark_paid(by=by["finance"], batch=paid, paid_on=PAID_ON)
    waiting = services.stipend_batch_draft(
        by=by["operator"], first_month=OCTOBER, last_month=OCTOBER, kinds=psm
    )
    return {"paid": paid, "waiting": waiting}
