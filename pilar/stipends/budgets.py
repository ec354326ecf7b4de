"""Tali kasih rates and the yearly budget ceilings: every write validated, in one
transaction, audited (docs/STIPENDS.md); and what a year's batches take from its ceiling and
have paid. The batch services (pilar/stipends/services.py) check a batch against the ceiling
here (`_check_budget`) under a lock on the budget rows."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from pilar.accounts.access import Capability, hosts_others
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record, diff, snapshot
from pilar.lib.money import MAX_RUPIAH, rupiah
from pilar.lib.months import month_end, month_label
from pilar.lib.text import check_lengths
from pilar.offices import current
from pilar.registry.models import PillarKind
from pilar.stipends.access import office_wide
from pilar.stipends.models import (
    Budget,
    FundingSource,
    StipendBatch,
    StipendLine,
    StipendRate,
)

Status = StipendBatch.Status
LineStatus = StipendLine.Status


def _require(by: Actor, capability: Capability, record=None) -> None:
    """Stipend work is office-wide: the grant must cover the whole office's area. A record
    (rate, budget, batch) is worked on only by its own office (docs/STIPENDS.md, "Many
    offices"): pages and the API never reach another office's, this is the services' own
    guard."""
    user = by.signed_in_user
    if user is not None and not office_wide(user, capability):
        raise PermissionDenied
    if user is None and hosts_others(current()):
        # The command line without --as acts for the top office: a province pays nobody.
        raise PermissionDenied(
            _("An office hosting others pays nobody: act as a user of the paying office.")
        )
    if record is not None and record.office_id != current().pk:
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
    office = current()
    with transaction.atomic():
        # One rate change at a time per kind: the overlap check cannot race. Each office has
        # its own rates: only its own can overlap.
        PillarKind.objects.select_for_update().get(pk=kind.pk)
        overlap = StipendRate.objects.filter(office=office, kind=kind).filter(
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
            office=office,
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
    _require(by, Capability.STIPENDS_SETUP, rate)
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
    _require(by, Capability.STIPENDS_SETUP, rate)
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


def taken(
    year: int, funding_source: str, *, office, exclude_batch: StipendBatch | None = None
) -> int:
    """Rupiah of `office`'s budget for the year already taken: lines waiting or paid
    (reversals net off)."""
    lines = StipendLine.objects.filter(
        batch__office=office,
        batch__year=year,
        funding_source=funding_source,
        status__in=[LineStatus.PENDING, LineStatus.PAID],
    ).exclude(batch__status=Status.CANCELLED)
    if exclude_batch is not None:
        lines = lines.exclude(batch=exclude_batch)
    return lines.aggregate(total=Sum("amount"))["total"] or 0


def paid(year: int, funding_source: str, *, office) -> int:
    """Rupiah of `office`'s budget for the year spent: lines paid (reversals net off). Money
    waiting in a batch is committed (`committed`) but not spent."""
    lines = StipendLine.objects.filter(
        batch__office=office,
        batch__year=year,
        funding_source=funding_source,
        status=LineStatus.PAID,
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
    office = current()
    with transaction.atomic():
        budget, created = Budget.objects.select_for_update().get_or_create(
            office=office,
            year=year,
            funding_source=funding_source,
            defaults={"amount": amount, "note": note},
        )
        taken_now = taken(year, funding_source, office=office)
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
    budgets = Budget.objects.filter(
        office_id=batch.office_id, year=batch.year, funding_source__in=list(per_source)
    )
    if lock:
        budgets = budgets.select_for_update()
    ceilings = {b.funding_source: b.amount for b in budgets}
    problems = []
    for source, total in sorted(per_source.items()):
        use = BudgetUse(
            batch.year,
            source,
            ceilings.get(source),
            taken(batch.year, source, office=batch.office_id, exclude_batch=batch),
            total,
        )
        uses.append(use)
        if use.ceiling is None:
            problems.append(
                ValidationError(
                    _(
                        "There is no %(source)s budget ceiling for %(year)s: the treasurer "
                        "enters it on the budget page first."
                    ),
                    code="no_ceiling",  # the command line names its own verb
                    params={"source": source, "year": batch.year},
                )
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
