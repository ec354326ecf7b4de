"""Demonstration equipment for `pilar demo`: the catalog, stock received, radios handed to
Tagana members from 2021, the vests and field bags handed to every attendee of the
22 October 2024 training in one BAST, and a few returns — so the reminder list shows a member
who left still holding a radio.

Deterministic from `rng`: the same seed gives the same handovers and returns.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from pilar.audit.services import Actor
from pilar.equipment import returns, services
from pilar.equipment.models import Condition
from pilar.registry.models import Assignment, Person

D = datetime.date
GIVER = ("Drs. Hendri Yusman", "Kepala Bidang Perlindungan dan Jaminan Sosial")
WITNESSES = [
    ("Dra. Rina Marlina, S.Sos, M.Si", "Kepala Seksi Linjamsos"),
    ("Yusrizal", "Pengurus Barang"),
]


def load_equipment(
    *, rng, by: Actor, event_1022, tagana: list[Person], tksk: list[Person] = ()
) -> dict:
    """Load the catalog and its story; returns the items and handovers by name."""
    vest = services.item_create(by=by, name="Rompi Pilar Sosial", category="clothing", unit="buah")
    bag = services.item_create(by=by, name="Tas Lapangan", category="bag", unit="buah")
    radio = services.item_create(
        by=by,
        name="Radio HT",
        category="communication",
        unit="unit",
        asset_code="KIB-B 02.06.01.02",
        needs_return=True,
    )
    laptop = services.item_create(
        by=by,
        name="Laptop TKSK",
        category="electronics",
        unit="unit",
        asset_code="KIB-B 02.10.02.01",
        needs_return=True,
    )
    services.stock_receive(
        by=by, item=radio, received_on=D(2021, 3, 15), quantity=40, source="Kemensos RI"
    )
    services.stock_receive(
        by=by, item=laptop, received_on=D(2023, 8, 1), quantity=3, source="APBD 2023"
    )
    for item in (vest, bag):
        services.stock_receive(
            by=by, item=item, received_on=D(2024, 10, 1), quantity=400, source="APBD 2024"
        )

    # Radios to Tagana members, a few at a time, 2021–2023 (each to a member serving then).
    members = sorted(tagana, key=lambda p: p.pk)
    rng.shuffle(members)
    radio_days = [D(2021, 4, 12), D(2022, 2, 7), D(2023, 5, 22)]
    radio_bast = []
    holders: list[Person] = []
    # Members who have since left get theirs in 2022, so the story has radios to chase.
    leavers = [p for p in members if not _serving_now(p)]
    members = [p for p in members if p not in leavers]
    for n, day in enumerate(radio_days):
        serving = [p for p in members[n * 8 : n * 8 + 8] if _served_on(p, day)]
        if n == 1:
            serving += [p for p in leavers if _served_on(p, day)]
        if not serving:
            continue
        radio_bast.append(
            services.handover_create(
                by=by,
                handed_on=day,
                giver_name=GIVER[0],
                giver_title=GIVER[1],
                witnesses=WITNESSES,
                place="Kantor Dinas Sosial Kota Bukittinggi",
                lines=[(p, radio, 1, Condition.NEW) for p in serving],
            )
        )
        holders += serving

    # A laptop for each TKSK serving when the laptops came (returned when they leave).
    laptop_day = D(2023, 8, 14)
    coordinators = [p for p in tksk if _served_on(p, laptop_day)][:3]
    laptop_bast = None
    if coordinators:
        laptop_bast = services.handover_create(
            by=by,
            handed_on=laptop_day,
            giver_name=GIVER[0],
            giver_title=GIVER[1],
            witnesses=WITNESSES,
            place="Kantor Dinas Sosial Kota Bukittinggi",
            lines=[(p, laptop, 1, Condition.NEW) for p in coordinators],
        )

    event_bast = services.handover_from_event(
        by=by,
        event=event_1022,
        items=[(vest, 1), (bag, 1)],
        handed_on=event_1022.end_date,
        giver_name="Kepala Dinas Sosial Kota Bukittinggi",
        giver_title="Kepala Dinas",
        witnesses=WITNESSES,
        note="Sarana dan prasarana pilar sosial, APBD 2024.",
    )

    # Returns: a radio back in good order from a member who left; one lost in a flood.
    left = [p for p in holders if not _serving_now(p)]
    still = [p for p in holders if _serving_now(p)]
    given_back = []
    # Keep at least one who left holding theirs: the reminder list has someone to chase.
    if len(left) >= 2:
        person = left[0]
        given_back.append(
            returns.return_record(
                by=by,
                person=person,
                item=radio,
                quantity=1,
                condition=Condition.GOOD,
                returned_on=max(_last_day(person), _first_handover_day(radio_bast, person)),
                received_by=WITNESSES[1][0],
            )
        )
    if still:
        person = rng.choice(still)
        given_back.append(
            returns.return_record(
                by=by,
                person=person,
                item=radio,
                quantity=1,
                condition=Condition.LOST,
                returned_on=D(2024, 5, 13),
                reason="Hanyut saat evakuasi banjir 11 Mei 2024.",
                received_by=WITNESSES[1][0],
            )
        )
    return {
        "items": {"vest": vest, "bag": bag, "radio": radio, "laptop": laptop},
        "radio_handovers": radio_bast,
        "laptop_handover": laptop_bast,
        "event_handover": event_bast,
        "returns": given_back,
    }


def _served_on(person: Person, day: datetime.date) -> bool:
    return Assignment.objects.active_on(day).filter(person=person).exists()


def _serving_now(person: Person) -> bool:
    return Assignment.objects.active_on(timezone.localdate()).filter(person=person).exists()


def _last_day(person: Person) -> datetime.date:
    ends = [a.end_date for a in person.assignments.all() if a.end_date]
    return max(ends) if ends else timezone.localdate()


def _first_handover_day(handovers, person: Person) -> datetime.date:
    return min(h.handed_on for h in handovers if h.lines.filter(person=person).exists())
