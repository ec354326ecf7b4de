"""Reads shared by the pages and the API: the people and duties a set of filters selects."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q, Value
from django.db.models.functions import Concat

from pilar.accounts.access import Capability, can
from pilar.regions.models import Area
from pilar.registry.models import (
    Assignment,
    Person,
    full_nik_among,
    full_nik_q,
    seen_fully_among,
    seen_fully_q,
)


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
            # A search does not answer with what the list does not show: the phone of people
            # seen only as they were in the user's areas (docs/PRIVACY.md).
            serving = seen_fully_q(user)
            q |= (
                Q(phone__contains=digits)
                if serving is None
                else Q(phone__contains=digits) & serving
            )
            # Only roles that see full NIKs search by them, and only among the people whose full
            # NIK they see: for others, each answer would tell whether a guess of the masked
            # (birth-date) digits is right.
            if can(user, Capability.PEOPLE_FULL_NIK):
                full = full_nik_q(user)
                q |= Q(nik__contains=digits) if full is None else Q(nik__contains=digits) & full
        people = _search(people, q)
    return people, duties


# A search matching at most this many people is read as ids first (docs/PERFORMANCE.md).
SEARCH_IDS = 10_000


def _search(people, q: Q):
    """`people` matching `q`. On PostgreSQL, when they are few, by their ids, found first
    through the trigram index, and sorted by name as a sort of those few rows: the list's
    "by name, first 50" plan would otherwise walk the name index until it meets enough
    matches (a million people, "siti", all late in the alphabet: 5 s). The sort key is the
    name with '' appended, the same order, which the name index cannot serve."""
    if connection.vendor != "postgresql":
        return people.filter(q)
    ids = list(Person.objects.filter(q).order_by().values_list("pk", flat=True)[: SEARCH_IDS + 1])
    if len(ids) > SEARCH_IDS:
        return people.filter(q)
    return people.filter(pk__in=ids).order_by(Concat("name", Value("")), "pk")


# What a person seen only as they were in the user's areas keeps (docs/PRIVACY.md): the name,
# the masked NIK and the duties held there. Everything else is withheld.
WITHHELD_TEXT = (
    "sex",
    "birth_place",
    "address",
    "phone",
    "education",
    "bank_name",
    "bank_account",
    "bank_holder",
)


def as_seen(person: Person) -> Person:
    """`person` as its reader may see them: when not `seen_fully` (set by `mark_seen`), the
    fields in WITHHELD_TEXT, the residence and the photo are emptied on this instance, and of
    the duties prefetched as `current` (with `in_scope`, `with_scope_flag`) only those in the
    reader's areas are kept. The instance is for showing only, never for saving: `minimal`
    marks it. Its NIK stays whole; every reader of it masks it when `minimal`."""
    person.minimal = not getattr(person, "seen_fully", True)
    if person.minimal:
        for field in WITHHELD_TEXT:
            setattr(person, field, "")
        person.residence = None
        person.photo = ""
        if hasattr(person, "current"):
            person.current = [a for a in person.current if a.in_scope]
    return person


def mark_seen(user, people: list[Person]) -> list[Person]:
    """Set `seen_fully` on each of `people` (one query) and apply `as_seen`; set `full_nik`:
    whether `user` may see the person's full NIK, birth date and bank account
    (`can_see_full_nik`; a second query only for a user whose full-NIK grant covers other areas
    than their view of people)."""
    ids = [p.pk for p in people]
    serving = seen_fully_among(user, ids)
    full = full_nik_among(user, ids, serving)
    for person in people:
        person.seen_fully = serving is None or person.pk in serving
        person.full_nik = full is None or person.pk in full
        as_seen(person)
    return people


def people_as_seen(user, people: Iterable[Person], *, chunk: int = 2000) -> Iterator[Person]:
    """`people` as `user` may see them (`mark_seen`), lazily, `chunk` at a time: exports read
    in chunks, one more query per chunk."""
    batch: list[Person] = []
    for person in people:
        batch.append(person)
        if len(batch) >= chunk:
            yield from mark_seen(user, batch)
            batch = []
    if batch:
        yield from mark_seen(user, batch)
