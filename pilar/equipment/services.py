"""Every write to equipment records: validated, in one transaction, and audited.

Stock is never stored (see pilar.equipment.models): each write that takes items out of the
store or back into it locks the rows of the items concerned — in the order of their ids, so
two handovers of the same items wait for each other instead of deadlocking — and then checks
the figures computed from the rows. Each function raises `ValidationError` keyed by the field
to fix and changes nothing when the input breaks a rule: more handed over than is in stock,
a return of something never handed over or of more than is held, damage or loss without a
reason, a date in the future.

Returns and repairs are in `pilar.equipment.returns`, corrections in
`pilar.equipment.corrections`; they share this module's checks.
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
    StockReceipt,
)
from pilar.equipment.selectors import (
    dated_stock,
    lowest_from,
)
from pilar.lib.dates import long_date
from pilar.lib.text import check_columns
from pilar.offices import current
from pilar.offices.copies import office_copy
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


def _own_item(errors: dict, field: str, item: Item) -> None:
    """Refuse an item of another office's catalog (docs/EQUIPMENT.md, "Many offices")."""
    if item.office_id != current().pk:
        _add(errors, field, _("Choose an item of your office's catalog."))


def _locked_items(ids: Iterable[int]) -> dict[int, Item]:
    """The items' rows locked until the transaction ends, locked in the order of their ids."""
    locked = Item.objects.select_for_update().filter(pk__in=sorted(set(ids))).order_by("pk")
    return {item.pk: item for item in locked}


# --- catalog --------------------------------------------------------------------------------


def _item_errors(data: dict, item: Item | None = None) -> dict[str, list]:
    errors: dict[str, list] = {}
    if not data["name"]:
        _add(errors, "name", _("Give the item's name, e.g. Rompi Pilar Sosial."))
    elif (
        Item.objects.filter(office=item.office if item else current(), name__iexact=data["name"])
        .exclude(pk=getattr(item, "pk", None))
        .exists()
    ):
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
    """Add an item to the current office's catalog (docs/EQUIPMENT.md, "Many offices")."""
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
    item = Item.objects.create(office=current(), **data)
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
    _own_item(errors, "item", item)
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
        created_by=by.signed_in_user,
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


def _next_seq(office, year: int) -> int:
    top = Handover.objects.filter(office=office, year=year).aggregate(top=Max("seq"))["top"]
    return (top or 0) + 1


def _numbered(**fields) -> Handover:
    """The handover saved under the next free number of its office and year. Two handovers
    saved at once may both read the same last number: the database's unique (office, year, seq)
    refuses the second, which takes the next number after the first commits."""
    year = fields["handed_on"].year
    for attempt in range(NUMBER_ATTEMPTS):
        seq = _next_seq(fields["office"], year)
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


def _check_lines(errors: dict, lines: Sequence[Line], office) -> list[Line]:
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
        if item.office_id != office.pk:
            _add(errors, "lines", label + ": " + _("choose an item of your office's catalog."))
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
    "<seq>/BAST-SARPRAS/<year>" in the current office's run for the year of `handed_on`, with
    its letterhead. Refused whole when any item has
    fewer in stock than the lines hand over in total."""
    errors: dict[str, list] = {}
    giver_name = (giver_name or "").strip()
    _not_future(errors, "handed_on", handed_on, _("handover"))
    if not giver_name:
        _add(errors, "giver_name", _("Give the name of the person handing the items over."))
    giver_title, place = (giver_title or "").strip(), (place or "").strip()
    check_columns(errors, Handover, giver_name=giver_name, giver_title=giver_title, place=place)
    pairs = clean_witnesses(errors, witnesses)
    office = current()
    lines = _check_lines(errors, list(lines), office)
    if training_event is not None and training_event.office_id != office.pk:
        _add(errors, "training_event", _("Choose a training event of your office."))
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
        office=office,
        office_copy=office_copy().as_json(),
        created_by=by.signed_in_user,
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
