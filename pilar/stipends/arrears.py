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
from dataclasses import dataclass, field

from django.db.models import Count, Min, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from pilar.accounts.access import Capability, area_scope
from pilar.lib.months import month_end, month_start, months_between
from pilar.regions.models import Area, within_areas_q
from pilar.registry.models import Assignment, Person, PillarKind
from pilar.stipends.eligibility import (
    Entitlement,
    State,
    entitlements,
    reason_text,
    state_label,
)
from pilar.stipends.models import Budget, FundingSource, StipendBatch, StipendLine, StipendRate

OUTSTANDING = (State.BLOCKED, State.ELIGIBLE, State.IN_PROCESS)
DELAY_WINDOW = datetime.timedelta(days=365)


def previous_month(day: datetime.date) -> datetime.date:
    return month_start(month_start(day) - datetime.timedelta(days=1))


def first_rate_months() -> dict[int, datetime.date]:
    """The first month each kind of pillar has a rate: nothing is owed before it."""
    return dict(
        StipendRate.objects.values_list("kind_id").annotate(first=Min("valid_from")).order_by()
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
    first_rates = first_rate_months()
    kinds = PillarKind.objects.in_bulk()
    duties = Assignment.objects.filter(person=person, kind_id__in=list(first_rates))
    lines = StipendLine.objects.filter(person=person)
    if areas is not None:
        duties = duties.filter(scope_q(areas))
        lines = lines.filter(scope_q(areas))
    starts = {}
    for kind_id, start in duties.values_list("kind_id", "start_date"):
        begin = max(month_start(start), first_rates[kind_id])
        starts[kind_id] = min(begin, starts.get(kind_id, begin))
    found: list[Entitlement] = []
    if starts and min(starts.values()) <= last:
        found = entitlements(
            months=list(months_between(min(starts.values()), last)),
            kinds=[kinds[k] for k in starts],
            person_ids=[person.pk],
            duty_filter=scope_q(areas),
        )
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
        if e.month < first_rates[e.kind_id]:
            continue
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
        if key in entries and entries[key].state not in {State.PAID, State.IN_PROCESS}:
            entries[key].note = note
    months = sorted(entries.values(), key=lambda m: (m.month, -m.kind.order), reverse=True)
    return PersonArrears(person=person, as_of=as_of, months=months, paid_this_year=paid_this_year)


# --- the office ------------------------------------------------------------------------------


@dataclass
class Tally:
    """Months outstanding, split by state, and the rupiah they would pay."""

    blocked: int = 0
    eligible: int = 0
    in_process: int = 0
    amount: int = 0

    def add(self, e: Entitlement) -> None:
        setattr(self, e.state, getattr(self, e.state) + 1)
        self.amount += e.amount

    @property
    def total(self) -> int:
        return self.blocked + self.eligible + self.in_process


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
    """One funding source in the year: paid, waiting in batches, and the ceiling (pagu)."""

    funding_source: str
    label: str
    ceiling: int | None
    paid: int
    in_process: int

    @property
    def committed(self) -> int:
        return self.paid + self.in_process

    @property
    def left(self) -> int | None:
        return None if self.ceiling is None else self.ceiling - self.committed


@dataclass
class OfficeArrears:
    as_of: datetime.date
    first_month: datetime.date | None
    last_month: datetime.date
    kinds: list[PillarKind]
    by_kind: list[Tally]  # in the order of `kinds`
    total: Tally
    by_area: list[AreaRow]
    delays: list[Delay]
    year: int
    money: list[Money]
    office_wide: bool  # the scope is the whole office: the ceilings apply


def _owed(
    areas: list[Area] | None,
    as_of: datetime.date,
    *,
    kind: PillarKind | None = None,
    person_ids: list[int] | None = None,
) -> tuple[list[PillarKind], datetime.date | None, list[Entitlement]]:
    """The kinds with a rate, the first month owed, and every outstanding month in scope."""
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
    return kinds, first, [e for e in found if is_outstanding(e)]


def office_arrears(
    user, *, as_of: datetime.date, capability: Capability = Capability.STIPENDS_VIEW
) -> OfficeArrears:
    """The office's months outstanding by kind and area of duty (a TKSK's kecamatan, a Tagana's
    city), the average delay of payment per kind over the last twelve months, and the year's
    money per funding source — within the areas where `user` holds `capability` (the
    dashboard asks with the aggregate readers' capability, the arrears page with
    STIPENDS_VIEW's, which is what `StipendLine.objects.visible_to` applies)."""
    areas = area_scope(user, capability)
    kinds, first, owed = _owed(areas, as_of)
    column = {k.pk: i for i, k in enumerate(kinds)}
    by_kind = [Tally() for _k in kinds]
    total = Tally()
    by_area: dict[int, AreaRow] = {}
    for e in owed:
        row = by_area.get(e.area_id)
        if row is None:
            row = by_area[e.area_id] = AreaRow(None, [Tally() for _k in kinds], Tally())
        for tally in (by_kind[column[e.kind_id]], total, row.cells[column[e.kind_id]], row.total):
            tally.add(e)
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
        delays=_delays(lines, kinds, as_of),
        year=as_of.year,
        money=_money(lines, as_of.year, ceilings=areas is None),
        office_wide=areas is None,
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


def _money(lines, year: int, *, ceilings: bool) -> list[Money]:
    """Paid and waiting per funding source for the budget year, as `services.committed` counts
    them (lines of batches not cancelled; reversals net off), beside the ceilings."""
    totals = dict(
        (
            ((source, status), amount)
            for source, status, amount in lines.filter(
                batch__year=year,
                status__in=[StipendLine.Status.PENDING, StipendLine.Status.PAID],
            )
            .exclude(batch__status=StipendBatch.Status.CANCELLED)
            .values_list("funding_source", "status")
            .annotate(total=Sum("amount"))
            .order_by()
        )
    )
    limits = (
        dict(Budget.objects.filter(year=year).values_list("funding_source", "amount"))
        if ceilings
        else {}
    )
    out = []
    for source, label in FundingSource.choices:
        paid = totals.get((source, StipendLine.Status.PAID), 0)
        waiting = totals.get((source, StipendLine.Status.PENDING), 0)
        if paid or waiting or source in limits:
            out.append(Money(source, str(label), limits.get(source), paid, waiting))
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
    if state:
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
