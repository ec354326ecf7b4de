"""Corrections (docs/EQUIPMENT.md): a handover line or a return saved by mistake is reversed, or
amended (reversed and replaced by a new row), with a reason — never edited. Each correction
first marks the row reversed and then checks that the figures still hold on every day (stock,
items awaiting repair, what each person holds); when they do not, the whole transaction is
undone and the refusal names what stands in the way (a later return, a later handover).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record
from pilar.equipment.models import (
    HandoverLine,
    Item,
    Return,
)
from pilar.equipment.returns import return_record
from pilar.equipment.selectors import (
    dated_awaiting_repair,
    dated_holding,
    dated_stock,
    lowest_from,
)
from pilar.equipment.services import (
    _add,
    _audit_created,
    _check_handed_condition,
    _locked_items,
    _positive,
    _stock_errors,
)
from pilar.lib.dates import long_date
from pilar.registry.models import Person

# --- corrections --------------------------------------------------------------------------------


def _lowest_ever(changes) -> tuple[int, datetime.date | None]:
    least, on = lowest_from(changes, datetime.date.min)
    return least, (on if on != datetime.date.min else None)


def _check_figures_hold(errors: dict, item: Item, person: Person | None = None) -> None:
    """After a correction (in this transaction): the item's stock, the items awaiting repair and
    what `person` holds of it never go below zero on any day."""
    least, on = _lowest_ever(dated_stock([item.pk])[item.pk])
    if least < 0:
        _add(
            errors,
            "record",
            _(
                "After this correction the stock of %(item)s would be %(n)s on %(date)s: the "
                "items were handed over again since. Correct that later handover first."
            )
            % {"item": item.name, "n": least, "date": long_date(on)},
        )
    least, on = _lowest_ever(dated_awaiting_repair(item.pk))
    if least < 0:
        _add(
            errors,
            "record",
            _(
                "After this correction fewer %(item)s would wait for repair on %(date)s than "
                "the repair records there account for. Check the repair records first."
            )
            % {"item": item.name, "date": long_date(on)},
        )
    if person is not None:
        least, on = _lowest_ever(dated_holding(person, item))
        if least < 0:
            _add(
                errors,
                "record",
                _(
                    "%(name)s has returned or reported lost %(item)s that this line handed "
                    "over (by %(date)s). Reverse or amend that return first, then this line."
                )
                % {"name": person.name, "item": item.name, "date": long_date(on)},
            )


def _clean_reason(errors: dict, reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        _add(errors, "reversal_reason", _("Say why the record is corrected (e.g. typed 2 for 1)."))
    limit = HandoverLine._meta.get_field("reversal_reason").max_length
    if len(reason) > limit:
        _add(
            errors,
            "reversal_reason",
            _("The reason has %(n)s characters; at most %(max)s fit.")
            % {"n": len(reason), "max": limit},
        )
    return reason


def _refuse_reversed(errors: dict, record) -> None:
    """A reversed record cannot be reversed again, nor its reversal undone."""
    if record.reversed_at is None:
        return
    _add(
        errors,
        "record",
        _(
            "This record was already corrected on %(date)s (%(reason)s). A reversal cannot be "
            "reversed or repeated: if the original was right after all, record it again as a "
            "new entry."
        )
        % {
            "date": long_date(timezone.localtime(record.reversed_at).date()),
            "reason": record.reversal_reason,
        },
    )


def _mark_reversed(by: Actor, record, reason: str) -> None:
    record.reversed_at = timezone.now()
    record.reversed_by = by.signed_in_user
    record.reversal_reason = reason
    record.save(update_fields=["reversed_at", "reversed_by", "reversal_reason"])


def _audit_correction(by: Actor, record, reason: str, *, replacement=None, person=None) -> None:
    changes = {"reversed": [False, True], "reversal_reason": [None, reason]}
    if replacement is not None:
        changes["replaced_by"] = [
            None,
            f"{type(replacement).__name__} {replacement.pk}: {replacement}",
        ]
    audit_record(
        by=by,
        action=AuditEntry.Action.UPDATE,
        obj=record,
        person=person,
        changes=changes,
        note=_("correction: amended") if replacement is not None else _("correction: reversed"),
    )


@transaction.atomic
def line_correct(
    *,
    by: Actor,
    line: HandoverLine,
    reversal_reason: str,
    amend: bool = False,
    quantity: int | None = None,
    condition: str = "",
    note: str = "",
) -> HandoverLine | None:
    """Reverse a handover line saved by mistake, or amend it (`amend`: reversed and replaced by
    a line of the same BAST with the right quantity, condition and note). The original stays on
    the BAST, marked, with the reason. Refused when the person has since returned (or reported
    lost) more than would remain handed to them: that return is corrected first."""
    errors: dict[str, list] = {}
    _locked_items([line.item_id])
    line = (
        HandoverLine.objects.select_for_update()
        .select_related("person", "item", "handover")
        .get(pk=line.pk)
    )
    reason = _clean_reason(errors, reversal_reason)
    _refuse_reversed(errors, line)
    if amend:
        note = " ".join((note or "").split())
        _positive(errors, "quantity", quantity)
        _check_handed_condition(errors, "condition", condition, note, "")
        same = (quantity, condition, note) == (line.quantity, line.condition, line.note)
        if not errors and same:
            _add(errors, "quantity", _("Nothing differs from the line as recorded; change one."))
        extra = quantity - line.quantity if isinstance(quantity, int) else 0
        if not errors and extra > 0:
            # Handing more: the extra must be in stock on the BAST's date and every day after.
            stock: dict[str, list] = {}
            day = line.handover.handed_on
            _stock_errors(stock, {line.item_id: extra}, day, {line.item_id: line.item})
            for message in stock.get("lines", []) + stock.get("handed_on", []):
                _add(errors, "quantity", message)
    if errors:
        raise ValidationError(errors)
    _mark_reversed(by, line, reason)
    replacement = None
    if amend:
        replacement = HandoverLine.objects.create(
            handover_id=line.handover_id,
            person=line.person,
            item=line.item,
            quantity=quantity,
            condition=condition,
            note=note,
        )
        HandoverLine.objects.filter(pk=line.pk).update(replaced_by=replacement)
        line.replaced_by = replacement
    _check_figures_hold(errors, line.item, line.person)
    if errors:
        raise ValidationError(errors)
    _audit_correction(by, line, reason, replacement=replacement, person=line.person)
    if replacement is not None:
        _audit_created(
            by,
            replacement,
            ["handover", "person", "item", "quantity", "condition", "note"],
            person=line.person,
        )
    return replacement


@transaction.atomic
def return_correct(
    *,
    by: Actor,
    record: Return,
    reversal_reason: str,
    amend: bool = False,
    **values,
) -> Return | None:
    """Reverse a return saved by mistake, or amend it (`amend`: reversed and replaced by a
    return with `values` — quantity, condition, returned_on, reason,
    received_by — checked as a new return would be). Refused when the items it
    gave back were handed over again (or repaired) since and the stock would go below zero."""
    errors: dict[str, list] = {}
    _locked_items([record.item_id])
    record = Return.objects.select_for_update().select_related("person", "item").get(pk=record.pk)
    reason = _clean_reason(errors, reversal_reason)
    _refuse_reversed(errors, record)
    if errors:
        raise ValidationError(errors)
    _mark_reversed(by, record, reason)
    replacement = None
    if amend:
        replacement = return_record(
            by=by,
            person=record.person,
            item=record.item,
            quantity=values.get("quantity"),
            condition=values.get("condition") or "",
            returned_on=values.get("returned_on"),
            reason=values.get("reason") or "",
            received_by=values.get("received_by") or "",
        )
        Return.objects.filter(pk=record.pk).update(replaced_by=replacement)
        record.replaced_by = replacement
    _check_figures_hold(errors, record.item, record.person)
    if errors:
        raise ValidationError(errors)
    _audit_correction(by, record, reason, replacement=replacement, person=record.person)
    return replacement
