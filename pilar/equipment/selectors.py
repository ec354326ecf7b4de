"""Reads shared by the pages, the exports, the API and the services: stock figures per item,
who holds what, the reminder list of items to get back, filtered BASTs and returns.

Every figure is computed from the rows (see pilar.equipment.models) with one grouped query per
kind of row — receipts, handover lines, returns, repairs — whatever the number of items. Only
rows in force count: a reversed handover line or return stays visible in the lists, marked, and
counts no more (see pilar.equipment.models).
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from pilar.equipment.models import (
    Condition,
    Handover,
    HandoverLine,
    Item,
    Repair,
    Return,
    StockReceipt,
)
from pilar.regions.models import Area, within_areas_q
from pilar.registry.models import Assignment, Person


@dataclass
class Figures:
    """One item's figures. `in_stock` is what can be handed over: received − handed + returned
    good + repaired. Items returned damaged wait for a repair record (`awaiting_repair`) and are
    not in stock until it says they were repaired; written off, they leave the store."""

    received: int = 0
    handed: int = 0
    returned_good: int = 0
    returned_damaged: int = 0
    lost: int = 0
    repaired: int = 0
    written_off: int = 0

    @property
    def returned(self) -> int:
        return self.returned_good + self.returned_damaged

    @property
    def held(self) -> int:
        return self.handed - self.returned - self.lost

    @property
    def awaiting_repair(self) -> int:
        return self.returned_damaged - self.repaired - self.written_off

    @property
    def in_stock(self) -> int:
        return self.received - self.handed + self.returned_good + self.repaired

    @property
    def in_store(self) -> int:
        """In the store, whether available or waiting for repair."""
        return self.in_stock + self.awaiting_repair


def item_figures(item_ids: list[int] | None = None) -> dict[int, Figures]:
    """Figures per item id (for `item_ids`, or every item): four grouped queries."""
    figures: dict[int, Figures] = {}

    def rows(qs: QuerySet):
        if item_ids is not None:
            qs = qs.filter(item_id__in=item_ids)
        return qs

    for item_id, n in (
        rows(StockReceipt.objects.order_by()).values_list("item_id").annotate(n=Sum("quantity"))
    ):
        figures.setdefault(item_id, Figures()).received = n
    for item_id, n in (
        rows(HandoverLine.objects.in_force().order_by())
        .values_list("item_id")
        .annotate(n=Sum("quantity"))
    ):
        figures.setdefault(item_id, Figures()).handed = n
    field = {
        Condition.GOOD: "returned_good",
        Condition.DAMAGED: "returned_damaged",
        Condition.LOST: "lost",
    }
    for item_id, condition, n in (
        rows(Return.objects.in_force().order_by())
        .values_list("item_id", "condition")
        .annotate(n=Sum("quantity"))
    ):
        setattr(figures.setdefault(item_id, Figures()), field[condition], n)
    outcome = {Repair.Outcome.REPAIRED: "repaired", Repair.Outcome.WRITTEN_OFF: "written_off"}
    for item_id, kind, n in (
        rows(Repair.objects.order_by())
        .values_list("item_id", "outcome")
        .annotate(n=Sum("quantity"))
    ):
        setattr(figures.setdefault(item_id, Figures()), outcome[kind], n)
    for item_id in item_ids or []:
        figures.setdefault(item_id, Figures())
    return figures


def stock_of(item_ids: list[int]) -> dict[int, int]:
    """How many of each item are in the store now."""
    return {pk: f.in_stock for pk, f in item_figures(item_ids).items()}


def dated_stock(item_ids: Iterable[int]) -> dict[int, Counter]:
    """How each item's available stock changes by day: received, less handed over, plus given
    back in good condition, plus repaired. Nothing is dated in the future, so the changes add
    up to the stock now (`Figures.in_stock`). Four grouped queries, whatever the number of
    items."""
    changes: dict[int, Counter] = {pk: Counter() for pk in item_ids}
    flows = [
        (StockReceipt.objects.all(), "received_on", 1),
        (HandoverLine.objects.in_force(), "handover__handed_on", -1),
        (Return.objects.in_force().filter(condition=Condition.GOOD), "returned_on", 1),
        (Repair.objects.filter(outcome=Repair.Outcome.REPAIRED), "done_on", 1),
    ]
    for rows, day, sign in flows:
        by_day = rows.filter(item_id__in=list(changes)).order_by().values_list("item_id", day)
        for item_id, when, total in by_day.annotate(total=Sum("quantity")):
            changes[item_id][when] += sign * total
    return changes


def dated_awaiting_repair(item_id: int) -> Counter:
    """How many of an item wait for repair, by day: returned damaged, less repaired or written
    off. The changes add up to `Figures.awaiting_repair`."""
    changes: Counter = Counter()
    for rows, day, sign in (
        (Return.objects.in_force().filter(condition=Condition.DAMAGED), "returned_on", 1),
        (Repair.objects.all(), "done_on", -1),
    ):
        by_day = rows.filter(item_id=item_id).order_by().values_list(day)
        for when, total in by_day.annotate(total=Sum("quantity")):
            changes[when] += sign * total
    return changes


def dated_holding(person: Person, item: Item) -> Counter:
    """How what `person` holds of `item` changes by day: handed over, less given back (lost
    included). The changes add up to what they hold now."""
    changes: Counter = Counter()
    for rows, day, sign in (
        (HandoverLine.objects.in_force(), "handover__handed_on", 1),
        (Return.objects.in_force(), "returned_on", -1),
    ):
        by_day = rows.filter(person=person, item=item).order_by().values_list(day)
        for when, total in by_day.annotate(total=Sum("quantity")):
            changes[when] += sign * total
    return changes


def lowest_from(changes: Mapping[datetime.date, int], day: datetime.date):
    """The lowest running total of dated `changes` on `day` or any later day, and the first day
    it is that low (a day's total counts everything dated up to and including it). What a
    handover or a return dated `day` can take without a later day going below zero."""
    running = sum(q for when, q in changes.items() if when <= day)
    least, least_on = running, day
    for when in sorted(w for w in changes if w > day):
        running += changes[when]
        if running < least:
            least, least_on = running, when
    return least, least_on


# --- the catalog ------------------------------------------------------------------------------


@dataclass
class CatalogFilter:
    category: str = ""
    q: str = ""
    active: bool | None = True


def catalog(f: CatalogFilter, user=None) -> list[tuple[Item, Figures]]:
    """The items of `user`'s office (a province: of its offices; no user: every office's), with
    their figures."""
    items = Item.objects.all() if user is None else Item.objects.visible_to(user)
    if f.category:
        items = items.filter(category=f.category)
    if f.active is not None:
        items = items.filter(active=f.active)
    for word in f.q.split():
        items = items.filter(Q(name__icontains=word) | Q(asset_code__icontains=word))
    items = list(items.order_by("name", "pk"))
    figures = item_figures([i.pk for i in items])
    return [(item, figures[item.pk]) for item in items]


# --- who holds what ---------------------------------------------------------------------------


@dataclass
class HoldingFilter:
    item: Item | None = None
    category: str = ""
    kind: str = ""
    area: Area | None = None
    q: str = ""
    person: Person | None = None
    needs_return: bool | None = None


def _duty_filter(kind: str, area: Area | None):
    duties = Assignment.objects.all()
    if kind:
        duties = duties.filter(kind__code=kind)
    if area is not None:
        duties = duties.filter(within_areas_q([area], "area"))
    return duties.values("person_id")


def _returned_sum():
    return Subquery(
        Return.objects.in_force()
        .filter(person_id=OuterRef("person_id"), item_id=OuterRef("item_id"))
        .order_by()
        .values("person_id", "item_id")
        .annotate(n=Sum("quantity"))
        .values("n")[:1],
        output_field=IntegerField(),
    )


def holdings(user, f: HoldingFilter) -> QuerySet:
    """Who holds what now, as rows of dicts (person × item) that `user` may see: `held`,
    `first_on` (the first handover) and `last_on` (the latest). The latest BAST's number and id
    are filled by `with_latest_bast` for the rows shown, not computed for every line here."""
    lines = HandoverLine.objects.in_force().order_by()
    if user is not None:
        lines = lines.visible_to(user)
    if f.person is not None:
        lines = lines.filter(person=f.person)
    if f.item is not None:
        lines = lines.filter(item=f.item)
    if f.category:
        lines = lines.filter(item__category=f.category)
    if f.needs_return is not None:
        # By item id, not a join: the returns-due list then looks only at the lines of items
        # that come back (measured in bench/trainings.py: SQLite count 0.42 s → 0.27 s).
        items = Item.objects.filter(needs_return=f.needs_return).values("pk")
        lines = lines.filter(item_id__in=items)
    if f.kind or f.area is not None:
        lines = lines.filter(person_id__in=_duty_filter(f.kind, f.area))
    for word in f.q.split():
        lines = lines.filter(Q(person__name__icontains=word) | Q(item__name__icontains=word))
    return (
        lines.values(
            "person_id",
            "item_id",
            "person__name",
            "person__nik",
            "item__name",
            "item__unit",
            "item__needs_return",
        )
        .annotate(
            held=Sum("quantity") - Coalesce(_returned_sum(), Value(0)),
            first_on=Min("handover__handed_on"),
            last_on=Max("handover__handed_on"),
        )
        .filter(held__gt=0)
        .order_by("person__name", "person_id", "item__name")
    )


LATEST_BAST_CHUNK = 500


def with_latest_bast(rows: Iterable[dict]) -> Iterator[dict]:
    """`rows` from `holdings`, each with `last_number` and `last_handover_id`: the BAST that last
    handed that item to that person. One query per `LATEST_BAST_CHUNK` rows."""
    chunk: list[dict] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == LATEST_BAST_CHUNK:
            yield from _fill_latest_bast(chunk)
            chunk = []
    if chunk:
        yield from _fill_latest_bast(chunk)


def _fill_latest_bast(rows: list[dict]) -> list[dict]:
    pairs = {(r["person_id"], r["item_id"]) for r in rows}
    latest: dict[tuple[int, int], tuple[int, str]] = {}
    lines = (
        HandoverLine.objects.in_force()
        .filter(person_id__in={p for p, _ in pairs}, item_id__in={i for _, i in pairs})
        .order_by("-handover__handed_on", "-handover_id")
        .values_list("person_id", "item_id", "handover_id", "handover__number")
    )
    for person_id, item_id, handover_id, number in lines:
        if (person_id, item_id) in pairs:
            latest.setdefault((person_id, item_id), (handover_id, number))
    for r in rows:
        r["last_handover_id"], r["last_number"] = latest[(r["person_id"], r["item_id"])]
    return rows


def person_holdings(person: Person, user=None) -> list[dict]:
    """What `person` holds now, item by item, as `user` may see it (everything without one)."""
    return list(with_latest_bast(holdings(user, HoldingFilter(person=person))))


def returns_due(user, f: HoldingFilter, today: datetime.date | None = None) -> QuerySet:
    """Items that must be returned (`needs_return`) still held by people none of whose duties
    is active `today` or yet to start — they have left, or never had a duty — with `left_on`,
    the last day of their last duty (None when they never had one: listed first). Someone
    appointed from a later date keeps what they were handed for it."""
    today = today or timezone.localdate()
    active = Assignment.objects.not_ended_by(today).filter(person_id=OuterRef("person_id"))
    last_day = (
        Assignment.objects.filter(person_id=OuterRef("person_id"))
        .order_by()
        .values("person_id")
        .annotate(last=Max("end_date"))
        .values("last")[:1]
    )
    f = HoldingFilter(**{**f.__dict__, "needs_return": True})
    return (
        holdings(user, f)
        .filter(~Exists(active))
        .annotate(left_on=Subquery(last_day))
        .order_by(F("left_on").asc(nulls_first=True), "person__name", "person_id", "item__name")
    )


# --- handovers and returns -------------------------------------------------------------------


@dataclass
class HandoverFilter:
    year: int | None = None
    item: Item | None = None
    person: Person | None = None
    event_id: int | None = None
    q: str = ""


def matching_handovers(user, f: HandoverFilter) -> QuerySet[Handover]:
    """The BASTs `user` may see; the item, person and name filters look only at the lines
    they may see, so a search never tells whether someone outside their area is on a BAST."""
    handovers = Handover.objects.visible_to(user)
    lines = HandoverLine.objects.visible_to(user)
    if f.year:
        handovers = handovers.filter(year=f.year)
    if f.item is not None:
        handovers = handovers.filter(pk__in=lines.filter(item=f.item).values("handover_id"))
    if f.person is not None:
        handovers = handovers.filter(pk__in=lines.filter(person=f.person).values("handover_id"))
    if f.event_id:
        handovers = handovers.filter(training_event_id=f.event_id)
    for word in f.q.split():
        handovers = handovers.filter(
            Q(number__icontains=word)
            | Q(giver_name__icontains=word)
            | Q(place__icontains=word)
            | Q(pk__in=lines.filter(person__name__icontains=word).values("handover_id"))
        )
    people = (
        HandoverLine.objects.in_force()
        .filter(handover_id=OuterRef("pk"))
        .order_by()
        .values("handover_id")
        .annotate(n=Count("person_id", distinct=True))
        .values("n")[:1]
    )
    return (
        handovers.select_related("training_event__course")
        .prefetch_related("witnesses")
        .annotate(line_count=Coalesce(Subquery(people, output_field=IntegerField()), Value(0)))
        .order_by("-handed_on", "-pk")
    )


def handover_lines(handover: Handover, user) -> tuple[list[HandoverLine], int]:
    """The lines of `handover` that `user` may see, reversed ones included (marked, beside
    their replacement), and how many they may not."""
    everyone = handover.lines.select_related("person", "item", "reversed_by").order_by(
        "person__name", "person_id", "item__name", "pk"
    )
    shown = list(everyone.filter(pk__in=HandoverLine.objects.visible_to(user).values("pk")))
    return shown, everyone.count() - len(shown)


@dataclass
class ReturnFilter:
    item: Item | None = None
    person: Person | None = None
    condition: str = ""
    q: str = ""


def matching_returns(user, f: ReturnFilter) -> QuerySet[Return]:
    returns = Return.objects.visible_to(user)
    if f.item is not None:
        returns = returns.filter(item=f.item)
    if f.person is not None:
        returns = returns.filter(person=f.person)
    if f.condition:
        returns = returns.filter(condition=f.condition)
    for word in f.q.split():
        returns = returns.filter(
            Q(person__name__icontains=word)
            | Q(item__name__icontains=word)
            | Q(reason__icontains=word)
        )
    return returns.select_related("person", "item", "reversed_by").order_by("-returned_on", "-pk")
