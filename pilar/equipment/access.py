"""Scope of equipment records.

- Staff (admin, operator, approver, finance) see the catalog, stock, every BAST and holder.
- A coordinator (TKSK) sees the catalog and stock, and the handovers, holdings and returns of
  people within their kecamatan (a BAST shows only the lines of those people). Of someone who
  served there and moved on: the lines handed before their last duty there ended
  (`until_left_q`) and the returns of the items those lines handed them — what they still owe
  the area, not what they were given afterwards.
- A pillar sees what they hold, what they were handed and what they returned, and the BASTs
  that name them (only their own lines).
- Viewers have no equipment capability (403); the dashboard gives them figures.
Writes (EQUIPMENT_EDIT: admin, operator) are city-wide.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from pilar.accounts.access import Capability, area_scope, person_scope_q, until_left_q


def people_in_scope(user):
    """The people whose equipment records `user` may see."""
    from pilar.registry.models import Person

    return Person.objects.filter(person_scope_q(user, Capability.EQUIPMENT_VIEW))


def line_scope_q(user) -> Q:
    """Handover lines: by the person they belong to and the day they were handed."""
    return until_left_q(user, Capability.EQUIPMENT_VIEW, person="person", on="handover__handed_on")


def return_scope_q(user) -> Q:
    """Returns: of an item a visible line handed that person."""
    from pilar.equipment.models import HandoverLine

    if area_scope(user, Capability.EQUIPMENT_VIEW) is None:
        return Q()
    lines = HandoverLine.objects.filter(
        line_scope_q(user), person=OuterRef("person"), item=OuterRef("item")
    )
    return Q(Exists(lines))


def handover_scope_q(user) -> Q:
    from pilar.equipment.models import HandoverLine

    if area_scope(user, Capability.EQUIPMENT_VIEW) is None:
        return Q()
    lines = HandoverLine.objects.filter(line_scope_q(user)).values("handover_id")
    return Q(pk__in=lines)
