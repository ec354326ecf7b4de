"""Scope of training records.

- Staff (admin, operator, approver, finance) see every event, participant and certificate.
- A coordinator (TKSK) sees every event (an event is not personal data) but only the
  participants and certificates of people within their kecamatan: of those serving there (and
  the newly registered who live there) all of them; of someone who served there and moved on,
  those of events that began before their last duty there ended (`until_left_q`), so the
  area's training history stays readable without showing what they did afterwards.
- A pillar sees the events they took part in, and only their own participation and certificate.
- Viewers have no training capability (403); the dashboard gives them figures.
Writes (TRAININGS_EDIT: admin, operator) are city-wide.
The public verification page (`/c/<code>/`) needs no login and shows only the name, course,
dates and validity of one certificate.
"""

from __future__ import annotations

from django.db.models import Q

from pilar.accounts.access import (
    Capability,
    area_scope,
    until_left_q,
    user_has_self_scope,
)


def event_scope_q(user) -> Q:
    from pilar.trainings.models import Participant

    areas = area_scope(user, Capability.TRAININGS_VIEW)
    if areas is None or areas:
        return Q()
    if user_has_self_scope(user, Capability.TRAININGS_VIEW):
        own = Participant.objects.filter(person_id=user.person_id).values("event_id")
        return Q(pk__in=own)
    return Q(pk__in=[])


def participant_scope_q(user) -> Q:
    return until_left_q(user, Capability.TRAININGS_VIEW, person="person", on="event__start_date")


def certificate_scope_q(user) -> Q:
    return until_left_q(
        user, Capability.TRAININGS_VIEW, person="participant__person", on="event_start"
    )
