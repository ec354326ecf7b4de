"""Who is owed tali kasih for which month, and why not when not.

One set-based pass serves the month's eligibility page, a batch's drafting and the checks at
verification and approval, and a pillar's own view: a few queries over the months asked (duties,
reports, lines that hold a month, rates), then plain Python per (person, kind, month).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pilar.accounts.access import hosts_others, is_top
from pilar.casework.models import MonthlyReport
from pilar.lib.dates import long_date
from pilar.lib.money import rupiah
from pilar.lib.months import month_end, month_label, months_between
from pilar.offices import current
from pilar.offices.models import Office
from pilar.offices.services import remembered
from pilar.regions.models import Area, within_areas_q
from pilar.registry.models import Assignment, PillarKind
from pilar.stipends.models import StipendLine, StipendRate

VERIFIED = MonthlyReport.Status.VERIFIED
CASH = StipendLine.Method.CASH


class State:
    ELIGIBLE = "eligible"
    BLOCKED = "blocked"
    IN_PROCESS = "in_process"
    PAID = "paid"


STATE_LABELS = {
    State.ELIGIBLE: gettext_lazy("Eligible, not yet paid"),
    State.BLOCKED: gettext_lazy("Blocked"),
    State.IN_PROCESS: gettext_lazy("In process"),
    State.PAID: gettext_lazy("Paid"),
}


def state_label(state: str) -> str:
    return str(STATE_LABELS[state])


@dataclass(slots=True)
class Entitlement:
    """One (person, kind, month): what it would pay, and what stands in the way."""

    person_id: int
    kind_id: int
    month: datetime.date
    area_id: int
    days_served: int
    days_in_month: int
    amount: int = 0
    rate_id: int | None = None
    funding_source: str = ""
    method: str = StipendLine.Method.TRANSFER
    reasons: list[str] = field(default_factory=list)
    report_status: str | None = None
    line_id: int | None = None
    batch_id: int | None = None
    line_status: str | None = None
    paid_on: datetime.date | None = None

    @property
    def key(self) -> tuple[int, int, datetime.date]:
        return (self.person_id, self.kind_id, self.month)

    @property
    def state(self) -> str:
        if self.line_status == StipendLine.Status.PAID:
            return State.PAID
        if self.line_status == StipendLine.Status.PENDING:
            return State.IN_PROCESS
        return State.BLOCKED if self.reasons else State.ELIGIBLE


REASONS = {
    "not_begun": gettext_lazy("The month has not begun."),
    "no_rate": gettext_lazy("No tali kasih rate is set for this kind of pillar in this month."),
    "report_missing": gettext_lazy("The monthly report has not been submitted."),
    "report_submitted": gettext_lazy("The monthly report is waiting for verification."),
    "report_returned": gettext_lazy("The monthly report was returned for correction."),
    "report_reopened": gettext_lazy("The monthly report was reopened by the office."),
    "no_account": gettext_lazy(
        "No bank account: add the bank and account number to the pillar's profile."
    ),
    # Counted by the arrears (pilar/stipends/arrears.py, mark_failed_accounts), not by drafting.
    "account_failed": gettext_lazy(
        "The last transfer to this account failed: change the account, or have finance confirm it."
    ),
}


def reason_text(code: str) -> str:
    return str(REASONS[code])


def _today() -> datetime.date:
    return timezone.localdate()


def rates_by_kind(kind_ids: Iterable[int], office=None) -> dict[int, list[StipendRate]]:
    """The rates of `office` (default: the one acting, `current()`) for the kinds."""
    office = office or current()
    rates: dict[int, list[StipendRate]] = {}
    for rate in StipendRate.objects.filter(office=office, kind_id__in=list(kind_ids)):
        rates.setdefault(rate.kind_id, []).append(rate)
    return rates


def rate_for(rates: list[StipendRate], month: datetime.date) -> StipendRate | None:
    return next((r for r in rates if r.covers(month)), None)


def batch_office(batch):
    """The batch's office, as the object the request or task already holds when it acts for
    that office (`current()`: read once, with what the scope rules ask), else read."""
    office = current()
    return office if office.pk == batch.office_id else batch.office


def paying_offices(areas: list[Area] | None) -> Iterator[tuple[Any, list[Area] | None]]:
    """Each office whose rates and policies decide what is owed within `areas`, with the part of
    `areas` it pays: the acting office itself, or, for an office hosting others (the province,
    which pays nobody), each hosted office over its own area (docs/STIPENDS.md, "Many
    offices"). The caller's work runs inside `remembered(office=...)` for each."""
    acting = current()
    if not hosts_others(acting):
        yield acting, areas
        return
    # Offices that pay: those hosting none (a country's provinces pay nobody either).
    hosted = Office.objects.hosted_by(acting).select_related("area")
    for office in hosted:
        if areas is None or any(office.area.is_within(a) for a in areas):
            part = [office.area]
        else:
            part = [a for a in areas if a.is_within(office.area)]
        if part:
            with remembered(office=office):
                yield office, part


def office_duties_q(office, field: str = "area") -> Q | None:
    """The duties (through `field`, their area) an office pays: those in its area; None for
    the installation's top office, whose area holds every duty (docs/STIPENDS.md, "Many
    offices")."""
    if office.area_id is None or is_top(office):
        return None
    return within_areas_q([office.area], field)


def entitlements(
    *,
    months: list[datetime.date],
    kinds: Iterable[PillarKind] | None = None,
    person_ids: Iterable[int] | None = None,
    duty_filter: Q | None = None,
    with_lines: bool = True,
    office=None,
) -> list[Entitlement]:
    """Every (person, kind, month) with a duty on at least one day of the month, for `months`.

    `office` (default: the one acting, `current()`) pays by its rates and policies the duties
    in its area. `duty_filter` narrows the duties read further (an area, a user's scope).
    Ordered by month, then by person and kind. Without `with_lines` the lines holding each
    month are not read (the re-check of a batch's own lines needs only what each month would
    pay).
    """
    if not months:
        return []
    office = office or current()
    months = sorted(set(months))
    first, last = months[0], month_end(months[-1])
    kind_ids = (
        [k.pk for k in kinds]
        if kinds is not None
        else list(PillarKind.objects.values_list("pk", flat=True))
    )
    duties = Assignment.objects.filter(kind_id__in=kind_ids, start_date__lte=last).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=first)
    )
    reports = MonthlyReport.objects.filter(kind_id__in=kind_ids, month__in=months)
    lines = StipendLine.objects.holding().filter(kind_id__in=kind_ids, month__in=months)
    if person_ids is not None:
        person_ids = list(person_ids)
        duties = duties.filter(person_id__in=person_ids)
        reports = reports.filter(person_id__in=person_ids)
        lines = lines.filter(person_id__in=person_ids)
    if duty_filter is not None:
        duties = duties.filter(duty_filter)
    in_office = office_duties_q(office)
    if in_office is not None:
        duties = duties.filter(in_office)
    if person_ids is None and (duty_filter is not None or in_office is not None):
        # Entitlements are only the people of the duties read: their reports and lines, not
        # the month's of every office (docs/PERFORMANCE.md, "One office among 514").
        people = duties.values("person_id")
        reports = reports.filter(person_id__in=people)
        lines = lines.filter(person_id__in=people)
    duty_rows = list(
        # By person and kind, then in date order: the pairs come out in order without a sort,
        # and the last duty of a pair in a month gives its area.
        duties.order_by("person_id", "kind_id", "start_date", "pk").values_list(
            "person_id",
            "kind_id",
            "area_id",
            "start_date",
            "end_date",
            "person__bank_name",
            "person__bank_account",
        )
    )
    report_status = {
        (p, k, m): s
        # No order: the models' default orders join the people and sort every row.
        for p, k, m, s in reports.values_list("person_id", "kind_id", "month", "status").order_by()
    }
    held = (
        {
            (p, k, m): (pk, b, s, d)
            for pk, p, k, m, b, s, d in lines.values_list(
                "pk", "person_id", "kind_id", "month", "batch_id", "status", "paid_on"
            ).order_by()
        }
        if with_lines
        else {}
    )
    rates = rates_by_kind(kind_ids, office)
    today = _today()
    required = office.stipend_report_required
    prorate = office.stipend_prorate
    cash = office.stipend_cash_allowed
    out: list[Entitlement] = []
    for month in months:
        end = month_end(month)
        days_in_month = end.day
        # (person, kind) → [area of the latest duty, first day, last day, set of days or None,
        # has account]. A duty's days are a span; a set is built only when a second duty of
        # the same kind falls in the month (at 300,000 entitlements a set each was most of
        # the pass, docs/PERFORMANCE.md).
        served: dict[tuple[int, int], list] = {}
        for person_id, kind_id, area_id, start, stop, bank, account in duty_rows:
            if start > end or (stop is not None and stop < month):
                continue
            lo = start.day if start > month else 1
            hi = stop.day if stop is not None and stop < end else days_in_month
            entry = served.get((person_id, kind_id))
            if entry is None:
                served[(person_id, kind_id)] = [area_id, lo, hi, None, bool(bank and account)]
            else:
                days = entry[3]
                if days is None:
                    days = entry[3] = set(range(entry[1], entry[2] + 1))
                days.update(range(lo, hi + 1))
                entry[0] = area_id
        kind_rates = {k: rate_for(rates.get(k, []), month) for k in kind_ids}
        begun = month <= today
        for (person_id, kind_id), (area_id, lo, hi, days, has_account) in sorted(served.items()):
            days_served = hi - lo + 1 if days is None else len(days)
            reasons = [] if begun else ["not_begun"]
            e = Entitlement(
                person_id,
                kind_id,
                month,
                area_id,
                days_served,
                days_in_month,
                reasons=reasons,
            )
            rate = kind_rates[kind_id]
            if rate is None:
                reasons.append("no_rate")
            else:
                e.rate_id, e.funding_source = rate.pk, rate.funding_source
                e.amount = (
                    (rate.amount * days_served * 2 + days_in_month) // (2 * days_in_month)
                    if prorate
                    else rate.amount
                )
            status = report_status.get((person_id, kind_id, month))
            e.report_status = status
            if required and status != VERIFIED:
                reasons.append(f"report_{status}" if status else "report_missing")
            if not has_account:
                if cash:
                    e.method = CASH
                else:
                    reasons.append("no_account")
            if held:
                line = held.get((person_id, kind_id, month))
                if line is not None:
                    e.line_id, e.batch_id, e.line_status, e.paid_on = line
            out.append(e)
    return out


def explain(person, kind: PillarKind, month: datetime.date) -> list[str]:
    """Why `person` is or is not owed tali kasih as `kind` for `month`, in sentences."""
    found = [e for e in entitlements(months=[month], kinds=[kind], person_ids=[person.pk])]
    if not found:
        last = (
            Assignment.objects.filter(person=person, kind=kind, start_date__lte=month_end(month))
            .order_by("-start_date")
            .first()
        )
        if last is not None and last.end_date is not None:
            return [
                _("Not serving as %(kind)s in %(month)s: the duty ended on %(day)s.")
                % {"kind": kind.name, "month": month_label(month), "day": long_date(last.end_date)}
            ]
        return [
            _("Not serving as %(kind)s in %(month)s.")
            % {"kind": kind.name, "month": month_label(month)}
        ]
    e = found[0]
    if e.state == State.PAID:
        return [_("Paid on %(day)s.") % {"day": long_date(e.paid_on)}]
    if e.state == State.IN_PROCESS:
        return [_("In a payment batch that is not yet paid.")]
    if e.state == State.BLOCKED:
        return [reason_text(code) for code in e.reasons]
    return [_("Eligible: Rp %(amount)s, not yet in a batch.") % {"amount": rupiah(e.amount)}]


def batch_months(first: datetime.date, last: datetime.date, arrears_from: datetime.date | None):
    return list(months_between(arrears_from or first, last))
