"""Every tali kasih write: validated, in one transaction, audited (docs/STIPENDS.md).

Exactly once: a month is held by at most one line (a database constraint); drafting inserts
with "skip what is already held", so a retry or a second operator at the same moment adds
nothing twice. Batch transitions are conditional updates (`UPDATE ... WHERE status = ...`), so
a double click or two approvers at once make one transition. Approval re-checks eligibility and
the budget under a lock on the budget rows, then freezes each recipient's name, NIK and account.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import OuterRef, Q, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from pilar.accounts.access import Capability
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record, diff, snapshot
from pilar.lib.dates import long_date
from pilar.lib.money import MAX_RUPIAH, rupiah
from pilar.lib.months import month_end, month_label, month_start
from pilar.lib.text import check_lengths
from pilar.registry.models import Person, PillarKind
from pilar.stipends.access import office_wide
from pilar.stipends.eligibility import State, batch_months, entitlements, reason_text
from pilar.stipends.models import (
    Budget,
    FundingSource,
    StipendBatch,
    StipendLine,
    StipendRate,
)

Status = StipendBatch.Status
LineStatus = StipendLine.Status
INSERT_CHUNK = 5000
NAME_CHUNK = 900  # people per eligibility pass of the re-check: within SQLite's parameter limit


def _user(by: Actor):
    return by.user if getattr(by.user, "is_authenticated", False) else None


def _require(by: Actor, capability: Capability) -> None:
    """Stipend work is office-wide: the grant must cover the whole office's area."""
    user = _user(by)
    if user is not None and not office_wide(user, capability):
        raise PermissionDenied


def _amount(value, field: str, *, allow_zero: bool = False) -> int:
    try:
        amount = int(value)
    except (TypeError, ValueError):
        raise ValidationError(
            {field: _("Write the amount in whole rupiah, digits only (e.g. 400000).")}
        ) from None
    if isinstance(value, float) and value != amount:
        raise ValidationError({field: _("Write the amount in whole rupiah, without cents.")})
    low = 0 if allow_zero else 1
    if not low <= amount <= MAX_RUPIAH:
        raise ValidationError(
            {
                field: _("The amount must be between Rp %(low)s and Rp %(high)s.")
                % {"low": rupiah(low), "high": rupiah(MAX_RUPIAH)}
            }
        )
    return amount


# --- rates and budgets -----------------------------------------------------------------------


def stipend_rate_create(
    *,
    by: Actor,
    kind: PillarKind,
    amount,
    valid_from: datetime.date,
    valid_to: datetime.date | None = None,
    funding_source: str = FundingSource.APBD,
    note: str = "",
) -> StipendRate:
    """A new rate for `kind` from the first of a month; refused if it overlaps another."""
    _require(by, Capability.STIPENDS_SETUP)
    errors: dict[str, list] = {}
    try:
        amount = _amount(amount, "amount")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if valid_from.day != 1:
        errors["valid_from"] = [_("A rate starts on the first day of a month.")]
    if valid_to is not None and valid_to != month_end(valid_to):
        errors["valid_to"] = [_("A rate ends on the last day of a month, or stays open.")]
    elif valid_to is not None and valid_to < valid_from:
        errors["valid_to"] = [_("The end must come after the start.")]
    if funding_source not in FundingSource.values:
        errors["funding_source"] = [_("Choose APBD, APBN or Other.")]
    check_lengths(errors, {"note": note}, {"note": 250})
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # One rate change at a time per kind: the overlap check cannot race.
        PillarKind.objects.select_for_update().get(pk=kind.pk)
        overlap = StipendRate.objects.filter(kind=kind).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from)
        )
        if valid_to is not None:
            overlap = overlap.filter(valid_from__lte=valid_to)
        other = overlap.first()
        if other is not None:
            raise ValidationError(
                {
                    "valid_from": _(
                        "This overlaps the %(kind)s rate of Rp %(amount)s from %(start)s%(end)s. "
                        "End that rate first (it ends on the last day of a month), or start "
                        "this one after it."
                    )
                    % {
                        "kind": kind.name,
                        "amount": rupiah(other.amount),
                        "start": month_label(other.valid_from),
                        "end": _(" to %(month)s") % {"month": month_label(other.valid_to)}
                        if other.valid_to
                        else "",
                    }
                }
            )
        rate = StipendRate.objects.create(
            kind=kind,
            amount=amount,
            valid_from=valid_from,
            valid_to=valid_to,
            funding_source=funding_source,
            note=note,
        )
        audit_record(
            by=by,
            action=AuditEntry.Action.CREATE,
            obj=rate,
            changes=snapshot(rate, ["kind", "amount", "valid_from", "valid_to", "funding_source"]),
        )
    return rate


def stipend_rate_end(*, by: Actor, rate: StipendRate, valid_to: datetime.date) -> StipendRate:
    """Close an open rate at the end of a month (a new rate may start the month after)."""
    _require(by, Capability.STIPENDS_SETUP)
    if valid_to != month_end(valid_to):
        raise ValidationError({"valid_to": _("A rate ends on the last day of a month.")})
    with transaction.atomic():
        rate = StipendRate.objects.select_for_update().get(pk=rate.pk)
        if valid_to < rate.valid_from:
            raise ValidationError({"valid_to": _("The end must come after the start.")})
        if rate.valid_to is not None and rate.valid_to < valid_to:
            raise ValidationError({"valid_to": _("This rate already ends earlier.")})
        used = StipendLine.objects.holding().filter(rate=rate, month__gt=valid_to)
        if used.exists():
            raise ValidationError(
                {
                    "valid_to": _(
                        "Months after this date are already in payment batches at this rate."
                    )
                }
            )
        before = snapshot(rate, ["valid_to"])
        rate.valid_to = valid_to
        rate.save(update_fields=["valid_to"])
        audit_record(
            by=by,
            action=AuditEntry.Action.END,
            obj=rate,
            changes=diff(before, snapshot(rate, ["valid_to"])),
        )
    return rate


def stipend_rate_correct(
    *, by: Actor, rate: StipendRate, amount, funding_source: str, note: str = ""
) -> StipendRate:
    """Fix a rate typed wrong, while no batch has used it; after that a rate only ends and a
    new one starts (what was drafted or paid at the old amount stays as it was)."""
    _require(by, Capability.STIPENDS_SETUP)
    errors: dict[str, list] = {}
    try:
        amount = _amount(amount, "amount")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if funding_source not in FundingSource.values:
        errors["funding_source"] = [_("Choose APBD, APBN or Other.")]
    check_lengths(errors, {"note": note}, {"note": 250})
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        rate = StipendRate.objects.select_for_update().get(pk=rate.pk)
        if StipendLine.objects.filter(rate=rate).exclude(status=LineStatus.CANCELLED).exists():
            raise ValidationError(
                {
                    "amount": _(
                        "Batches already use this rate: end it after the last month it was "
                        "right for, and add the new amount as a rate from the month after."
                    )
                }
            )
        fields = ["amount", "funding_source", "note"]
        before = snapshot(rate, fields)
        rate.amount, rate.funding_source, rate.note = amount, funding_source, note
        rate.save(update_fields=fields)
        audit_record(
            by=by,
            action=AuditEntry.Action.UPDATE,
            obj=rate,
            changes=diff(before, snapshot(rate, fields)),
        )
    return rate


def taken(year: int, funding_source: str, *, exclude_batch: StipendBatch | None = None) -> int:
    """Rupiah of the year's budget already taken: lines waiting or paid (reversals net off)."""
    lines = StipendLine.objects.filter(
        batch__year=year,
        funding_source=funding_source,
        status__in=[LineStatus.PENDING, LineStatus.PAID],
    ).exclude(batch__status=Status.CANCELLED)
    if exclude_batch is not None:
        lines = lines.exclude(batch=exclude_batch)
    return lines.aggregate(total=Sum("amount"))["total"] or 0


def paid(year: int, funding_source: str) -> int:
    """Rupiah of the year's budget spent: lines paid (reversals net off). Money waiting in a
    batch is committed (`committed`) but not spent."""
    lines = StipendLine.objects.filter(
        batch__year=year, funding_source=funding_source, status=LineStatus.PAID
    ).exclude(batch__status=Status.CANCELLED)
    return lines.aggregate(total=Sum("amount"))["total"] or 0


def budget_set(*, by: Actor, year: int, funding_source: str, amount, note: str = "") -> Budget:
    """Set the year's ceiling for a funding source; never below what is already committed."""
    _require(by, Capability.STIPENDS_SETUP)
    errors: dict[str, list] = {}
    if not 2000 <= int(year) <= 2100:
        errors["year"] = [_("Write the year in four digits, e.g. 2024.")]
    if funding_source not in FundingSource.values:
        errors["funding_source"] = [_("Choose APBD, APBN or Other.")]
    try:
        amount = _amount(amount, "amount", allow_zero=True)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    check_lengths(errors, {"note": note}, {"note": 250})
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        budget, created = Budget.objects.select_for_update().get_or_create(
            year=year, funding_source=funding_source, defaults={"amount": amount, "note": note}
        )
        taken_now = taken(year, funding_source)
        if amount < taken_now:
            raise ValidationError(
                {
                    "amount": _(
                        "Rp %(taken)s of %(year)s's %(source)s budget is already in batches: "
                        "the ceiling cannot be lower."
                    )
                    % {"taken": rupiah(taken_now), "year": year, "source": funding_source}
                }
            )
        before = {} if created else snapshot(budget, ["amount", "note"])
        budget.amount, budget.note = amount, note
        budget.save()
        audit_record(
            by=by,
            action=AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
            obj=budget,
            changes=diff(before, snapshot(budget, ["amount", "note"])),
        )
    return budget


@dataclass
class BudgetUse:
    year: int
    funding_source: str
    ceiling: int | None
    taken: int
    batch: int

    @property
    def over(self) -> int:
        return self.taken + self.batch - (self.ceiling or 0)


def _check_budget(batch: StipendBatch, *, lock: bool) -> list[BudgetUse]:
    """The batch's total per funding source against the year's ceiling; refuse if over."""
    per_source = dict(
        batch.lines.filter(status=LineStatus.PENDING)
        .values_list("funding_source")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    uses = []
    budgets = Budget.objects.filter(year=batch.year, funding_source__in=list(per_source))
    if lock:
        budgets = budgets.select_for_update()
    ceilings = {b.funding_source: b.amount for b in budgets}
    problems = []
    for source, total in sorted(per_source.items()):
        use = BudgetUse(
            batch.year,
            source,
            ceilings.get(source),
            taken(batch.year, source, exclude_batch=batch),
            total,
        )
        uses.append(use)
        if use.ceiling is None:
            problems.append(
                _(
                    "There is no %(source)s budget ceiling for %(year)s: the treasurer enters it "
                    "on the budget page first."
                )
                % {"source": source, "year": batch.year}
            )
        elif use.over > 0:
            problems.append(
                _(
                    "The batch would exceed the %(source)s %(year)s budget: ceiling "
                    "Rp %(ceiling)s, already in other batches Rp %(taken)s, this batch "
                    "Rp %(batch)s — over by Rp %(over)s."
                )
                % {
                    "source": source,
                    "year": batch.year,
                    "ceiling": rupiah(use.ceiling),
                    "taken": rupiah(use.taken),
                    "batch": rupiah(use.batch),
                    "over": rupiah(use.over),
                }
            )
    if problems:
        raise ValidationError(problems)
    return uses


# --- batches ---------------------------------------------------------------------------------


def _batch_entitlements(batch: StipendBatch, *, person_ids=None, with_lines: bool = True):
    return entitlements(
        months=batch_months(batch.first_month, batch.last_month, batch.arrears_from),
        kinds=list(batch.kinds.all()),
        person_ids=person_ids,
        with_lines=with_lines,
    )


# What drafting gives each line, besides its batch and timestamps; the rest starts blank.
LINE_VALUES = (
    "person_id", "kind_id", "month", "area_id", "rate_id", "funding_source", "amount",
    "days_served", "days_in_month", "method",
)  # fmt: skip
PG_TYPES = ("bigint", "bigint", "date", "bigint", "bigint", "text", "bigint", "integer",
            "integer", "text")  # fmt: skip
LINE_BLANKS = ("status", "name", "nik", "bank_name", "bank_account", "bank_holder",
               "failure_reason", "note")  # fmt: skip
PG_CHUNK = 50_000


def _pg_array(values) -> str:
    """A PostgreSQL array literal: integers as they are, NULL for None, text quoted."""
    return (
        "{"
        + ",".join(
            str(v)
            if isinstance(v, int)
            else "NULL"
            if v is None
            else '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'
            for v in values
        )
        + "}"
    )


def _insert_lines(batch: StipendBatch, rows: list[tuple]) -> None:
    """INSERT waiting lines (`rows` of LINE_VALUES), skipping any month already held.

    Plain rows rather than model instances through bulk_create: at 300,000 lines, building and
    compiling the instances was most of the draft (docs/PERFORMANCE.md). PostgreSQL gets one
    array per column, written as text (psycopg would adapt each value in Python); SQLite
    multi-row VALUES within its parameter limit. Either way the partial unique index decides
    what is already held, even by a line inserted a moment ago by someone else.
    """
    qn = connection.ops.quote_name
    fixed = ("batch_id", "created_at", "updated_at")
    columns = ", ".join(qn(c) for c in (*fixed, *LINE_VALUES, *LINE_BLANKS))
    blanks = ", ".join(["'pending'"] + ["''"] * (len(LINE_BLANKS) - 1))
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    # Identifiers from model metadata and fixed literals; every value is a parameter.
    insert = f"INSERT INTO {qn(StipendLine._meta.db_table)} ({columns}) "  # noqa: S608
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            unnest = ", ".join(f"%s::{t}[]" for t in PG_TYPES)
            sql = f"{insert} SELECT %s, %s, %s, u.*, {blanks} FROM unnest({unnest}) u"  # noqa: S608
            for start in range(0, len(rows), PG_CHUNK):
                arrays = [_pg_array(c) for c in zip(*rows[start : start + PG_CHUNK], strict=True)]
                cursor.execute(f"{sql} ON CONFLICT DO NOTHING", [batch.pk, now, now, *arrays])
            return
        one = "(" + ", ".join(["%s"] * (len(fixed) + len(LINE_VALUES))) + f", {blanks})"
        per = max(
            1, (connection.features.max_query_params or 999) // (len(fixed) + len(LINE_VALUES))
        )
        for start in range(0, len(rows), per):
            chunk = rows[start : start + per]
            cursor.execute(
                f"{insert} VALUES {', '.join([one] * len(chunk))} ON CONFLICT DO NOTHING",
                [v for row in chunk for v in (batch.pk, now, now, *row)],
            )


def _fill(batch: StipendBatch) -> int:
    """Add every eligible month not held by any line; returns how many lines were added.

    Months already held (here or elsewhere, even by a line inserted a moment ago by someone
    else) are skipped by the database itself.
    """
    # A line taken out of this batch (by hand or by a refresh) stays out of it: its month waits
    # for the next batch, so a refresh never undoes a removal.
    removed = set(
        batch.lines.filter(status=LineStatus.CANCELLED).values_list("person_id", "kind_id", "month")
    )
    rows = [
        (
            e.person_id,
            e.kind_id,
            e.month.isoformat(),
            e.area_id,
            e.rate_id,
            e.funding_source,
            e.amount,
            e.days_served,
            e.days_in_month,
            e.method,
        )
        for e in _batch_entitlements(batch)
        if e.state == State.ELIGIBLE and e.key not in removed
    ]
    before = batch.lines.filter(status=LineStatus.PENDING).count()
    _insert_lines(batch, rows)
    return batch.lines.filter(status=LineStatus.PENDING).count() - before


def _months_errors(first, last, arrears_from) -> dict[str, list]:
    errors: dict[str, list] = {}
    if last < first:
        errors["last_month"] = [_("The last month cannot come before the first.")]
    elif (last.year - first.year) * 12 + last.month - first.month >= 12:
        errors["last_month"] = [_("A batch covers at most twelve months.")]
    if arrears_from is not None and arrears_from > first:
        errors["arrears_from"] = [_("Arrears come from months before the first month.")]
    return errors


def stipend_batch_open(
    *,
    by: Actor,
    first_month: datetime.date,
    last_month: datetime.date,
    kinds: list[PillarKind],
    year: int | None = None,
    arrears_from: datetime.date | None = None,
    title: str = "",
) -> StipendBatch:
    """A new draft batch with no line yet: its months, kinds and budget year checked.

    `stipend_batch_fill_draft` fills it (the page and the API do that in the background)."""
    _require(by, Capability.STIPENDS_DRAFT)
    first_month, last_month = month_start(first_month), month_start(last_month)
    arrears_from = month_start(arrears_from) if arrears_from else None
    errors = _months_errors(first_month, last_month, arrears_from)
    if not kinds:
        errors["kinds"] = [_("Choose at least one kind of pillar.")]
    year = timezone.localdate().year if year is None else year
    if not 2000 <= int(year) <= 2100:
        errors["year"] = [_("Write the year in four digits, e.g. 2024.")]
    check_lengths(errors, {"title": title}, {"title": 150})
    if errors:
        raise ValidationError(errors)
    if not title:
        period = month_label(first_month)
        if last_month != first_month:
            period = f"{period} – {month_label(last_month)}"
        title = _("Tali kasih %(period)s") % {"period": period}
    with transaction.atomic():
        batch = StipendBatch.objects.create(
            title=title,
            first_month=first_month,
            last_month=last_month,
            arrears_from=arrears_from,
            year=year,
            created_by=_user(by),
        )
        batch.kinds.set(kinds)
    return batch


def stipend_batch_fill_draft(*, by: Actor, batch: StipendBatch) -> StipendBatch:
    """Fill a new draft with every eligible unpaid month of its kinds, arrears included.

    Refused, adding nothing, when it would pay nobody or exceed the year's budget."""
    _require(by, Capability.STIPENDS_DRAFT)
    with transaction.atomic():
        batch = _locked(batch, {Status.DRAFT})
        if batch.lines.exists():
            raise ValidationError(_("This batch is already drafted: refresh it instead."))
        added = _fill(batch)
        if not added:
            raise ValidationError(
                _(
                    "Nobody is eligible and unpaid for these months: every month is paid, in "
                    "another batch, or blocked (see the eligibility page for why)."
                )
            )
        _check_budget(batch, lock=False)
        audit_record(
            by=by,
            action=AuditEntry.Action.CREATE,
            obj=batch,
            changes={"lines": added, "total": batch_total(batch)},
        )
    return batch


def stipend_batch_draft(
    *,
    by: Actor,
    first_month: datetime.date,
    last_month: datetime.date,
    kinds: list[PillarKind],
    year: int | None = None,
    arrears_from: datetime.date | None = None,
    title: str = "",
) -> StipendBatch:
    """A draft batch filled with every eligible unpaid month of `kinds`, arrears included, in
    one transaction (the command line; the page and the API open the batch, then fill it in
    the background).

    Refused, creating nothing, when it would pay nobody or exceed the year's budget.
    """
    with transaction.atomic():
        batch = stipend_batch_open(
            by=by,
            first_month=first_month,
            last_month=last_month,
            kinds=kinds,
            year=year,
            arrears_from=arrears_from,
            title=title,
        )
        return stipend_batch_fill_draft(by=by, batch=batch)


def batch_total(batch: StipendBatch, *, statuses=(LineStatus.PENDING, LineStatus.PAID)) -> int:
    return batch.lines.filter(status__in=statuses).aggregate(t=Sum("amount"))["t"] or 0


@dataclass(slots=True)
class StaleLine:
    line_id: int
    person_id: int
    kind_id: int
    month: datetime.date
    why: list[str]


def _surely_current(batch: StipendBatch, month: datetime.date, kind_ids: list[int]) -> set[int]:
    """Ids of the batch's waiting lines of `month` that the database alone shows still right
    as drafted: a duty of the kind covering the *whole* month (so the amount is the rate's,
    prorated or not), the rate's amount, the report verified (when required), and an account
    for a transfer (or none for cash, when cash is allowed). Every other line is checked by the
    eligibility pass itself (`_stale`). A month not yet begun has no such line."""
    from django.conf import settings

    from pilar.casework.models import MonthlyReport
    from pilar.registry.models import Assignment
    from pilar.stipends.eligibility import rate_for, rates_by_kind

    if month > timezone.localdate():
        return set()
    rates = rates_by_kind(kind_ids)
    amounts = [(k, r.amount) for k in kind_ids if (r := rate_for(rates.get(k, []), month))]
    if not amounts:
        return set()
    qn = connection.ops.quote_name
    line, person = qn(StipendLine._meta.db_table), qn(Person._meta.db_table)
    duty, report = qn(Assignment._meta.db_table), qn(MonthlyReport._meta.db_table)
    rate_sql = " OR ".join(["(l.kind_id = %s AND l.amount = %s)"] * len(amounts))
    account = "(p.bank_name <> '' AND p.bank_account <> '')"
    accounts = f"({account} AND l.method = 'transfer')"
    if settings.PILAR_STIPEND_CASH_ALLOWED:
        accounts = f"({accounts} OR (NOT {account} AND l.method = 'cash'))"
    params: list = [batch.pk, month, month, month_end(month)]
    # Identifiers from model metadata and fixed fragments; every value is a parameter.
    sql = (
        f"SELECT l.id FROM {line} l JOIN {person} p ON p.id = l.person_id "  # noqa: S608
        "WHERE l.batch_id = %s AND l.status = 'pending' AND l.month = %s "
        f"AND EXISTS (SELECT 1 FROM {duty} s WHERE s.person_id = l.person_id "
        "AND s.kind_id = l.kind_id AND s.start_date <= %s "
        "AND (s.end_date IS NULL OR s.end_date >= %s)) "
    )
    if settings.PILAR_STIPEND_REPORT_REQUIRED:
        sql += (
            f"AND EXISTS (SELECT 1 FROM {report} r WHERE r.person_id = l.person_id "  # noqa: S608
            "AND r.kind_id = l.kind_id AND r.month = %s AND r.status = %s) "
        )
        params += [month, MonthlyReport.Status.VERIFIED]
    sql += f"AND ({rate_sql}) AND {accounts}"
    params += [v for pair in amounts for v in pair]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


def _stale(batch: StipendBatch) -> list[StaleLine]:
    """Waiting lines that would no longer be drafted as they are, with the reasons.

    The database first sets aside the lines it can show are still right (`_surely_current`);
    the eligibility pass then runs only for the people of the other lines, and compares plain
    value tuples read with `values_list`, not model instances. At 300,000 lines, building a
    line, a person and a kind per row, then the eligibility pass over everyone, was most of
    verify and approve (docs/PERFORMANCE.md)."""
    kind_ids = list(batch.kinds.values_list("pk", flat=True))
    months = batch_months(batch.first_month, batch.last_month, batch.arrears_from)
    current: set[int] = set()
    for month in months:
        current |= _surely_current(batch, month, kind_ids)
    pending = (
        batch.lines.filter(status=LineStatus.PENDING)
        .order_by()
        .values_list("pk", "person_id", "kind_id", "month", "amount", "method")
    )
    rest = [row for row in pending.iterator(chunk_size=20_000) if row[0] not in current]
    if not rest:
        return []
    person_ids = sorted({row[1] for row in rest})
    now = {}
    for start in range(0, len(person_ids), NAME_CHUNK):
        found = entitlements(
            months=months,
            kinds=list(batch.kinds.all()),
            person_ids=person_ids[start : start + NAME_CHUNK],
            with_lines=False,
        )
        now.update(((e.person_id, e.kind_id, e.month), e) for e in found)
    stale = []
    for pk, person_id, kind_id, month, amount, method in rest:
        e = now.get((person_id, kind_id, month))
        if e is None:
            why = [_("No longer serving in this month.")]
        elif e.reasons:
            why = [reason_text(code) for code in e.reasons]
        elif e.amount != amount or e.method != method:
            why = [_("The amount or payment method has changed.")]
        else:
            continue
        stale.append(StaleLine(pk, person_id, kind_id, month, why))
    return stale


def _refuse_stale(batch: StipendBatch) -> None:
    stale = _stale(batch)
    if stale:
        first = stale[:10]
        names = dict(
            Person.objects.filter(pk__in={s.person_id for s in first}).values_list("pk", "name")
        )
        codes = dict(PillarKind.objects.values_list("pk", "code"))
        shown = [
            f"{names.get(s.person_id, '')} ({codes.get(s.kind_id, '')}, {month_label(s.month)}):"
            f" {' '.join(s.why)}"
            for s in first
        ]
        more = len(stale) - len(shown)
        raise ValidationError(
            [
                _(
                    "%(count)s line(s) are no longer eligible as drafted. Send the batch back to "
                    "draft and refresh it:"
                )
                % {"count": len(stale)},
                *shown,
                *([_("… and %(more)s more.") % {"more": more}] if more else []),
            ]
        )


def stipend_batch_refresh(*, by: Actor, batch: StipendBatch) -> dict[str, int]:
    """Bring a draft up to date: remove lines no longer eligible, add months now eligible."""
    _require(by, Capability.STIPENDS_DRAFT)
    with transaction.atomic():
        batch = _locked(batch, {Status.DRAFT})
        removed = 0
        for stale in _stale(batch):
            removed += StipendLine.objects.filter(
                pk=stale.line_id, status=LineStatus.PENDING
            ).update(status=LineStatus.CANCELLED, note=" ".join(stale.why)[:250])
        added = _fill(batch)
        _check_budget(batch, lock=False)
        audit_record(
            by=by,
            action=AuditEntry.Action.UPDATE,
            obj=batch,
            changes={"removed": removed, "added": added},
            note="refresh",
        )
    return {"removed": removed, "added": added}


def stipend_line_remove(*, by: Actor, line: StipendLine, reason: str) -> StipendLine:
    """Take one waiting line out of a draft; its month returns to the unpaid pool."""
    _require(by, Capability.STIPENDS_DRAFT)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the line is removed.")})
    if len(reason) > 250:
        raise ValidationError({"reason": _("Keep the reason under 250 characters.")})
    with transaction.atomic():
        _locked(line.batch, {Status.DRAFT})
        done = StipendLine.objects.filter(pk=line.pk, status=LineStatus.PENDING).update(
            status=LineStatus.CANCELLED, note=reason[:250]
        )
        if not done:
            raise ValidationError(_("This line is no longer waiting in the batch."))
        audit_record(
            by=by,
            action=AuditEntry.Action.DELETE,
            obj=line,
            person=line.person,
            note=reason,
        )
    line.refresh_from_db()
    return line


def _locked(batch: StipendBatch, allowed: set[str]) -> StipendBatch:
    batch = StipendBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status not in allowed:
        raise ValidationError(
            _("This batch is now “%(status)s”: reload the page to see what changed.")
            % {"status": batch.get_status_display()}
        )
    return batch


def _move(batch: StipendBatch, frm: set[str], to: str, **fields) -> StipendBatch:
    """The conditional update that makes one transition, however many try at once."""
    done = StipendBatch.objects.filter(pk=batch.pk, status__in=frm).update(status=to, **fields)
    if not done:
        batch.refresh_from_db()
        raise ValidationError(
            _("This batch is now “%(status)s”: reload the page to see what changed.")
            % {"status": batch.get_status_display()}
        )
    batch.refresh_from_db()
    return batch


def _not_same(by: Actor, other_user, what: str) -> None:
    user = _user(by)
    if (
        user is not None
        and other_user is not None
        and user.pk == getattr(other_user, "pk", other_user)
    ):
        raise ValidationError(what)


def _refuse_empty(batch: StipendBatch) -> None:
    if not batch.lines.filter(status=LineStatus.PENDING).exists():
        raise ValidationError(
            _("This batch pays nobody: every line was removed. Cancel it instead.")
        )


def _advance(by: Actor, batch: StipendBatch, frm: str, to: str, *, lock_budget: bool, **stamp):
    """One step forward: every waiting line re-checked and the budget too, then the
    conditional update that makes one transition however many try at once."""
    batch = _locked(batch, {frm})
    _refuse_empty(batch)
    _refuse_stale(batch)
    _check_budget(batch, lock=lock_budget)
    return _move(batch, {frm}, to, **stamp)


def stipend_batch_verify(*, by: Actor, batch: StipendBatch) -> StipendBatch:
    """Finance checks the draft: every line still eligible, within the budget."""
    _require(by, Capability.STIPENDS_VERIFY)
    _not_same(by, batch.created_by, _("The person who drafted a batch cannot also verify it."))
    with transaction.atomic():
        batch = _advance(
            by,
            batch,
            Status.DRAFT,
            Status.VERIFIED,
            lock_budget=False,
            verified_by=_user(by),
            verified_at=timezone.now(),
        )
        audit_record(
            by=by,
            action=AuditEntry.Action.UPDATE,
            obj=batch,
            changes={"status": [Status.DRAFT, Status.VERIFIED]},
        )
    return batch


FROZEN = ["name", "nik", "bank_name", "bank_account", "bank_holder"]


def stipend_batch_approve(*, by: Actor, batch: StipendBatch) -> StipendBatch:
    """The head of office approves: re-checks (the budget under a lock on its rows), then
    freezes each recipient as paid."""
    _require(by, Capability.STIPENDS_APPROVE)
    _not_same(by, batch.verified_by, _("The person who verified a batch cannot also approve it."))
    # Four eyes even when the verification came from the command line as the system.
    _not_same(by, batch.created_by, _("The person who drafted a batch cannot also approve it."))
    with transaction.atomic():
        batch = _advance(
            by,
            batch,
            Status.VERIFIED,
            Status.APPROVED,
            lock_budget=True,
            approved_by=_user(by),
            approved_at=timezone.now(),
        )
        _freeze(batch)
        audit_record(
            by=by,
            action=AuditEntry.Action.UPDATE,
            obj=batch,
            changes={"status": [Status.VERIFIED, Status.APPROVED], "total": batch_total(batch)},
        )
    return batch


def _freeze(batch: StipendBatch) -> None:
    """Copy each recipient's name, NIK and account onto the batch's lines.

    One UPDATE … FROM joined to the people (PostgreSQL, SQLite 3.33+): five correlated
    subqueries per line took most of approving 300,000 lines (docs/PERFORMANCE.md)."""
    if connection.vendor == "postgresql" or (
        connection.vendor == "sqlite" and connection.Database.sqlite_version_info >= (3, 33)
    ):
        qn = connection.ops.quote_name
        line, person = qn(StipendLine._meta.db_table), qn(Person._meta.db_table)
        # Identifiers from model metadata; the values are parameters.
        sql = (
            f"UPDATE {line} SET name = p.name, nik = p.nik, bank_name = p.bank_name, "  # noqa: S608
            "bank_account = p.bank_account, bank_holder = p.bank_holder "
            f"FROM {person} p WHERE p.id = {line}.person_id AND {line}.batch_id = %s "
            f"AND {line}.status = %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [batch.pk, LineStatus.PENDING])
        return
    pending = batch.lines.filter(status=LineStatus.PENDING)
    person = Person.objects.filter(pk=OuterRef("person_id"))
    pending.update(**{f: Subquery(person.values(f)[:1]) for f in FROZEN})


def stipend_batch_return(*, by: Actor, batch: StipendBatch, reason: str) -> StipendBatch:
    """Send a verified batch, or an approved one before any payment, back to draft."""
    user = _user(by)
    if user is not None and not (
        office_wide(user, Capability.STIPENDS_VERIFY)
        or office_wide(user, Capability.STIPENDS_APPROVE)
    ):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the batch goes back to draft.")})
    if len(reason) > 500:
        raise ValidationError({"reason": _("Keep the reason under 500 characters.")})
    with transaction.atomic():
        batch = _locked(batch, {Status.VERIFIED, Status.APPROVED})
        if batch.transfer_file_at is not None:
            raise ValidationError(
                _(
                    "The bank transfer file of this batch was downloaded on %(day)s: the bank "
                    "may be paying it. Record the bank's result instead (failed transfers "
                    "return to the unpaid list)."
                )
                % {"day": long_date(timezone.localtime(batch.transfer_file_at).date())}
            )
        before = batch.status
        batch = _move(
            batch,
            {before},
            Status.DRAFT,
            reason=reason,
            verified_by=None,
            verified_at=None,
            approved_by=None,
            approved_at=None,
        )
        batch.lines.filter(status=LineStatus.PENDING).update(
            name="", nik="", bank_name="", bank_account="", bank_holder=""
        )
        audit_record(
            by=by,
            action=AuditEntry.Action.UPDATE,
            obj=batch,
            changes={"status": [before, Status.DRAFT]},
            note=reason,
        )
    return batch


def stipend_batch_cancel(*, by: Actor, batch: StipendBatch, reason: str) -> StipendBatch:
    """Give up a draft: its lines are removed and their months return to the unpaid pool."""
    _require(by, Capability.STIPENDS_DRAFT)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the batch is cancelled.")})
    if len(reason) > 500:
        raise ValidationError({"reason": _("Keep the reason under 500 characters.")})
    with transaction.atomic():
        batch = _locked(batch, {Status.DRAFT})
        batch = _move(batch, {Status.DRAFT}, Status.CANCELLED, reason=reason)
        batch.lines.filter(status=LineStatus.PENDING).update(status=LineStatus.CANCELLED)
        audit_record(
            by=by,
            action=AuditEntry.Action.END,
            obj=batch,
            changes={"status": [Status.DRAFT, Status.CANCELLED]},
            note=reason,
        )
    return batch


# --- payment results -------------------------------------------------------------------------


@dataclass
class Outcome:
    line: StipendLine
    paid: bool
    reason: str = ""


def stipend_batch_record(
    *, by: Actor, batch: StipendBatch, outcomes: list[Outcome], paid_on: datetime.date
) -> dict[str, int]:
    """Mark waiting lines paid or failed (a failed month returns to the unpaid pool).

    Lines already decided are left as they are, so importing the same result file twice
    changes nothing the second time.
    """
    _require(by, Capability.STIPENDS_VERIFY)
    if paid_on > timezone.localdate():
        raise ValidationError({"paid_on": _("The payment date cannot be in the future.")})
    counts = {"paid": 0, "failed": 0, "unchanged": 0}
    with transaction.atomic():
        batch = _locked(batch, {Status.APPROVED, Status.PARTLY_PAID})
        _paid_on_allowed(batch, paid_on)
        paid_ids = [o.line.pk for o in outcomes if o.paid]
        # In chunks: SQLite takes a limited number of values in one statement.
        for start in range(0, len(paid_ids), INSERT_CHUNK):
            counts["paid"] += StipendLine.objects.filter(
                batch=batch,
                pk__in=paid_ids[start : start + INSERT_CHUNK],
                status=LineStatus.PENDING,
            ).update(status=LineStatus.PAID, paid_on=paid_on)
        by_reason: dict[str, list[int]] = defaultdict(list)
        for o in outcomes:
            if not o.paid:
                by_reason[(o.reason or _("Transfer failed"))[:250]].append(o.line.pk)
        for reason, ids in by_reason.items():
            for start in range(0, len(ids), INSERT_CHUNK):
                counts["failed"] += StipendLine.objects.filter(
                    batch=batch, pk__in=ids[start : start + INSERT_CHUNK], status=LineStatus.PENDING
                ).update(status=LineStatus.FAILED, failure_reason=reason)
        counts["unchanged"] = len(outcomes) - counts["paid"] - counts["failed"]
        _after_payment(by, batch, counts, paid_on)
    batch.refresh_from_db()
    return counts


def _paid_on_allowed(batch: StipendBatch, paid_on: datetime.date) -> None:
    if batch.approved_at and paid_on < timezone.localtime(batch.approved_at).date():
        raise ValidationError({"paid_on": _("The payment date cannot come before the approval.")})


def _after_payment(by: Actor, batch: StipendBatch, counts: dict, paid_on: datetime.date) -> None:
    """The batch's status and date after lines were marked, and the audit entry."""
    if not counts["paid"] and not counts["failed"]:
        return  # nothing was waiting: the batch and its date stay as they are
    waiting = batch.lines.filter(status=LineStatus.PENDING).exists()
    failed = batch.lines.filter(status=LineStatus.FAILED).exists()
    to = Status.PARTLY_PAID if waiting or failed else Status.PAID
    # The batch's date is its first payment (printed on the list); each line keeps its own.
    StipendBatch.objects.filter(pk=batch.pk).update(status=to, paid_on=batch.paid_on or paid_on)
    audit_record(
        by=by,
        action=AuditEntry.Action.UPDATE,
        obj=batch,
        changes={"status": [batch.status, to], **counts},
        note=_("Payment recorded for %(day)s") % {"day": long_date(paid_on)},
    )


def stipend_batch_mark_paid(*, by: Actor, batch: StipendBatch, paid_on: datetime.date) -> dict:
    """Every waiting line of the batch paid on `paid_on` (cash paid out, or the bank's word).

    Refused, naming them, while a line pays a month its person no longer served (a duty
    ended after approval, back to before that month): the bank's result file records what
    really happened to each transfer, and a paid mistake is reversed. One UPDATE of the
    batch's waiting lines, after a check over plain value tuples.
    """
    _require(by, Capability.STIPENDS_VERIFY)
    if paid_on > timezone.localdate():
        raise ValidationError({"paid_on": _("The payment date cannot be in the future.")})
    serving = {
        (e.person_id, e.kind_id, e.month) for e in _batch_entitlements(batch, with_lines=False)
    }
    waiting = batch.lines.filter(status=LineStatus.PENDING).order_by()
    gone = [
        (name, kind_id, month)
        for person_id, kind_id, month, name in waiting.values_list(
            "person_id", "kind_id", "month", "name"
        ).iterator(chunk_size=20_000)
        if (person_id, kind_id, month) not in serving
    ]
    if gone:
        codes = dict(PillarKind.objects.values_list("pk", "code"))
        raise ValidationError(
            [
                _(
                    "%(count)s line(s) pay a month their person no longer served (the duty was "
                    "ended after approval). Record the bank's result file instead — GAGAL for "
                    "these — or, if the money went out, record it and reverse those lines:"
                )
                % {"count": len(gone)},
                *[
                    f"{name} ({codes.get(kind_id, '')}, {month_label(month)})"
                    for name, kind_id, month in gone[:10]
                ],
            ]
        )
    with transaction.atomic():
        batch = _locked(batch, {Status.APPROVED, Status.PARTLY_PAID})
        _paid_on_allowed(batch, paid_on)
        paid = batch.lines.filter(status=LineStatus.PENDING).update(
            status=LineStatus.PAID, paid_on=paid_on
        )
        counts = {"paid": paid, "failed": 0, "unchanged": 0}
        _after_payment(by, batch, counts, paid_on)
    batch.refresh_from_db()
    return counts


def stipend_line_reverse(
    *, by: Actor, line: StipendLine, reason: str, day: datetime.date | None = None
) -> StipendLine:
    """Correct a paid line with a reversing line; the month may then be paid again."""
    _require(by, Capability.STIPENDS_VERIFY)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the payment is reversed.")})
    if len(reason) > 250:
        raise ValidationError({"reason": _("Keep the reason under 250 characters.")})
    day = day or timezone.localdate()
    with transaction.atomic():
        original = StipendLine.objects.select_for_update().get(pk=line.pk)
        if original.status != LineStatus.PAID or original.reverses_id or original.reversed_at:
            raise ValidationError(_("Only a paid line that is not yet reversed can be reversed."))
        now = timezone.now()
        StipendLine.objects.filter(pk=original.pk).update(reversed_at=now)
        reversal = StipendLine.objects.create(
            batch_id=original.batch_id,
            person_id=original.person_id,
            kind_id=original.kind_id,
            month=original.month,
            area_id=original.area_id,
            rate_id=original.rate_id,
            funding_source=original.funding_source,
            amount=-original.amount,
            days_served=original.days_served,
            days_in_month=original.days_in_month,
            method=original.method,
            status=LineStatus.PAID,
            paid_on=day,
            reverses=original,
            note=reason[:250],
            **{f: getattr(original, f) for f in FROZEN},
        )
        audit_record(
            by=by,
            action=AuditEntry.Action.CREATE,
            obj=reversal,
            person=original.person,
            changes={"reverses": original.pk, "amount": reversal.amount},
            note=reason,
        )
    return reversal
