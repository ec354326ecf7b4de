"""The dashboard's figures as plain numbers, ready to be kept as JSON: the same dict for an
office's own dashboard and for its row on the province's (docs/DASHBOARD.md, "Province").

Every number is a count or a sum, so a total over offices is the sum of their rows; the two
that are not (the longest delay, a maximum; the average delay, derived from the summed
`paid_lines` and `delay_line_days`) are derived in `shown`."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Count
from django.utils import timezone

from pilar.casework.models import MonthlyReport
from pilar.casework.report_services import report_due
from pilar.casework.selectors import SummaryRow, summary_kept
from pilar.dashboard.gaps import Gaps, training_and_equipment_gaps
from pilar.lib.months import previous_month
from pilar.regions.models import Area, within_areas_q
from pilar.registry.models import Assignment
from pilar.stipends.arrears import OfficeArrears, arrears_within

# Summed over offices; `headcount` (by kind) is summed kind by kind, `delay_longest` is a maximum.
SUMMED = (
    "headcount_total",
    "households",
    "accompanied",
    "activities",
    "reached",
    "reports_verified",
    "reports_late",
    "owed_months",
    "owed_amount",
    "blocked_months",
    "paid_lines",
    "delay_line_days",
    "serving",
    "trained",
    "missing",
    "expiring",
    "due_items",
    "due_people",
)


def reports_late(scope, month: datetime.date) -> int:
    """Monthly reports of `month` first submitted after the office's due day (`is_late` in
    pilar/casework/selectors.py, counted in the database)."""
    after = timezone.make_aware(
        datetime.datetime.combine(report_due(month) + datetime.timedelta(days=1), datetime.time())
    )
    reports = MonthlyReport.objects.filter(month=month, first_submitted_at__gte=after)
    if scope is not None:
        reports = reports.filter(within_areas_q(scope, "area"))
    return reports.order_by().count()


def active_by_kind(scope, as_of: datetime.date) -> dict[str, int]:
    """Active duties on `as_of` by kind code, as the headcount counts them."""
    duties = Assignment.objects.active_on(as_of)
    if scope is not None:
        duties = duties.filter(area__in=Area.objects.filter(within_areas_q(scope, "")))
    return dict(duties.values_list("kind__code").annotate(n=Count("*")).order_by())


def flat(
    *,
    by_kind: dict[str, int],
    casework: SummaryRow,
    late: int,
    arrears: OfficeArrears,
    gaps: Gaps,
) -> dict:
    """The figures of one scope, from what the dashboard computes for it."""
    delays = [d for d in arrears.delays if d.lines]
    return {
        "headcount": {code: n for code, n in sorted(by_kind.items()) if n},
        "headcount_total": sum(by_kind.values()),
        "households": casework.households,
        "accompanied": casework.accompanied,
        "activities": casework.activities,
        "reached": casework.reached,
        "reports_verified": casework.reports.get(MonthlyReport.Status.VERIFIED, 0),
        "reports_late": late,
        "owed_months": arrears.total.total,
        "owed_amount": arrears.total.amount,
        "blocked_months": arrears.total.blocked,
        # The average delay per kind, weighted by its lines: the office's average over all.
        "paid_lines": sum(d.lines for d in delays),
        "delay_line_days": sum(d.lines * d.average_days for d in delays),
        "delay_longest": max((d.longest_days for d in delays), default=0),
        "serving": gaps.serving,
        "trained": gaps.trained,
        "missing": gaps.missing,
        "expiring": gaps.expiring,
        "due_items": gaps.due_items,
        "due_people": gaps.due_people,
    }


def compute(scope, as_of: datetime.date) -> dict:
    """The figures of the areas `scope` on `as_of`, for the office the caller acts for."""
    month = previous_month(as_of)
    (_rows, casework), _counted_at = summary_kept(scope, month)
    return flat(
        by_kind=active_by_kind(scope, as_of),
        casework=casework,
        late=reports_late(scope, month),
        arrears=arrears_within(scope, as_of),
        gaps=training_and_equipment_gaps(scope, as_of),
    )


def summed(rows: Iterable[dict]) -> dict:
    """The total of offices' figures: each summed, kind by kind for the headcount, the longest
    delay the longest of all."""
    total: dict = {key: 0 for key in SUMMED}
    total["headcount"] = {}
    total["delay_longest"] = 0
    for row in rows:
        for key in SUMMED:
            total[key] += row.get(key, 0)
        for code, n in row.get("headcount", {}).items():
            total["headcount"][code] = total["headcount"].get(code, 0) + n
        total["delay_longest"] = max(total["delay_longest"], row.get("delay_longest", 0))
    total["headcount"] = dict(sorted(total["headcount"].items()))
    return total


def shown(figures: dict) -> dict:
    """`figures` with what a page derives from them: the average delay and the share trained."""
    lines, serving = figures.get("paid_lines", 0), figures.get("serving", 0)
    return {
        **figures,
        "delay_average": round(figures["delay_line_days"] / lines) if lines else None,
        "trained_share": round(100 * figures["trained"] / serving) if serving else 0,
    }
