"""What the casework pages share: the list's page size, the head of household's name for a
list, and the pillars a user may choose for households."""

from __future__ import annotations

from types import SimpleNamespace

from django.db.models import OuterRef, Q, Subquery

from pilar.casework import services
from pilar.casework.models import HouseholdMember
from pilar.regions.models import Area, within_areas_q
from pilar.registry.models import Assignment, Person

PAGE_SIZE = 50


def head_name():
    """The name of a household's current head, to annotate a list of households with."""
    return Subquery(
        HouseholdMember.objects.filter(
            household=OuterRef("pk"), relation="head", left_on__isnull=True
        ).values("name")[:1]
    )


def pillars_for(user, places):
    """Serving pillars the user may choose for households in `places` (kelurahan): those with a
    duty in the places' kecamatan or in an area above them (a city's Tagana), PSM of the
    kelurahan itself first. Never the whole registry: a province has tens of thousands."""
    places = list(places)
    if not places:
        return []
    kecamatan_codes = {a.code.rsplit(".", 1)[0] for a in places}
    above = {".".join(c.split(".")[: i + 1]) for c in kecamatan_codes for i in range(2)}
    duties = (
        Assignment.objects.active_on(services.today())
        .filter(person__in=Person.objects.visible_to(user))
        .filter(
            within_areas_q(Area.objects.filter(code__in=kecamatan_codes), "area")
            | Q(area__code__in=above)
        )
        .order_by("person__name")
        # Plain values, not model instances: a kecamatan has thousands of pillars.
        .values_list("person_id", "person__name", "kind__code", "area__name", "area_id")
    )
    home = places[0].pk if len(places) == 1 else None
    seen, first, rest = set(), [], []
    for person_id, name, kind, area_name, area_id in duties:
        if person_id in seen:
            continue
        seen.add(person_id)
        item = SimpleNamespace(pk=person_id, label=f"{name} · {kind} {area_name}")
        (first if kind == "PSM" and area_id == home else rest).append(item)
    return first + rest
