"""The equipment part of the JSON API (mounted under /api/v1/equipment): the same services and
scoped querysets as the pages (pilar/equipment/access.py tells who sees what)."""

import datetime

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from pilar.accounts.access import Capability, office_scope_q
from pilar.api.common import Body, Id, Limit, Offset, Search, Year, api_actor, require
from pilar.equipment import corrections, returns, services
from pilar.equipment.access import people_in_scope
from pilar.equipment.models import (
    Handover,
    HandoverLine,
    HandoverWitness,
    Item,
    Repair,
    Return,
    StockReceipt,
)
from pilar.equipment.selectors import (
    CatalogFilter,
    Figures,
    HandoverFilter,
    HoldingFilter,
    ReturnFilter,
    catalog,
    handover_lines,
    holdings,
    item_figures,
    matching_handovers,
    matching_returns,
    person_holdings,
    returns_due,
    with_latest_bast,
)
from pilar.lib.nik import mask_nik
from pilar.regions.models import Area
from pilar.registry.models import Person, person_scope_q

router = Router(tags=["equipment"])


def _one(model, pk: int | None, field: str, what: str, qs=None):
    if pk is None:
        return None
    found = (qs if qs is not None else model.objects.all()).filter(pk=pk).first()
    if found is None:
        raise ValidationError(
            {field: [_("No %(what)s has the id %(id)s.") % {"what": what, "id": pk}]}
        )
    return found


def _item(request, pk, field="item_id"):
    # The items of the caller's office (docs/EQUIPMENT.md, "Many offices"): another office's
    # is "no item has the id".
    return _one(Item, pk, field, _("item"), qs=Item.objects.visible_to(request.user))


def _person(request, pk, field="person_id"):
    # Only writes name a person this way: someone the caller may hand items to or take them
    # back from, within their office (EQUIPMENT_EDIT).
    people = Person.objects.filter(person_scope_q(request.user, Capability.EQUIPMENT_EDIT))
    return _one(Person, pk, field, _("person"), qs=people)


class ItemOut(Schema):
    id: int
    name: str
    category: str
    unit: str
    asset_code: str
    needs_return: bool
    active: bool
    received: int
    handed: int
    returned_good: int
    returned_damaged: int
    lost: int
    repaired: int
    written_off: int
    awaiting_repair: int = Field(description="returned damaged − repaired − written off")
    held: int
    in_stock: int = Field(
        description="available to hand over: received − handed over + returned good + repaired"
    )


class ItemIn(Body):
    columns = (Item,)
    name: str
    category: Item.Category
    unit: str
    asset_code: str = ""
    needs_return: bool = False
    active: bool = True


def _item_out(item: Item, f: Figures) -> ItemOut:
    return ItemOut(
        id=item.pk,
        name=item.name,
        category=item.category,
        unit=item.unit,
        asset_code=item.asset_code,
        needs_return=item.needs_return,
        active=item.active,
        received=f.received,
        handed=f.handed,
        returned_good=f.returned_good,
        returned_damaged=f.returned_damaged,
        lost=f.lost,
        repaired=f.repaired,
        written_off=f.written_off,
        awaiting_repair=f.awaiting_repair,
        held=f.held,
        in_stock=f.in_stock,
    )


@router.get("/items", response=list[ItemOut], summary="The catalog with stock figures")
def list_items(request, category: str | None = None, q: Search | None = None, all: bool = False):
    require(request, Capability.EQUIPMENT_VIEW)
    rows = catalog(
        CatalogFilter(category=category or "", q=q or "", active=None if all else True),
        request.user,
    )
    return [_item_out(item, f) for item, f in rows]


@router.get("/items/{item_id}", response=ItemOut, summary="One item with its stock figures")
def get_item(request, item_id: Id):
    require(request, Capability.EQUIPMENT_VIEW)
    item = get_object_or_404(Item.objects.visible_to(request.user), pk=item_id)
    return _item_out(item, item_figures([item.pk])[item.pk])


@router.post("/items", response={201: ItemOut}, summary="Add an item to the catalog")
def create_item(request, payload: ItemIn):
    require(request, Capability.EQUIPMENT_EDIT)
    item = services.item_create(by=api_actor(request), **payload.dict())
    return Status(201, _item_out(item, Figures()))


class ReceiptOut(Schema):
    id: int
    item_id: int
    item_name: str
    received_on: datetime.date
    quantity: int
    source: str
    note: str


class ReceiptIn(Body):
    columns = (StockReceipt,)
    item_id: int
    received_on: datetime.date
    quantity: int
    source: str
    note: str = ""


def _receipt_out(r: StockReceipt) -> ReceiptOut:
    return ReceiptOut(
        id=r.pk,
        item_id=r.item_id,
        item_name=r.item.name,
        received_on=r.received_on,
        quantity=r.quantity,
        source=r.source,
        note=r.note,
    )


@router.get("/receipts", response=list[ReceiptOut], summary="Stock received")
def list_receipts(request, item_id: Id | None = None, limit: Limit = 100, offset: Offset = 0):
    require(request, Capability.EQUIPMENT_VIEW)
    receipts = (
        StockReceipt.objects.filter(office_scope_q(request.user, "item__office"))
        .select_related("item")
        .order_by("-received_on", "-pk")
    )
    if item_id:
        receipts = receipts.filter(item_id=item_id)
    return [_receipt_out(r) for r in receipts[offset : offset + limit]]


@router.post("/receipts", response={201: ReceiptOut}, summary="Record stock received")
def create_receipt(request, payload: ReceiptIn):
    require(request, Capability.EQUIPMENT_EDIT)
    data = payload.dict()
    item = _item(request, data.pop("item_id"))
    receipt = services.stock_receive(by=api_actor(request), item=item, **data)
    return Status(201, _receipt_out(receipt))


# --- handovers ---------------------------------------------------------------------------------


class Correction(Schema):
    in_force: bool = Field(description="False once reversed (the row no longer counts)")
    reversed_at: datetime.datetime | None
    reversal_reason: str
    replaced_by_id: int | None


def _correction(row) -> dict:
    return {
        "in_force": row.reversed_at is None,
        "reversed_at": row.reversed_at,
        "reversal_reason": row.reversal_reason,
        "replaced_by_id": row.replaced_by_id,
    }


class HandoverLineOut(Correction):
    id: int
    person_id: int
    person_name: str
    masked_nik: str
    item_id: int
    item_name: str
    quantity: int
    unit: str
    condition: str
    note: str


class Witness(Body):
    columns = (HandoverWitness,)
    name: str = Field(description='Whole, degrees included: "Dra. Rina Marlina, S.Sos, M.Si"')
    position: str = ""


class HandoverOut(Schema):
    id: int
    number: str
    handed_on: datetime.date
    place: str
    giver_name: str
    giver_title: str
    witnesses: list[Witness]
    training_event_id: int | None
    note: str


class HandoverDetailOut(HandoverOut):
    lines: list[HandoverLineOut] = Field(
        description="Those the caller may see (a pillar: their own)."
    )
    other_lines: int


class LineIn(Body):
    columns = (HandoverLine,)
    person_id: int
    item_id: int
    quantity: int
    condition: str = Field("new", description="new, good or damaged (with a note)")
    note: str = ""


class BastIn(Body):
    columns = (Handover,)
    giver_name: str
    giver_title: str = ""
    witnesses: list[Witness] = Field([], max_length=10)
    place: str = ""
    note: str = ""


class HandoverIn(BastIn):
    handed_on: datetime.date
    lines: list[LineIn] = Field(max_length=services.MAX_LINES)


class EventItemIn(Body):
    item_id: int
    each: int


class FromEventIn(BastIn):
    event_id: int
    handed_on: datetime.date | None = Field(None, description="Defaults to the event's last day.")
    items: list[EventItemIn]


def _handover_out(h: Handover) -> dict:
    return {
        "id": h.pk,
        "number": h.number,
        "handed_on": h.handed_on,
        "place": h.place,
        "giver_name": h.giver_name,
        "giver_title": h.giver_title,
        "witnesses": [{"name": n, "position": p} for n, p in h.witness_list()],
        "training_event_id": h.training_event_id,
        "note": h.note,
    }


def _detail(request, h: Handover) -> HandoverDetailOut:
    lines, hidden = handover_lines(h, request.user)
    return HandoverDetailOut(
        **_handover_out(h),
        lines=[
            HandoverLineOut(
                id=line.pk,
                **_correction(line),
                note=line.note,
                person_id=line.person_id,
                person_name=line.person.name,
                masked_nik=line.person.masked_nik,
                item_id=line.item_id,
                item_name=line.item.name,
                quantity=line.quantity,
                unit=line.item.unit,
                condition=line.condition,
            )
            for line in lines
        ],
        other_lines=hidden,
    )


def _visible_handover(request, pk: int) -> Handover:
    return get_object_or_404(Handover.objects.visible_to(request.user), pk=pk)


@router.get("/handovers", response=list[HandoverOut], summary="BASTs, scoped to the caller")
def list_handovers(
    request,
    year: Year | None = None,
    item_id: Id | None = None,
    person_id: Id | None = None,
    event_id: Id | None = None,
    q: Search | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
):
    require(request, Capability.EQUIPMENT_VIEW)
    f = HandoverFilter(
        year=year,
        item=_item(request, item_id),
        person=_one(Person, person_id, "person_id", _("person"), qs=people_in_scope(request.user)),
        event_id=event_id,
        q=q or "",
    )
    rows = matching_handovers(request.user, f)[offset : offset + limit]
    return [HandoverOut(**_handover_out(h)) for h in rows]


@router.post(
    "/handovers/from-event",
    response={201: HandoverDetailOut},
    summary="One BAST for every attendee of a training event",
)
def create_handover_from_event(request, payload: FromEventIn):
    from pilar.trainings.models import TrainingEvent

    require(request, Capability.EQUIPMENT_EDIT)
    events = TrainingEvent.objects.filter(office_scope_q(request.user))
    event = _one(TrainingEvent, payload.event_id, "event_id", _("training event"), qs=events)
    items = [
        (_item(request, i.item_id, f"items.{n}.item_id"), i.each)
        for n, i in enumerate(payload.items)
    ]
    data = payload.dict(exclude={"event_id", "items"})
    handover = services.handover_from_event(by=api_actor(request), event=event, items=items, **data)
    return Status(201, _detail(request, handover))


@router.get("/handovers/{handover_id}", response=HandoverDetailOut, summary="One BAST")
def get_handover(request, handover_id: Id):
    require(request, Capability.EQUIPMENT_VIEW)
    return _detail(request, _visible_handover(request, handover_id))


@router.post("/handovers", response={201: HandoverDetailOut}, summary="Record a BAST")
def create_handover(request, payload: HandoverIn):
    require(request, Capability.EQUIPMENT_EDIT)
    lines = [
        (
            _person(request, line.person_id, f"lines.{n}.person_id"),
            _item(request, line.item_id, f"lines.{n}.item_id"),
            line.quantity,
            line.condition,
            line.note,
        )
        for n, line in enumerate(payload.lines)
    ]
    data = payload.dict(exclude={"lines"})
    handover = services.handover_create(by=api_actor(request), lines=lines, **data)
    return Status(201, _detail(request, handover))


# --- returns and holdings -------------------------------------------------------------------------


class ReturnOut(Correction):
    id: int
    person_id: int
    person_name: str
    item_id: int
    item_name: str
    quantity: int
    condition: str
    returned_on: datetime.date
    reason: str
    received_by: str


class ReturnIn(Body):
    columns = (Return,)
    person_id: int
    item_id: int
    quantity: int
    condition: str
    returned_on: datetime.date
    reason: str = ""
    received_by: str = ""


def _return_out(r) -> ReturnOut:
    return ReturnOut(
        id=r.pk,
        person_id=r.person_id,
        person_name=r.person.name,
        item_id=r.item_id,
        item_name=r.item.name,
        quantity=r.quantity,
        condition=r.condition,
        returned_on=r.returned_on,
        reason=r.reason,
        received_by=r.received_by,
        **_correction(r),
    )


@router.get("/returns", response=list[ReturnOut], summary="Returns, scoped to the caller")
def list_returns(
    request,
    item_id: Id | None = None,
    condition: str | None = None,
    q: Search | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
):
    require(request, Capability.EQUIPMENT_VIEW)
    f = ReturnFilter(item=_item(request, item_id), condition=condition or "", q=q or "")
    return [_return_out(r) for r in matching_returns(request.user, f)[offset : offset + limit]]


@router.post("/returns", response={201: ReturnOut}, summary="Record a return (or a loss)")
def create_return(request, payload: ReturnIn):
    require(request, Capability.EQUIPMENT_EDIT)
    data = payload.dict()
    person = _person(request, data.pop("person_id"))
    item = _item(request, data.pop("item_id"))
    record = returns.return_record(by=api_actor(request), person=person, item=item, **data)
    return Status(201, _return_out(record))


class HoldingOut(Schema):
    person_id: int
    person_name: str
    masked_nik: str
    item_id: int
    item_name: str
    unit: str
    held: int
    since: datetime.date
    latest_handover_id: int
    latest_number: str
    latest_on: datetime.date
    left_on: datetime.date | None = None


def _holding_out(r: dict) -> HoldingOut:
    return HoldingOut(
        person_id=r["person_id"],
        person_name=r["person__name"],
        masked_nik=mask_nik(r["person__nik"]),
        item_id=r["item_id"],
        item_name=r["item__name"],
        unit=r["item__unit"],
        held=r["held"],
        since=r["first_on"],
        latest_handover_id=r["last_handover_id"],
        latest_number=r["last_number"],
        latest_on=r["last_on"],
        left_on=r.get("left_on"),
    )


class HoldingQuery(Schema):
    item_id: Id | None = None
    category: str | None = None
    kind: str | None = Field(None, description="Kind of pillar, e.g. TAGANA")
    area: str | None = Field(None, description="Kemendagri code of a kecamatan or kelurahan")
    q: Search | None = None
    limit: Limit = 100
    offset: Offset = 0


def _holding_rows(request, select, filters: HoldingQuery) -> list[HoldingOut]:
    require(request, Capability.EQUIPMENT_VIEW)
    found = Area.objects.by_code(filters.area, "area")
    f = HoldingFilter(
        item=_item(request, filters.item_id),
        category=filters.category or "",
        kind=filters.kind or "",
        area=found,
        q=filters.q or "",
    )
    rows = select(request.user, f)[filters.offset : filters.offset + filters.limit]
    return [_holding_out(r) for r in with_latest_bast(rows)]


@router.get("/holdings", response=list[HoldingOut], summary="Who holds what now")
def list_holdings(request, filters: Query[HoldingQuery]):
    return _holding_rows(request, holdings, filters)


@router.get(
    "/returns-due",
    response=list[HoldingOut],
    summary="Items to get back: held by people with no duty active today or yet to start",
)
def list_returns_due(request, filters: Query[HoldingQuery]):
    return _holding_rows(request, returns_due, filters)


@router.get("/mine", response=list[HoldingOut], summary="What the caller holds")
def list_mine(request):
    require(request, Capability.EQUIPMENT_VIEW)
    if not request.user.person_id:
        return []  # an account not linked to a person holds nothing (the page says so)
    return [_holding_out(r) for r in person_holdings(Person(pk=request.user.person_id))]


# --- repairs and corrections ---------------------------------------------------------------


class RepairIn(Body):
    columns = (Repair,)
    quantity: int
    outcome: Repair.Outcome
    done_on: datetime.date
    note: str
    done_by: str


class RepairOut(Schema):
    id: int
    item_id: int
    quantity: int
    outcome: str
    done_on: datetime.date
    note: str
    done_by: str


@router.post(
    "/items/{item_id}/repairs",
    response={201: RepairOut},
    summary="Record items returned damaged as repaired (available again) or written off",
)
def create_repair(request, item_id: Id, payload: RepairIn):
    require(request, Capability.EQUIPMENT_EDIT)
    item = get_object_or_404(Item.objects.visible_to(request.user), pk=item_id)
    r = returns.repair_record(by=api_actor(request), item=item, **payload.dict())
    return Status(
        201,
        RepairOut(
            id=r.pk,
            item_id=r.item_id,
            quantity=r.quantity,
            outcome=r.outcome,
            done_on=r.done_on,
            note=r.note,
            done_by=r.done_by,
        ),
    )


class LineCorrectionIn(Body):
    columns = (HandoverLine,)
    reversal_reason: str
    amend: bool = Field(False, description="False: reverse the line; True: replace it")
    quantity: int | None = None
    condition: str = ""
    note: str = ""


class ReturnCorrectionIn(Body):
    columns = (Return,)
    reversal_reason: str
    amend: bool = Field(False, description="False: reverse the return; True: replace it")
    quantity: int | None = None
    condition: str = ""
    returned_on: datetime.date | None = None
    reason: str = ""
    received_by: str = ""


@router.post(
    "/handover-lines/{line_id}/correction",
    response={201: HandoverDetailOut},
    summary="Reverse or amend a handover line saved by mistake (with a reason)",
)
def correct_line(request, line_id: Id, payload: LineCorrectionIn):
    require(request, Capability.EQUIPMENT_EDIT)
    line = get_object_or_404(HandoverLine.objects.visible_to(request.user), pk=line_id)
    corrections.line_correct(by=api_actor(request), line=line, **payload.dict())
    return Status(201, _detail(request, line.handover))


@router.post(
    "/returns/{return_id}/correction",
    response={201: list[ReturnOut]},
    summary="Reverse or amend a return saved by mistake (with a reason)",
)
def correct_return(request, return_id: Id, payload: ReturnCorrectionIn):
    require(request, Capability.EQUIPMENT_EDIT)
    record = get_object_or_404(Return.objects.visible_to(request.user), pk=return_id)
    new = corrections.return_correct(by=api_actor(request), record=record, **payload.dict())
    record.refresh_from_db()
    return Status(201, [_return_out(r) for r in (record, new) if r is not None])
