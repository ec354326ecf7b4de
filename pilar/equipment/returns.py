"""What comes back after a handover: returns (good, damaged or lost) and repairs of items
returned damaged (docs/EQUIPMENT.md). Same rules as pilar.equipment.services: validated, in
one transaction, audited, with the item rows locked."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from pilar.audit.services import Actor
from pilar.equipment.models import (
    Condition,
    HandoverLine,
    Item,
    Repair,
    Return,
)
from pilar.equipment.selectors import (
    dated_awaiting_repair,
    dated_holding,
    lowest_from,
)
from pilar.equipment.services import (
    REPAIR_FIELDS,
    RETURN_FIELDS,
    _add,
    _audit_created,
    _locked_items,
    _not_future,
    _own_item,
    _positive,
)
from pilar.lib.dates import long_date
from pilar.lib.text import check_columns
from pilar.registry.models import Person

# --- returns ----------------------------------------------------------------------------------


def _check_return_date(errors: dict, person, item, quantity, returned_on, changes) -> None:
    """A return gives back what the person held on its date — and still did on every later
    date, or a later return would give back more than was held (`changes`: their holding
    by day)."""
    if not isinstance(quantity, int):
        return
    least, on = lowest_from(changes, returned_on)
    if least >= quantity:
        return
    first = (
        HandoverLine.objects.in_force()
        .filter(person=person, item=item)
        .order_by("handover__handed_on")
        .values_list("handover__handed_on", flat=True)
        .first()
    )
    if first and returned_on < first:
        message = _("%(name)s received %(item)s on %(date)s; a return cannot be dated earlier.") % {
            "name": person.name,
            "item": item.name,
            "date": long_date(first),
        }
    else:
        message = _(
            "%(name)s did not hold %(asked)s %(unit)s of %(item)s all along from %(day)s: by "
            "the handovers and returns recorded, they held %(held)s on %(date)s. Date the "
            "return on or after the BAST that handed over what is returned."
        ) % {
            "name": person.name,
            "asked": quantity,
            "unit": item.unit,
            "item": item.name,
            "day": long_date(returned_on),
            "held": max(least, 0),
            "date": long_date(on),
        }
    _add(errors, "returned_on", message)


@transaction.atomic
def return_record(
    *,
    by: Actor,
    person: Person,
    item: Item,
    quantity: int,
    condition: str,
    returned_on: datetime.date,
    reason: str = "",
    received_by: str = "",
) -> Return:
    """Record items a person gave back (good or damaged) or reported lost. Refused for more
    than the person holds of the item; damage and loss need a reason."""
    errors: dict[str, list] = {}
    reason, received_by = (reason or "").strip(), (received_by or "").strip()
    check_columns(errors, Return, reason=reason, received_by=received_by)
    _positive(errors, "quantity", quantity)
    _not_future(errors, "returned_on", returned_on, _("return"))
    _own_item(errors, "item", item)
    if condition not in (Condition.GOOD, Condition.DAMAGED, Condition.LOST):
        _add(errors, "condition", _("Choose the condition: good, damaged or lost."))
    elif condition != Condition.GOOD and not reason:
        _add(
            errors,
            "reason",
            _("Say why the item is damaged or lost (e.g. dropped during the flood evacuation)."),
        )
    _locked_items([item.pk])
    changes = dated_holding(person, item)
    held = sum(changes.values())
    if held == 0:
        _add(
            errors,
            "item",
            _(
                "%(name)s holds no %(item)s: it was never handed over to them, or all of it "
                "has been returned. Check the person and the item."
            )
            % {"name": person.name, "item": item.name},
        )
    elif isinstance(quantity, int) and quantity > held:
        _add(
            errors,
            "quantity",
            _("%(name)s holds only %(held)s %(unit)s of %(item)s; %(asked)s cannot be returned.")
            % {
                "name": person.name,
                "held": held,
                "unit": item.unit,
                "item": item.name,
                "asked": quantity,
            },
        )
    elif returned_on and not errors.get("returned_on"):
        _check_return_date(errors, person, item, quantity, returned_on, changes)
    if errors:
        raise ValidationError(errors)
    record = Return.objects.create(
        person=person,
        item=item,
        quantity=quantity,
        condition=condition,
        returned_on=returned_on,
        reason=reason,
        received_by=received_by,
        created_by=by.signed_in_user,
    )
    _audit_created(by, record, RETURN_FIELDS, person=person)
    return record


# --- repairs ----------------------------------------------------------------------------------


@transaction.atomic
def repair_record(
    *,
    by: Actor,
    item: Item,
    quantity: int,
    outcome: str,
    done_on: datetime.date,
    note: str,
    done_by: str,
) -> Repair:
    """Record what became of items returned damaged: repaired (available again) or written off.
    Refused for more than wait for repair, on `done_on` and every day after it."""
    errors: dict[str, list] = {}
    note, done_by = " ".join((note or "").split()), " ".join((done_by or "").split())
    _positive(errors, "quantity", quantity)
    _not_future(errors, "done_on", done_on, _("repair"))
    if outcome not in Repair.Outcome.values:
        _add(errors, "outcome", _("Choose the outcome: repaired, or written off."))
    if not note:
        _add(
            errors,
            "note",
            _("Say what was done, e.g. antenna replaced, or why it is beyond repair."),
        )
    if not done_by:
        _add(errors, "done_by", _("Give who repaired or assessed the items."))
    check_columns(errors, Repair, note=note, done_by=done_by)
    _locked_items([item.pk])
    if isinstance(quantity, int) and done_on and "done_on" not in errors:
        changes = dated_awaiting_repair(item.pk)
        waiting = sum(changes.values())
        least, least_on = lowest_from(changes, done_on)
        if quantity > min(least, waiting):
            _add(
                errors,
                "quantity",
                _(
                    "Only %(n)s %(unit)s of %(item)s returned damaged wait for repair on "
                    "%(date)s; %(asked)s cannot be recorded. Record the damaged return first."
                )
                % {
                    "n": max(min(least, waiting), 0),
                    "unit": item.unit,
                    "item": item.name,
                    "date": long_date(least_on),
                    "asked": quantity,
                },
            )
    if errors:
        raise ValidationError(errors)
    repair = Repair.objects.create(
        item=item,
        quantity=quantity,
        outcome=outcome,
        done_on=done_on,
        note=note,
        done_by=done_by,
        created_by=by.signed_in_user,
    )
    _audit_created(by, repair, REPAIR_FIELDS)
    return repair
