"""Scope of Tagana records: who sees which disaster events, deployments and members.

- Staff (admin, operator, approver, finance) see every event, deployment and member.
- A coordinator (TKSK) sees the events in their kecamatan and everyone deployed to them (they
  work beside the post); the roster shows the members whose unit lies within that kecamatan
  (none where, as in a city, Tagana serve the whole city).
- A pillar who is an active Tagana member today sees every event within the unit they serve
  (the city), plus any event they were deployed to: events are not personal data. Of the
  deployments they see only their own; the page shows how many others were deployed. On the
  roster they see their own row. A pillar who is not a Tagana member sees no event.
- Viewers have no Tagana capability at all (403): they get aggregates elsewhere.
Writes (TAGANA_EDIT: admin, operator) are limited to events within the editor's areas.
"""

from __future__ import annotations

from django.db.models import Q

from pilar.accounts.access import Capability
from pilar.registry.models import assignment_scope_q


def roster_scope_q(user) -> Q:
    """Tagana duties the user may see on the roster (the registry's rule for duties)."""
    return assignment_scope_q(user, Capability.TAGANA_VIEW)
