"""Every write to equipment records: validated, in one transaction, and audited.

Stock is never stored (see pilar.equipment.models): each write that takes items out of the
store or back into it locks the rows of the items concerned — in the order of their ids, so
two handovers of the same items wait for each other instead of deadlocking — and then checks
the figures computed from the rows. Each function raises `ValidationError` keyed by the field
to fix and changes nothing when the input breaks a rule: more handed over than is in stock,
a return of something never handed over or of more than is held, damage or loss without a
reason, a date in the future.

Corrections (docs/EQUIPMENT.md): a handover line or a return saved by mistake is reversed, or
amended (reversed and replaced by a new row), with a reason — never edited. Each correction
first marks the row reversed and then checks that the figures still hold on every day (stock,
items awaiting repair, what each person holds); when they do not, the whole transaction is
undone and the refusal names what stands in the way (a later return, a later handover).
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record, diff, snapshot
from pilar.equipment.models import (
    Condition,
    Handover,
    HandoverLine,
    HandoverWitness,
    Item,
    Repair,
    Return,
    StockReceipt,
)
from pilar.equipment.selectors import (
    dated_awaiting_repair,
    dated_holding,
    dated_stock,
    lowest_from,
)
from pilar.lib.dates import long_date
from pilar.lib.text import check_columns
from pilar.registry.models import Person

ITEM_FIELDS = ["name", "category", "unit", "asset_code", "needs_return", "active"]
RECEIPT_FIELDS = ["item", "received_on", "quantity", "source", "note"]
RETURN_FIELDS = ["person", "item", "quantity", "condition", "returned_on", "reason", "received_by"]
HANDOVER_FIELDS = [
    "number",
    "handed_on",
    "place",
    "giver_name",
    "giver_title",
    "training_event",
    "note",
]
NUMBER_FORMAT = "{seq:03d}/BAST-SARPRAS/{year}"
NUMBER_ATTEMPTS = 5
MAX_QUANTITY = 100_000
# Lines of one BAST and witnesses on it: a training event of a few hundred people is the most
# seen; beyond that it is a mistake, not a handover (docs/EQUIPMENT.md).
MAX_LINES = 1000
MAX_WITNESSES = 10
REPAIR_FIELDS = ["item", "quantity", "outcome", "done_on", "note", "done_by"]
HANDOVER_CONDITIONS = (Condition.NEW, Condition.GOOD, Condition.DAMAGED)

# (receiver, item, quantity, condition) or with a fifth element, the condition note.
Line = tuple


def _user(by: Actor):
    return by.user if getattr(by.user, "is_authenticated", False) else None


def _add(errors: dict[str, list], field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _not_future(errors: dict, field: str, day: datetime.date | None, what: str) -> None:
    if day is None:
        _add(errors, field, _("Give the date."))
    elif day > timezone.localdate():
        _add(
            errors,
            field,
            _("The date %(date)s is in the future; record the %(what)s on the day it happens.")
            % {"date": long_date(day), "what": what},
        )


def _positive(errors: dict, field: str, quantity, label: str = "") -> None:
    prefix = f"{label}: " if label else ""
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        _add(errors, field, prefix + _("Give a whole number of at least 1."))
    elif quantity > MAX_QUANTITY:
        # Beyond any real delivery, and a sum of such numbers overflows the database.
        _add(
            errors,
            field,
            prefix
            + _("%(n)s is too many for one record; give at most %(max)s.")
            % {"n": quantity, "max": MAX_QUANTITY},
        )


def _audit_created(by: Actor, obj, fields: list[str], *, person=None) -> None:
    changes = diff({}, snapshot(obj, fields))
    audit_record(by=by, action=AuditEntry.Action.CREATE, obj=obj, person=person, changes=changes)


def _locked_items(ids: Iterable[int]) -> dict[int, Item]:
    """The items' rows locked until the transaction ends, locked in the order of their ids."""
    locked = Item.objects.select_for_update().filter(pk__in=sorted(set(ids))).order_by("pk")
    return {item.pk: item for item in locked}


# --- catalog --------------------------------------------------------------------------------


def _item_errors(data: dict, item: Item | None = None) -> dict[str, list]:
    errors: dict[str, list] = {}
    if not data["name"]:
        _add(errors, "name", _("Give the item's name, e.g. Rompi Pilar Sosial."))
    elif Item.objects.filter(name__iexact=data["name"]).exclude(pk=getattr(item, "pk", None)):
        _add(
            errors,
            "name",
            _("An item called “%(name)s” is already in the catalog; edit that one instead.")
            % {"name": data["name"]},
        )
    if data["category"] not in Item.Category.values:
        _add(errors, "category", _("Choose the category from the list."))
    if not data["unit"]:
        _add(errors, "unit", _("Give the unit it is counted in, e.g. buah or unit."))
    check_columns(errors, Item, name=data["name"], unit=data["unit"], asset_code=data["asset_code"])
    return errors


def _clean_item(**fields) -> dict:
    return {
        "name": (fields.get("name") or "").strip(),
        "category": fields.get("category") or "",
        "unit": (fields.get("unit") or "").strip(),
        "asset_code": (fields.get("asset_code") or "").strip(),
        "needs_return": bool(fields.get("needs_return")),
        "active": bool(fields.get("active", True)),
    }


@transaction.atomic
def item_create(
    *,
    by: Actor,
    name: str,
    category: str,
    unit: str,
    asset_code: str = "",
    needs_return: bool = False,
    active: bool = True,
) -> Item:
    """Add an item to the catalog."""
    data = _clean_item(
        name=name,
        category=category,
        unit=unit,
        asset_code=asset_code,
        needs_return=needs_return,
        active=active,
    )
    errors = _item_errors(data)
    if errors:
        raise ValidationError(errors)
    item = Item.objects.create(**data)
    _audit_created(by, item, ITEM_FIELDS)
    return item


@transaction.atomic
def item_update(*, by: Actor, item: Item, **fields) -> Item:
    """Change an item's catalog entry; the fields not given stay as they are."""
    unknown = set(fields) - set(ITEM_FIELDS)
    if unknown:
        raise TypeError(f"item_update() got unknown fields: {sorted(unknown)}")
    item = Item.objects.select_for_update().get(pk=item.pk)
    before = snapshot(item, ITEM_FIELDS)
    data = _clean_item(**{**before, **fields})
    errors = _item_errors(data, item)
    if errors:
        raise ValidationError(errors)
    for name, value in data.items():
        setattr(item, name, value)
    changes = diff(before, snapshot(item, ITEM_FIELDS))
    if changes:
        item.save(update_fields=list(changes))
        audit_record(by=by, action=AuditEntry.Action.UPDATE, obj=item, changes=changes)
    return item


# --- stock received -------------------------------------------------------------------------


@transaction.atomic
def stock_receive(
    *,
    by: Actor,
    item: Item,
    received_on: datetime.date,
    quantity: int,
    source: str,
    note: str = "",
) -> StockReceipt:
    """Record items the office received (bought, or given by the ministry or province)."""
    errors: dict[str, list] = {}
    source = (source or "").strip()
    _not_future(errors, "received_on", received_on, _("receipt"))
    _positive(errors, "quantity", quantity)
    if not source:
        _add(errors, "source", _("Say where the items came from, e.g. APBD 2024 or Kemensos."))
    note = (note or "").strip()
    check_columns(errors, StockReceipt, source=source, note=note)
    if errors:
        raise ValidationError(errors)
    item = _locked_items([item.pk])[item.pk]
    receipt = StockReceipt.objects.create(
        item=item,
        received_on=received_on,
        quantity=quantity,
        source=source,
        note=note,
        created_by=_user(by),
    )
    _audit_created(by, receipt, RECEIPT_FIELDS)
    return receipt


# --- handovers (BAST) ---------------------------------------------------------------------


def clean_witnesses(errors: dict, witnesses) -> list[tuple[str, str]]:
    """Witnesses as (name, position) pairs, from pairs, {"name", "position"} mappings, or text
    with one witness per line. A text line is taken whole as the name: a comma may belong to
    the name ("Dra. Rina Marlina, S.Sos, M.Si"), so it is never guessed to start a position.
    Each name up to 200 characters, each position up to 150; refusals name the witness."""
    if isinstance(witnesses, str):
        raw = [(line, "") for line in witnesses.splitlines()]
    else:
        raw = []
        for w in witnesses or ():
            if isinstance(w, str):
                raw.append((w, ""))
            elif isinstance(w, Mapping):
                raw.append((w.get("name") or "", w.get("position") or ""))
            else:
                name, position = (list(w) + ["", ""])[:2]
                raw.append((name or "", position or ""))
    pairs = []
    for n, (name, position) in enumerate(raw, start=1):
        name, position = " ".join(str(name).split()), " ".join(str(position).split())
        label = _("Witness %(n)s") % {"n": n}
        if not name:
            if position:
                _add(errors, "witnesses", label + ": " + _("give the name, not only the position."))
            continue
        for value, field in ((name, "name"), (position, "position")):
            limit = HandoverWitness._meta.get_field(field).max_length
            if len(value) > limit:
                _add(
                    errors,
                    "witnesses",
                    label
                    + ": "
                    + _("the %(field)s has %(n)s characters; at most %(max)s fit.")
                    % {
                        "field": HandoverWitness._meta.get_field(field).verbose_name,
                        "n": len(value),
                        "max": limit,
                    },
                )
        pairs.append((name, position))
    if len(pairs) > MAX_WITNESSES:
        _add(
            errors,
            "witnesses",
            _("%(n)s witnesses given; a BAST has at most %(max)s.")
            % {"n": len(pairs), "max": MAX_WITNESSES},
        )
    return pairs


def witness_errors(witnesses) -> list[str]:
    """What `clean_witnesses` would refuse in `witnesses`, as messages (for a preview)."""
    errors: dict[str, list] = {}
    clean_witnesses(errors, witnesses)
    return errors.get("witnesses", [])


def _next_seq(year: int) -> int:
    top = Handover.objects.filter(year=year).aggregate(top=Max("seq"))["top"]
    return (top or 0) + 1


def _numbered(**fields) -> Handover:
    """The handover saved under the next free number of its year. Two handovers saved at once
    may both read the same last number: the database's unique (year, seq) refuses the second,
    which takes the next number after the first commits."""
    year = fields["handed_on"].year
    for attempt in range(NUMBER_ATTEMPTS):
        seq = _next_seq(year)
        try:
            with transaction.atomic():
                return Handover.objects.create(
                    year=year,
                    seq=seq,
                    number=NUMBER_FORMAT.format(seq=seq, year=year),
                    **fields,
                )
        except IntegrityError:
            if attempt == NUMBER_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _check_lines(errors: dict, lines: Sequence[Line]) -> list[Line]:
    """The lines with their quantities checked; each problem named by its line."""
    if not lines:
        _add(errors, "lines", _("List at least one item and who receives it."))
        return []
    if len(lines) > MAX_LINES:
        _add(
            errors,
            "lines",
            _("%(n)s lines given; one BAST lists at most %(max)s. Split it into several BASTs.")
            % {"n": len(lines), "max": MAX_LINES},
        )
        return []
    seen: Counter = Counter()
    clean = []
    for n, line in enumerate(lines, start=1):
        person, item, quantity, condition, note = (list(line) + [""])[:5]
        note = " ".join(str(note or "").split())
        label = _("Line %(n)s") % {"n": n}
        if not isinstance(person, Person) or person.pk is None:
            _add(errors, "lines", label + ": " + _("choose the receiver from the registry."))
            continue
        if not isinstance(item, Item) or item.pk is None:
            _add(errors, "lines", label + ": " + _("choose the item from the catalog."))
            continue
        _positive(errors, "lines", quantity, label)
        _check_handed_condition(errors, "lines", condition, note, label)
        seen[(person.pk, item.pk)] += 1
        if seen[(person.pk, item.pk)] == 2:
            _add(
                errors,
                "lines",
                _("%(item)s for %(name)s is listed twice; put it on one line with the total.")
                % {"item": item.name, "name": person.name},
            )
        clean.append((person, item, quantity, condition, note))
    known = set(
        Person.objects.filter(pk__in={p.pk for p, *_r in clean}).values_list("pk", flat=True)
    )
    for person, *_rest in clean:
        if person.pk not in known:
            _add(
                errors,
                "lines",
                _("%(name)s is not in the registry; register them first.") % {"name": person.name},
            )
    return clean


def _check_handed_condition(errors: dict, field: str, condition, note: str, label: str) -> None:
    """An item is handed new, good or damaged (saying what is wrong); a lost item cannot be
    handed over at all (docs/EQUIPMENT.md)."""
    prefix = label + ": " if label else ""
    if condition not in HANDOVER_CONDITIONS:
        _add(errors, field, prefix + _("the condition is new, good or damaged."))
    elif condition == Condition.DAMAGED and not note:
        _add(errors, field, prefix + _("say what is damaged (e.g. cracked screen, works)."))
    limit = HandoverLine._meta.get_field("note").max_length
    if len(note) > limit:
        _add(
            errors,
            field,
            prefix
            + _("the condition note has %(n)s characters; at most %(max)s fit.")
            % {"n": len(note), "max": limit},
        )


def _stock_errors(
    errors: dict, wanted: Mapping[int, int], day: datetime.date, items: Mapping[int, Item]
) -> None:
    """Refuse handing over more of an item than is in stock (`wanted`: item id → how many):
    now, and on the handover's date `day` and every day after it."""
    changes = dated_stock(wanted)
    for item_id, quantity in sorted(wanted.items()):
        item = items.get(item_id)
        if item is None:
            _add(errors, "lines", _("An item on the list is no longer in the catalog."))
            continue
        have = sum(changes[item_id].values())
        if quantity > have:
            _add(
                errors,
                "lines",
                _(
                    "Not enough %(item)s in stock: %(asked)s %(unit)s asked, %(have)s in "
                    "stock. Record the stock received first, or hand over fewer."
                )
                % {"item": item.name, "asked": quantity, "unit": item.unit, "have": have},
            )
            continue
        least, least_on = lowest_from(changes[item_id], day)
        if quantity > least:
            _add(
                errors,
                "handed_on",
                _(
                    "On %(date)s only %(have)s %(unit)s of %(item)s were in stock (received "
                    "by then, less what had been handed over), so a handover dated %(day)s "
                    "cannot give %(asked)s. Check the date of the handover, or of the stock "
                    "received."
                )
                % {
                    "date": long_date(least_on),
                    "have": max(least, 0),
                    "unit": item.unit,
                    "item": item.name,
                    "day": long_date(day),
                    "asked": quantity,
                },
            )


def _check_stock(errors: dict, lines: Sequence[Line], day: datetime.date) -> None:
    """The stock check for `lines`, with the item rows locked until the transaction ends."""
    wanted: Counter = Counter()
    for _person, item, quantity, *_rest in lines:
        if isinstance(quantity, int):
            wanted[item.pk] += quantity
    _stock_errors(errors, wanted, day, _locked_items(wanted))


@transaction.atomic
def handover_create(
    *,
    by: Actor,
    handed_on: datetime.date,
    giver_name: str,
    giver_title: str = "",
    witnesses: str | Sequence = "",
    place: str = "",
    note: str = "",
    lines: Sequence[Line],
    training_event=None,
) -> Handover:
    """Record one BAST: `lines` of (receiver, item, quantity, condition new/good/damaged[, note
    saying what is damaged]), witnesses as (name, position) pairs (see `clean_witnesses`), numbered
    "<seq>/BAST-SARPRAS/<year>" in the year of `handed_on`. Refused whole when any item has
    fewer in stock than the lines hand over in total."""
    errors: dict[str, list] = {}
    giver_name = (giver_name or "").strip()
    _not_future(errors, "handed_on", handed_on, _("handover"))
    if not giver_name:
        _add(errors, "giver_name", _("Give the name of the person handing the items over."))
    giver_title, place = (giver_title or "").strip(), (place or "").strip()
    check_columns(errors, Handover, giver_name=giver_name, giver_title=giver_title, place=place)
    pairs = clean_witnesses(errors, witnesses)
    lines = _check_lines(errors, list(lines))
    if lines and "lines" not in errors:
        _check_stock(errors, lines, handed_on)
    if errors:
        raise ValidationError(errors)
    handover = _numbered(
        handed_on=handed_on,
        place=place,
        giver_name=giver_name,
        giver_title=giver_title,
        training_event=training_event,
        note=(note or "").strip(),
        created_by=_user(by),
    )
    HandoverWitness.objects.bulk_create(
        HandoverWitness(handover=handover, order=n, name=name, position=position)
        for n, (name, position) in enumerate(pairs, start=1)
    )
    HandoverLine.objects.bulk_create(
        HandoverLine(handover=handover, person=p, item=i, quantity=q, condition=c, note=note)
        for p, i, q, c, note in lines
    )
    people = {p.pk for p, *_r in lines}
    changes = diff({}, snapshot(handover, HANDOVER_FIELDS))
    changes["witnesses"] = [None, [{"name": n, "position": pos} for n, pos in pairs]]
    changes["lines"] = [
        None,
        [
            f"{p.name}: {q} {i.unit} {i.name} ({c}{': ' + note if note else ''})"
            for p, i, q, c, note in lines
        ],
    ]
    audit_record(
        by=by,
        action=AuditEntry.Action.CREATE,
        obj=handover,
        person=lines[0][0] if len(people) == 1 else None,
        changes=changes,
    )
    return handover


def event_attendees(event) -> list[Person]:
    """The participants of a training event present on at least one of its days, by name."""
    from pilar.trainings.models import Attendance

    ids = Attendance.objects.filter(participant__event=event).values("participant__person_id")
    return list(Person.objects.filter(pk__in=ids).order_by("name", "pk"))


def _event_handover_errors(
    event, items: Sequence[tuple[Item, int]]
) -> tuple[list[Person], dict[str, list]]:
    """The attendees of `event`, and what stops a BAST from it handing `items` to each of them
    (the stock aside)."""
    errors: dict[str, list] = {}
    if not items:
        _add(errors, "items", _("Choose at least one item and how many each attendee receives."))
    seen = set()
    for item, quantity in items:
        _positive(errors, "items", quantity, item.name)
        if item.pk in seen:
            _add(errors, "items", _("%(item)s is chosen twice.") % {"item": item.name})
        seen.add(item.pk)
    given = (
        HandoverLine.objects.in_force()
        .filter(handover__training_event=event, item_id__in=seen)
        .order_by("item__name", "handover__seq")
        .values_list("item__name", "handover__number")
        .distinct()
    )
    for item_name, number in given:
        _add(
            errors,
            "items",
            _(
                "%(item)s was already handed over at this event (BAST %(number)s); choose "
                "other items, or record a BAST by hand for anyone who did not receive it."
            )
            % {"item": item_name, "number": number},
        )
    attendees = event_attendees(event)
    if not attendees:
        _add(
            errors,
            "event",
            _("Nobody attended %(event)s yet; record the attendance first, then the handover.")
            % {"event": event.display_title},
        )
    return attendees, errors


def handover_from_event_preview(
    event, items: Sequence[tuple[Item, int]], handed_on: datetime.date | None = None
) -> tuple[list[Person], dict[str, list]]:
    """Who a BAST from `event` would hand `items` to, and every refusal recording it would
    meet, the stock on its date included — without saving or locking anything."""
    attendees, errors = _event_handover_errors(event, items)
    if not errors:
        wanted = {item.pk: quantity * len(attendees) for item, quantity in items}
        day = handed_on or event.end_date
        _stock_errors(errors, wanted, day, {item.pk: item for item, _q in items})
    return attendees, errors


@transaction.atomic
def handover_from_event(
    *,
    by: Actor,
    event,
    items: Sequence[tuple[Item, int]],
    handed_on: datetime.date | None = None,
    giver_name: str,
    giver_title: str = "",
    witnesses: str | Sequence = "",
    place: str = "",
    note: str = "",
) -> Handover:
    """One BAST handing `quantity_each` of every item in `items` to every participant of the
    training `event` who attended at least one day (on the event's last day unless
    `handed_on` is given, at the event's place unless `place` is). Stock is checked for the
    total. An item already handed over at the event is refused: running it again (a second
    click, a second operator) would give every attendee a second one."""
    _locked_items(item.pk for item, _q in items)
    attendees, errors = _event_handover_errors(event, items)
    if errors:
        raise ValidationError(errors)
    lines = [(p, item, q, Condition.NEW) for p in attendees for item, q in items]
    return handover_create(
        by=by,
        handed_on=handed_on or event.end_date,
        giver_name=giver_name,
        giver_title=giver_title,
        witnesses=witnesses,
        place=place or event.place,
        note=note,
        lines=lines,
        training_event=event,
    )


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
        created_by=_user(by),
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
        created_by=_user(by),
    )
    _audit_created(by, repair, REPAIR_FIELDS)
    return repair


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
    record.reversed_by = _user(by)
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
