"""Arrears and timeliness: the months owed to a pillar and how late, the office's months
outstanding by kind and area, the delay between a month's end and its payment, and the money
paid against the year's budget ceiling.

Read-only and set-based. The unpaid months come from `eligibility.entitlements` (a few queries
over the months asked, then plain Python); paid months, delays and money are aggregates over
`StipendLine`. No query runs per person.

A month is owed from the later of the duty's start and the first rate of its kind, up to the
month before today: the current month is not over, so it is not late yet.
"""

from __future__ import annotations

import datetime
from contextlib import nullcontext
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from pilar.accounts.access import (
    Capability,
    area_scope,
    office_scope_q,
    office_wide,
)
from pilar.casework.models import MonthlyReport
from pilar.lib.kept import kept, scope_key
from pilar.lib.months import month_end, month_start, months_between, previous_month
from pilar.offices import current
from pilar.regions.models import Area, within_areas_q
from pilar.registry.models import Assignment, Person, PillarKind
from pilar.stipends.eligibility import (
    Entitlement,
    State,
    entitlements,
    paying_offices,
    rate_for,
    rates_by_kind,
    reason_text,
    state_label,
)
from pilar.stipends.failures import account_blocks
from pilar.stipends.models import Budget, FundingSource, StipendBatch, StipendLine, StipendRate

OUTSTANDING = (State.BLOCKED, State.ELIGIBLE, State.IN_PROCESS)
DELAY_WINDOW = datetime.timedelta(days=365)


def first_rate_months() -> dict[int, datetime.date]:
    """The first month each kind of pillar has a rate in the office acting (`current()`, its
    own rates: docs/STIPENDS.md, "Many offices"): nothing is owed before it."""
    return dict(
        StipendRate.objects.filter(office=current())
        .values_list("kind_id")
        .annotate(first=Min("valid_from"))
        .order_by()
    )


def scope_q(areas: list[Area] | None, field: str = "area") -> Q | None:
    """Rows whose area (through `field`) lies within `areas`; None when the scope is everywhere."""
    return None if areas is None else within_areas_q(areas, field)


def _days(later: datetime.date, month: datetime.date) -> int:
    """Days from the month's end to `later`; a month paid before it ended was not late (0)."""
    return max((later - month_end(month)).days, 0)


def is_outstanding(e: Entitlement) -> bool:
    """Owed and not paid: a month without a rate is not owed (the office sets rates first)."""
    return e.state in OUTSTANDING and "no_rate" not in e.reasons


# --- one person ------------------------------------------------------------------------------


@dataclass
class MonthEntry:
    """One month of one duty: its state, what it pays and how late it is or was."""

    kind: PillarKind
    month: datetime.date
    state: str
    amount: int
    days: int  # since the month's end: until today when unpaid, until payment when paid
    reasons: list[str] = field(default_factory=list)  # sentences, for a blocked month
    paid_on: datetime.date | None = None
    batch_title: str = ""
    batch_status: str = ""
    note: str = ""  # a failed transfer or a reversed payment of this month

    @property
    def state_label(self) -> str:
        return state_label(self.state)

    @property
    def outstanding(self) -> bool:
        return self.state in OUTSTANDING


@dataclass
class PersonArrears:
    person: Person
    as_of: datetime.date
    months: list[MonthEntry]  # newest first
    paid_this_year: int

    @property
    def owed(self) -> list[MonthEntry]:
        return [m for m in self.months if m.outstanding]

    @property
    def owed_amount(self) -> int:
        return sum(m.amount for m in self.owed)


LINE_FIELDS = (
    "pk",
    "kind_id",
    "month",
    "status",
    "amount",
    "paid_on",
    "reverses_id",
    "reversed_at",
    "failure_reason",
    "note",
    "batch__title",
    "batch__status",
)


def arrears_of(
    person: Person, *, as_of: datetime.date | None = None, areas: list[Area] | None = None
) -> PersonArrears:
    """Every month of `person`'s tali kasih: paid (when, in which batch, how long after the
    month's end), in process, blocked (why) or eligible and waiting, newest first.

    `areas` limits the duties and lines read to a member of staff's scope (None: all).
    """
    as_of = as_of or timezone.localdate()
    last = previous_month(as_of)
    kinds = PillarKind.objects.in_bulk()
    lines = StipendLine.objects.filter(person=person)
    if areas is not None:
        lines = lines.filter(scope_q(areas))
    found: list[Entitlement] = []
    # By each paying office's rates and policies (the province: its offices', summed).
    for _office, part in paying_offices(areas):
        first_rates = first_rate_months()
        duties = Assignment.objects.filter(person=person, kind_id__in=list(first_rates))
        if part is not None:
            duties = duties.filter(scope_q(part))
        starts = {}
        for kind_id, start in duties.values_list("kind_id", "start_date"):
            begin = max(month_start(start), first_rates[kind_id])
            starts[kind_id] = min(begin, starts.get(kind_id, begin))
        if starts and min(starts.values()) <= last:
            found += [
                e
                for e in entitlements(
                    months=list(months_between(min(starts.values()), last)),
                    kinds=[kinds[k] for k in starts],
                    person_ids=[person.pk],
                    duty_filter=scope_q(part),
                )
                if e.month >= first_rates[e.kind_id]
            ]
    held, notes, paid_this_year = {}, {}, 0
    status_names = dict(StipendBatch.Status.choices)
    for line in lines.values(*LINE_FIELDS).order_by("month", "pk"):
        key = (line["kind_id"], line["month"])
        if line["status"] == StipendLine.Status.PAID and line["paid_on"].year == as_of.year:
            paid_this_year += line["amount"]  # reversals are negative: they net off
        if line["reverses_id"]:
            notes[key] = _("A payment of this month was reversed: %(reason)s") % {
                "reason": line["note"]
            }
        elif line["status"] == StipendLine.Status.FAILED:
            notes[key] = _("The transfer failed: %(reason)s") % {"reason": line["failure_reason"]}
        elif line["status"] in {"pending", "paid"} and not line["reversed_at"]:
            held[key] = line
    entries = {}
    for e in found:
        entries[(e.kind_id, e.month)] = MonthEntry(
            kind=kinds[e.kind_id],
            month=e.month,
            state=e.state,
            amount=e.amount,
            days=max(_days(as_of, e.month), 0),
            reasons=[reason_text(code) for code in e.reasons] if e.state == State.BLOCKED else [],
        )
    # A held line speaks for its month, even one the registry no longer shows as served.
    for key, line in held.items():
        paid = line["status"] == StipendLine.Status.PAID
        entry = entries.get(key) or MonthEntry(
            kind=kinds[key[0]], month=key[1], state="", amount=0, days=0
        )
        entry.state = State.PAID if paid else State.IN_PROCESS
        entry.amount, entry.reasons = line["amount"], []
        entry.paid_on = line["paid_on"]
        entry.days = _days(line["paid_on"], key[1]) if paid else max(_days(as_of, key[1]), 0)
        entry.batch_title = line["batch__title"]
        entry.batch_status = status_names[line["batch__status"]]
        entries[key] = entry
    for key, note in notes.items():
        # A failed transfer stays in view until the month is paid, in a new batch too.
        if key in entries and entries[key].state != State.PAID:
            entries[key].note = note
    months = sorted(entries.values(), key=lambda m: (m.month, -m.kind.order), reverse=True)
    return PersonArrears(person=person, as_of=as_of, months=months, paid_this_year=paid_this_year)


# --- the office ------------------------------------------------------------------------------


@dataclass
class Tally:
    """Months outstanding, split by state, and the rupiah they would pay: in all (`amount`),
    blocked (not owed until what stands in the way is cleared) and payable (eligible and
    waiting for a batch, or in one)."""

    blocked: int = 0
    eligible: int = 0
    in_process: int = 0
    amount: int = 0
    blocked_amount: int = 0

    def add(self, e: Entitlement) -> None:
        self.count(e.state, 1, e.amount)

    def count(self, state: str, months: int, amount: int) -> None:
        setattr(self, state, getattr(self, state) + months)
        self.amount += amount
        if state == State.BLOCKED:
            self.blocked_amount += amount

    def merge(self, other: Tally) -> None:
        self.blocked += other.blocked
        self.eligible += other.eligible
        self.in_process += other.in_process
        self.amount += other.amount
        self.blocked_amount += other.blocked_amount

    @property
    def total(self) -> int:
        return self.blocked + self.eligible + self.in_process

    @property
    def payable(self) -> int:
        """Owed and payable: eligible, waiting for a batch or in one."""
        return self.eligible + self.in_process

    @property
    def payable_amount(self) -> int:
        return self.amount - self.blocked_amount


@dataclass
class Blocked:
    """Blocked months of one reason: the first that stands in the way of each month, in the
    order the eligibility check lists them (the month has not begun, the report, the account)."""

    code: str
    months: int = 0
    amount: int = 0

    @property
    def label(self) -> str:
        return reason_text(self.code)


def first_reason(e: Entitlement) -> str:
    """The reason a blocked month is counted under (the first of its reasons)."""
    return e.reasons[0] if e.reasons else ""


@dataclass
class AreaRow:
    area: Area
    cells: list[Tally]  # one per kind, in the order of OfficeArrears.kinds
    total: Tally


@dataclass
class Delay:
    """The days between a month's end and its payment, over the lines paid in a year."""

    kind: PillarKind
    lines: int
    average_days: int | None
    longest_days: int | None


@dataclass
class Money:
    """One funding source of one budget year: paid, waiting in batches, and the ceiling (pagu).

    The budget year is the batch's (`StipendBatch.year`), not the day it was paid: arrears of
    2024 paid in January 2025 come from the 2024 budget; `last_paid_on` says when."""

    funding_source: str
    label: str
    ceiling: int | None
    paid: int  # spent (realisasi)
    in_process: int  # committed in batches, not yet paid
    year: int = 0
    last_paid_on: datetime.date | None = None

    @property
    def taken(self) -> int:
        """What the ceiling has given away: paid, or committed in a batch."""
        return self.paid + self.in_process

    @property
    def left(self) -> int | None:
        return None if self.ceiling is None else self.ceiling - self.taken


@dataclass
class OfficeArrears:
    as_of: datetime.date
    first_month: datetime.date | None
    last_month: datetime.date
    kinds: list[PillarKind]
    by_kind: list[Tally]  # in the order of `kinds`
    total: Tally
    by_area: list[AreaRow]
    blocked_by_reason: list[Blocked]  # the total's blocked months, by their first reason
    delays: list[Delay]
    year: int
    money: list[Money]
    office_wide: bool  # the scope is the whole office: the ceilings apply
    # When the figures were counted, for a scope large enough that they are kept a few minutes
    # (pilar/lib/kept.py); None: counted for this request.
    counted_at: datetime.datetime | None = None


def _owed(
    areas: list[Area] | None,
    as_of: datetime.date,
    *,
    kind: PillarKind | None = None,
    person_ids: list[int] | None = None,
) -> tuple[list[PillarKind], datetime.date | None, list[Entitlement]]:
    """The kinds with a rate, the first month owed, and every outstanding month in scope (each
    paying office's, `paying_offices`)."""
    all_kinds: dict[int, PillarKind] = {}
    firsts, found = [], []
    for _office, part in paying_offices(areas):
        own_kinds, own_first, own_found = _owed_in_office(
            part, as_of, kind=kind, person_ids=person_ids
        )
        all_kinds.update((k.pk, k) for k in own_kinds)
        firsts += [own_first] if own_first else []
        found += own_found
    kinds = sorted(all_kinds.values(), key=lambda k: (k.order, k.code))
    found.sort(key=lambda e: (e.month, e.person_id, e.kind_id))
    return kinds, min(firsts, default=None), found


def _owed_in_office(
    areas: list[Area] | None,
    as_of: datetime.date,
    *,
    kind: PillarKind | None = None,
    person_ids: list[int] | None = None,
) -> tuple[list[PillarKind], datetime.date | None, list[Entitlement]]:
    first_rates = first_rate_months()
    kinds = list(PillarKind.objects.filter(pk__in=list(first_rates)).order_by("order", "code"))
    asked = [k for k in kinds if kind is None or k.pk == kind.pk]
    last = previous_month(as_of)
    first = min((first_rates[k.pk] for k in asked), default=None)
    if first is None or first > last or person_ids == []:
        return kinds, first, []
    found = entitlements(
        months=list(months_between(first, last)),
        kinds=asked,
        person_ids=person_ids,
        duty_filter=scope_q(areas),
    )
    mark_failed_accounts(found)
    return kinds, first, [e for e in found if is_outstanding(e)]


def mark_failed_accounts(found: list[Entitlement]) -> None:
    """A month waiting for a batch, of a person whose transfer to the account they still have
    failed (pilar/stipends/failures.py), is not payable until the account is changed or
    confirmed: blocked, the reason last. (A draft still takes the month, so its line shows
    the reason; the batch cannot be verified meanwhile.)"""
    blocked = set(account_blocks())
    if not blocked:
        return
    for e in found:
        if e.person_id in blocked and e.method == StipendLine.Method.TRANSFER:
            e.reasons.append("account_failed")


def _owed_sql(
    areas: list[Area] | None,
    as_of: datetime.date,
    kinds: list[PillarKind],
    first_rates: dict[int, datetime.date] | None = None,
):
    """The outstanding months of `kinds` counted in the database, grouped by (kind, area of
    duty, state, a blocked month's first reason): (kind_id, area_id, state, reason, months,
    amount) rows, the same figures `_owed` gives month by month in Python (`entitlements`
    then `is_outstanding`, `first_reason`; the test
    `test_office_figures_match_the_python_pass` compares them). One statement:
    duties × months with a rate, a duty's days in the month as a span (spans of two duties of
    a kind in one month joined as a union), the latest duty's area, then the report, the
    account and the line holding the month. docs/PERFORMANCE.md (Tali kasih) says why."""
    if first_rates is None:
        first_rates = first_rate_months()
    last = previous_month(as_of)
    first = min((first_rates[k.pk] for k in kinds), default=None)
    if first is None or first > last:
        return []
    rates = rates_by_kind([k.pk for k in kinds])
    today = timezone.localdate()
    pg = connection.vendor == "postgresql"
    date = "CAST(%s AS date)" if pg else "%s"
    values, params = [], []
    for month in months_between(first, last):
        for kind in kinds:
            rate = rate_for(rates.get(kind.pk, []), month)
            if rate is None:
                continue  # a month without a rate is not owed
            end = month_end(month)
            values.append(f"(%s, {date}, {date}, %s, %s, %s)")
            params += [kind.pk, month, end, end.day, rate.amount, month > today]
    if not values:
        return []

    def day(column: str) -> str:
        return (
            f"CAST(EXTRACT(DAY FROM {column}) AS integer)"
            if pg
            else (f"CAST(strftime('%%d', {column}) AS integer)")
        )

    scope, scope_params = "", []
    if areas is not None:
        inner, scope_params = (
            Area.objects.filter(within_areas_q(areas, "")).values("pk").query.sql_with_params()
        )
        scope = f"AND a.area_id IN ({inner})"
    held, held_params = (
        StipendLine.objects.holding()
        .filter(kind_id__in=[k.pk for k in kinds], month__gte=first, month__lte=last)
        .values("person_id", "kind_id", "month", "status")
        .order_by()
        .query.sql_with_params()
    )
    prorated = "(m.rate * e.days * 2 + m.dim) / (2 * m.dim)"
    office = current()
    amount = prorated if office.stipend_prorate else "m.rate"
    required = office.stipend_report_required
    report = "(r.status IS NULL OR r.status <> %s)" if required else "1 = 0"
    account = (
        "1 = 0" if office.stipend_cash_allowed else "(p.bank_name = '' OR p.bank_account = '')"
    )
    # A transfer to the account the person still has failed (a few people; ids as parameters).
    failed_ids = sorted(account_blocks())
    failed = f"p.id IN ({', '.join(['%s'] * len(failed_ids))})" if failed_ids else "1 = 0"
    if failed_ids and office.stipend_cash_allowed:
        # Someone without an account is paid in cash: no transfer to fail.
        failed = f"({failed} AND p.bank_name <> '' AND p.bank_account <> '')"
    assignment = Assignment._meta.db_table
    # Only table names, fixed fragments and Django's own compiled subqueries are formatted in;
    # every value is a parameter.
    sql = f"""
        WITH m (kind_id, month, last_day, dim, rate, later) AS (VALUES {", ".join(values)}),
        d AS (
            SELECT a.person_id, a.kind_id, m.month, a.area_id,
                CASE WHEN a.start_date > m.month THEN {day("a.start_date")} ELSE 1 END AS lo,
                CASE WHEN a.end_date IS NOT NULL AND a.end_date < m.last_day
                    THEN {day("a.end_date")} ELSE m.dim END AS hi,
                ROW_NUMBER() OVER (PARTITION BY a.person_id, a.kind_id, m.month
                    ORDER BY a.start_date DESC, a.id DESC) AS latest
            FROM {assignment} a
            JOIN m ON m.kind_id = a.kind_id AND a.start_date <= m.last_day
                AND (a.end_date IS NULL OR a.end_date >= m.month)
            WHERE 1 = 1 {scope}
        ),
        s AS (
            SELECT d.*, MAX(hi) OVER (PARTITION BY person_id, kind_id, month ORDER BY lo, hi
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before
            FROM d
        ),
        e AS (
            SELECT person_id, kind_id, month,
                MAX(CASE WHEN latest = 1 THEN area_id END) AS area_id,
                SUM(CASE WHEN before IS NULL THEN hi - lo + 1
                    WHEN hi <= before THEN 0
                    WHEN lo > before THEN hi - lo + 1
                    ELSE hi - before END) AS days
            FROM s GROUP BY person_id, kind_id, month
        )
        SELECT x.kind_id, x.area_id, x.state, x.reason, COUNT(*), SUM(x.amount) FROM (
            SELECT e.kind_id, e.area_id, {amount} AS amount,
                CASE WHEN l.status = %s THEN %s
                    WHEN m.later OR {report} OR {account} OR {failed} THEN %s
                    ELSE %s END AS state,
                CASE WHEN l.status = %s THEN ''
                    WHEN m.later THEN 'not_begun'
                    WHEN {report} THEN COALESCE('report_' || r.status, 'report_missing')
                    WHEN {account} THEN 'no_account'
                    WHEN {failed} THEN 'account_failed'
                    ELSE '' END AS reason
            FROM e
            JOIN m ON m.kind_id = e.kind_id AND m.month = e.month
            JOIN {Person._meta.db_table} p ON p.id = e.person_id
            LEFT JOIN {MonthlyReport._meta.db_table} r ON r.person_id = e.person_id
                AND r.kind_id = e.kind_id AND r.month = e.month
            LEFT JOIN ({held}) l ON l.person_id = e.person_id AND l.kind_id = e.kind_id
                AND l.month = e.month
            WHERE l.status IS NULL OR l.status <> %s
        ) x
        GROUP BY x.kind_id, x.area_id, x.state, x.reason
    """  # noqa: S608
    state_params = [StipendLine.Status.PENDING, State.IN_PROCESS]
    if required:
        state_params.append(MonthlyReport.Status.VERIFIED)
    state_params += [*failed_ids, State.BLOCKED, State.ELIGIBLE, StipendLine.Status.PENDING]
    if required:
        state_params.append(MonthlyReport.Status.VERIFIED)
    state_params += failed_ids
    with transaction.atomic() if pg else nullcontext(), connection.cursor() as cursor:
        if pg:
            # The planner cannot estimate duties × months: it picks index loops per row
            # (millions at national scale); hash joins in memory are what this needs.
            cursor.execute(
                "SELECT set_config('enable_nestloop', 'off', true),"
                " set_config('work_mem', '256MB', true)"
            )
        cursor.execute(
            sql,
            [*params, *scope_params, *state_params, *held_params, StipendLine.Status.PAID],
        )
        return cursor.fetchall()


def office_arrears(
    user, *, as_of: datetime.date, capability: Capability = Capability.STIPENDS_VIEW
) -> OfficeArrears:
    """The office's months outstanding by kind and area of duty (a TKSK's kecamatan, a Tagana's
    city), the average delay of payment per kind over the last twelve months, and the year's
    money per funding source — within the areas where `user` holds `capability` (the
    dashboard asks with the aggregate readers' capability, the arrears page with
    STIPENDS_VIEW's, which is what `StipendLine.objects.visible_to` applies)."""
    areas = area_scope(user, capability)
    # The ceilings apply to a reader of the whole office (the province: its offices' summed).
    whole = office_wide(user, capability)
    budgets = office_scope_q(user) if whole else None
    duties = Assignment.objects.all()
    if areas is not None:
        duties = duties.filter(within_areas_q(areas, "area"))
    # A province's or the country's months are an expansion of millions of duty-months: kept
    # for a few minutes past LARGE_FROM duties, like the casework figures. Each office's own:
    # its rates and policies decide what is owed.
    office, counted_at = kept(
        f"office-arrears:{current().pk}:{int(whole)}:{capability}:{scope_key(areas)}:"
        f"{as_of.isoformat()}",
        lambda: _office_arrears(areas, as_of, budgets),
        size_of=duties,
    )
    office.counted_at = counted_at
    return office


def _office_arrears(
    areas: list[Area] | None, as_of: datetime.date, budgets: Q | None
) -> OfficeArrears:
    every_kind = list(PillarKind.objects.order_by("order", "code"))
    first_rates: dict[int, datetime.date] = {}
    rows = []
    for _office, part in paying_offices(areas):
        own = first_rate_months()
        rows += _owed_sql(part, as_of, [k for k in every_kind if k.pk in own], own)
        for kind_id, month in own.items():
            first_rates[kind_id] = min(month, first_rates.get(kind_id, month))
    kinds = [k for k in every_kind if k.pk in first_rates]
    first = min(first_rates.values(), default=None)
    column = {k.pk: i for i, k in enumerate(kinds)}
    by_kind = [Tally() for _k in kinds]
    total = Tally()
    by_area: dict[int, AreaRow] = {}
    reasons: dict[str, Blocked] = {}
    for kind_id, area_id, state, reason, months, amount in rows:
        if state == State.BLOCKED:
            blocked = reasons.setdefault(reason, Blocked(reason))
            blocked.months += months
            blocked.amount += amount
        row = by_area.get(area_id)
        if row is None:
            row = by_area[area_id] = AreaRow(None, [Tally() for _k in kinds], Tally())
        for tally in (by_kind[column[kind_id]], total, row.cells[column[kind_id]], row.total):
            tally.count(state, months, amount)
    for area in Area.objects.filter(pk__in=list(by_area)):
        by_area[area.pk].area = area
    lines = StipendLine.objects.all()
    if areas is not None:
        lines = lines.filter(scope_q(areas))
    return OfficeArrears(
        as_of=as_of,
        first_month=first,
        last_month=previous_month(as_of),
        kinds=kinds,
        by_kind=by_kind,
        total=total,
        by_area=sorted(by_area.values(), key=lambda r: r.area.code),
        blocked_by_reason=sorted(reasons.values(), key=lambda b: (-b.months, b.code)),
        delays=_delays(lines, kinds, as_of),
        year=as_of.year,
        money=_money(lines, as_of, budgets=budgets),
        office_wide=budgets is not None,
    )


def _delays(lines, kinds: list[PillarKind], as_of: datetime.date) -> list[Delay]:
    """Per kind, over payments that stand (neither reversals nor reversed) made in the year up
    to `as_of`. Counted per (kind, month, day paid) in the database: a few hundred rows."""
    groups = (
        lines.filter(
            status=StipendLine.Status.PAID,
            reverses__isnull=True,
            reversed_at__isnull=True,
            paid_on__gt=as_of - DELAY_WINDOW,
            paid_on__lte=as_of,
        )
        .values_list("kind_id", "month", "paid_on")
        .annotate(n=Count("pk"))
        .order_by()
    )
    sums: dict[int, list[int]] = {}
    for kind_id, month, paid_on, n in groups:
        days = _days(paid_on, month)
        acc = sums.setdefault(kind_id, [0, 0, days])
        acc[0] += n
        acc[1] += n * days
        acc[2] = max(acc[2], days)
    out = []
    for k in kinds:
        n, total, longest = sums.get(k.pk, (0, 0, None))
        out.append(Delay(k, n, round(total / n) if n else None, longest))
    return out


MONEY_RECENT = datetime.timedelta(days=365)


def _money(lines, as_of: datetime.date, *, budgets: Q | None) -> list[Money]:
    """Paid and waiting per budget year and funding source, as `services.taken` counts them
    (lines of batches not cancelled; reversals net off), beside the ceilings, newest year
    first: this year, and every year with money still waiting in a batch or paid in the last
    twelve months (a payment today from last year's budget shows under last year, with its
    date). `budgets` picks the ceilings shown (the office's; a province's offices' summed),
    None for none."""
    totals: dict[tuple[int, str, str], tuple[int, datetime.date | None]] = {}
    for year, source, status, amount, last in (
        lines.filter(status__in=[StipendLine.Status.PENDING, StipendLine.Status.PAID])
        .exclude(batch__status=StipendBatch.Status.CANCELLED)
        .values_list("batch__year", "funding_source", "status")
        .annotate(total=Sum("amount"), last=Max("paid_on"))
        .order_by()
    ):
        totals[(year, source, status)] = (amount, last)
    years = {as_of.year}
    for (year, _source, status), (amount, last) in totals.items():
        if status == StipendLine.Status.PENDING and amount:
            years.add(year)
        if last is not None and last > as_of - MONEY_RECENT:
            years.add(year)
    limits: dict[tuple[int, str], int] = {}
    if budgets is not None:
        for year, source, amount in Budget.objects.filter(budgets, year__in=years).values_list(
            "year", "funding_source", "amount"
        ):
            limits[(year, source)] = limits.get((year, source), 0) + amount
    out = []
    for year in sorted(years, reverse=True):
        for source, label in FundingSource.choices:
            paid, last = totals.get((year, source, StipendLine.Status.PAID), (0, None))
            waiting, _last = totals.get((year, source, StipendLine.Status.PENDING), (0, None))
            if paid or waiting or (year, source) in limits:
                out.append(
                    Money(
                        source,
                        f"{label} {year}",
                        limits.get((year, source)),
                        paid,
                        waiting,
                        year=year,
                        last_paid_on=last,
                    )
                )
    return out


# --- the rows behind a figure ----------------------------------------------------------------


@dataclass
class OwedMonth:
    month: datetime.date
    state: str
    amount: int
    days: int
    reasons: list[str]

    @property
    def state_label(self) -> str:
        return state_label(self.state)


@dataclass
class PersonOwed:
    """One person's outstanding months of one kind of duty."""

    person_id: int
    name: str
    kind: PillarKind
    area: Area
    months: list[OwedMonth]

    @property
    def amount(self) -> int:
        return sum(m.amount for m in self.months)


def owed_rows(
    user,
    *,
    as_of: datetime.date,
    kind: PillarKind | None = None,
    area: Area | None = None,
    exact: bool = False,
    state: str | None = None,
    q: str = "",
) -> list[PersonOwed]:
    """The people and months behind a figure of `office_arrears` (STIPENDS_VIEW's scope), by
    area, then name. Filtered after the same computation, so the rows add up to the figure.
    `area` takes the duties there and below it, or with `exact` there only."""
    areas = area_scope(user, Capability.STIPENDS_VIEW)
    person_ids = None
    if q.strip():
        person_ids = list(
            Person.objects.filter(name__icontains=q.strip()).values_list("pk", flat=True)
        )
    kinds, _first, owed = _owed(areas, as_of, kind=kind, person_ids=person_ids)
    kinds_by_id = {k.pk: k for k in kinds}
    if area is not None:
        inside = {area.pk} if exact else set(Area.objects.within(area).values_list("pk", flat=True))
        owed = [e for e in owed if e.area_id in inside]
    if state == "payable":
        owed = [e for e in owed if e.state != State.BLOCKED]
    elif state:
        owed = [e for e in owed if e.state == state]
    grouped: dict[tuple[int, int], list[Entitlement]] = {}
    for e in owed:
        grouped.setdefault((e.person_id, e.kind_id), []).append(e)
    names = dict(Person.objects.filter(pk__in={p for p, _k in grouped}).values_list("pk", "name"))
    places = Area.objects.in_bulk({es[-1].area_id for es in grouped.values()})
    rows = [
        PersonOwed(
            person_id=person_id,
            name=names[person_id],
            kind=kinds_by_id[kind_id],
            area=places[es[-1].area_id],
            months=[
                OwedMonth(
                    e.month,
                    e.state,
                    e.amount,
                    _days(as_of, e.month),
                    [reason_text(code) for code in e.reasons] if e.state == State.BLOCKED else [],
                )
                for e in es
            ],
        )
        for (person_id, kind_id), es in grouped.items()
    ]
    rows.sort(key=lambda r: (r.area.code, r.name.lower(), r.kind.order, r.person_id))
    return rows


# --- an office's area, without a user --------------------------------------------------------


def arrears_within(areas: list[Area] | None, as_of: datetime.date) -> OfficeArrears:
    """`office_arrears` for a scope rather than a user: the province's roll-up reads each hosted
    office's area as that office's own users see it (pilar/dashboard/rollup.py). The caller acts
    for that office (`remembered(office=...)`) so its policies and budget ceilings apply."""
    return _office_arrears(areas, as_of, Q(office=current()))
