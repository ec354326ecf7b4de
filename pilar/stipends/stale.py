"""Which waiting lines of a batch would no longer be drafted as they are, and why: checked
before a batch is verified or approved (pilar/stipends/services.py; docs/STIPENDS.md)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from pilar.accounts.access import is_top
from pilar.lib.months import month_end, month_label
from pilar.regions.models import Area
from pilar.registry.models import Person, PillarKind
from pilar.stipends.eligibility import batch_months, batch_office, entitlements, reason_text
from pilar.stipends.models import StipendBatch, StipendLine

LineStatus = StipendLine.Status
NAME_CHUNK = 900  # people per eligibility pass of the re-check: within SQLite's parameter limit


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
    from pilar.casework.models import MonthlyReport
    from pilar.registry.models import Assignment
    from pilar.stipends.eligibility import batch_office, rate_for, rates_by_kind

    if month > timezone.localdate():
        return set()
    office = batch_office(batch)
    rates = rates_by_kind(kind_ids, office)
    amounts = [(k, r.amount) for k in kind_ids if (r := rate_for(rates.get(k, []), month))]
    if not amounts:
        return set()
    qn = connection.ops.quote_name
    line, person = qn(StipendLine._meta.db_table), qn(Person._meta.db_table)
    duty, report = qn(Assignment._meta.db_table), qn(MonthlyReport._meta.db_table)
    rate_sql = " OR ".join(["(l.kind_id = %s AND l.amount = %s)"] * len(amounts))
    account = "(p.bank_name <> '' AND p.bank_account <> '')"
    accounts = f"({account} AND l.method = 'transfer')"
    if office.stipend_cash_allowed:
        accounts = f"({accounts} OR (NOT {account} AND l.method = 'cash'))"
    params: list = [batch.pk, month, month, month_end(month)]
    # Identifiers from model metadata and fixed fragments; every value is a parameter.
    sql = (
        f"SELECT l.id FROM {line} l JOIN {person} p ON p.id = l.person_id "  # noqa: S608
        "WHERE l.batch_id = %s AND l.status = 'pending' AND l.month = %s "
        f"AND EXISTS (SELECT 1 FROM {duty} s WHERE s.person_id = l.person_id "
        "AND s.kind_id = l.kind_id AND s.start_date <= %s "
        "AND (s.end_date IS NULL OR s.end_date >= %s)"
    )
    if office.area_id is not None and not is_top(office):
        # Only a duty in the batch's office's area counts (docs/STIPENDS.md, "Many offices").
        area = qn(Area._meta.db_table)
        sql += (
            f" AND s.area_id IN (SELECT a.id FROM {area} a "  # noqa: S608
            "WHERE a.code = %s OR a.code LIKE %s)"
        )
        params += [office.area.code, office.area.code + ".%"]
    sql += ") "
    if office.stipend_report_required:
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
            office=batch_office(batch),
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
