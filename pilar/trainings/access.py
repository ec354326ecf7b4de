"""Scope of training records.

- Staff (admin, operator, approver, finance) see every event, participant and certificate.
- A coordinator (TKSK) sees every event (an event is not personal data) but only the
  participants and certificates of people within their kecamatan — by the registry's rule
  (`person_scope_q`): people who serve or once served there, and the newly registered who live
  there, so the training history of the area stays readable after someone moves on.
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
    person_scope_q,
    user_has_self_scope,
)


def _people(user):
    from pilar.registry.models import Person

    return Person.objects.filter(person_scope_q(user, Capability.TRAININGS_VIEW)).values("pk")


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
    if area_scope(user, Capability.TRAININGS_VIEW) is None:
        return Q()
    return Q(person__in=_people(user))


def certificate_scope_q(user) -> Q:
    if area_scope(user, Capability.TRAININGS_VIEW) is None:
        return Q()
    return Q(participant__person__in=_people(user))
