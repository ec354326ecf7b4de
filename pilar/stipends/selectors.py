"""Reads of tali kasih shared by the API and the command line (and the pages).

Eligibility rows with names and masked NIKs, a batch's totals, the budget in use and a
pillar's own months: each built here once, so every interface shows the same figures.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from pilar.accounts.access import office_scope_q
from pilar.lib import params
from pilar.lib.months import months_between, previous_month
from pilar.offices import current
from pilar.offices.models import Office
from pilar.regions.models import Area, within_areas_q
from pilar.registry.models import Person, PillarKind
from pilar.stipends import services
from pilar.stipends.eligibility import (
    STATE_LABELS,
    Entitlement,
    entitlements,
    paying_offices,
    reason_text,
    state_label,
)
from pilar.stipends.models import HOLDS_MONTH, Budget, StipendBatch, StipendLine

STATES = list(STATE_LABELS)
COUNTED = [StipendLine.Status.PENDING, StipendLine.Status.PAID]


def parse_month(value: str, field: str = "month") -> datetime.date:
    """`YYYY-MM` → the first day of that month, in the years 2000–2100; an InputError (a
    ValidationError naming `field`) otherwise. The one input layer's parser
    (`pilar.lib.params.parse_month`), kept here for the callers that import it from here."""
    month = params.parse_month(value, field)
    if month is None:
        raise params.InputError(
            field, _("%(field)s: write the month, e.g. 2024-07.") % {"field": field}
        )
    return month


def last_month(today: datetime.date | None = None) -> datetime.date:
    """The latest month that is over."""
    return previous_month(today or timezone.localdate())


def kind_by_code(code: str, field: str = "kind") -> PillarKind:
    # Codes are read in any case ("tksk", "Psm"); the stored codes are upper case.
    kind = PillarKind.objects.filter(code__iexact=(code or "").strip()).first()
    if kind is None:
        codes = ", ".join(PillarKind.objects.values_list("code", flat=True))
        raise ValidationError(
            {
                field: _("%(code)s is not a pillar kind; choose one of %(codes)s.")
                % {"code": code, "codes": codes}
            }
        )
    return kind


# --- eligibility -----------------------------------------------------------------------------


@dataclass
class EligibilityRow:
    """One person, kind and month: `state` is eligible, blocked, in_process or paid; `reasons`
    say in words why a blocked month is blocked; `nik` is masked."""

    person_id: int
    name: str
    nik: str  # masked
    kind: str  # the code
    kind_name: str
    month: datetime.date
    area_code: str
    area_name: str
    state: str
    state_label: str
    amount: int
    method: str
    reasons: list[str]
    batch_id: int | None
    paid_on: datetime.date | None


def eligibility(
    *,
    month: datetime.date,
    kind: PillarKind | None = None,
    state: str | None = None,
    area: Area | None = None,
    scope: Q | None = None,
    person_ids: list[int] | None = None,
) -> list[Entitlement]:
    """The (person, kind) pairs serving in `month`, narrowed by kind, state and area of duty.

    `scope` is a filter on duties (a user's `line_scope_q`); None reads every duty.
    """
    if state is not None and state not in STATES:
        raise ValidationError(
            {"state": _("Choose a state among %(states)s.") % {"states": ", ".join(STATES)}}
        )
    duty_filter = scope
    if area is not None:
        duty_filter = within_areas_q([area], "area") & (scope or Q())
    found = []
    # Each paying office's duties by its own rates and policies (the province: its offices').
    for _office, _part in paying_offices(None):
        found += entitlements(
            months=[month],
            kinds=[kind] if kind else None,
            person_ids=person_ids,
            duty_filter=duty_filter,
        )
    found.sort(key=lambda e: (e.month, e.person_id, e.kind_id))
    if state is not None:
        found = [e for e in found if e.state == state]
    return found


def eligibility_rows(found: list[Entitlement]) -> list[EligibilityRow]:
    """`found` in words: names, masked NIKs, areas, states and reasons (one page at a time)."""
    people = {
        p.pk: p
        for p in Person.objects.filter(pk__in={e.person_id for e in found}).only("name", "nik")
    }
    areas = {a.pk: a for a in Area.objects.filter(pk__in={e.area_id for e in found})}
    kinds = {k.pk: k for k in PillarKind.objects.only("code", "name")}
    return [
        EligibilityRow(
            person_id=e.person_id,
            name=people[e.person_id].name,
            nik=people[e.person_id].masked_nik,
            kind=kinds[e.kind_id].code,
            kind_name=kinds[e.kind_id].name,
            month=e.month,
            area_code=areas[e.area_id].code,
            area_name=areas[e.area_id].name,
            state=e.state,
            state_label=state_label(e.state),
            amount=e.amount,
            method=e.method,
            reasons=[reason_text(code) for code in e.reasons],
            batch_id=e.batch_id,
            paid_on=e.paid_on,
        )
        for e in found
    ]


NAME_CHUNK = 900  # person ids per query: within SQLite's parameter limit


def names_of(person_ids) -> dict[int, str]:
    """Each person's name, read in chunks of ids."""
    ids = sorted(set(person_ids))
    names: dict[int, str] = {}
    if connection.vendor == "postgresql":
        # One array parameter: an IN list of 100,000 placeholders is split and bound one by one.
        table = connection.ops.quote_name(Person._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id, name FROM {table} WHERE id = ANY(%s)", [ids])  # noqa: S608
            return dict(cursor.fetchall())
    for start in range(0, len(ids), NAME_CHUNK):
        names.update(
            Person.objects.filter(pk__in=ids[start : start + NAME_CHUNK]).values_list("pk", "name")
        )
    return names


def in_list_order(found: list[Entitlement], q: str = "") -> list[Entitlement]:
    """`found` as the eligibility list shows it — by area code, then name — narrowed to names
    containing `q`. Only names and area codes are read: the rows in words are built for the
    page shown (`eligibility_rows`), not for every entitlement."""
    codes = dict(Area.objects.values_list("pk", "code"))
    names = names_of(e.person_id for e in found)
    if q:
        needle = q.casefold()
        found = [e for e in found if needle in names[e.person_id].casefold()]
    return sorted(found, key=lambda e: (codes[e.area_id], names[e.person_id]))


def eligibility_rows_streamed(found: list[Entitlement], chunk: int = NAME_CHUNK):
    """`eligibility_rows` of `found`, a chunk at a time (for a download)."""
    for start in range(0, len(found), chunk):
        yield from eligibility_rows(found[start : start + chunk])


# --- budgets and batches ---------------------------------------------------------------------


@dataclass
class BudgetRow:
    office_id: int
    year: int
    funding_source: str
    ceiling: int | None
    taken: int  # taken from the ceiling: paid, or waiting in a batch
    note: str
    paid: int = 0  # spent (realisasi): only lines paid
    office_name: str = ""

    @property
    def waiting(self) -> int:
        """In batches, not yet paid: committed but not spent."""
        return self.taken - self.paid

    @property
    def remaining(self) -> int | None:
        return None if self.ceiling is None else self.ceiling - self.taken

    @property
    def percent(self) -> int:
        """How much of the ceiling is taken, for a bar (0–100)."""
        if not self.ceiling:
            return 100 if self.taken else 0
        return max(0, min(100, round(100 * self.taken / self.ceiling)))

    @property
    def paid_percent(self) -> int:
        """How much of the ceiling is spent (paid), for the bar's first segment (0–`percent`)."""
        if not self.ceiling:
            return 100 if self.taken and self.paid == self.taken else 0
        return max(0, min(self.percent, round(100 * self.paid / self.ceiling)))

    @property
    def waiting_percent(self) -> int:
        return self.percent - self.paid_percent


def budget_rows(user=None, year: int | None = None) -> list[BudgetRow]:
    """Each year's ceiling per funding source beside what batches have taken from it; a year
    and source that batches use without a ceiling shows with none. Each office's own: the
    offices `user` sees (`office_scope_q`; the province: each of its offices'), else the office
    acting (docs/STIPENDS.md, "Many offices")."""
    offices = office_scope_q(user) if user is not None else Q(office=current())
    budgets = Budget.objects.filter(offices)
    used = StipendLine.objects.filter(
        office_scope_q(user, "batch__office") if user is not None else Q(batch__office=current())
    ).exclude(batch__status=StipendBatch.Status.CANCELLED)
    if year is not None:
        budgets, used = budgets.filter(year=year), used.filter(batch__year=year)
    pairs = {(b.office_id, b.year, b.funding_source): b for b in budgets}
    for pair in (
        used.values_list("batch__office_id", "batch__year", "funding_source").distinct().order_by()
    ):
        pairs.setdefault(pair, None)
    names = dict(Office.objects.filter(pk__in={k[0] for k in pairs}).values_list("pk", "name"))
    return [
        BudgetRow(
            office_name=names.get(office_id, ""),
            office_id=office_id,
            year=y,
            funding_source=source,
            ceiling=b.amount if b else None,
            taken=services.taken(y, source, office=office_id),
            note=b.note if b else "",
            paid=services.paid(y, source, office=office_id),
        )
        for (office_id, y, source), b in sorted(
            pairs.items(), key=lambda kv: (kv[0][0], -kv[0][1], kv[0][2])
        )
    ]


def batches_with_totals(batches=None):
    """Batches with `total` (rupiah waiting or paid, net of reversals) and `line_count` (the
    lines that hold their month)."""
    counted = Q(lines__status__in=COUNTED)
    # A reversed payment and its reversal pay nothing: neither is a line the batch pays.
    holding = counted & Q(lines__reverses__isnull=True, lines__reversed_at__isnull=True)
    batches = StipendBatch.objects.all() if batches is None else batches
    return batches.annotate(
        total=Sum("lines__amount", filter=counted, default=0),
        line_count=Count("lines", filter=holding),
    ).prefetch_related("kinds")


@dataclass
class BatchSummary:
    total: int
    counts: dict[str, int]
    totals: list[dict]


def batch_summary(batch: StipendBatch) -> BatchSummary:
    """Lines by status, and rupiah per kind and funding source (waiting or paid, net of
    reversals)."""
    counts = {status: 0 for status in StipendLine.Status.values}
    counts.update(
        dict(batch.lines.values_list("status").annotate(n=Count("pk")).order_by("status"))
    )
    totals = [
        {
            "kind": row["kind__code"],
            "funding_source": row["funding_source"],
            "lines": row["lines"],
            "amount": row["amount"],
        }
        for row in batch.lines.filter(status__in=COUNTED)
        .values("kind__code", "funding_source")
        .annotate(lines=Count("pk", filter=HOLDS_MONTH), amount=Sum("amount"))
        .order_by("kind__code", "funding_source")
    ]
    return BatchSummary(total=services.batch_total(batch), counts=counts, totals=totals)


# --- a pillar's own months -------------------------------------------------------------------


@dataclass
class OwnMonth:
    """One month of a pillar's tali kasih: `state` is paid (`paid_on`, in `batch_title`),
    in_process, blocked (`reasons`, in words) or eligible (not yet in a batch)."""

    month: datetime.date
    kind: str
    state: str
    state_label: str
    amount: int
    reasons: list[str]
    batch_id: int | None
    batch_title: str
    paid_on: datetime.date | None


def own_months(person_id: int, today: datetime.date | None = None) -> list[OwnMonth]:
    """Every month a person served, from January of last year to last month, newest first:
    paid (when, in which batch), in process, blocked (why) or eligible."""
    today = today or timezone.localdate()
    first, last = datetime.date(today.year - 1, 1, 1), last_month(today)
    found = entitlements(months=list(months_between(first, last)), person_ids=[person_id])
    lines = {
        line.pk: line
        for line in StipendLine.objects.filter(
            pk__in=[e.line_id for e in found if e.line_id]
        ).select_related("batch")
    }
    kinds = dict(PillarKind.objects.values_list("pk", "code"))
    out = []
    for e in sorted(found, key=lambda e: (e.month, e.kind_id), reverse=True):
        line = lines.get(e.line_id)
        out.append(
            OwnMonth(
                month=e.month,
                kind=kinds[e.kind_id],
                state=e.state,
                state_label=state_label(e.state),
                amount=line.amount if line else e.amount,
                reasons=[] if line else [reason_text(code) for code in e.reasons],
                batch_id=line.batch_id if line else None,
                batch_title=line.batch.title if line else "",
                paid_on=e.paid_on,
            )
        )
    return out
