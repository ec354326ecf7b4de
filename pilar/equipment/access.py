"""Scope of equipment records (applied by the querysets at the end of pilar/equipment/models.py).

- Staff (admin, operator, approver, finance) see the catalog, stock, every BAST and holder.
- A coordinator (TKSK) sees the catalog and stock, and the handovers, holdings and returns of
  people within their kecamatan (a BAST shows only the lines of those people). Of someone who
  served there and moved on: the lines handed before their last duty there ended
  (`until_left_q`) and the returns of the items those lines handed them — what they still owe
  the area, not what they were given afterwards.
- A pillar sees what they hold, what they were handed and what they returned, and the BASTs
  that name them (only their own lines).
- Viewers have no equipment capability (403); the dashboard gives them figures.
Writes (EQUIPMENT_EDIT: admin, operator) are office-wide.
Many offices (docs/EQUIPMENT.md): all of the above holds within the user's office (a province:
its offices', seen and never written); a pillar's own records follow them to another office.
"""

from __future__ import annotations

from pilar.accounts.access import Capability
from pilar.registry.models import Person, person_scope_q


def people_in_scope(user):
    """The people whose equipment records `user` may see."""
    return Person.objects.filter(person_scope_q(user, Capability.EQUIPMENT_VIEW))
