"""Reads shared by the pages and the API: the people and duties a set of filters selects."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q

from pilar.accounts.access import Capability, can
from pilar.regions.models import Area
from pilar.registry.models import Assignment, Person


@dataclass(frozen=True)
class PeopleFilter:
    kind: str = ""
    area: Area | None = None
    exact: bool = False
    active_on: datetime.date | None = None
    q: str = ""

    @property
    def selects_duties(self) -> bool:
        return bool(self.kind or self.area or self.active_on)


def matching_duties(user, f: PeopleFilter):
    """The duties the filters select, within what `user` may see."""
    qs = Assignment.objects.visible_to(user)
    if f.kind:
        qs = qs.filter(kind__code=f.kind)
    if f.area is not None:
        qs = qs.within(f.area, exact=f.exact)
    if f.active_on:
        qs = qs.active_on(f.active_on)
    return qs


def matching_people(user, f: PeopleFilter):
    """(people, duties): the people `user` may see that hold a duty the filters select (any
    person when no duty filter is set), and those duties (None when no duty filter is set)."""
    people = Person.objects.visible_to(user)
    duties = None
    if f.selects_duties:
        duties = matching_duties(user, f)
        people = people.filter(pk__in=duties.values("person_id"))
    if f.q.strip():
        term = f.q.strip()
        digits = "".join(ch for ch in term if ch.isdigit())
        q = Q(name__icontains=term)
        if len(digits) >= 4:
            q |= Q(phone__contains=digits)
            # Only roles that see full NIKs search by them: for others, each answer would tell
            # whether a guess of the masked (birth-date) digits is right.
            if can(user, Capability.PEOPLE_FULL_NIK):
                q |= Q(nik__contains=digits)
        people = people.filter(q)
    return people, duties
