"""Demonstration Tagana data for `pilar demo`: two closed 2024 events with deployments and logs.

Deterministic from `rng`: the same seed gives the same events, members and times.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from pilar.audit.services import Actor
from pilar.regions.models import Area
from pilar.registry.models import Person
from pilar.tagana import services
from pilar.tagana.models import Deployment, DisasterEvent


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def load_tagana(*, rng, fake, by: Actor, members: list[Person], city: Area, kelurahan: list[Area]):
    """A flood in May and a house fire in September 2024, both closed, with the members who
    went (`members` are active Tagana on 2024-10-22, and joined by 25 March 2024)."""
    del city  # every event is in one of the city's kelurahan
    pool = list(members)
    rng.shuffle(pool)
    flood_day = datetime.date(2024, 5, 11)
    fire_day = datetime.date(2024, 9, 14)
    plans = [
        (
            DisasterEvent.Kind.FLOOD,
            flood_day,
            "Banjir setelah hujan deras semalam; air masuk ke rumah warga di sepanjang "
            f"aliran sungai, sekitar {rng.randint(20, 60)} KK mengungsi.",
            pool[:6],
            [
                (0, 21, "Posko didirikan di masjid; kaji cepat kerusakan dimulai."),
                (0, 23, "Evakuasi lansia dan anak ke posko selesai."),
                (1, 6, "Dapur umum melayani sarapan pengungsi."),
                (2, 16, "Air surut; warga mulai kembali membersihkan rumah."),
            ],
            3,
        ),
        (
            DisasterEvent.Kind.FIRE,
            fire_day,
            f"Kebakaran rumah warga di {fake.street_name()}; {rng.randint(2, 4)} rumah hangus, "
            "tidak ada korban jiwa.",
            pool[6:9],
            [
                (0, 14, "Tagana tiba di lokasi, membantu pemadam dan mendata korban."),
                (0, 19, "Bantuan logistik (selimut, makanan siap saji) diserahkan."),
            ],
            1,
        ),
    ]
    roles = [
        Deployment.Role.POST_COORDINATOR,
        Deployment.Role.EVACUATION,
        Deployment.Role.KITCHEN,
        Deployment.Role.LOGISTICS,
        Deployment.Role.ASSESSMENT,
    ]
    for kind, day, description, team, log, days in plans:
        event = services.event_create(
            by=by, kind=kind, started_on=day, area=rng.choice(kelurahan), description=description
        )
        for i, person in enumerate(team):
            start = _at(day, rng.randint(13, 20), rng.choice([0, 15, 30, 45]))
            end = _at(day + datetime.timedelta(days=rng.randint(0, days)), 22) + datetime.timedelta(
                hours=rng.randint(0, 2)
            )
            services.deployment_create(
                by=by,
                event=event,
                person=person,
                role=roles[0] if i == 0 else rng.choice(roles[1:]),
                start=start,
                end=max(end, start + datetime.timedelta(hours=2)),
            )
        for offset, hour, text in log:
            services.log_entry_add(
                by=by, event=event, at=_at(day + datetime.timedelta(days=offset), hour), text=text
            )
        services.event_close(by=by, event=event, closed_on=day + datetime.timedelta(days=days))
