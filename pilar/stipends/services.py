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
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, OuterRef, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from pilar.accounts.access import Capability
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record
from pilar.lib.dates import long_date
from pilar.lib.months import month_label, month_start
from pilar.lib.text import check_lengths
from pilar.offices import current
from pilar.offices.copies import OfficeCopy
from pilar.registry.models import Person, PillarKind
from pilar.stipends.access import office_wide

# Rates and budgets live in pilar/stipends/budgets.py; callers keep naming them `services.X`.
from pilar.stipends.budgets import (  # noqa: F401
    BudgetUse,
    _amount,
    _check_budget,
    _require,
    budget_set,
    paid,
    stipend_rate_correct,
    stipend_rate_create,
    stipend_rate_end,
    taken,
)
from pilar.stipends.eligibility import State, batch_months, batch_office, entitlements
from pilar.stipends.failures import refuse_failed_accounts
from pilar.stipends.models import (
    StipendBatch,
    StipendLine,
)

# The stale-line check lives in pilar/stipends/stale.py.
from pilar.stipends.stale import StaleLine, _refuse_stale, _stale  # noqa: F401

Status = StipendBatch.Status
LineStatus = StipendLine.Status
INSERT_CHUNK = 5000

# --- batches ---------------------------------------------------------------------------------


def _batch_entitlements(batch: StipendBatch, *, person_ids=None, with_lines: bool = True):
    return entitlements(
        months=batch_months(batch.first_month, batch.last_month, batch.arrears_from),
        kinds=list(batch.kinds.all()),
        person_ids=person_ids,
        with_lines=with_lines,
        office=batch_office(batch),
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


NUMBER_ATTEMPTS = 5


def _numbered(**fields) -> StipendBatch:
    """The batch saved under the next free number of its office and year. Two batches opened
    at once may both read the same last number: the database's unique (office, year, seq)
    refuses the second, which takes the next number once the first is saved (as BASTs are
    numbered, pilar/equipment/services.py)."""
    mine = StipendBatch.objects.filter(office=fields["office"], year=fields["year"])
    for attempt in range(NUMBER_ATTEMPTS):
        seq = (mine.aggregate(top=Max("seq"))["top"] or 0) + 1
        try:
            with transaction.atomic():
                return StipendBatch.objects.create(seq=seq, **fields)
        except IntegrityError:
            if attempt == NUMBER_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


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
        batch = _numbered(
            office=current(),
            title=title,
            first_month=first_month,
            last_month=last_month,
            arrears_from=arrears_from,
            year=year,
            created_by=by.signed_in_user,
        )
        batch.kinds.set(kinds)
    return batch


def stipend_batch_fill_draft(*, by: Actor, batch: StipendBatch) -> StipendBatch:
    """Fill a new draft with every eligible unpaid month of its kinds, arrears included.

    Refused, adding nothing, when it would pay nobody or exceed the year's budget."""
    _require(by, Capability.STIPENDS_DRAFT, batch)
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
                ),
                code="nobody",  # the command line names its own verb
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


def stipend_batch_refresh(*, by: Actor, batch: StipendBatch) -> dict[str, int]:
    """Bring a draft up to date: remove lines no longer eligible, add months now eligible."""
    _require(by, Capability.STIPENDS_DRAFT, batch)
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
    _require(by, Capability.STIPENDS_DRAFT, line.batch)
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


def _moved(batch: StipendBatch) -> ValidationError:
    """Someone else moved the batch first. Code "moved": the command line says it in its own
    words (pilar/stipends/management/base.py)."""
    return ValidationError(
        _("This batch is now “%(status)s”: reload the page to see what changed."),
        code="moved",
        params={"status": batch.get_status_display()},
    )


def _locked(batch: StipendBatch, allowed: set[str]) -> StipendBatch:
    batch = StipendBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status not in allowed:
        raise _moved(batch)
    return batch


def _move(batch: StipendBatch, frm: set[str], to: str, **fields) -> StipendBatch:
    """The conditional update that makes one transition, however many try at once."""
    done = StipendBatch.objects.filter(pk=batch.pk, status__in=frm).update(status=to, **fields)
    if not done:
        batch.refresh_from_db()
        raise _moved(batch)
    batch.refresh_from_db()
    return batch


def _not_same(by: Actor, other_user, what: str) -> None:
    user = by.signed_in_user
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
    refuse_failed_accounts(batch.lines.all())
    _check_budget(batch, lock=lock_budget)
    return _move(batch, {frm}, to, **stamp)


def stipend_batch_verify(*, by: Actor, batch: StipendBatch) -> StipendBatch:
    """Finance checks the draft: every line still eligible, within the budget."""
    _require(by, Capability.STIPENDS_VERIFY, batch)
    _not_same(by, batch.created_by, _("The person who drafted a batch cannot also verify it."))
    with transaction.atomic():
        batch = _advance(
            by,
            batch,
            Status.DRAFT,
            Status.VERIFIED,
            lock_budget=False,
            verified_by=by.signed_in_user,
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
    freezes each recipient as paid. The batch keeps its own office's letterhead and signers
    (docs/OFFICE.md, "What documents keep")."""
    _require(by, Capability.STIPENDS_APPROVE, batch)
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
            approved_by=by.signed_in_user,
            approved_at=timezone.now(),
            office_copy=OfficeCopy.of(batch_office(batch)).as_json(),
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
    user = by.signed_in_user
    if user is not None and not (
        office_wide(user, Capability.STIPENDS_VERIFY)
        or office_wide(user, Capability.STIPENDS_APPROVE)
    ):
        raise PermissionDenied
    _require(by, Capability.STIPENDS_VIEW, batch)
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
    _require(by, Capability.STIPENDS_DRAFT, batch)
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
    _require(by, Capability.STIPENDS_VERIFY, batch)
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
                ).update(status=LineStatus.FAILED, failure_reason=reason, failed_at=timezone.now())
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
    _require(by, Capability.STIPENDS_VERIFY, batch)
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
    _require(by, Capability.STIPENDS_VERIFY, line.batch)
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
